import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { removeOldestUntilFits } from './remove-oldest.js';

/** When the live records file is completed and a new one started, and how much the series may hold. */
export interface RecordsRotation {
  /** A file is completed before a write would take it past this many bytes. */
  readonly rotateBytes: number;
  /** ...or once it is this old (checked by `maintain()`, about once a second). */
  readonly rotateMs: number;
  /** Completed files beyond this total (the live file included) are removed, oldest first. */
  readonly maxTotalBytes: number;
}

/**
 * The completed files of one live records file: `records.jsonl` is completed as
 * `records-<UTC start>-<sequence>.jsonl` beside it (Zeek's `conn.log` and logrotate do the same), so
 * the path given stays the live file that `tail -F` follows, and a collector that picks up
 * `records-*.jsonl` only ever sees whole files (a rename is atomic). The sequence orders the series
 * across restarts; the pattern is strict, so nothing else in the directory is ever touched.
 */
export class RecordsSeries {
  private readonly dir: string;
  private readonly stem: string;
  private readonly ext: string;
  private readonly pattern: RegExp;
  private sequence: number;
  removedTotal = 0;

  constructor(livePath: string) {
    this.dir = dirname(livePath);
    const name = basename(livePath);
    this.ext = extname(name);
    this.stem = name.slice(0, name.length - this.ext.length);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pattern = new RegExp(`^${esc(this.stem)}-\\d{8}T\\d{9}Z-(\\d{6,})${esc(this.ext)}$`);
    let last = 0;
    for (const f of this.completed()) last = Math.max(last, f.sequence);
    this.sequence = last + 1;
  }

  /** The path the live file is renamed to once complete; `startMs` is when it was opened. */
  nextName(startMs: number): string {
    const stamp = new Date(startMs).toISOString().replace(/[-:]/g, '').replace('.', '');
    const seq = String(this.sequence++).padStart(6, '0');
    return join(this.dir, `${this.stem}-${stamp}-${seq}${this.ext}`);
  }

  /** Removes completed files, oldest first, until they and `liveBytes` fit in `maxTotalBytes`. */
  enforce(maxTotalBytes: number, liveBytes: number): { totalBytes: number; removed: number } {
    const files = this.completed().sort((a, b) => a.sequence - b.sequence);
    let total = liveBytes;
    for (const f of files) total += f.size;
    const result = removeOldestUntilFits(files, total, maxTotalBytes);
    this.removedTotal += result.removed;
    return result;
  }

  private completed(): { path: string; size: number; sequence: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: { path: string; size: number; sequence: number }[] = [];
    for (const name of names) {
      const m = this.pattern.exec(name);
      if (m === null) continue;
      const path = join(this.dir, name);
      try {
        out.push({ path, size: statSync(path).size, sequence: Number(m[1]) });
      } catch {
        // removed meanwhile
      }
    }
    return out;
  }
}
