import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The page's files, built by scripts/bundle-client.mjs; served from memory once read. */
export const UI_ASSET_TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * The page's files embedded in a single-file bundle of the CLI (packages/cdk/scripts/bundle-assets.mjs
 * defines it), so a receiver instance that was given one file serves the page too.
 */
declare const FARGATE_MIRROR_UI_ASSETS: Readonly<Record<string, string>> | undefined;

function embeddedAssets(): Readonly<Record<string, string>> | undefined {
  return typeof FARGATE_MIRROR_UI_ASSETS === 'object' ? FARGATE_MIRROR_UI_ASSETS : undefined;
}

/**
 * Where the bundle is: `assets/` of this package (dist/http/ -> ../../assets), or `ui-assets/` beside
 * a single-file bundle of the CLI that carries it. Undefined when neither exists (not built).
 */
export function findAssetDir(): string | undefined {
  for (const url of [new URL('../../assets/', import.meta.url), new URL('./ui-assets/', import.meta.url)]) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

/** Reads each asset once; `undefined` for a name that is not one of the page's files or is missing. */
export class UiAssets {
  private readonly dir: string | undefined;
  private readonly cache = new Map<string, Buffer>();

  /**
   * `dir` ends with a slash; a directory without index.html counts as not built. `embedded` (the
   * files by name, as a bundle carries them) wins over `dir`.
   */
  constructor(
    dir: string | undefined = findAssetDir(),
    embedded: Readonly<Record<string, string>> | undefined = embeddedAssets(),
  ) {
    this.dir = dir !== undefined && existsSync(`${dir}index.html`) ? dir : undefined;
    if (embedded?.['index.html'] !== undefined) {
      for (const [name, text] of Object.entries(embedded)) this.cache.set(name, Buffer.from(text, 'utf8'));
    }
  }

  get built(): boolean {
    return this.dir !== undefined || this.cache.has('index.html');
  }

  get(name: string): { body: Buffer; type: string } | undefined {
    const type = UI_ASSET_TYPES[name];
    if (type === undefined) return undefined;
    let body = this.cache.get(name);
    if (body === undefined) {
      if (this.dir === undefined) return undefined;
      try {
        body = readFileSync(`${this.dir}${name}`);
      } catch {
        return undefined;
      }
      this.cache.set(name, body);
    }
    return { body, type };
  }
}
