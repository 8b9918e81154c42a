import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MirrorRecord } from '@fargate-mirror/analysis';
import { type Data, RecordBatch, type Struct } from 'apache-arrow';
import { OcsfError } from '../errors.js';
import type { OcsfMappingOptions } from '../mapping/common.js';
import { toOcsfEvent } from '../mapping/map-record.js';
import { OCSF_CLASSES, type OcsfClassName, type OcsfObject } from '../mapping/ocsf-event.js';
import { loadOcsfSchema } from '../schema/ocsf-schema.js';
import { type ArrowLayout, arrowLayout } from './arrow-layout.js';
import { type ColumnBuilder, columnBuilder } from './column-builders.js';
import { encodeParquet, type ParquetCompression } from './parquet-encode.js';
import { compactTimeOf, eventDayOf, partitionPath } from './partition-path.js';

export interface OcsfParquetOptions extends OcsfMappingOptions {
  /** Root folder of the partitioned files. */
  readonly dir: string;
  /** Event-time window of one file, in seconds (default 300: Security Lake's 5-minute files). */
  readonly windowSeconds?: number;
  /** Roll a file when its Arrow data (uncompressed) reaches this many bytes (default 128 MiB). */
  readonly maxFileBytes?: number;
  /**
   * Reading a capture, event time is the clock: a window is written once a record this many seconds
   * past its end arrives, so memory holds the current windows only, not the whole capture. Records
   * later than that (a long flow reported at its end) go into a further file of their window.
   * Unset (a live receiver), windows are written by `rollWindowsBefore` on the caller's clock.
   */
  readonly eventTimeGraceSeconds?: number;
  /** Records per row group (default 16384). */
  readonly rowGroupRecords?: number;
  readonly compression?: ParquetCompression;
  /** Part of every file name, so writers sharing a bucket never collide (default: the process id). */
  readonly writerId?: string;
  /**
   * Bytes of encoded files held in memory while they cannot be written (disk full, folder gone),
   * written again at the next roll (default 64 MiB; at 42 bytes a record, about 1.6 million records).
   * Past it the oldest are dropped, counted in `lost`.
   */
  readonly maxHeldBytes?: number;
  /** Called with each completed file (renamed into place), e.g. to upload it. */
  readonly onFile?: (file: CompletedParquetFile) => void;
}

export interface CompletedParquetFile {
  readonly path: string;
  /** The path below `dir`: the object key below an S3 prefix. */
  readonly relativePath: string;
  readonly className: OcsfClassName;
  readonly records: number;
  readonly bytes: number;
}

export interface OcsfParquetStats {
  records: number;
  /** Records not written: mapping or conversion failed (the last reason is in lastError). */
  failed: number;
  files: number;
  bytes: number;
  /** Records of encoded files that could not be written yet, held in memory for the next try. */
  heldRecords: number;
  heldFiles: number;
  heldBytes: number;
  /** Records given up: the held files outgrew maxHeldBytes, or were still unwritable at close. */
  lost: number;
  lastError: string | null;
}

/** The records of one class, partition and window not yet in a file. */
interface OpenFile {
  readonly className: OcsfClassName;
  readonly folder: string;
  readonly windowStart: number;
  sequence: number;
  /** The row group being built: records are appended to column builders as they come. */
  readonly builder: ColumnBuilder;
  rowsInGroup: number;
  batches: RecordBatch[];
  records: number;
  arrowBytes: number;
}

/** An encoded file that could not be written yet. */
interface HeldFile {
  readonly folder: string;
  readonly name: string;
  readonly className: OcsfClassName;
  readonly records: number;
  readonly bytes: Uint8Array;
}

const DEFAULT_WINDOW_SECONDS = 300;
const DEFAULT_MAX_FILE_BYTES = 128 * 1024 * 1024;
const DEFAULT_ROW_GROUP_RECORDS = 16_384;
const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024;

/**
 * Records as OCSF events in Parquet: one file per class, partition (region, account, event day) and
 * event-time window, compressed, rolled when it grows past maxFileBytes and when its window is over
 * (`rollWindowsBefore`, which a receiver calls on a timer; `close` writes the rest). Files are written
 * under a temporary name and renamed, so a reader or uploader only ever sees whole files. A file that
 * cannot be written (disk full) is held in memory, encoded, and written at the next roll: records are
 * lost only past maxHeldBytes or at close, and then counted.
 */
export class OcsfParquetSink {
  readonly stats: OcsfParquetStats = {
    records: 0,
    failed: 0,
    files: 0,
    bytes: 0,
    heldRecords: 0,
    heldFiles: 0,
    heldBytes: 0,
    lost: 0,
    lastError: null,
  };
  private readonly held: HeldFile[] = [];
  private readonly layouts = new Map<OcsfClassName, ArrowLayout>();
  private readonly open = new Map<string, OpenFile>();
  /** The next sequence number of each window's files, kept after a file is written. */
  private readonly sequences = new Map<string, number>();
  private readonly windowMs: number;
  private readonly maxFileBytes: number;
  private readonly rowGroupRecords: number;
  private readonly maxHeldBytes: number;
  private readonly writerId: string;
  private readonly eventTimeGraceMs: number | undefined;
  /** The earliest end of an open window: no roll by event time is due before a record passes it. */
  private earliestOpenEnd = Number.POSITIVE_INFINITY;

