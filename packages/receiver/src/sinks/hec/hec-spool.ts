import { randomUUID } from 'node:crypto';
import {
  chmodSync,
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
import { gunzipSync } from 'node:zlib';
import { diskSpace } from '../../health/disk-space.js';
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
  /** Held in memory because the spool directory could not take it (disk full, write error). */
  memory?: Buffer;
}

/** What the spool does when its directory refuses a write. */
export interface SpoolLimits {
  /** Bound on disk (compressed bytes). */
  readonly maxBytes: number;
  /** Bound on batches held in memory while the directory refuses writes. @default 64 MiB */
  readonly maxMemoryBytes?: number;
  /** Free space left to others on the spool's file system: a batch that would cut into it is not written. @default 1 MiB */
  readonly reserveBytes?: number;
}

const BATCH = /^(\d{12})-(\d+)\.hec\.gz$/;
const ACK_SUFFIX = '.ack';
const CHANNEL_FILE = 'channel';

/**
 * The HEC sink's on-disk queue: a directory (owner-only: events hold traffic metadata) of request
 * bodies, each written (temporary name, fsync, rename) before it is sent and removed only once HEC
 * accepted it - or, with indexer acknowledgement, once it was acknowledged. A refused write (disk
 * full) keeps the batch in memory, bounded; see `add`. A restart finds the
 * batches, their ackIds and the ack channel where it left them. Bounded: `add` drops the oldest
 * batches not being sent when the total passes `maxBytes`, and counts what it dropped.
 */
