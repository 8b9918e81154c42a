import { gzipSync } from 'node:zlib';
import { HecClient, type HecOutcome } from './hec-client.js';
import { type EnvelopeOptions, hecEnvelope } from './hec-envelope.js';
import { HecConfigError } from './hec-errors.js';
import { HecJournal } from './hec-journal.js';
import { HecSpool, type SpooledBatch } from './hec-spool.js';

/** Where the sink reports; a pino logger fits. */
export interface HecLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface HecSinkOptions extends EnvelopeOptions {
  /** `https://splunk.example.com:8088` (or the full `/services/collector/event` URL). */
  readonly url: string;
  /** Resolve it with `resolveHecToken` (environment, file or config). */
  readonly token: string;
  /** Directory of spooled batches (created owner-only). */
  readonly spoolDir: string;
  /** Spool bound on disk (compressed bytes). @default 1 GiB */
  readonly maxSpoolBytes?: number;
  /** Bound on batches held in memory while the spool directory refuses writes (disk full). @default 64 MiB */
  readonly maxMemoryBytes?: number;
  /** Free space the spool leaves on its file system. @default 1 MiB */
  readonly spoolReserveBytes?: number;
  /** A request body holds at most this many uncompressed bytes (Splunk's max_content_length). @default 1 MB */
  readonly maxBatchBytes?: number;
  /** A partly filled batch is spooled and sent after this long. @default 1000 */
  readonly flushMs?: number;
  /** Indexer acknowledgement: a batch leaves the spool only once acknowledged. @default false */
  readonly ack?: boolean;
  /** @default 1000 */
  readonly ackPollMs?: number;
  /** An accepted batch not acknowledged after this long is sent again. @default 300000 */
  readonly ackTimeoutMs?: number;
  /** Accepted batches awaiting acknowledgement at once. @default 32 */
  readonly maxPendingAcks?: number;
  /** First retry delay after a busy reply or a connection error; doubles per attempt, with jitter. @default 500 */
  readonly retryBaseMs?: number;
  /** @default 30000 */
  readonly retryMaxMs?: number;
  /** After a configuration error (bad token, bad index) the same batch is tried again this often. @default 60000 */
  readonly permanentRetryMs?: number;
  /** @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Spool share at which `backpressure` turns on. @default 0.5 */
  readonly backpressureRatio?: number;
  /** Spool share at which `healthy` turns false (/healthz 503). @default 0.9 */
  readonly unhealthyRatio?: number;
  readonly log?: HecLog;
}

export interface HecSinkStats {
  /** Events handed to the sink. */
  eventsIn: number;
  /** Events HEC accepted (and, with ack on, acknowledged). */
  eventsDelivered: number;
  batchesDelivered: number;
  /** Events dropped because the spool was full, or the disk was and memory too (oldest first). */
  eventsDropped: number;
  /** Of `eventsDropped`: those dropped because the spool directory refused writes and memory was full. */
  eventsDroppedNoSpace: number;
  /** Spool files found corrupt at start and moved aside as `.bad` (never sent). */
  spoolQuarantined: number;
  /** Spool writes the directory refused (disk full, I/O error): the batch was held in memory. */
  spoolWriteErrors: number;
  /** Events in batches HEC refused as malformed (kept in the spool's rejected/ directory). */
  eventsRejected: number;
  /** Sends that failed and will be (or were) repeated: busy, 5xx, connection errors. */
  retries: number;
  /** Refusals caused by configuration: bad token, bad index, acks not enabled. */
  permanentErrors: number;
  /** Accepted batches never acknowledged in time, sent again. */
  ackTimeouts: number;
  /** Events a crashed run had journaled but not yet spooled, spooled at this start. */
  journalRecovered: number;
}

const noLog: HecLog = { info() {}, warn() {}, error() {} };

/**
 * Delivers records to Splunk's HTTP Event Collector, at least once. Records are wrapped in HEC
 * envelopes and batched (under `maxBatchBytes` uncompressed); every batch is gzip-compressed and
 * written to the spool directory before it is sent, and removed only after HEC accepted it (with
 * `ack`, after the indexers acknowledged it). A stop or a crash leaves the spool for the next start.
 *
 * Outages fill the spool. In this order, what the caller sees: `backlogBytes` grows; at
 * `backpressureRatio` of the bound `backpressure` turns on; at `unhealthyRatio` `healthy` turns false
 * (the receiver's /healthz answers 503, so the load balancer sends traffic elsewhere); past the bound
 * the oldest batches are dropped and counted in `stats.eventsDropped`.
 */
