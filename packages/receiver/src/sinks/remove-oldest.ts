import { unlinkSync } from 'node:fs';

/**
 * Removes `files` (ordered oldest first) one by one until `totalBytes` fits in `maxTotalBytes`: the
 * one bound that records rotation and pcap retention both keep. A file already gone is skipped, and
 * so is one `keep` holds (pcap still waiting for its S3 upload).
 */
export function removeOldestUntilFits(
  files: readonly { readonly path: string; readonly size: number }[],
  totalBytes: number,
  maxTotalBytes: number,
  keep: (path: string) => boolean = () => false,
): { totalBytes: number; removed: number } {
  let total = totalBytes;
  let removed = 0;
  for (const f of files) {
    if (total <= maxTotalBytes) break;
    if (keep(f.path)) continue;
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
