// The package's prebuilt code, so that an installed @fargate-mirror/cdk needs neither this repository
// nor esbuild at synth: run by `npm run build` (after tsc) and by the root build.
//   assets/controller/index.mjs         the controller Lambda (TaskMirroring), handlers index.<name>
//   assets/receiver/fargate-mirror.mjs  the fargate-mirror CLI the receiver instances run (with the
//                                       live page's files inside: receive --ui)
//   assets/receiver/worker-main.js      its receive worker thread (Node starts it from its own file)
//   dist/private/forwarder-sidecar.js   the forwarder's container definition (MirrorSidecar), inlined
//   assets/lake/ocsf-catalog.json       the OCSF Glue columns and Athena named queries (OcsfLake),
//                                       from @fargate-mirror/ocsf's built dist (scripts/ocsf-catalog.mjs)
// Workspace packages resolve to their TypeScript source, so no bundle depends on a stale dist/.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { writeOcsfCatalog } from './ocsf-catalog.mjs';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(pkg, '..', '..');
const alias = {};
for (const dir of readdirSync(join(repo, 'packages'))) {
  const manifest = join(repo, 'packages', dir, 'package.json');
  const index = join(repo, 'packages', dir, 'src', 'index.ts');
  if (!existsSync(manifest) || !existsSync(index)) continue;
  alias[JSON.parse(readFileSync(manifest, 'utf8')).name] = index;
}
// The live page (packages/ui, bundled by the root build before this script) rides inside the CLI
// bundle: a receiver instance is given one file, and `receive --ui` must serve the page there too.
const uiAssetDir = join(repo, 'packages', 'ui', 'assets');
const uiAssets = {};
for (const name of ['index.html', 'app.js', 'app.css']) {
  const file = join(uiAssetDir, name);
  if (!existsSync(file))
    throw new Error(
      `bundle-assets: ${file} is missing: run \`npm run bundle -w @fargate-mirror/ui\` first (the root build does)`,
    );
  uiAssets[name] = readFileSync(file, 'utf8');
}
const cliVersion = JSON.parse(readFileSync(join(repo, 'packages', 'cli', 'package.json'), 'utf8')).version;
// CommonJS dependencies inside an ESM bundle still call require().
const requireBanner = {
  js: "import { createRequire as __fmCreateRequire } from 'node:module'; const require = __fmCreateRequire(import.meta.url);",
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  legalComments: 'none',
  logLevel: 'error',
  alias,
};

rmSync(join(pkg, 'assets'), { recursive: true, force: true });
mkdirSync(join(pkg, 'assets', 'controller'), { recursive: true });
mkdirSync(join(pkg, 'assets', 'receiver'), { recursive: true });

buildSync({
  ...common,
  entryPoints: [join(repo, 'packages', 'controller', 'src', 'lambda', 'runtime.ts')],
  outfile: join(pkg, 'assets', 'controller', 'index.mjs'),
  format: 'esm',
  // The SDK version the controller's tests ran against, not the runtime's copy.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  banner: requireBanner,
});
buildSync({
  ...common,
  entryPoints: [join(repo, 'packages', 'cli', 'src', 'bin.ts')],
  outfile: join(pkg, 'assets', 'receiver', 'fargate-mirror.mjs'),
  format: 'esm',
  define: {
    FARGATE_MIRROR_VERSION: JSON.stringify(cliVersion),
    FARGATE_MIRROR_UI_ASSETS: JSON.stringify(uiAssets),
  },
  banner: requireBanner,
});
buildSync({
  ...common,
  entryPoints: [join(repo, 'packages', 'receiver', 'src', 'live', 'worker-main.ts')],
  // CommonJS: a .js file with no package.json "type": "module" beside it is CommonJS to Node.
  outfile: join(pkg, 'assets', 'receiver', 'worker-main.js'),
  format: 'cjs',
  define: { FARGATE_MIRROR_VERSION: JSON.stringify(cliVersion) },
});
buildSync({
  ...common,
  entryPoints: [join(repo, 'packages', 'forwarder', 'src', 'sidecar', 'container-definition.ts')],
  outfile: join(pkg, 'dist', 'private', 'forwarder-sidecar.js'),
  format: 'esm',
  allowOverwrite: true,
});
await writeOcsfCatalog(repo, join(pkg, 'assets'));
