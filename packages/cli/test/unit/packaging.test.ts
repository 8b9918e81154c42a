import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../../..');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
// The packages the `fargate-mirror` binary needs at run time: the CLI and every workspace package it
// depends on, directly or through another workspace package.
function workspaceDependencies(dir: string, seen = new Set<string>()): Set<string> {
  if (seen.has(dir)) return seen;
  seen.add(dir);
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (name.startsWith('@fargate-mirror/')) {
      workspaceDependencies(`packages/${name.slice('@fargate-mirror/'.length)}`, seen);
    }
  }
  return seen;
}
const runtimePackages = [...workspaceDependencies('packages/cli')];

// Asynchronous on purpose: npm pack and npm install take tens of seconds, and a synchronous call
// blocks the test worker so long that vitest's own messages to it time out under load.
const execFileAsync = promisify(execFile);
async function exec(cmd: string, args: string[], cwd?: string): Promise<string> {
  const { stdout } = await execFileAsync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe('packaging', () => {
  const work = mkdtempSync(join(tmpdir(), 'fm-pack-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('every workspace package has a semver version and packs its built dist', async () => {
    for (const ws of rootManifest.workspaces) {
      const manifest = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        private?: boolean;
      };
      expect(manifest.version, ws).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
      if (manifest.private) continue;
      const out = await exec('npm', ['pack', '--dry-run', '--json', '-w', ws], root);
      const [info] = JSON.parse(out) as { files: { path: string }[] }[];
      const files = info.files.map((f) => f.path);
      expect(files, ws).toContain('package.json');
      expect(files, ws).toContain('dist/index.js');
      expect(
        files.some((f) => f.startsWith('src/') || f.startsWith('test/')),
        ws,
      ).toBe(false);
    }
  });

  it('installs from tarballs into a fresh project and runs from node_modules', async () => {
    const tarballs: string[] = [];
    for (const ws of runtimePackages) {
      const out = await exec('npm', ['pack', '--json', '--pack-destination', work, '-w', ws], root);
      const [info] = JSON.parse(out) as { filename: string }[];
      tarballs.push(join(work, info.filename));
    }
    const app = join(work, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
    );
    // Third-party dependencies come from the registry (the cache first): a lock-file install never
    // puts the registry's metadata in the cache, so an offline install would pass only where the cache
    // happened to be warm.
    await exec(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs],
      app,
    );
    expect(readdirSync(join(app, 'node_modules', '@fargate-mirror')).sort()).toEqual(
      expect.arrayContaining(['aws-local', 'receiver', 'wire']),
    );
    const help = await exec(join(app, 'node_modules', '.bin', 'fargate-mirror'), ['--help']);
    expect(help).toContain('read [options] <file>');
    // And the installed binary really decodes: the shipped sample capture through `read`.
    const summary = await exec(join(app, 'node_modules', '.bin', 'fargate-mirror'), [
      'read',
      join(root, 'fixtures', 'sample-mirror.pcap'),
      '--records',
      join(work, 'r.jsonl'),
      '--summary-json',
    ]);
    expect(summary).toBe('');
    const records = readFileSync(join(work, 'r.jsonl'), 'utf8').trim().split('\n');
    expect(records.length).toBeGreaterThan(0);
    expect(JSON.parse(records[0]).schema_version).toBe('1.1.0');
  });
});