  constructor(private readonly options: OcsfParquetOptions) {
    this.windowMs = (options.windowSeconds ?? DEFAULT_WINDOW_SECONDS) * 1000;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.rowGroupRecords = options.rowGroupRecords ?? DEFAULT_ROW_GROUP_RECORDS;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.eventTimeGraceMs =
      options.eventTimeGraceSeconds === undefined ? undefined : options.eventTimeGraceSeconds * 1000;
    this.writerId = (options.writerId ?? String(process.pid)).replace(/[^A-Za-z0-9_-]/g, '_');
    if (
      !(this.windowMs >= 1000) ||
      !(this.maxFileBytes > 0) ||
      !(this.rowGroupRecords > 0) ||
      !(this.maxHeldBytes >= 0) ||
      !(this.eventTimeGraceMs === undefined || this.eventTimeGraceMs >= 0)
    ) {
      throw new OcsfError(
        'PARQUET_OPTION_INVALID',
        'OCSF Parquet needs a window of at least 1 second, a positive file size and row group size, and a held-bytes limit and event-time grace of 0 or more',
      );
    }
    const doc = loadOcsfSchema();
    for (const name of Object.keys(OCSF_CLASSES) as OcsfClassName[])
      this.layouts.set(name, arrowLayout(doc, name));
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  }

  /**
   * A RecordSink: maps the record, and buffers it for its class's current file. `unmapped`: fields
   * the caller knows and the record does not (e.g. where the flow's pcap is), added to `unmapped`.
   */
  write(record: MirrorRecord, unmapped?: Readonly<Record<string, string>>): void {
    let className: OcsfClassName;
    let event: OcsfObject;
    try {
      ({ className, event } = toOcsfEvent(record, this.options));
      if (unmapped !== undefined) Object.assign(event.unmapped as OcsfObject, unmapped);
      if (!Number.isFinite(event.time)) throw new Error(`time ${record.time} is not a time`);
    } catch (error) {
      this.stats.failed++;
      this.stats.lastError = `${record.type} record at ${record.time}: ${(error as Error).message}`;
      return;
    }
    const time = event.time as number;
    const cloud = event.cloud as { region?: string; account?: { uid?: string } };
    const region = cloud.region ?? 'unknown';
    const accountId = cloud.account?.uid ?? 'unknown';
    const windowStart = Math.floor(time / this.windowMs) * this.windowMs;
    const key = `${className}\u0000${region}\u0000${accountId}\u0000${windowStart}`;
    let file = this.open.get(key);
    if (file === undefined) {
      file = {
        className,
        folder: partitionPath(className, region, accountId, eventDayOf(windowStart)),
        windowStart,
        sequence: this.sequences.get(key) ?? 0,
        builder: columnBuilder((this.layouts.get(className) as ArrowLayout).struct),
        rowsInGroup: 0,
        batches: [],
        records: 0,
        arrowBytes: 0,
      };
      this.open.set(key, file);
      if (windowStart + this.windowMs < this.earliestOpenEnd)
        this.earliestOpenEnd = windowStart + this.windowMs;
    }
    file.builder.append(event);
    file.rowsInGroup++;
    file.records++;
    this.stats.records++;
    if (file.rowsInGroup >= this.rowGroupRecords) {
      this.seal(file);
      if (file.arrowBytes >= this.maxFileBytes) {
        const error = this.writeFile(key, file);
        if (error !== undefined) throw error;
      }
    }
    // After the record is in: rolling never closes its own window (that ends after its time).
    if (this.eventTimeGraceMs !== undefined && time - this.eventTimeGraceMs >= this.earliestOpenEnd)
      this.rollWindowsBefore(time - this.eventTimeGraceMs);
  }

