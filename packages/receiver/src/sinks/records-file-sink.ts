import { type FileHandle, open, rename } from 'node:fs/promises';
import { restrictOpenFile } from '@fargate-mirror/wire';
import { type RecordsRotation, RecordsSeries } from './records-rotation.js';

export interface RecordsFileSinkOptions {
  /** Beyond this many bytes waiting, the oldest batches are dropped (and counted). */
  readonly maxBacklogBytes: number;
  /** Called on a write failure; the sink retries the same bytes after `retryMs`. */
  readonly onError?: (error: unknown) => void;
  /** Called when records are dropped (backlog past its bound, or left at close): how many, and the total. */
  readonly onDrop?: (records: number, total: number) => void;
  readonly retryMs?: number;
  /** Rotation of a regular file (ignored for stdout, FIFOs and devices); omitted: one growing file. */
  readonly rotation?: RecordsRotation;
  /** Called after the live file was completed under `path`. */
  readonly onRotate?: (path: string, bytes: number) => void;
  /** Wall clock, injectable for tests. */
  readonly now?: () => number;
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
  readonly stats = {
    recordsWritten: 0,
    bytesWritten: 0,
    recordsDropped: 0,
    errors: 0,
    filesCompleted: 0,
    reopened: 0,
  };
  private readonly queue: Batch[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private pumping: Promise<void> | undefined;
  private abandoned = false;
  /** Size of the file up to its last whole write: a failed write is cut back to it (no torn line). */
  private committed: number;
  private file: FileHandle | undefined;
  private openedAt: number;
  private readonly now: () => number;
  /** Completed files of a rotated regular file; undefined: no rotation. */
  private readonly series: RecordsSeries | undefined;
  private rotateDue = false;
  private reopenDue = false;
  private readonly reopenWaiters: (() => void)[] = [];
  /** Bytes of the completed files of the series at the last rotation. */
  private completedBytes = 0;

  private constructor(
    private readonly target: string,
    file: FileHandle | undefined,
    private readonly options: RecordsFileSinkOptions,
    size: number,
  ) {
    this.file = file;
    this.committed = size;
    this.now = options.now ?? Date.now;
    this.openedAt = this.now();
    this.series =
      options.rotation !== undefined && size >= 0 && file !== undefined
        ? new RecordsSeries(target)
        : undefined;
  }

  /** `target` is a path (appended to, created 0600) or `-` for standard output. */
  static async open(target: string, options: RecordsFileSinkOptions): Promise<RecordsFileSink> {
    if (target === '-') return new RecordsFileSink(target, undefined, options, 0);
    const { file, size } = await openAppend(target);
    const sink = new RecordsFileSink(target, file, options, size);
    sink.enforceTotal();
    return sink;
  }

  /** Bytes of the live file and the completed files of its series (0 without rotation). */
  get seriesBytes(): number {
    return this.completedBytes + Math.max(this.committed, 0);
  }

  get filesRemoved(): number {
    return this.series?.removedTotal ?? 0;
  }

  /** Completes the live file once it is older than the rotation age; call about once a second. */
  maintain(): void {
    const rotation = this.options.rotation;
    if (this.series === undefined || rotation === undefined) return;
    if (this.committed > 0 && this.now() - this.openedAt >= rotation.rotateMs) {
      this.rotateDue = true;
      this.pump();
    }
  }

  /**
   * Closes and opens the path again (SIGHUP): after an outside tool (logrotate) moved the file away,
   * records go to a new file at the path. Resolves once the new file is open.
   */
  reopen(): Promise<void> {
    if (this.file === undefined || this.abandoned) return Promise.resolve();
    this.reopenDue = true;
    const done = new Promise<void>((r) => this.reopenWaiters.push(r));
    this.pump();
    return done;
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
    const limit = this.series === undefined ? 0 : (this.options.rotation?.rotateBytes ?? 0);
    if (limit > 0 && data.length > limit) this.pushSplit(data, limit);
    else this.push(data, records);
    let dropped = 0;
    while (this.queuedBytes > this.options.maxBacklogBytes && this.queue.length > 1) {
      const oldest = this.queue.shift() as Batch;
      this.queuedBytes -= oldest.data.length;
      dropped += oldest.records;
    }
    if (dropped > 0) this.dropped(dropped);
    this.pump();
  }

  private push(data: Buffer, records: number): void {
    this.queue.push({ data, records });
    this.queuedBytes += data.length;
  }

  /** A batch larger than a rotated file: cut at line ends, so no file grows past its size by a batch. */
  private pushSplit(data: Buffer, limit: number): void {
    let start = 0;
    while (start < data.length) {
      let end = start + limit >= data.length ? data.length : data.lastIndexOf(0x0a, start + limit - 1) + 1;
      if (end <= start) end = data.indexOf(0x0a, start) + 1 || data.length; // one line longer than the limit
      const piece = data.subarray(start, end);
      let lines = 0;
      for (let i = piece.indexOf(0x0a); i >= 0; i = piece.indexOf(0x0a, i + 1)) lines++;
      this.push(piece, lines);
      start = end;
    }
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
    for (const w of this.reopenWaiters.splice(0)) w();
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

  private get hasWork(): boolean {
    return this.queue.length > 0 || this.rotateDue || this.reopenDue;
  }

  private pump(): void {
    if (this.pumping !== undefined || !this.hasWork) return;
    this.pumping = this.writeQueued().finally(() => {
      this.pumping = undefined;
      if (this.hasWork && !this.abandoned) this.pump();
    });
  }

  private async writeQueued(): Promise<void> {
    const rotation = this.series === undefined ? undefined : this.options.rotation;
    // A rotated file takes at most its rotation size per write, so one write never overshoots it by much.
    const maxWrite = Math.min(MAX_WRITE_BYTES, rotation?.rotateBytes ?? MAX_WRITE_BYTES);
    for (;;) {
      if (this.reopenDue) await this.reopenNow();
      if (this.rotateDue) await this.rotateNow();
      if (this.queue.length === 0) return;
      // Take whole batches up to about 1 MiB: one system call for many records.
      let take = 0;
      let bytes = 0;
      let records = 0;
      while (take < this.queue.length && (take === 0 || bytes + this.queue[take].data.length <= maxWrite)) {
        bytes += this.queue[take].data.length;
        records += this.queue[take].records;
        take++;
      }
      if (rotation !== undefined && this.committed > 0 && this.committed + bytes > rotation.rotateBytes) {
        await this.rotateNow();
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

  /**
   * Completes the live file: renamed to the next name of its series (whole lines only: rotation
   * happens between writes), a new live file opened at the path, the oldest completed files removed
   * beyond the total. A failure keeps writing the file it has (counted, reported, tried again later).
   */
  private async rotateNow(): Promise<void> {
    this.rotateDue = false;
    const series = this.series;
    const old = this.file;
    if (series === undefined || old === undefined || this.committed <= 0) return;
    const completed = series.nextName(this.openedAt);
    try {
      await rename(this.target, completed);
    } catch (error) {
      this.stats.errors++;
      this.options.onError?.(error);
      return;
    }
    let next: { file: FileHandle; size: number };
    try {
      next = await openAppend(this.target);
    } catch (error) {
      // No new file (no inodes): put the old one back and go on with it.
      this.stats.errors++;
      this.options.onError?.(error);
      await rename(completed, this.target).catch(() => {});
      return;
    }
    const bytes = this.committed;
    await old.sync().catch(() => {});
    await old.close().catch(() => {});
    this.file = next.file;
    this.committed = next.size;
    this.openedAt = this.now();
    this.stats.filesCompleted++;
    this.enforceTotal();
    this.options.onRotate?.(completed, bytes);
  }

  private async reopenNow(): Promise<void> {
    this.reopenDue = false;
    const old = this.file;
    try {
      if (old !== undefined) {
        const next = await openAppend(this.target);
        await old.sync().catch(() => {});
        await old.close().catch(() => {});
        this.file = next.file;
        this.committed = next.size;
        this.openedAt = this.now();
        this.stats.reopened++;
        this.enforceTotal();
      }
    } catch (error) {
      this.stats.errors++;
      this.options.onError?.(error);
    } finally {
      for (const w of this.reopenWaiters.splice(0)) w();
    }
  }

  private enforceTotal(): void {
    const rotation = this.options.rotation;
    if (this.series === undefined || rotation === undefined) return;
    // Room for the live file to grow to its full size: the series never holds more than maxTotal.
    const live = Math.max(this.committed, rotation.rotateBytes);
    this.completedBytes = this.series.enforce(rotation.maxTotalBytes, live).totalBytes - live;
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

/** Opens `path` for appending, owner-only; the size is -1 for what is not a regular file (no rotation). */
async function openAppend(path: string): Promise<{ file: FileHandle; size: number }> {
  // Opening a FIFO waits for its reader: async, so that wait blocks no thread of ours.
  const file = await open(path, 'a', 0o600);
  try {
    // Owner-only, but only a regular file of ours: `--records /dev/null` must leave /dev/null alone.
    restrictOpenFile(file.fd);
    const st = await file.stat();
    return { file, size: st.isFile() ? st.size : -1 };
  } catch (error) {
    await file.close().catch(() => {});
    throw error;
  }
}
