// The analysis package is the pure data path: it depends on `wire` and Node only, so `read`, the
// benchmarks and anyone embedding the pipeline never pull in logging, metrics or the AWS SDK.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modulesLoadedBy, npmPackagesOf, workspacePackagesOf } from '@fargate-mirror/testkit/module-trace';
import { describe, expect, it } from 'vitest';

const PACKAGE = join(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('analysis dependencies', () => {
  it('imports only wire, Node built-ins and its own files', () => {
    const foreign: string[] = [];
    for (const file of sourceFiles(join(PACKAGE, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(
        /^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm,
      )) {
        const spec = m[1];
        if (spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('node:')) continue;
        if (spec === '@fargate-mirror/wire') continue;
        foreign.push(`${file}: ${spec}`);
      }
    }
    expect(foreign).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['@fargate-mirror/wire']);
  });

  it('loads nothing but itself, wire and Node built-ins in a fresh process', async () => {
    const urls = await modulesLoadedBy([
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(join(PACKAGE, 'dist/index.js'))});`,
    ]);
    expect([...npmPackagesOf(urls)]).toEqual([]);
    expect([...workspacePackagesOf(urls)].sort()).toEqual(['analysis', 'wire']);
    expect(urls.filter((u) => !u.startsWith('node:') && !u.startsWith('file:'))).toEqual([]);
  });
});
