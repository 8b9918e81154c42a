import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceNotFoundError } from '../errors.js';

/**
 * The monorepo root, found from this file's place in it (packages/cdk/{src,dist}/private/). The
 * constructs bundle sibling packages (controller, cli) from source, as in the repository.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** An absolute path under the repository root. */
export function repoPath(...parts: string[]): string {
  return [REPO_ROOT.replace(/\/$/, ''), ...parts].join('/');
}

/** Throws SourceNotFoundError naming `what` when `path` does not exist. */
export function requireSource(path: string, what: string): string {
  if (!existsSync(path)) {
    throw new SourceNotFoundError(
      `${what} not found at ${path}: the constructs bundle it from the fargate-mirror repository`,
    );
  }
  return path;
}
