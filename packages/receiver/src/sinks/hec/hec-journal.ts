import { closeSync, ftruncateSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const JOURNAL_FILE = 'filling.hec.jsonl';

/**
 * The batch being filled, on disk as it fills: every envelope the HEC sink takes is appended here
 * (one write per batch of records from the workers, owner-only) until the batch is spooled, then the
 * journal is emptied. So a crash (kill -9) loses no event the sink was given: the next start turns
 * what the journal holds into a spooled batch. No fsync per append: what the kernel took survives a
 * process crash, not a power cut (the spooled batches are fsynced). A crash between spooling a batch
 * and emptying the journal sends those events twice: at least once holds.
 */
export class HecJournal {
  private fd: number | undefined;
  /** Bytes of whole envelopes in the journal: a failed append is cut back to it. */
  private size = 0;
  /** Appends the disk refused; their envelopes are in memory only (the batch being filled). */
  errors = 0;
  /** Why the last append failed, in words; undefined once one succeeds. */
  problem: string | undefined;

  private constructor(private readonly path: string) {}

  /**
   * Reads the journal in `dir`: the envelopes a crashed run left in it (whole lines that parse as
   * JSON; a line cut by the crash is counted in `torn`). The caller spools them, then calls `clear()`,
   * which starts the journal over.
   */
  static open(dir: string): { journal: HecJournal; recovered: string[]; torn: number } {
    const journal = new HecJournal(join(dir, JOURNAL_FILE));
    const recovered: string[] = [];
    let torn = 0;
    let text = '';
    try {
      text = readFileSync(journal.path, 'utf8');
    } catch {
      // none: a clean stop, or the first start
    }
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        JSON.parse(line);
        recovered.push(line);
      } catch {
        torn++;
      }
    }
    return { journal, recovered, torn };
  }

  /** Appends envelopes (each one line); on a refusal (disk full) the journal is cut back to whole lines. */
  append(envelopes: readonly string[]): void {
    if (envelopes.length === 0) return;
    if (this.fd === undefined) this.reopen();
    if (this.fd === undefined) return;
    const data = Buffer.from(`${envelopes.join('\n')}\n`, 'utf8');
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off, this.size + off);
      this.size += data.length;
      this.problem = undefined;
    } catch (error) {
      this.errors++;
      this.problem = `cannot write the HEC journal ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // the next clear() starts it over
      }
    }
  }

  /** The batch was spooled: the journal starts over. */
  clear(): void {
    if (this.fd === undefined) {
      this.reopen();
      return;
    }
    try {
      ftruncateSync(this.fd, 0);
      this.size = 0;
    } catch {
      this.closeFd(); // reopened (and emptied) at the next append
    }
  }

  /** A clean stop: everything is spooled, the journal goes. */
  close(): void {
    this.closeFd();
    try {
      unlinkSync(this.path);
    } catch {
      // never created
    }
  }

  private reopen(): void {
    try {
      // 'w': what it held was recovered (or belonged to the batch just spooled).
      this.fd = openSync(this.path, 'w', 0o600);
      this.size = 0;
    } catch (error) {
      this.errors++;
      this.problem = `cannot open the HEC journal ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
      this.fd = undefined;
    }
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}
