import { type FileHandle, open } from 'node:fs/promises';
import { restrictOpenFile } from '@fargate-mirror/wire';

export interface RecordsFileSinkOptions {
  /** Beyond this many bytes waiting, the oldest batches are dropped (and counted). */
  readonly maxBacklogBytes: number;
  /** Called on a write failure; the sink retries the same bytes after `retryMs`. */
  readonly onError?: (error: unknown) => void;
  /** Called when records are dropped (backlog past its bound, or left at close): how many, and the total. */
  readonly onDrop?: (records: number, total: number) => void;
  readonly retryMs?: number;
}

interface Batch {
  readonly data: Buffer;
  readonly records: number;
}

const MAX_WRITE_BYTES = 1024 * 1024;

/**
 * The one writer of JSON Lines records for the whole receiver (workers send it finished lines in
 * batches). Writes asynchronously so a slow disk or a slow reader of standard output never blocks
 * the main thread (health and metrics stay responsive); what waits is the measured backlog. A failed
 * write (disk full) is retried; beyond `maxBacklogBytes` the oldest batches are dropped and counted.
 */
export class RecordsFileSink {
  readonly stats = { recordsWritten: 0, bytesWritten: 0, recordsDropped: 0, errors: 0 };
  private readonly queue: Batch[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private pumping: Promise<void> | undefined;
  private abandoned = false;
  /** Size of the file up to its last whole write: a failed write is cut back to it (no torn line). */
  private committed: number;

  private constructor(
    private readonly target: string,
    private readonly file: FileHandle | undefined,
    private readonly options: RecordsFileSinkOptions,
    size: number,
  ) {
    this.committed = size;
  }

  /** `target` is a path (appended to, created 0600) or `-` for standard output. */
  static async open(target: string, options: RecordsFileSinkOptions): Promise<RecordsFileSink> {
    if (target === '-') return new RecordsFileSink(target, undefined, options, 0);
    // Opening a FIFO waits for its reader: async, so that wait blocks no thread of ours.
    const file = await open(target, 'a', 0o600);
    // Owner-only, but only a regular file of ours: `--records /dev/null` must leave /dev/null alone.
    restrictOpenFile(file.fd);
    const st = await file.stat();
    return new RecordsFileSink(target, file, options, st.isFile() ? st.size : -1);
  }

  get backlogBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  get path(): string {
    return this.target;
  }

  /** Queues finished lines (each ending in a newline) holding `records` records. */
  enqueue(text: string, records: number): void {
    if (text.length === 0) return;
    const data = Buffer.from(text, 'utf8');
    this.queue.push({ data, records });
    this.queuedBytes += data.length;
    let dropped = 0;
    while (this.queuedBytes > this.options.maxBacklogBytes && this.queue.length > 1) {
      const oldest = this.queue.shift() as Batch;
      this.queuedBytes -= oldest.data.length;
      dropped += oldest.records;
    }
    if (dropped > 0) this.dropped(dropped);
    this.pump();
  }

  /**
   * Writes everything queued, then closes the file (fsync first). Gives up retrying after
   * `deadlineMs`; what could not be written is counted as dropped. Idempotent.
   */
  async close(deadlineMs = 30_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while ((this.queue.length > 0 || this.pumping !== undefined) && Date.now() < deadline) {
      this.pump();
      await Promise.race([this.pumping, new Promise((r) => setTimeout(r, 100))]);
    }
    this.abandoned = true;
    let left = 0;
    for (const b of this.queue.splice(0)) left += b.records;
    this.queuedBytes = 0;
    if (left > 0) this.dropped(left);
    await this.pumping; // the write in progress gives up (abandoned) and cuts back its partial line
    if (this.file !== undefined) {
      try {
        await this.file.sync();
      } catch {
        // a FIFO or a pipe cannot be synced
      }
      await this.file.close().catch(() => {});
    }
  }

  private dropped(records: number): void {
    this.stats.recordsDropped += records;
    this.options.onDrop?.(records, this.stats.recordsDropped);
  }

  private pump(): void {
    if (this.pumping !== undefined || this.queue.length === 0) return;
    this.pumping = this.writeQueued().finally(() => {
      this.pumping = undefined;
      if (this.queue.length > 0) this.pump();
    });
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      // Take whole batches up to about 1 MiB: one system call for many records.
      let take = 0;
      let bytes = 0;
      let records = 0;
      while (
        take < this.queue.length &&
        (take === 0 || bytes + this.queue[take].data.length <= MAX_WRITE_BYTES)
      ) {
        bytes += this.queue[take].data.length;
        records += this.queue[take].records;
        take++;
      }
      const batches = this.queue.splice(0, take);
      this.queuedBytes -= bytes;
      this.inFlightBytes = bytes;
      const data =
        batches.length === 1
          ? batches[0].data
          : Buffer.concat(
              batches.map((b) => b.data),
              bytes,
            );
      let off = 0;
      while (off < data.length) {
        try {
          off += await this.writeSome(data, off);
          this.inFlightBytes = data.length - off;
        } catch (error) {
          this.stats.errors++;
          this.options.onError?.(error);
          // A short write then a refusal (disk full) leaves part of a line: cut the file back to its
          // last whole write and send the whole chunk again, so a reader never sees a torn record.
          if (off > 0 && (await this.cutBack())) off = 0;
          this.inFlightBytes = data.length - off;
          if (this.abandoned) {
            this.dropped(records);
            this.inFlightBytes = 0;
            return;
          }
          await new Promise((r) => setTimeout(r, this.options.retryMs ?? 1000));
        }
      }
      this.committed += data.length;
      this.inFlightBytes = 0;
      this.stats.recordsWritten += records;
      this.stats.bytesWritten += data.length;
    }
  }

  /** Truncates a regular file back to its last whole write; false where that cannot be done (stdout, a FIFO). */
  private async cutBack(): Promise<boolean> {
    if (this.file === undefined || this.committed < 0) return false;
    try {
      await this.file.truncate(this.committed);
      return true;
    } catch {
      return false;
    }
  }

  private writeSome(data: Buffer, off: number): Promise<number> {
    if (this.file !== undefined) {
      return this.file.write(data, off, data.length - off).then((r) => r.bytesWritten);
    }
    return new Promise((resolve, reject) => {
      process.stdout.write(data.subarray(off), (error) =>
        error ? reject(error) : resolve(data.length - off),
      );
    });
  }
}
