import { readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { ReceiverConfig } from '../config/receiver-config.js';
import { ReceiverError } from '../errors.js';
import { HecSink } from '../sinks/hec/hec-sink.js';
import { resolveHecToken } from '../sinks/hec/hec-token.js';
import { isTempFileOfWorker, PCAP_PARTIAL_SUFFIX, PCAP_TEMP_SUFFIX } from '../sinks/pcap-file-names.js';
import { PcapRetention } from '../sinks/pcap-retention.js';
import { ensurePrivateDir } from '../sinks/private-dir.js';
import { RecordsFileSink } from '../sinks/records-file-sink.js';
import type { ReceiverOutputs } from './receiver-outputs.js';

/**
 * What the main thread writes to: the records file (one writer for every worker), the Splunk HEC
 * sink, and the pcap directory's retention and recovery (the workers write the pcap files
 * themselves). Each is optional; the getters read zero for one not configured.
 */
export class OutputSinks {
  private readonly config: ReceiverConfig;
  private readonly outputs: ReceiverOutputs;
  private readonly log: Logger;
  private records: RecordsFileSink | undefined;
  private retention: PcapRetention | undefined;
  hec: HecSink | undefined;
  private hecSpoolDir: string | undefined;
  private lastDropLog = 0;

  constructor(config: ReceiverConfig, outputs: ReceiverOutputs, log: Logger) {
    this.config = config;
    this.outputs = outputs;
    this.log = log;
  }

  /** Whether the workers should send their records (to the file, to HEC, or both). */
  get wantsRecords(): boolean {
    return this.outputs.records !== undefined || this.hec !== undefined;
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
      this.retention = new PcapRetention(outputs.pcapDir, config.pcapMaxTotal);
      this.recoverTempFiles();
      log.info({ pcapDir: outputs.pcapDir }, 'writing decapsulated pcap (raw payload: owner-only files)');
    }
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
  write(text: string, count: number): void {
    this.records?.enqueue(text, count);
    this.hec?.writeLines(text);
  }

  /** Keeps the pcap directory within its bound (after a file completes, and on every health check). */
  enforceRetention(): void {
    this.retention?.enforce();
    this.records?.maintain();
  }

  /** SIGHUP: the records file is closed and opened again at its path (after logrotate moved it). */
  async reopen(): Promise<void> {
    await this.records?.reopen();
  }

  /** Flushes and closes, giving HEC `hecDrainMs` to deliver what is spooled. */
  async close(hecDrainMs: number): Promise<void> {
    this.retention?.enforce();
    await this.records?.close();
    await this.hec?.close(hecDrainMs);
  }

  /** Closes without waiting for delivery (a failed start). */
  async abort(): Promise<void> {
    await this.records?.close(1000);
    await this.hec?.close(0);
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
