import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A folder whose completed files go to S3: the folder itself is the spool (it survives restarts). */
export interface SpoolSource {
  readonly kind: 'ocsf' | 'pcap';
  readonly dir: string;
  /** The object key of a file, from its path below `dir` ('/'-separated). */
  readonly keyOf: (relativePath: string) => string;
  /** Whether a file (by name) is complete: writers use temporary names until they rename. */
  readonly isComplete: (name: string) => boolean;
}

export interface SpooledFile {
  readonly source: SpoolSource;
  readonly path: string;
  /** The path below the source's folder, '/'-separated (`network_activity/region=…/….parquet`). */
  readonly relativePath: string;
  readonly key: string;
  readonly bytes: number;
}

/** The completed files under a source's folder (recursively: the OCSF partitions), oldest first. */
export function scanSpool(source: SpoolSource): SpooledFile[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(source.dir, { recursive: true, withFileTypes: true });
  } catch {
    return []; // not created yet
  }
  const found: (SpooledFile & { mtimeMs: number })[] = [];
  for (const e of entries) {
    if (!e.isFile() || e.name.startsWith('.') || !source.isComplete(e.name)) continue;
    const path = join(e.parentPath, e.name);
    let st: { size: number; mtimeMs: number };
    try {
      st = statSync(path);
    } catch {
      continue; // uploaded and removed, or rotated away, meanwhile
    }
    const rel = relative(source.dir, path).split(sep).join('/');
    found.push({
      source,
      path,
      relativePath: rel,
      key: source.keyOf(rel),
      bytes: st.size,
      mtimeMs: st.mtimeMs,
    });
  }
  found.sort((a, b) => a.mtimeMs - b.mtimeMs);
  return found;
}
