import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../private-dir.js';
import { HecConfigError } from './hec-errors.js';

/** One spooled request body (gzip), named `<sequence>-<events>.hec.gz`. */
export interface SpooledBatch {
  readonly name: string;
  readonly sequence: number;
  readonly events: number;
  readonly bytes: number;
  /** Being posted right now. */
  inFlight: boolean;
  /** Accepted by HEC with this ackId, awaiting indexer acknowledgement (persisted beside the batch). */
  ackId: number | undefined;
  /** When it was accepted (ms), for the acknowledgement timeout. */
  acceptedAt: number;
}

const BATCH = /^(\d{12})-(\d+)\.hec\.gz$/;
const ACK_SUFFIX = '.ack';
const CHANNEL_FILE = 'channel';

/**
 * The HEC sink's on-disk queue: a directory (owner-only: events hold traffic metadata) of request
 * bodies, each written (temporary name, fsync, rename) before it is sent and removed only once HEC
 * accepted it - or, with indexer acknowledgement, once it was acknowledged. A restart finds the
 * batches, their ackIds and the ack channel where it left them. Bounded: `add` drops the oldest
 * batches not being sent when the total passes `maxBytes`, and counts what it dropped.
 */
export class HecSpool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly batches: SpooledBatch[] = [];
  readonly dropped = { batches: 0, events: 0 };
  private totalBytes = 0;
  private nextSequence = 1;

  private constructor(dir: string, maxBytes: number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
  }

  static open(dir: string, maxBytes: number): HecSpool {
    let names: string[];
    try {
      ensurePrivateDir(dir);
      names = readdirSync(dir);
    } catch (error) {
      throw new HecConfigError(
        'HEC_SPOOL_UNUSABLE',
        `cannot use HEC spool directory ${dir}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const spool = new HecSpool(dir, maxBytes);
    for (const name of names.sort()) {
      if (name.endsWith('.tmp')) {
        unlinkSync(join(dir, name)); // never completed: its events were not acknowledged to anyone
        continue;
      }
      const m = BATCH.exec(name);
      if (m === null) continue;
      const bytes = statSync(join(dir, name)).size;
      let ackId: number | undefined;
      if (names.includes(name + ACK_SUFFIX)) {
        const n = Number(readFileSync(join(dir, name + ACK_SUFFIX), 'utf8').trim());
        if (Number.isInteger(n)) ackId = n;
      }
      spool.batches.push({
        name,
        sequence: Number(m[1]),
        events: Number(m[2]),
        bytes,
        inFlight: false,
        ackId,
        acceptedAt: Date.now(),
      });
      spool.totalBytes += bytes;
      spool.nextSequence = Math.max(spool.nextSequence, Number(m[1]) + 1);
    }
    return spool;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get events(): number {
    let n = 0;
    for (const b of this.batches) n += b.events;
    return n;
  }

  /** The indexer-acknowledgement channel of this spool: kept across restarts so pending ackIds stay valid. */
  channel(): string {
    const path = join(this.dir, CHANNEL_FILE);
    try {
      const existing = readFileSync(path, 'utf8').trim();
      if (existing !== '') return existing;
    } catch {
      // first use
    }
    const channel = randomUUID();
    writeFileSync(path, `${channel}\n`, { mode: 0o600 });
    return channel;
  }

  /** Writes a batch durably, then drops the oldest idle batches while over the bound. */
  add(body: Buffer, events: number): SpooledBatch {
    const sequence = this.nextSequence++;
    const name = `${String(sequence).padStart(12, '0')}-${events}.hec.gz`;
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      let off = 0;
      while (off < body.length) off += writeSync(fd, body, off, body.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    const batch: SpooledBatch = {
      name,
      sequence,
      events,
      bytes: body.length,
      inFlight: false,
      ackId: undefined,
      acceptedAt: 0,
    };
    this.batches.push(batch);
    this.totalBytes += body.length;
    while (this.totalBytes > this.maxBytes) {
      const victim = this.batches.find((b) => !b.inFlight && b !== batch);
      if (victim === undefined) break;
      this.remove(victim);
      this.dropped.batches++;
      this.dropped.events += victim.events;
    }
    return batch;
  }

  read(batch: SpooledBatch): Buffer {
    return readFileSync(join(this.dir, batch.name));
  }

  /** Records that HEC accepted `batch` under `ackId` (survives a restart). */
  setAck(batch: SpooledBatch, ackId: number): void {
    writeFileSync(join(this.dir, batch.name + ACK_SUFFIX), `${ackId}\n`, { mode: 0o600 });
    batch.ackId = ackId;
    batch.acceptedAt = Date.now();
  }

  /** Forgets the ackId: the batch will be sent again. */
  clearAck(batch: SpooledBatch): void {
    batch.ackId = undefined;
    unlinkQuiet(join(this.dir, batch.name + ACK_SUFFIX));
  }

  /** Moves a batch HEC refused as malformed aside (`rejected/`), out of the queue. */
  reject(batch: SpooledBatch): void {
    const dir = join(this.dir, 'rejected');
    ensurePrivateDir(dir);
    renameSync(join(this.dir, batch.name), join(dir, batch.name));
    this.forget(batch);
  }

  remove(batch: SpooledBatch): void {
    unlinkQuiet(join(this.dir, batch.name));
    this.forget(batch);
  }

  private forget(batch: SpooledBatch): void {
    unlinkQuiet(join(this.dir, batch.name + ACK_SUFFIX));
    const i = this.batches.indexOf(batch);
    if (i >= 0) {
      this.batches.splice(i, 1);
      this.totalBytes -= batch.bytes;
    }
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
