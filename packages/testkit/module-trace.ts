// Which modules a fresh Node process loads: runs `node --import trace-modules.mjs ARGS` and returns
// the URLs it loaded (node: built-ins included), so a test can assert what a command pulls in.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './proc.ts';

const HOOK = join(import.meta.dirname, 'trace-modules.mjs');

export async function modulesLoadedBy(args: readonly string[], cwd?: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fm-trace-'));
  try {
    const out = join(dir, 'modules.txt');
    await run(process.execPath, ['--import', HOOK, ...args], {
      cwd,
      env: { ...process.env, TRACE_MODULES_OUT: out },
    });
    return readFileSync(out, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The npm packages among `urls` (`@scope/name` or `name`, from node_modules paths). */
export function npmPackagesOf(urls: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) out.add(m[1]);
  }
  return out;
}

/** The workspace packages among `urls` (`packages/<name>/` of this repository, by folder name). */
export function workspacePackagesOf(urls: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const url of urls) {
    if (url.includes('/node_modules/')) continue;
    const m = /\/packages\/([^/]+)\/(?:dist|src)\//.exec(url);
    if (m) out.add(m[1]);
  }
  return out;
}