export class HecSpool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly batches: SpooledBatch[] = [];
  readonly maxMemoryBytes: number;
  readonly reserveBytes: number;
  /** Dropped because the disk bound was passed (oldest first). */
  readonly dropped = { batches: 0, events: 0 };
  /** Dropped because the directory refused writes and the memory bound was passed (oldest first). */
  readonly droppedNoSpace = { batches: 0, events: 0 };
  /** Spooled files found corrupt at start (not gzip, truncated), renamed to `<name>.bad` (owner-only) and never sent. */
  readonly quarantined: { readonly file: string; readonly reason: string }[] = [];
  /** Writes the directory refused (ENOSPC, EIO, ...) or skipped for lack of free space. */
  writeErrors = 0;
  /** The latest refusal in words; undefined once a write succeeds again. */
  writeProblem: string | undefined;
  private totalBytes = 0;
  private memoryTotal = 0;
  private nextSequence = 1;

  private constructor(dir: string, limits: SpoolLimits) {
    this.dir = dir;
    this.maxBytes = limits.maxBytes;
    this.maxMemoryBytes = limits.maxMemoryBytes ?? 64 * 1024 ** 2;
    this.reserveBytes = limits.reserveBytes ?? 1024 ** 2;
  }

  static open(dir: string, limits: SpoolLimits | number): HecSpool {
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
    const spool = new HecSpool(dir, typeof limits === 'number' ? { maxBytes: limits } : limits);
    for (const name of names.sort()) {
      if (name.endsWith('.tmp')) {
        unlinkSync(join(dir, name)); // never completed: its events were not acknowledged to anyone
        continue;
      }
      const m = BATCH.exec(name);
      if (m === null) continue;
      const problem = corruption(join(dir, name));
      if (problem !== undefined) {
        spool.quarantine(name, problem);
        continue;
      }
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

  /**
   * Moves a corrupt batch aside as `<name>.bad` (owner-only), out of the queue: sending it would only
   * earn an "invalid data format" from Splunk and blame the wrong side.
   */
  private quarantine(name: string, reason: string): void {
    const bad = join(this.dir, `${name}.bad`);
    try {
      renameSync(join(this.dir, name), bad);
      chmodSync(bad, 0o600);
    } catch {
      unlinkQuiet(join(this.dir, name));
    }
    unlinkQuiet(join(this.dir, name + ACK_SUFFIX));
    this.quarantined.push({ file: bad, reason });
  }

  /** Bytes of batches on disk. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Bytes of batches held in memory (the directory refused them). */
  get memoryBytes(): number {
    return this.memoryTotal;
  }

  /**
   * What the spool can hold now: its bound, or less when the file system has less room (a 1 GiB
   * spool on a disk with 100 MiB free is nearly full long before it holds 900 MiB).
   */
  get capacityBytes(): number {
    const space = diskSpace(this.dir);
    if (space === undefined) return this.maxBytes;
    return Math.min(this.maxBytes, this.totalBytes + Math.max(0, space.freeBytes - this.reserveBytes));
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
    try {
      writeFileSync(path, `${channel}\n`, { mode: 0o600 });
    } catch (error) {
      // A full disk must not stop the receiver; pending ackIds of this run die with it (resent).
      this.refused(error);
    }
    return channel;
  }

  /**
   * Writes a batch durably, then drops the oldest idle batches while over the bound. When the
   * directory refuses the write (disk full, I/O error) or the write would cut into the reserve, the
   * batch is held in memory instead (sent from there, lost on a crash), up to `maxMemoryBytes`;
   * past that the oldest held batches are dropped and counted in `droppedNoSpace`. Never throws.
   */
  add(body: Buffer, events: number): SpooledBatch {
    const sequence = this.nextSequence++;
    const name = `${String(sequence).padStart(12, '0')}-${events}.hec.gz`;
    const batch: SpooledBatch = {
      name,
      sequence,
      events,
      bytes: body.length,
      inFlight: false,
      ackId: undefined,
      acceptedAt: 0,
    };
    if (this.writeFile(name, body)) {
      this.writeProblem = undefined;
      this.batches.push(batch);
      this.totalBytes += body.length;
    } else {
      batch.memory = body;
      this.batches.push(batch);
      this.memoryTotal += body.length;
      while (this.memoryTotal > this.maxMemoryBytes) {
        const victim = this.batches.find((b) => b.memory !== undefined && !b.inFlight && b !== batch);
        if (victim === undefined) break;
        this.forget(victim);
        this.droppedNoSpace.batches++;
        this.droppedNoSpace.events += victim.events;
      }
    }
    while (this.totalBytes > this.maxBytes) {
      const victim = this.batches.find((b) => !b.inFlight && b !== batch && b.memory === undefined);
      if (victim === undefined) break;
      this.remove(victim);
      this.dropped.batches++;
      this.dropped.events += victim.events;
    }
    return batch;
  }

  /** Temporary name, fsync, rename; false (counted, described) when the directory refuses it. */
  private writeFile(name: string, body: Buffer): boolean {
    const space = diskSpace(this.dir);
    if (space !== undefined && space.freeBytes - body.length < this.reserveBytes) {
      this.writeErrors++;
      this.writeProblem = `no room in ${this.dir}: ${space.freeBytes} bytes free, ${this.reserveBytes} kept in reserve`;
      return false;
    }
    const tmp = join(this.dir, `${name}.tmp`);
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        let off = 0;
        while (off < body.length) off += writeSync(fd, body, off, body.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.dir, name));
      return true;
    } catch (error) {
      unlinkQuiet(tmp);
      this.refused(error);
      return false;
    }
  }

  private refused(error: unknown): void {
    this.writeErrors++;
    const e = error as NodeJS.ErrnoException;
    this.writeProblem = `cannot write to ${this.dir}: ${e.code ?? e.message}`;
  }

  read(batch: SpooledBatch): Buffer {
    return batch.memory ?? readFileSync(join(this.dir, batch.name));
  }

  /** Records that HEC accepted `batch` under `ackId` (survives a restart when the disk takes it). */
  setAck(batch: SpooledBatch, ackId: number): void {
    if (batch.memory === undefined) {
      try {
        writeFileSync(join(this.dir, batch.name + ACK_SUFFIX), `${ackId}\n`, { mode: 0o600 });
      } catch (error) {
        this.refused(error); // a restart sends the batch again: at least once still holds
      }
    }
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
    if (batch.memory === undefined) {
      try {
        const dir = join(this.dir, 'rejected');
        ensurePrivateDir(dir);
        renameSync(join(this.dir, batch.name), join(dir, batch.name));
      } catch (error) {
        this.refused(error);
        unlinkQuiet(join(this.dir, batch.name));
      }
    }
    this.forget(batch);
  }

  remove(batch: SpooledBatch): void {
    if (batch.memory === undefined) unlinkQuiet(join(this.dir, batch.name));
    this.forget(batch);
  }

  private forget(batch: SpooledBatch): void {
    const i = this.batches.indexOf(batch);
    if (i < 0) return;
    this.batches.splice(i, 1);
    if (batch.memory !== undefined) {
      this.memoryTotal -= batch.bytes;
      batch.memory = undefined;
      return;
    }
    unlinkQuiet(join(this.dir, batch.name + ACK_SUFFIX));
    this.totalBytes -= batch.bytes;
  }
}

/**
 * Why a spooled file is not a batch we wrote (undefined when it is): it must be a complete gzip
 * stream of HEC envelopes. Read once at start; a spool holds at most `maxBytes`, so this is bounded.
 */
function corruption(path: string): string | undefined {
  let body: Buffer;
  try {
    body = readFileSync(path);
  } catch (error) {
    return `unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  if (body.length < 18 || body[0] !== 0x1f || body[1] !== 0x8b) return 'not a gzip file';
  let text: Buffer;
  try {
    text = gunzipSync(body);
  } catch (error) {
    return `damaged gzip data (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (text.length === 0 || text[0] !== 0x7b) return 'does not hold HEC events';
  return undefined;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
