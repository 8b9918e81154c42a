import { statfsSync } from 'node:fs';

export interface DiskSpace {
  readonly path: string;
  readonly freeBytes: number;
  readonly totalBytes: number;
  readonly freePercent: number;
}

/** Space available to us (not root's reserve) on the file system holding `path`; undefined if unknown. */
export function diskSpace(path: string): DiskSpace | undefined {
  try {
    const s = statfsSync(path);
    const totalBytes = s.blocks * s.bsize;
    const freeBytes = s.bavail * s.bsize;
    return {
      path,
      freeBytes,
      totalBytes,
      freePercent: totalBytes > 0 ? (freeBytes / totalBytes) * 100 : 100,
    };
  } catch {
    return undefined;
  }
}
