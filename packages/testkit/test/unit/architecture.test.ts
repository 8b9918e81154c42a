// The layout CONTRIBUTING.md describes, checked: no import circle inside any package or between
// packages, package arrows only where the package manifests declare them, and every test file in a
// package's test/unit or test/lab folder (so `npm run test:unit` really is every fast test).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const PACKAGES = resolve(import.meta.dirname, '../../..');
const REPO = dirname(PACKAGES);

function files(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix) && !e.parentPath.includes('node_modules'))
    .map((e) => join(e.parentPath, e.name));
}

const packageDirs = readdirSync(PACKAGES).filter((d) => existsSync(join(PACKAGES, d, 'package.json')));
const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
const dirOfName = new Map(packageDirs.map((d) => [manifest(d).name, d]));

/** `from '...'` specifiers of a source file (static imports and re-exports, type-only included). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/gm)].map((m) => m[1]);
}

/** A cycle in `graph` (as a path that ends where it starts), or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('architecture', () => {
  it('has no import circle inside any package', () => {
    for (const dir of packageDirs) {
      const src = join(PACKAGES, dir, 'src');
      const graph = new Map<string, Set<string>>();
      for (const file of files(src, '.ts')) {
        const edges = new Set<string>();
        for (const spec of specifiers(file)) {
          if (!spec.startsWith('.')) continue;
          edges.add(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        }
        graph.set(file, edges);
      }
      const cycle = findCycle(graph);
      expect(
        cycle?.map((f) => relative(REPO, f)),
        `import circle in packages/${dir}`,
      ).toBeUndefined();
    }
  });

  it('imports other packages only as declared, with no circle between packages', () => {
    const graph = new Map<string, Set<string>>();
    const undeclared: string[] = [];
    for (const dir of packageDirs) {
      const m = manifest(dir);
      const declared = new Set(
        Object.keys({ ...m.dependencies, ...m.peerDependencies, ...m.devDependencies }),
      );
      const edges = new Set<string>();
      for (const file of files(join(PACKAGES, dir, 'src'), '.ts')) {
        for (const spec of specifiers(file)) {
          const name = /^(@fargate-mirror\/[^/]+)/.exec(spec)?.[1];
          if (name === undefined || name === m.name) continue;
          if (!declared.has(name)) undeclared.push(`${relative(REPO, file)} imports ${name}`);
          const target = dirOfName.get(name);
          if (target !== undefined) edges.add(target);
        }
      }
      graph.set(dir, edges);
    }
    expect(undeclared).toEqual([]);
    expect(findCycle(graph)).toBeUndefined();
    // The analysis core stands on wire alone.
    expect([...(graph.get('analysis') ?? [])]).toEqual(['wire']);
    expect([...(graph.get('wire') ?? [])]).toEqual([]);
  });

  it('keeps every test file in test/unit or test/lab', () => {
    const misplaced = packageDirs.flatMap((dir) =>
      files(join(PACKAGES, dir, 'test'), '.test.ts')
        .map((f) => relative(join(PACKAGES, dir, 'test'), f))
        .filter((f) => !f.startsWith('unit/') && !f.startsWith('lab/'))
        .map((f) => `packages/${dir}/test/${f}`),
    );
    expect(misplaced).toEqual([]);
  });
});
