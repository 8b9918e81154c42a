import { chmodSync, mkdirSync, statSync } from 'node:fs';

export interface PrivateDirResult {
  /** The directory did not exist and was created 0700. */
  readonly created: boolean;
  /** It existed and group or others may read it (left alone: it may be shared, like /tmp). */
  readonly openToOthers: boolean;
}

/**
 * Makes sure `dir` exists; a directory it creates (parents included) is owner-only (0700), whatever
 * the umask: what it holds (pcap of raw payload, records) may carry credentials and personal data.
 * An existing directory is never changed, only reported when others can read it.
 */
export function ensurePrivateDir(dir: string): PrivateDirResult {
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(dir);
  } catch {
    existing = undefined;
  }
  if (existing !== undefined) return { created: false, openToOthers: (Number(existing.mode) & 0o077) !== 0 };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return { created: true, openToOthers: false };
}
