import { createReadStream, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';
import type { Logger } from 'pino';
import { type DeliveryTarget, DeliveryTargets, type S3Config } from './delivery-targets.js';
import { localEtag } from './object-etag.js';
import { type SpooledFile, type SpoolSource, scanSpool } from './s3-spool.js';
import { UploadJournal } from './upload-journal.js';

export type { S3Config } from './delivery-targets.js';

export interface S3DeliveryStats {
  uploadedFiles: number;
  uploadedBytes: number;
  /** Upload attempts that failed (each is retried with backoff; the file stays on disk). */
  failedAttempts: number;
  /** Files that vanished from the spool before S3 had them (removed by someone else). */
  lostFiles: number;
  /**
   * Objects S3 already had (the conditional write refused, and the object there is this file): an
   * upload whose local delete a crash or a kill interrupted, found again at the next start.
   */
  alreadyPresent: number;
  /**
   * Files sent beside their key (`NAME.<md5>.EXT`): another object held the key, or it could not be
   * compared (HeadObject denied). Never an overwrite, never a file dropped unverified.
   */
  keptBeside: number;
  lastError: string | null;
}

interface Pending extends SpooledFile {
  /** Where the file still has to go (our bucket, then a Security Lake source's location). */
  remaining: DeliveryTarget[];
  attempts: number;
  nextAttemptAt: number;
  inFlight: boolean;
}

const CONTENT_TYPES = { ocsf: 'application/vnd.apache.parquet', pcap: 'application/vnd.tcpdump.pcap' };

/** S3's refusal of a conditional write: an object is at the key already. */
const isPreconditionFailed = (error: unknown): boolean =>
  (error as { name?: string }).name === 'PreconditionFailed' ||
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;

/**
 * Completed pcap and OCSF Parquet files to S3, each once: the output folders are the spool (scanned at
 * start and every scanSeconds, and told of each file as it completes), so files written while S3 is
 * unreachable, or before a restart, wait on disk until an upload succeeds. Retries back off
 * exponentially (retryBaseMs doubling up to retryMaxMs, with jitter). After an upload the file is
 * removed (deleteAfterUpload) or remembered in a journal. lib-storage's Upload sends files above
 * partBytes as multipart uploads; the SDK's default credential chain signs.
 *
 * Each object is written once: every PutObject and CompleteMultipartUpload carries
 * `If-None-Match: *`, so a file sent again (the process died between the upload and the local
 * delete) is refused with 412; the object there is then compared with the file (size and ETag,
 * HeadObject) and, when it is the file, counted as delivered. A different object at the key, or one
 * that cannot be compared (HeadObject denied), is never overwritten: the file goes beside it, under a
 * key named by its content (`besideKey`), and is counted (keptBeside).
 */
export class S3Delivery {
  readonly stats: S3DeliveryStats = {
    uploadedFiles: 0,
    uploadedBytes: 0,
    failedAttempts: 0,
    lostFiles: 0,
    alreadyPresent: 0,
    keptBeside: 0,
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
    private readonly targets: DeliveryTargets,
    private readonly UploadClass: typeof Upload,
    private readonly HeadObject: typeof HeadObjectCommand,
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
    const [{ HeadObjectCommand }, { Upload }, targets] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('@aws-sdk/lib-storage'),
      DeliveryTargets.open(config),
    ]);
    return new S3Delivery(config, sources, stateDir, log, targets, Upload, HeadObjectCommand);
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
    this.add({ source, path, relativePath, key: source.keyOf(relativePath), bytes });
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
    this.targets.destroy();
  }

  private scan(): void {
    for (const source of this.sources)
      for (const file of scanSpool(source))
        if (!this.pending.has(file.path) && !this.journal?.has(file.path)) this.add(file);
    this.pump();
  }

  private add(file: SpooledFile): void {
    this.pending.set(file.path, {
      ...file,
      remaining: this.targets.of(file),
      attempts: 0,
      nextAttemptAt: 0,
      inFlight: false,
    });
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
      while (p.remaining.length > 0) {
        await this.uploadTo(p, p.remaining[0]);
        p.remaining.shift();
      }
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
      this.stats.lastError = `${p.remaining[0]?.uri ?? p.key}: ${(error as Error).name}: ${(error as Error).message}`;
      const backoff = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(p.attempts - 1, 20));
      p.nextAttemptAt = Date.now() + backoff * (0.5 + Math.random() / 2);
      const now = Date.now();
      if (now - this.lastErrorLog >= 10_000) {
        this.lastErrorLog = now;
        this.log.warn(
          { err: error, object: p.remaining[0]?.uri, attempts: p.attempts, pending: this.pending.size },
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

  /**
   * One conditional upload; an object already at the key counts when it is this file. When it is not,
   * or cannot be compared, the file goes beside it under a key named by its content, so that nothing
   * is overwritten and nothing is dropped unverified.
   */
  private async uploadTo(p: Pending, target: DeliveryTarget): Promise<void> {
    if (await this.putIfAbsent(p, target)) return;
    const verdict = await this.compareWithObject(p, target);
    if (verdict === 'same') {
      this.stats.alreadyPresent++;
      this.log.info(
        { object: target.uri, path: p.path },
        'already in S3 (sent before a restart): not sent again',
      );
      return;
    }
    const digest = (await localEtag(p.path, this.config.partBytes, false)).slice(1, 13);
    const beside = { ...target, key: besideKey(target.key, digest), uri: besideKey(target.uri, digest) };
    // A 412 here means these very bytes are there already: the key is named by them.
    await this.putIfAbsent(p, beside);
    this.stats.keptBeside++;
    this.log.warn(
      { object: target.uri, sentTo: beside.uri, path: p.path, reason: verdict },
      verdict === 'unverifiable'
        ? 'already in S3 but not comparable (HeadObject denied): sent beside it, named by its content'
        : 'a different object is at the key: not overwritten, the file is sent beside it, named by its content',
    );
  }

  /** PutObject/CompleteMultipartUpload with `If-None-Match: *`: false when S3 has an object at the key. */
  private async putIfAbsent(p: Pending, target: DeliveryTarget): Promise<boolean> {
    const { config } = this;
    const body = createReadStream(p.path);
    await new Promise<void>((resolve, reject) => {
      body.once('open', () => resolve());
      body.once('error', reject);
    });
    try {
      await new this.UploadClass({
        client: target.client,
        params: {
          Bucket: target.bucket,
          Key: target.key,
          Body: body,
          ContentType: CONTENT_TYPES[p.source.kind],
          ContentLength: p.bytes,
          // lib-storage passes it to PutObject and to CompleteMultipartUpload.
          IfNoneMatch: '*',
        },
        partSize: config.partBytes,
        queueSize: 2,
        leavePartsOnError: false,
      }).done();
      return true;
    } catch (error) {
      body.destroy();
      if (!isPreconditionFailed(error)) throw error;
      return false;
    }
  }

  /** The object at the key against the file: size and ETag (whole or multipart, as the object says). */
  private async compareWithObject(
    p: Pending,
    target: DeliveryTarget,
  ): Promise<'same' | 'different' | 'unverifiable'> {
    let head: { ETag?: string; ContentLength?: number };
    try {
      head = await target.client.send(new this.HeadObject({ Bucket: target.bucket, Key: target.key }));
    } catch (error) {
      // A writer without read permission (a provider role may grant PutObject only) cannot compare.
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403)
        return 'unverifiable';
      throw error;
    }
    if (head.ContentLength !== p.bytes) return 'different';
    const there = head.ETag ?? '';
    return there === (await localEtag(p.path, this.config.partBytes, there.includes('-')))
      ? 'same'
      : 'different';
  }
}

/** `dir/NAME.zstd.parquet` -> `dir/NAME.<digest>.zstd.parquet`: the extensions readers match on stay last. */
export function besideKey(key: string, digest: string): string {
  const nameStart = key.lastIndexOf('/') + 1;
  const dot = key.indexOf('.', nameStart);
  return dot < 0 ? `${key}.${digest}` : `${key.slice(0, dot)}.${digest}${key.slice(dot)}`;
}
