// The package's prebuilt code, so that an installed @fargate-mirror/cdk needs neither this repository
// nor esbuild at synth: run by `npm run build` (after tsc) and by the root build.
//   assets/controller/index.mjs         the controller Lambda (TaskMirroring), handlers index.<name>
//   assets/receiver/fargate-mirror.mjs  the fargate-mirror CLI the receiver instances run (with the
//                                       live page's files inside: receive --ui; and parquet-wasm's
//                                       WebAssembly and the OCSF schema: --ocsf-parquet)
//   assets/receiver/worker-main.js      its receive worker thread (Node starts it from its own file)
//   assets/receiver/fm-recv.c           the native intake's C source in one file, which the instance
//                                       compiles (scripts/native-intake-source.mjs); left out, with a
//                                       warning, when this Node has no Node-API headers
//   dist/private/forwarder-sidecar.js   the forwarder's container definition (MirrorSidecar), inlined
//   assets/lake/ocsf-catalog.json       the OCSF Glue columns and Athena named queries (OcsfLake),
//                                       from @fargate-mirror/ocsf's built dist (scripts/ocsf-catalog.mjs)
// Workspace packages resolve to their TypeScript source, so no bundle depends on a stale dist/.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync } from 'esbuild';
import { writeNativeIntakeSource } from './native-intake-source.mjs';
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
// parquet-wasm's Node build reads its WebAssembly from `${__dirname}/parquet_wasm_bg.wasm` at load,
// a file a single-file bundle does not have (and __dirname does not exist in ESM): the CLI bundle
// carries the module's bytes instead (esbuild's binary loader), so `receive --ocsf-parquet` and
// `read --ocsf-parquet` work on an instance given only fargate-mirror.mjs.
// Both lines of the original: the first names __dirname, which ESM does not define.
const WASM_READ = [
  'const wasmPath = `$' + '{__dirname}/parquet_wasm_bg.wasm`;',
  "const wasmBytes = require('fs').readFileSync(wasmPath);",
].join('\n');
const embedParquetWasm = {
  name: 'embed-parquet-wasm',
  setup(build) {
    build.onLoad({ filter: /parquet-wasm[\\/]node[\\/]parquet_wasm\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(WASM_READ))
        throw new Error(
          `bundle-assets: ${args.path} no longer loads its WebAssembly as this script expects: update embedParquetWasm`,
        );
      return {
        contents: source.replace(WASM_READ, "const wasmBytes = require('./parquet_wasm_bg.wasm');"),
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};
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
// The asynchronous API: esbuild runs plugins only there.
await build({
  ...common,
  entryPoints: [join(repo, 'packages', 'cli', 'src', 'bin.ts')],
  outfile: join(pkg, 'assets', 'receiver', 'fargate-mirror.mjs'),
  format: 'esm',
  define: {
    FARGATE_MIRROR_VERSION: JSON.stringify(cliVersion),
    FARGATE_MIRROR_UI_ASSETS: JSON.stringify(uiAssets),
    // The vendored OCSF schema (the Parquet columns come from it), which `read`/`receive --ocsf-parquet` load.
    FARGATE_MIRROR_OCSF_SCHEMA: JSON.stringify(
      readFileSync(join(repo, 'packages', 'ocsf', 'schema', 'ocsf-1.8.0-network.schema.json'), 'utf8'),
    ),
  },
  banner: requireBanner,
  loader: { '.wasm': 'binary' },
  plugins: [embedParquetWasm],
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
try {
  writeNativeIntakeSource(repo, join(pkg, 'assets', 'receiver', 'fm-recv.c'));
} catch (error) {
  console.warn(
    `bundle-assets: no native intake source for the receiver instances (they will read with dgram): ${error.message}`,
  );
}
await writeOcsfCatalog(repo, join(pkg, 'assets'));
