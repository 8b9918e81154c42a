import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PCAP_SUFFIX, PCAP_TEMP_SUFFIX } from './pcap-file-names.js';
import { removeOldestUntilFits } from './remove-oldest.js';

export interface RetentionResult {
  /** Bytes of pcap files (complete and in progress) after the pass. */
  readonly totalBytes: number;
  readonly removed: number;
}

/**
 * Keeps a pcap directory within `maxTotalBytes`: counts every pcap file, complete and in progress,
 * and removes complete ones, oldest first, until the total fits. Files still being written are never
 * removed, so the bound can be exceeded by at most the open files (workers x rotation size). Nor are
 * files `keep` names (waiting for S3): a backlog then passes the bound, and /healthz reports it.
 */
export class PcapRetention {
  removedTotal = 0;
  lastTotalBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly maxTotalBytes: number,
    private readonly keep: (path: string) => boolean = () => false,
  ) {}

  enforce(): RetentionResult {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return { totalBytes: 0, removed: 0 };
    }
    const complete: { path: string; size: number; mtimeMs: number; name: string }[] = [];
    let total = 0;
    for (const name of names) {
      const isComplete = name.endsWith(PCAP_SUFFIX);
      if (!isComplete && !name.endsWith(PCAP_TEMP_SUFFIX)) continue;
      const path = join(this.dir, name);
      let st: { size: number; mtimeMs: number };
      try {
        st = statSync(path);
      } catch {
        continue; // renamed or removed meanwhile
      }
      total += st.size;
      if (isComplete) complete.push({ path, size: st.size, mtimeMs: st.mtimeMs, name });
    }
    if (total > this.maxTotalBytes)
      complete.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
    const result = removeOldestUntilFits(complete, total, this.maxTotalBytes, this.keep);
    this.removedTotal += result.removed;
    this.lastTotalBytes = result.totalBytes;
    return result;
  }
}
