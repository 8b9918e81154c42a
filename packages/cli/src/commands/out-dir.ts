import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Creates the output directory `flag` names (and its missing parents), or fails with one line that
 * says what is in the way: a file where a directory should be, or a place this user cannot write.
 * Each level is created on its own rather than with `recursive`, so that the error names the level
 * that failed.
 */
export function ensureOutputDirectory(dir: string, flag: string): void {
  const missing: string[] = [];
  let existing = resolve(dir);
  while (!exists(existing)) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (!statSync(existing).isDirectory()) {
    const what = existing === resolve(dir) ? `${dir} is` : `${existing} (in ${dir}) is`;
    throw new UsageError('OUTPUT_UNUSABLE', `${flag} ${dir}: ${what} a file, not a directory`);
  }
  for (const level of missing) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      throw new UsageError(
        'OUTPUT_UNUSABLE',
        `${flag} ${dir}: cannot create ${level} (${reason(error)}): choose a directory you can write`,
        { cause: error },
      );
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(
      'OUTPUT_UNUSABLE',
      `${flag} ${dir}: cannot write there (${reason(error)}): choose a directory you can write`,
      { cause: error },
    );
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left',
};

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return REASONS[code] ?? (code || String(error));
}