  /**
   * Writes the held files, then the files whose window ended before `millis` (event time), e.g. now
   * minus a grace period. Throws (after trying every file) when one could not be written.
   */
  rollWindowsBefore(millis: number): void {
    const errors = [this.writeHeld()];
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, file] of this.open) {
      const end = file.windowStart + this.windowMs;
      if (end <= millis) errors.push(this.writeFile(key, file));
      else if (end < earliest) earliest = end;
    }
    this.earliestOpenEnd = earliest;
    this.throwFirst(errors);
  }

  /**
   * Writes every file still open, and tries the held ones a last time: what still cannot be written
   * is counted in `lost`, and the error says how many records that was.
   */
  close(): void {
    const errors = [this.writeHeld()];
    for (const [key, file] of this.open) errors.push(this.writeFile(key, file));
    const gaveUp = this.held.splice(0);
    for (const file of gaveUp) this.release(file, true);
    const records = gaveUp.reduce((n, f) => n + f.records, 0);
    if (records > 0) {
      const detail = this.stats.lastError ?? 'the files could not be written';
      throw new OcsfError(
        'PARQUET_WRITE_FAILED',
        `${records} records in ${gaveUp.length} OCSF Parquet files could not be written and are lost: ${detail}`,
      );
    }
    this.throwFirst(errors);
  }

  /** Records buffered and not yet in a file. */
  get pendingRecords(): number {
    let n = 0;
    for (const file of this.open.values()) n += file.records;
    return n;
  }

  /** Turns the rows built so far into one Arrow record batch: a row group of the file. */
  private seal(file: OpenFile): void {
    if (file.rowsInGroup === 0) return;
    const layout = this.layouts.get(file.className) as ArrowLayout;
    const data = file.builder.flush() as Data<Struct>;
    file.batches.push(new RecordBatch(layout.schema, data));
    file.arrowBytes += data.byteLength;
    file.rowsInGroup = 0;
  }

  /** Encodes a file and writes it, or holds it; the error, if any, for the caller to throw. */
  private writeFile(key: string, file: OpenFile): OcsfError | undefined {
    this.seal(file);
    this.open.delete(key);
    this.sequences.set(key, file.sequence + 1);
    if (file.batches.length === 0) return undefined;
    const name = `${file.className}_${compactTimeOf(file.windowStart)}_${this.writerId}_${String(file.sequence).padStart(4, '0')}.${this.options.compression ?? 'zstd'}.parquet`;
    let bytes: Uint8Array;
    try {
      bytes = encodeParquet(file.batches, this.options.compression ?? 'zstd', 'fargate-mirror');
    } catch (error) {
      // Not the disk: these records will never encode, so holding them would only fill memory.
      this.stats.failed += file.records;
      this.stats.lastError = `cannot encode ${name}: ${(error as Error).message}`;
      return new OcsfError(
        'PARQUET_ENCODE_FAILED',
        `${this.stats.lastError}; its ${file.records} records are lost`,
        {
          cause: error,
        },
      );
    }
    const encoded: HeldFile = {
      folder: file.folder,
      name,
      className: file.className,
      records: file.records,
      bytes,
    };
    const error = this.store(encoded);
    if (error === undefined) return undefined;
    this.hold(encoded);
    return new OcsfError(
      'PARQUET_WRITE_FAILED',
      `${error}; its ${file.records} records are held in memory and written at the next roll (${this.stats.heldFiles} files, ${this.stats.heldRecords} records held)`,
    );
  }

  /** Writes the held files, oldest first, until one fails again: the error then. */
  private writeHeld(): OcsfError | undefined {
    while (this.held.length > 0) {
      const error = this.store(this.held[0]);
      if (error !== undefined)
        return new OcsfError(
          'PARQUET_WRITE_FAILED',
          `${error}; still holding ${this.stats.heldFiles} files (${this.stats.heldRecords} records) in memory`,
        );
      this.release(this.held.shift() as HeldFile, false);
    }
    return undefined;
  }

  /** Writes one encoded file into place; the reason it could not, if it could not. */
  private store(file: HeldFile): string | undefined {
    const relativePath = `${file.folder}/${file.name}`;
    const path = join(this.options.dir, relativePath);
    const temporary = join(this.options.dir, file.folder, `.${file.name}.tmp`);
    try {
      mkdirSync(join(this.options.dir, file.folder), { recursive: true, mode: 0o700 });
      // Owner-only: records can hold personal data (URLs, names, addresses).
      writeFileSync(temporary, file.bytes, { mode: 0o600 });
      renameSync(temporary, path);
    } catch (error) {
      // A partial temporary file (disk full) would take the space the next try needs.
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Its folder is what failed: there is no file to remove.
      }
      this.stats.lastError = `cannot write ${path}: ${(error as Error).message}`;
      return this.stats.lastError;
    }
    this.stats.files++;
    this.stats.bytes += file.bytes.length;
    this.options.onFile?.({
      path,
      relativePath,
      className: file.className,
      records: file.records,
      bytes: file.bytes.length,
    });
    return undefined;
  }

  private hold(file: HeldFile): void {
    this.held.push(file);
    this.stats.heldFiles++;
    this.stats.heldRecords += file.records;
    this.stats.heldBytes += file.bytes.length;
    while (this.stats.heldBytes > this.maxHeldBytes && this.held.length > 0)
      this.release(this.held.shift() as HeldFile, true);
  }

  private release(file: HeldFile, lost: boolean): void {
    this.stats.heldFiles--;
    this.stats.heldRecords -= file.records;
    this.stats.heldBytes -= file.bytes.length;
    if (lost) this.stats.lost += file.records;
  }

  private throwFirst(errors: readonly (OcsfError | undefined)[]): void {
    const first = errors.find((e) => e !== undefined);
    if (first !== undefined) throw first;
  }
}
