// Builds the live page into assets/ (served offline by the receiver and the demo, no CDN): the
// browser code bundled with Cytoscape.js by esbuild, and the page and its styles copied beside it.
// Run by `npm run build` (after tsc checked the browser code with tsconfig.client.json) and the root build.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
buildSync({
  entryPoints: [join(pkg, 'client', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  // The libraries' licence comments stay in the bundle that carries them.
  legalComments: 'eof',
  logLevel: 'error',
});
for (const name of ['index.html', 'app.css']) copyFileSync(join(pkg, 'client', name), join(out, name));