export class HecSink {
  readonly stats: HecSinkStats = {
    eventsIn: 0,
    eventsDelivered: 0,
    batchesDelivered: 0,
    eventsDropped: 0,
    eventsDroppedNoSpace: 0,
    spoolWriteErrors: 0,
    spoolQuarantined: 0,
    eventsRejected: 0,
    retries: 0,
    permanentErrors: 0,
    ackTimeouts: 0,
    journalRecovered: 0,
  };
  /** The latest delivery problem in words (undefined once a batch gets through). */
  problem: string | undefined;
  private readonly options: HecSinkOptions;
  private readonly spool: HecSpool;
  private readonly client: HecClient;
  private readonly log: HecLog;
  private readonly maxBatchBytes: number;
  private pending: string[] = [];
  /** The batch being filled is on disk as it fills: `pending[0, journaled)` is in the journal. */
  private readonly journal: HecJournal;
  private journaled = 0;
  private pendingBytes = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly ackTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private attempt = 0;
  private closed = false;
  private readonly sender: Promise<void>;
  private lastReported: string | undefined;
  private lastSpoolProblem: string | undefined;
  private polling = false;

  private constructor(options: HecSinkOptions) {
    this.options = options;
    this.log = options.log ?? noLog;
    this.maxBatchBytes = options.maxBatchBytes ?? 1_000_000;
    if (!(this.maxBatchBytes >= 1024))
      throw new HecConfigError(
        'HEC_CONFIG_INVALID',
        `hec.maxBatchBytes must be at least 1024, got ${this.maxBatchBytes}`,
      );
    this.spool = HecSpool.open(options.spoolDir, {
      maxBytes: options.maxSpoolBytes ?? 1024 ** 3,
      maxMemoryBytes: options.maxMemoryBytes,
      reserveBytes: options.spoolReserveBytes,
    });
    this.client = new HecClient({
      url: options.url,
      token: options.token,
      channel: options.ack ? this.spool.channel() : undefined,
      timeoutMs: options.requestTimeoutMs,
    });
    for (const q of this.spool.quarantined) {
      this.stats.spoolQuarantined++;
      this.log.error(
        { file: q.file, spoolDir: options.spoolDir },
        `HEC spool file is corrupt (${q.reason}), a local problem (disk, or an edit by hand), not Splunk's: moved aside to ${q.file} and not sent; its events are lost`,
      );
    }
    const { journal, recovered, torn } = HecJournal.open(options.spoolDir);
    this.journal = journal;
    if (recovered.length > 0 || torn > 0) {
      if (recovered.length > 0)
        this.spool.add(gzipSync(Buffer.from(recovered.join('\n'), 'utf8')), recovered.length);
      this.stats.journalRecovered = recovered.length;
      this.log.warn(
        { events: recovered.length, torn, spoolDir: options.spoolDir },
        `HEC: ${recovered.length} events journaled before a crash spooled for delivery${torn > 0 ? ` (${torn} cut short by the crash are lost)` : ''}`,
      );
    }
    this.journal.clear();
    if (this.spool.batches.length > 0) {
      this.log.info(
        { batches: this.spool.batches.length, events: this.spool.events, spoolDir: options.spoolDir },
        'HEC: resuming delivery of spooled batches',
      );
    }
    this.flushTimer = setInterval(() => this.flush(), options.flushMs ?? 1000);
    this.flushTimer.unref();
    if (options.ack) {
      this.ackTimer = setInterval(() => void this.pollAcks(), options.ackPollMs ?? 1000);
      this.ackTimer.unref();
    } else {
      // Without acknowledgement an accepted batch is done: ackIds left by an earlier acked run are moot.
      for (const b of this.spool.batches) if (b.ackId !== undefined) this.spool.clearAck(b);
    }
    this.sender = this.runSender();
  }

  /** Opens (or resumes) the spool and starts delivering. Throws HecConfigError on bad options. */
  static open(options: HecSinkOptions): HecSink {
    return new HecSink(options);
  }

  /** Bytes waiting: spooled (compressed, on disk or held in memory) plus the batch being filled (uncompressed). */
  get backlogBytes(): number {
    return this.spool.bytes + this.spool.memoryBytes + this.pendingBytes;
  }

  /** Compressed bytes held in memory because the spool directory refused them. */
  get memoryBytes(): number {
    return this.spool.memoryBytes;
  }

  /** Why the spool directory refuses writes (disk full), in words; undefined while it takes them. */
  get spoolProblem(): string | undefined {
    const p = this.spool.writeProblem;
    if (p === undefined && this.spool.memoryBytes === 0) return undefined;
    const held = `${this.spool.memoryBytes} bytes of events held in memory (bound ${this.spool.maxMemoryBytes})`;
    return p === undefined ? held : `${p}; ${held}`;
  }

