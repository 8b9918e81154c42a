import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
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
  /** Records per row group (default 16384). */
  readonly rowGroupRecords?: number;
  readonly compression?: ParquetCompression;
  /** Part of every file name, so writers sharing a bucket never collide (default: the process id). */
  readonly writerId?: string;
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

const DEFAULT_WINDOW_SECONDS = 300;
const DEFAULT_MAX_FILE_BYTES = 128 * 1024 * 1024;
const DEFAULT_ROW_GROUP_RECORDS = 16_384;

/**
 * Records as OCSF events in Parquet: one file per class, partition (region, account, event day) and
 * event-time window, compressed, rolled when it grows past maxFileBytes and when its window is over
 * (`rollWindowsBefore`, which a receiver calls on a timer; `close` writes the rest). Files are written
 * under a temporary name and renamed, so a reader or uploader only ever sees whole files.
 */
export class OcsfParquetSink {
  readonly stats: OcsfParquetStats = { records: 0, failed: 0, files: 0, bytes: 0, lastError: null };
  private readonly layouts = new Map<OcsfClassName, ArrowLayout>();
  private readonly open = new Map<string, OpenFile>();
  /** The next sequence number of each window's files, kept after a file is written. */
  private readonly sequences = new Map<string, number>();
  private readonly windowMs: number;
  private readonly maxFileBytes: number;
  private readonly rowGroupRecords: number;
  private readonly writerId: string;

  constructor(private readonly options: OcsfParquetOptions) {
    this.windowMs = (options.windowSeconds ?? DEFAULT_WINDOW_SECONDS) * 1000;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.rowGroupRecords = options.rowGroupRecords ?? DEFAULT_ROW_GROUP_RECORDS;
    this.writerId = (options.writerId ?? String(process.pid)).replace(/[^A-Za-z0-9_-]/g, '_');
    if (!(this.windowMs >= 1000) || !(this.maxFileBytes > 0) || !(this.rowGroupRecords > 0)) {
      throw new OcsfError(
        'PARQUET_OPTION_INVALID',
        'OCSF Parquet needs a window of at least 1 second, and a positive file size and row group size',
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
    }
    file.builder.append(event);
    file.rowsInGroup++;
    file.records++;
    this.stats.records++;
    if (file.rowsInGroup >= this.rowGroupRecords) {
      this.seal(file);
      if (file.arrowBytes >= this.maxFileBytes) this.writeFile(key, file);
    }
  }

  /** Writes the files whose window ended before `millis` (event time), e.g. now minus a grace period. */
  rollWindowsBefore(millis: number): void {
    for (const [key, file] of this.open)
      if (file.windowStart + this.windowMs <= millis) this.writeFile(key, file);
  }

  /** Writes every file still open. */
  close(): void {
    for (const [key, file] of this.open) this.writeFile(key, file);
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

  private writeFile(key: string, file: OpenFile): void {
    this.seal(file);
    this.open.delete(key);
    this.sequences.set(key, file.sequence + 1);
    if (file.batches.length === 0) return;
    const name = `${file.className}_${compactTimeOf(file.windowStart)}_${this.writerId}_${String(file.sequence).padStart(4, '0')}.${this.options.compression ?? 'zstd'}.parquet`;
    const relativePath = `${file.folder}/${name}`;
    const path = join(this.options.dir, relativePath);
    try {
      const bytes = encodeParquet(file.batches, this.options.compression ?? 'zstd', 'fargate-mirror');
      mkdirSync(join(this.options.dir, file.folder), { recursive: true, mode: 0o700 });
      const temporary = join(this.options.dir, file.folder, `.${name}.tmp`);
      // Owner-only: records can hold personal data (URLs, names, addresses).
      writeFileSync(temporary, bytes, { mode: 0o600 });
      renameSync(temporary, path);
      this.stats.files++;
      this.stats.bytes += bytes.length;
      this.options.onFile?.({
        path,
        relativePath,
        className: file.className,
        records: file.records,
        bytes: bytes.length,
      });
    } catch (error) {
      throw new OcsfError('PARQUET_WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
