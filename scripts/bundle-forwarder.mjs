// Bundles the forwarder's own command line (packages/forwarder/src/cli/main.ts) and only what it
// imports with esbuild: the sidecar image's program. OUTFILE is the entry; what the forwarder imports
// only when asked (the filter file's parsers zod and yaml, pino-pretty for text logs, the task
// metadata reader) goes into forward-*.mjs chunks next to it, loaded on first use: V8 parsing those
// 600 KB at every start cost the sidecar about 16 MiB of resident memory (bench/forwarder). Install
// OUTFILE's directory's forward*.mjs together. Workspace packages resolve to their TypeScript source,
// so the bundle never depends on a stale dist/.
//   node scripts/bundle-forwarder.mjs OUTFILE
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = process.argv[2];
if (!outfile) {
  process.stderr.write('usage: node scripts/bundle-forwarder.mjs OUTFILE\n');
  process.exit(2);
}
const alias = {};
for (const dir of readdirSync(join(repo, 'packages'))) {
  const manifest = join(repo, 'packages', dir, 'package.json');
  const index = join(repo, 'packages', dir, 'src', 'index.ts');
  if (!existsSync(manifest) || !existsSync(index)) continue;
  alias[JSON.parse(readFileSync(manifest, 'utf8')).name] = index;
}
const result = buildSync({
  entryPoints: {
    [basename(outfile, extname(outfile))]: join(repo, 'packages', 'forwarder', 'src', 'cli', 'main.ts'),
  },
  outdir: dirname(outfile),
  outExtension: { '.js': extname(outfile) || '.js' },
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'forward-[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  logLevel: 'error',
  metafile: true,
  alias,
  // CommonJS dependencies (pino) inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __fmCreateRequire } from 'node:module'; const require = __fmCreateRequire(import.meta.url);",
  },
});
const inputs = Object.keys(result.metafile.inputs);
const packages = [
  ...new Set(
    inputs.map(
      (p) =>
        p.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ??
        (p.match(/^packages\/([^/]+)/)?.[1] ? `@fargate-mirror/${p.match(/^packages\/([^/]+)/)[1]}` : p),
    ),
  ),
].sort();
process.stdout.write(`${packages.join('\n')}\n`);
