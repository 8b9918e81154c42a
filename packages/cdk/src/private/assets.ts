import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceNotFoundError } from '../errors.js';

/**
 * The package's prebuilt bundles (scripts/bundle-assets.mjs, run by `npm run build`), found from this
 * file's place in the package: {src,dist}/private/ -> assets/. Shipped in the package's tarball.
 */
export function packageAsset(...parts: string[]): string {
  const path = fileURLToPath(new URL(['..', '..', 'assets', ...parts].join('/'), import.meta.url));
  if (!existsSync(path)) {
    throw new SourceNotFoundError(
      `the prebuilt bundle ${path} is missing: build the package (npm run build in the fargate-mirror repository)`,
    );
  }
  return path;
}
