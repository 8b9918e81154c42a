import { unlinkSync } from 'node:fs';

/**
 * Removes `files` (ordered oldest first) one by one until `totalBytes` fits in `maxTotalBytes`: the
 * one bound that records rotation and pcap retention both keep. A file already gone is skipped.
 */
export function removeOldestUntilFits(
  files: readonly { readonly path: string; readonly size: number }[],
  totalBytes: number,
  maxTotalBytes: number,
): { totalBytes: number; removed: number } {
  let total = totalBytes;
  let removed = 0;
  for (const f of files) {
    if (total <= maxTotalBytes) break;
    try {
      unlinkSync(f.path);
      total -= f.size;
      removed++;
    } catch {
      // already gone
    }
  }
  return { totalBytes: total, removed };
}
