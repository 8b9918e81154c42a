import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceNotFoundError } from '../errors.js';

/**
 * The package's prebuilt bundles (scripts/bundle-assets.mjs, run by `npm run build`), found from this
 * file's place in the package: {src,dist}/private/ -> assets/. Shipped in the package's tarball.
 */
export function packageAsset(...parts: string[]): string {
  const path = assetPath(parts);
  if (!existsSync(path)) {
    throw new SourceNotFoundError(
      `the prebuilt bundle ${path} is missing: build the package (npm run build in the fargate-mirror repository)`,
    );
  }
  return path;
}

/** A prebuilt file the build may leave out (it warned why): its path, or undefined. */
export function optionalPackageAsset(...parts: string[]): string | undefined {
  const path = assetPath(parts);
  return existsSync(path) ? path : undefined;
}

function assetPath(parts: readonly string[]): string {
  return fileURLToPath(new URL(['..', '..', 'assets', ...parts].join('/'), import.meta.url));
}
