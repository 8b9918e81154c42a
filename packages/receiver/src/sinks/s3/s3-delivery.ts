import { createReadStream, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';
import type { Logger } from 'pino';
import type { ReceiverConfig } from '../../config/receiver-config.js';
import { type SpooledFile, type SpoolSource, scanSpool } from './s3-spool.js';
import { UploadJournal } from './upload-journal.js';

export type S3Config = NonNullable<ReceiverConfig['s3']>;

export interface S3DeliveryStats {
  uploadedFiles: number;
  uploadedBytes: number;
  /** Upload attempts that failed (each is retried with backoff; the file stays on disk). */
  failedAttempts: number;
  /** Files that vanished from the spool before S3 had them (removed by someone else). */
  lostFiles: number;
  lastError: string | null;
}

interface Pending extends SpooledFile {
  attempts: number;
  nextAttemptAt: number;
  inFlight: boolean;
}

const CONTENT_TYPES = { ocsf: 'application/vnd.apache.parquet', pcap: 'application/vnd.tcpdump.pcap' };

/**
 * Completed pcap and OCSF Parquet files to S3, each once: the output folders are the spool (scanned at
 * start and every scanSeconds, and told of each file as it completes), so files written while S3 is
 * unreachable, or before a restart, wait on disk until an upload succeeds. Retries back off
 * exponentially (retryBaseMs doubling up to retryMaxMs, with jitter). After an upload the file is
 * removed (deleteAfterUpload) or remembered in a journal. lib-storage's Upload sends files above
 * partBytes as multipart uploads; the SDK's default credential chain signs.
 */
export class S3Delivery {
  readonly stats: S3DeliveryStats = {
    uploadedFiles: 0,
    uploadedBytes: 0,
    failedAttempts: 0,
    lostFiles: 0,
    lastError: null,
  };
  private readonly pending = new Map<string, Pending>();
  private readonly journal: UploadJournal | undefined;
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];
  private scanTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastErrorLog = 0;

  private constructor(
    private readonly config: S3Config,
    private readonly sources: readonly SpoolSource[],
    stateDir: string,
    private readonly log: Logger,
    private readonly client: S3Client,
    private readonly UploadClass: typeof Upload,
  ) {
    this.journal = config.deleteAfterUpload
      ? undefined
      : new UploadJournal(join(stateDir, 's3-uploaded.log'));
  }

  /** Loads the SDK only when S3 delivery is configured (every other start stays free of it). */
  static async open(
    config: S3Config,
    sources: readonly SpoolSource[],
    stateDir: string,
    log: Logger,
  ): Promise<S3Delivery> {
    const [{ S3Client }, { Upload }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('@aws-sdk/lib-storage'),
    ]);
    const client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      // An endpoint of its own (aws-local, MinIO) takes path-style requests: BUCKET is no host name.
      forcePathStyle: config.endpoint !== undefined,
      // The delivery retries on its own schedule, file by file; one SDK attempt each.
      maxAttempts: 1,
      requestHandler: { requestTimeout: config.requestTimeoutMs, connectionTimeout: 5000 },
    });
    return new S3Delivery(config, sources, stateDir, log, client, Upload);
  }

  /** `s3://bucket/key` of a file below a source's folder. */
  uri(source: SpoolSource, relativePath: string): string {
    return `s3://${this.config.bucket}/${source.keyOf(relativePath)}`;
  }

  start(): void {
    this.scan();
    this.scanTimer = setInterval(() => this.scan(), this.config.scanSeconds * 1000);
    this.scanTimer.unref();
  }

  /** A file just completed (renamed into place): sent without waiting for the next scan. */
  offer(kind: SpoolSource['kind'], path: string, relativePath: string, bytes: number): void {
    const source = this.sources.find((s) => s.kind === kind);
    if (source === undefined || this.pending.has(path) || this.journal?.has(path)) return;
    this.add({ source, path, key: source.keyOf(relativePath), bytes });
    this.pump();
  }

  get pendingFiles(): number {
    return this.pending.size;
  }

  get pendingBytes(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.bytes;
    return n;
  }

  /** Whether a file still waits for S3 (retention must not remove it). */
  isPending(path: string): boolean {
    return this.pending.has(path);
  }

  /** Over the bound /healthz watches: S3 has been unreachable (or too slow) for a while. */
  get backlogExceeded(): boolean {
    return this.pending.size > this.config.maxPendingFiles || this.pendingBytes > this.config.maxPendingBytes;
  }

  /**
   * Delivers what it can for up to `drainMs` (a last scan first: the files the shutdown completed),
   * then stops; what is left stays on disk for the next start.
   */
  async close(drainMs: number): Promise<void> {
    if (this.scanTimer !== undefined) clearInterval(this.scanTimer);
    this.scan();
    const deadline = Date.now() + drainMs;
    while (Date.now() < deadline && (this.pending.size > 0 || this.inFlight > 0)) {
      // Retries due within the drain are tried at once: the process is about to end.
      for (const p of this.pending.values())
        if (!p.inFlight) p.nextAttemptAt = Math.min(p.nextAttemptAt, Date.now());
      this.pump();
      await new Promise((r) => setTimeout(r, Math.min(200, Math.max(1, deadline - Date.now()))));
    }
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.inFlight > 0) await new Promise<void>((r) => this.idle.push(r));
    this.client.destroy();
  }

  private scan(): void {
    for (const source of this.sources)
      for (const file of scanSpool(source))
        if (!this.pending.has(file.path) && !this.journal?.has(file.path)) this.add(file);
    this.pump();
  }

  private add(file: SpooledFile): void {
    this.pending.set(file.path, { ...file, attempts: 0, nextAttemptAt: 0, inFlight: false });
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    let nextRetry = Number.POSITIVE_INFINITY;
    for (const p of this.pending.values()) {
      if (this.inFlight >= this.config.concurrency) return;
      if (p.inFlight) continue;
      if (p.nextAttemptAt > now) {
        nextRetry = Math.min(nextRetry, p.nextAttemptAt);
        continue;
      }
      p.inFlight = true;
      this.inFlight++;
      void this.upload(p).finally(() => {
        p.inFlight = false;
        this.inFlight--;
        if (this.inFlight === 0) for (const r of this.idle.splice(0)) r();
        this.pump();
      });
    }
    if (nextRetry !== Number.POSITIVE_INFINITY && this.retryTimer === undefined) {
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = undefined;
          this.pump();
        },
        Math.max(10, nextRetry - now),
      );
      this.retryTimer.unref();
    }
  }

  private async upload(p: Pending): Promise<void> {
    const { config } = this;
    try {
      const body = createReadStream(p.path);
      const opened = new Promise<void>((resolve, reject) => {
        body.once('open', () => resolve());
        body.once('error', reject);
      });
      await opened;
      await new this.UploadClass({
        client: this.client,
        params: {
          Bucket: config.bucket,
          Key: p.key,
          Body: body,
          ContentType: CONTENT_TYPES[p.source.kind],
          ContentLength: p.bytes,
        },
        partSize: config.partBytes,
        queueSize: 2,
        leavePartsOnError: false,
      }).done();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // Gone before S3 had it (removed by hand, or by a retention pass outside this receiver).
        this.pending.delete(p.path);
        this.stats.lostFiles++;
        this.log.error({ path: p.path }, 'a file waiting for S3 was removed before it was uploaded');
        return;
      }
      p.attempts++;
      this.stats.failedAttempts++;
      this.stats.lastError = `${p.key}: ${(error as Error).name}: ${(error as Error).message}`;
      const backoff = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(p.attempts - 1, 20));
      p.nextAttemptAt = Date.now() + backoff * (0.5 + Math.random() / 2);
      const now = Date.now();
      if (now - this.lastErrorLog >= 10_000) {
        this.lastErrorLog = now;
        this.log.warn(
          { err: error, key: p.key, attempts: p.attempts, pending: this.pending.size },
          'S3 upload failed; the file stays on disk and is retried with backoff',
        );
      }
      return;
    }
    this.pending.delete(p.path);
    this.stats.uploadedFiles++;
    this.stats.uploadedBytes += p.bytes;
    try {
      if (this.journal !== undefined) this.journal.add(p.path);
      else unlinkSync(p.path);
    } catch (error) {
      this.log.warn({ err: error, path: p.path }, 'uploaded to S3, but cannot remove the local file');
    }
  }
}
