import { readdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { ReceiverConfig } from '../config/receiver-config.js';
import { ReceiverError } from '../errors.js';
import { HecSink } from '../sinks/hec/hec-sink.js';
import { resolveHecToken } from '../sinks/hec/hec-token.js';
import { OcsfRecordsOutput } from '../sinks/ocsf/ocsf-records-output.js';
import { PcapFileIndex } from '../sinks/ocsf/pcap-file-index.js';
import {
  isTempFileOfWorker,
  PCAP_PARTIAL_SUFFIX,
  PCAP_SUFFIX,
  PCAP_TEMP_SUFFIX,
} from '../sinks/pcap-file-names.js';
import { PcapRetention } from '../sinks/pcap-retention.js';
import { ensurePrivateDir } from '../sinks/private-dir.js';
import { RecordsFileSink } from '../sinks/records-file-sink.js';
import { S3Delivery } from '../sinks/s3/s3-delivery.js';
import type { SpoolSource } from '../sinks/s3/s3-spool.js';
import type { ReceiverOutputs } from './receiver-outputs.js';

/**
 * What the main thread writes to: the records file (one writer for every worker), the Splunk HEC
 * sink, OCSF Parquet, S3 delivery of completed pcap and Parquet files, and the pcap directory's
 * retention and recovery (the workers write the pcap files themselves). Each is optional; the
 * getters read zero for one not configured.
 */
export class OutputSinks {
  private readonly config: ReceiverConfig;
  private readonly outputs: ReceiverOutputs;
  private readonly log: Logger;
  private records: RecordsFileSink | undefined;
  private retention: PcapRetention | undefined;
  hec: HecSink | undefined;
  ocsf: OcsfRecordsOutput | undefined;
  s3: S3Delivery | undefined;
  private readonly pcapFiles = new PcapFileIndex();
  private readonly productVersion: string;
  private hecSpoolDir: string | undefined;
  private lastDropLog = 0;

  constructor(config: ReceiverConfig, outputs: ReceiverOutputs, log: Logger, productVersion = 'unknown') {
    this.config = config;
    this.outputs = outputs;
    this.log = log;
    this.productVersion = productVersion;
  }

  /** Whether the workers should send their records (to the file, to HEC, to OCSF). */
  get wantsRecords(): boolean {
    return this.outputs.records !== undefined || this.hec !== undefined || this.config.ocsf !== undefined;
  }

  async open(): Promise<void> {
    const { outputs, log, config } = this;
    if (outputs.defaulted) ensurePrivateDir(config.outDir);
    this.openHec();
    if (outputs.pcapDir !== undefined) {
      const dir = ensurePrivateDir(outputs.pcapDir);
      if (dir.openToOthers) {
        log.warn(
          { pcapDir: outputs.pcapDir },
          'the pcap directory is readable by others: pcap files hold raw payload',
        );
      }
      this.retention = new PcapRetention(
        outputs.pcapDir,
        config.pcapMaxTotal,
        (path) => this.s3?.isPending(path) === true,
      );
      this.recoverTempFiles();
      log.info({ pcapDir: outputs.pcapDir }, 'writing decapsulated pcap (raw payload: owner-only files)');
    }
    await this.openS3();
    await this.openOcsf();
    this.s3?.start();
    if (outputs.records !== undefined) {
      if (outputs.records !== '-') ensurePrivateDir(dirname(outputs.records));
      try {
        this.records = await RecordsFileSink.open(outputs.records, {
          maxBacklogBytes: config.recordsMaxBacklog,
          rotation: config.recordsRotation.enabled
            ? {
                rotateBytes: config.recordsRotation.rotateBytes,
                rotateMs: config.recordsRotation.rotateSeconds * 1000,
                maxTotalBytes: config.recordsRotation.maxTotal,
              }
            : undefined,
          onRotate: (path, bytes) => log.info({ path, bytes }, 'records file completed'),
          onError: (error) =>
            log.error({ err: error, records: outputs.records }, 'records write failed; retrying'),
          onDrop: (dropped, total) => {
            // One line per 10 s at most: a full disk drops on every batch.
            const now = Date.now();
            if (now - this.lastDropLog < 10_000) return;
            this.lastDropLog = now;
            log.error(
              { dropped, recordsDroppedTotal: total, records: outputs.records },
              'records backlog full (the records file cannot keep up or its disk is full): dropped the oldest records',
            );
          },
        });
      } catch (error) {
        throw new ReceiverError(
          'RECEIVER_OUTPUT_FAILED',
          `cannot open records file ${outputs.records}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
  }

  /** S3 delivery: its sources are the pcap folder and the OCSF folder, each the spool of its files. */
  private async openS3(): Promise<void> {
    const { config, outputs, log } = this;
    const s3 = config.s3;
    if (s3 === undefined) return;
    const sources: SpoolSource[] = [];
    if (s3.uploadPcap && outputs.pcapDir !== undefined)
      sources.push({
        kind: 'pcap',
        dir: outputs.pcapDir,
        keyOf: (rel) => `${s3.prefix}pcap/${rel}`,
        isComplete: (name) => name.endsWith(PCAP_SUFFIX),
      });
    if (s3.uploadOcsf && config.ocsf !== undefined)
      sources.push({
        kind: 'ocsf',
        dir: config.ocsf.dir,
        keyOf: (rel) => `${s3.prefix}ocsf/${rel}`,
        isComplete: (name) => name.endsWith('.parquet'),
      });
    // The journal of kept files (deleteAfterUpload false) lives in outDir.
    if (!s3.deleteAfterUpload) ensurePrivateDir(config.outDir);
    this.s3 = await S3Delivery.open(s3, sources, config.outDir, log);
    log.info(
      { bucket: s3.bucket, prefix: s3.prefix, endpoint: s3.endpoint, sources: sources.map((s) => s.kind) },
      'delivering completed files to S3',
    );
  }

  private async openOcsf(): Promise<void> {
    const { config, log, outputs } = this;
    const ocsf = config.ocsf;
    if (ocsf === undefined) return;
    ensurePrivateDir(ocsf.dir);
    const s3 = this.s3;
    const pcapSource = config.s3?.uploadPcap && outputs.pcapDir !== undefined;
    this.ocsf = await OcsfRecordsOutput.open({
      config: ocsf,
      productVersion: this.productVersion,
      pcapFiles: outputs.pcapDir === undefined ? undefined : this.pcapFiles,
      pcapLocation:
        outputs.pcapDir === undefined
          ? undefined
          : (name) =>
              s3 !== undefined && pcapSource
                ? `s3://${config.s3?.bucket}/${config.s3?.prefix}pcap/${name}`
                : join(outputs.pcapDir as string, name),
      pcapPerVni: config.pcapPerVni,
      onFile: (file) => {
        log.info(
          { path: file.path, records: file.records, bytes: file.bytes },
          'OCSF Parquet file completed',
        );
        if (config.s3?.uploadOcsf) s3?.offer('ocsf', file.path, file.relativePath, file.bytes);
      },
      log,
    });
    log.info({ dir: ocsf.dir }, 'writing OCSF Parquet');
  }

  private openHec(): void {
    const { config, log } = this;
    const hec = config.hec;
    if (hec.url === undefined) return;
    const spoolDir = hec.spoolDir ?? join(config.outDir, 'hec-spool');
    this.hecSpoolDir = spoolDir;
    warnIfOpenToOthers(log, spoolDir, 'the HEC spool directory', 'spooled events hold traffic metadata');
    if (hec.tokenFile !== undefined)
      warnIfOpenToOthers(
        log,
        hec.tokenFile,
        'the HEC token file',
        'anyone who reads it can send to your Splunk',
      );
    this.hec = HecSink.open({
      url: hec.url,
      token: resolveHecToken({ token: hec.token, tokenFile: hec.tokenFile }),
      index: hec.index,
      source: hec.source,
      host: config.dvc,
      spoolDir,
      maxSpoolBytes: hec.maxSpoolBytes,
      maxMemoryBytes: hec.maxMemoryBytes,
      spoolReserveBytes: hec.spoolReserveBytes,
      maxBatchBytes: hec.maxBatchBytes,
      flushMs: hec.flushMs,
      ack: hec.ack,
      ackPollMs: hec.ackPollMs,
      ackTimeoutMs: hec.ackTimeoutSeconds * 1000,
      retryBaseMs: hec.retryBaseMs,
      retryMaxMs: hec.retryMaxMs,
      permanentRetryMs: hec.permanentRetryMs,
      requestTimeoutMs: hec.requestTimeoutMs,
      backpressureRatio: hec.backpressureRatio,
      unhealthyRatio: hec.unhealthyRatio,
      log,
    });
    log.info({ url: hec.url, spoolDir, ack: hec.ack }, 'sending records to Splunk HEC');
  }

  /** A batch of JSON Lines from a worker. */
  write(text: string, count: number, workerId: number): void {
    this.records?.enqueue(text, count);
    this.hec?.writeLines(text);
    this.ocsf?.write(text, workerId);
  }

  pcapOpened(path: string, openedAt: number, vni: number, workerId: number): void {
    this.pcapFiles.opened(workerId, basename(path), openedAt, vni);
  }

  pcapCompleted(path: string, bytes: number, workerId: number): void {
    this.pcapFiles.completed(workerId, basename(path), Date.now());
    if (this.config.s3?.uploadPcap) this.s3?.offer('pcap', path, basename(path), bytes);
    this.enforceRetention();
  }

  /**
   * Keeps the pcap directory within its bound (after a file completes, and on every health check), and
   * writes the OCSF windows that are over.
   */
  enforceRetention(): void {
    this.retention?.enforce();
    this.records?.maintain();
    this.ocsf?.roll();
  }

  /** SIGHUP: the records file is closed and opened again at its path (after logrotate moved it). */
  async reopen(): Promise<void> {
    await this.records?.reopen();
  }

  /** Flushes and closes, giving HEC `hecDrainMs` and S3 its drainSeconds to deliver what is spooled. */
  async close(hecDrainMs: number): Promise<void> {
    this.retention?.enforce();
    await this.records?.close();
    this.ocsf?.close();
    await Promise.all([
      this.hec?.close(hecDrainMs),
      this.s3?.close((this.config.s3?.drainSeconds ?? 0) * 1000),
    ]);
  }

  /** Closes without waiting for delivery (a failed start). */
  async abort(): Promise<void> {
    await this.records?.close(1000);
    await this.hec?.close(0);
    await this.s3?.close(0);
  }

  /** Renames the `.pcap.tmp` files of a dead worker (or of an earlier run) to `.partial.pcap`. */
  recoverTempFiles(workerId?: number): void {
    const dir = this.outputs.pcapDir;
    if (dir === undefined) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const ours =
        workerId === undefined ? name.endsWith(PCAP_TEMP_SUFFIX) : isTempFileOfWorker(name, workerId);
      if (!ours) continue;
      try {
        renameSync(join(dir, name), join(dir, name.slice(0, -PCAP_TEMP_SUFFIX.length) + PCAP_PARTIAL_SUFFIX));
      } catch {
        // gone meanwhile
      }
    }
  }

  /** Directories the outputs write to, for the disk-space check. */
  get dirs(): string[] {
    const { pcapDir, records } = this.outputs;
    const out: string[] = [];
    if (pcapDir !== undefined) out.push(pcapDir);
    if (records !== undefined && records !== '-') out.push(dirname(records));
    if (this.hecSpoolDir !== undefined) out.push(this.hecSpoolDir);
    if (this.config.ocsf !== undefined) out.push(this.config.ocsf.dir);
    return out;
  }

  get recordsBacklogBytes(): number {
    return this.records?.backlogBytes ?? 0;
  }

  get recordsWritten(): number {
    return this.records?.stats.recordsWritten ?? 0;
  }

  get recordsDropped(): number {
    return this.records?.stats.recordsDropped ?? 0;
  }

  get recordsErrors(): number {
    return this.records?.stats.errors ?? 0;
  }

  get recordsFilesCompleted(): number {
    return this.records?.stats.filesCompleted ?? 0;
  }

  get recordsFilesRemoved(): number {
    return this.records?.filesRemoved ?? 0;
  }

  get recordsDirBytes(): number {
    return this.records?.seriesBytes ?? 0;
  }

  get pcapFilesRemoved(): number {
    return this.retention?.removedTotal ?? 0;
  }

  get pcapDirBytes(): number {
    return this.retention?.lastTotalBytes ?? 0;
  }
}

/** One warning when an existing file or directory holding secrets or traffic can be read by group or others. */
function warnIfOpenToOthers(log: Logger, path: string, what: string, why: string): void {
  let mode: number;
  try {
    mode = Number(statSync(path).mode) & 0o777;
  } catch {
    return; // not there yet: it is created owner-only, or reported missing elsewhere
  }
  if ((mode & 0o077) === 0) return;
  log.warn(
    { path, mode: mode.toString(8).padStart(4, '0') },
    `${what} is readable by others (mode ${mode.toString(8).padStart(4, '0')}): ${why}; chmod ${what.endsWith('directory') ? '700' : '600'} it`,
  );
}