  /** Events waiting (spooled or being batched). */
  get backlogEvents(): number {
    return this.spool.events + this.pending.length;
  }

  get spoolBytes(): number {
    return this.spool.bytes;
  }

  /** The spool passed `backpressureRatio` of its bound: slow down where possible. */
  get backpressure(): boolean {
    if (this.spool.memoryBytes > 0) return true;
    return this.spool.bytes >= this.spool.capacityBytes * (this.options.backpressureRatio ?? 0.5);
  }

  /**
   * False once the spool passed `unhealthyRatio` of what it can hold (its bound, or the free space
   * when that is less), or while its directory refuses writes: drops are near.
   */
  get healthy(): boolean {
    if (this.spoolProblem !== undefined) return false;
    return this.spool.bytes < this.spool.capacityBytes * (this.options.unhealthyRatio ?? 0.9);
  }

  /** One record object. */
  writeRecord(record: object): void {
    this.add(hecEnvelope(JSON.stringify(record), this.options));
    this.journalPending();
  }

  /** Records as JSON Lines text (one object per line, as the receiver's workers send them). */
  writeLines(text: string): void {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start) this.add(hecEnvelope(text.slice(start, end), this.options));
      start = end + 1;
    }
    this.journalPending();
  }

  /** Appends what the journal does not hold yet: one write per batch of records. */
  private journalPending(): void {
    if (this.journaled >= this.pending.length) return;
    this.journal.append(this.journaled === 0 ? this.pending : this.pending.slice(this.journaled));
    this.journaled = this.pending.length;
  }

  /** Spools the batch being filled (it is sent as soon as the sender gets to it). */
  flush(): void {
    if (this.pending.length === 0) return;
    const events = this.pending.length;
    const body = gzipSync(Buffer.from(this.pending.join('\n'), 'utf8'));
    this.pending = [];
    this.pendingBytes = 0;
    this.journaled = 0;
    const droppedBefore = this.spool.dropped.events;
    const noSpaceBefore = this.spool.droppedNoSpace.events;
    this.spool.add(body, events);
    // Spooled (or, with the disk full, held in memory as before): the journal starts over.
    this.journal.clear();
    const dropped = this.spool.dropped.events - droppedBefore;
    if (dropped > 0) {
      this.stats.eventsDropped += dropped;
      this.log.error(
        { dropped, droppedTotal: this.stats.eventsDropped, spoolBytes: this.spool.bytes },
        'HEC spool full: dropped the oldest events',
      );
    }
    const noSpace = this.spool.droppedNoSpace.events - noSpaceBefore;
    if (noSpace > 0) {
      this.stats.eventsDropped += noSpace;
      this.stats.eventsDroppedNoSpace += noSpace;
      this.log.error(
        {
          dropped: noSpace,
          droppedNoSpaceTotal: this.stats.eventsDroppedNoSpace,
          memoryBytes: this.spool.memoryBytes,
        },
        'HEC spool directory refuses writes and the in-memory bound is reached: dropped the oldest events',
      );
    }
    this.noteSpoolProblem();
    this.wakeSender();
  }

  /**
   * Spools what is pending, then keeps delivering until the spool is empty or `deadlineMs` passed.
   * What is left stays in the spool for the next start. Idempotent.
   */
  async close(deadlineMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.flush();
    const deadline = Date.now() + deadlineMs;
    while (this.spool.batches.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (this.options.ack) await this.pollAcks();
    }
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.ackTimer !== undefined) clearInterval(this.ackTimer);
    this.wakeSender();
    await this.sender;
    this.journal.close();
    if (this.spool.batches.length > 0) {
      this.log.warn(
        { batches: this.spool.batches.length, events: this.spool.events, spoolDir: this.options.spoolDir },
        'HEC: undelivered events stay in the spool for the next start',
      );
    }
  }

  private add(envelope: string): void {
    this.stats.eventsIn++;
    const size = Buffer.byteLength(envelope) + 1;
    if (this.pendingBytes + size > this.maxBatchBytes) this.flush();
    this.pending.push(envelope);
    this.pendingBytes += size;
    if (this.pendingBytes >= this.maxBatchBytes) this.flush();
  }

  private wakeSender(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Sends spooled batches oldest first, one request at a time. */
  private async runSender(): Promise<void> {
    while (!this.closed) {
      const awaiting = this.spool.batches.filter((b) => b.ackId !== undefined).length;
      const batch =
        awaiting >= (this.options.maxPendingAcks ?? 32)
          ? undefined
          : this.spool.batches.find((b) => !b.inFlight && b.ackId === undefined);
      if (batch === undefined) {
        await this.sleep(1000);
        continue;
      }
      batch.inFlight = true;
      let outcome: HecOutcome;
      try {
        outcome = await this.client.send(this.spool.read(batch));
      } catch (error) {
        outcome = { kind: 'retry', reason: `cannot read spooled batch: ${(error as Error).message}` };
      } finally {
        batch.inFlight = false;
      }
      await this.settle(batch, outcome);
    }
  }

  private async settle(batch: SpooledBatch, outcome: HecOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'accepted':
        this.attempt = 0;
        this.clearProblem();
        if (this.options.ack && outcome.ackId !== undefined) {
          this.spool.setAck(batch, outcome.ackId);
        } else {
          if (this.options.ack)
            this.report(
              'warn',
              'HEC answered without an ackId although ack is on: treating the batch as delivered',
            );
          this.delivered(batch);
        }
        return;
      case 'rejected':
        this.stats.eventsRejected += batch.events;
        this.report(
          'error',
          `${outcome.reason}; ${batch.events} events set aside in ${this.options.spoolDir}/rejected`,
        );
        this.spool.reject(batch);
        return;
      case 'permanent':
        this.stats.permanentErrors++;
        this.report(
          'error',
          `${outcome.reason}; events stay spooled, retrying every ${(this.options.permanentRetryMs ?? 60_000) / 1000} s`,
        );
        if (!this.closed) await this.sleep(this.options.permanentRetryMs ?? 60_000);
        return;
      case 'retry': {
        this.stats.retries++;
        const base = this.options.retryBaseMs ?? 500;
        const cap = this.options.retryMaxMs ?? 30_000;
        const ceiling = Math.min(cap, base * 2 ** Math.min(this.attempt, 20));
        this.attempt++;
        // "Equal jitter": half fixed, half random, so many receivers do not retry in step.
        const delay = ceiling / 2 + Math.random() * (ceiling / 2);
        this.report('warn', `${outcome.reason}; retrying`);
        if (!this.closed) await this.sleep(delay);
        return;
      }
    }
  }

  /** One log line when the spool directory starts refusing writes (or the reason changes), one when it recovers. */
  private noteSpoolProblem(): void {
    this.stats.spoolWriteErrors = this.spool.writeErrors;
    const p = this.spool.writeProblem;
    if (p === this.lastSpoolProblem) return;
    if (p !== undefined)
      this.log.error(
        { spoolDir: this.options.spoolDir, spoolWriteErrors: this.spool.writeErrors },
        `HEC spool: ${p}; holding batches in memory (lost on a crash) up to ${this.spool.maxMemoryBytes} bytes`,
      );
    else this.log.info({ spoolDir: this.options.spoolDir }, 'HEC spool: writing to disk again');
    this.lastSpoolProblem = p;
  }

  private delivered(batch: SpooledBatch): void {
    this.stats.eventsDelivered += batch.events;
    this.stats.batchesDelivered++;
    this.spool.remove(batch);
  }

  private async pollAcks(): Promise<void> {
    if (this.polling) return;
    const waiting = this.spool.batches.filter((b) => b.ackId !== undefined);
    if (waiting.length === 0) return;
    this.polling = true;
    try {
      const acks = await this.client.queryAcks(waiting.map((b) => b.ackId as number));
      const now = Date.now();
      for (const b of waiting) {
        if (b.ackId === undefined) continue;
        if (acks[String(b.ackId)] === true) this.delivered(b);
        else if (now - b.acceptedAt > (this.options.ackTimeoutMs ?? 300_000)) {
          this.stats.ackTimeouts++;
          this.report('warn', `HEC: batch ${b.name} not acknowledged in time; sending it again`);
          this.spool.clearAck(b);
        }
      }
      this.wakeSender();
    } catch (error) {
      this.report('warn', `HEC: acknowledgement query failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /** One log line per distinct problem, not one per attempt. */
  private report(level: 'warn' | 'error', message: string): void {
    this.problem = message;
    if (message === this.lastReported) return;
    this.lastReported = message;
    this.log[level]({ spoolBytes: this.spool.bytes, backlogEvents: this.backlogEvents }, message);
  }

  private clearProblem(): void {
    if (this.problem !== undefined) this.log.info({}, 'HEC: delivering again');
    this.problem = undefined;
    this.lastReported = undefined;
  }
}
