import type { MirrorRecord } from '@fargate-mirror/analysis';
import type { CompletedParquetFile, OcsfParquetSink } from '@fargate-mirror/ocsf';
import type { Logger } from 'pino';
import type { ReceiverConfig } from '../../config/receiver-config.js';
import { ReceiverError } from '../../errors.js';
import type { PcapFileIndex } from './pcap-file-index.js';

export interface OcsfRecordsOutputOptions {
  readonly config: NonNullable<ReceiverConfig['ocsf']>;
  readonly productVersion: string;
  /** Where a pcap file of the given name is (an s3:// URI, or a local path): `unmapped.pcap_files`. */
  readonly pcapLocation?: (name: string) => string;
  readonly pcapFiles?: PcapFileIndex;
  /** Whether pcap series are per VNI (a record's files are then those of its VNI). */
  readonly pcapPerVni: boolean;
  readonly onFile: (file: CompletedParquetFile) => void;
  readonly log: Logger;
}

/**
 * `receive`'s OCSF Parquet output, on the main thread: the workers' JSON Lines batches are parsed back
 * into records (the workers stay free of Arrow and WebAssembly), each annotated with the pcap files
 * holding its packets, and written by the ocsf package's OcsfParquetSink. Windows are written once
 * they are over plus `graceSeconds` (`roll`, on the health timer); `close` writes the rest.
 */
export class OcsfRecordsOutput {
  private constructor(
    private readonly sink: OcsfParquetSink,
    private readonly options: OcsfRecordsOutputOptions,
  ) {}

  /** Loads the writer (WebAssembly) only when OCSF is configured. */
  static async open(options: OcsfRecordsOutputOptions): Promise<OcsfRecordsOutput> {
    let ocsf: typeof import('@fargate-mirror/ocsf');
    try {
      ocsf = await import('@fargate-mirror/ocsf');
    } catch (error) {
      throw new ReceiverError(
        'RECEIVER_OUTPUT_FAILED',
        `ocsf: the OCSF Parquet writer cannot be loaded in this build: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const c = options.config;
    const sink = new ocsf.OcsfParquetSink({
      dir: c.dir,
      productVersion: options.productVersion,
      region: c.region ?? process.env.AWS_REGION,
      accountId: c.accountId,
      windowSeconds: c.windowSeconds,
      maxFileBytes: c.rotateBytes,
      rowGroupRecords: c.rowGroupRecords,
      onFile: options.onFile,
    });
    return new OcsfRecordsOutput(sink, options);
  }

  get stats(): OcsfParquetSink['stats'] {
    return this.sink.stats;
  }

  get pendingRecords(): number {
    return this.sink.pendingRecords;
  }

  /** One batch of a worker's JSON Lines. */
  write(text: string, worker: number): void {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start) this.writeLine(text.slice(start, end), worker);
      start = end + 1;
    }
  }

  /** Writes the windows that ended more than graceSeconds ago. */
  roll(now = Date.now()): void {
    this.guard(() => this.sink.rollWindowsBefore(now - this.options.config.graceSeconds * 1000));
  }

  close(): void {
    this.guard(() => this.sink.close());
  }

  private writeLine(line: string, worker: number): void {
    let record: MirrorRecord;
    try {
      record = JSON.parse(line) as MirrorRecord;
    } catch (error) {
      this.sink.stats.failed++;
      this.sink.stats.lastError = `a record line is not JSON: ${(error as Error).message}`;
      return;
    }
    // The worker names the file of the flow's first packet; the lake says where that file is.
    const location = this.options.pcapLocation;
    if (record.pcap_file !== undefined && location !== undefined)
      record.pcap_file = location(record.pcap_file);
    this.guard(() => this.sink.write(record, this.pcapFields(record, worker)));
  }

  private pcapFields(record: MirrorRecord, worker: number): Record<string, string> | undefined {
    const { pcapFiles, pcapLocation } = this.options;
    if (pcapFiles === undefined || pcapLocation === undefined) return undefined;
    const time = Date.parse(record.time);
    const start = record.type === 'flow' ? Date.parse(record.start_time) : time;
    const end = record.type === 'flow' ? Date.parse(record.end_time) : time;
    const names = pcapFiles.filesOf(worker, this.options.pcapPerVni ? record.vni : undefined, start, end);
    if (names.length === 0) return undefined;
    return { pcap_files: JSON.stringify(names.map(pcapLocation)) };
  }

  /**
   * A file that cannot be written (disk full) is held by the sink and written at the next roll; the
   * error says whether its records are held or lost. Logged, counted, and the rest goes on.
   */
  private guard(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.sink.stats.lastError = (error as Error).message;
      this.options.log.error({ err: error }, 'OCSF Parquet file not written');
    }
  }
}
