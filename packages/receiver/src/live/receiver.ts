import { readdirSync, renameSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { formatByteSize } from '../config/byte-size.js';
import type { ReceiverConfig } from '../config/receiver-config.js';
import { ReceiverError } from '../errors.js';
import { diskSpace } from '../health/disk-space.js';
import { startHealthServer } from '../health/health-server.js';
import { HealthState } from '../health/health-state.js';
import { KernelDropMonitor } from '../health/kernel-drops.js';
import { createReceiverMetrics } from '../metrics/receiver-metrics.js';
import { HecSink, type HecSinkStats } from '../sinks/hec/hec-sink.js';
import { resolveHecToken } from '../sinks/hec/hec-token.js';
import { isTempFileOfWorker, PCAP_PARTIAL_SUFFIX, PCAP_TEMP_SUFFIX } from '../sinks/pcap-file-names.js';
import { PcapRetention } from '../sinks/pcap-retention.js';
import { ensurePrivateDir } from '../sinks/private-dir.js';
import { RecordsFileSink } from '../sinks/records-file-sink.js';
import { HandoffRing } from './handoff-ring.js';
import { type ReceiverOutputs, resolveOutputs } from './receiver-outputs.js';
import { type ReceiverTotals, StatsAggregator } from './stats-aggregator.js';
import { claimPort, formatHostPort } from './udp-socket.js';
import type { MainToWorker, ReceiverWorkerData, WorkerToMain } from './worker-protocol.js';
import { emptySlot, type WorkerSlot } from './worker-slot.js';

/** What a started receiver listens on and writes to. */
export interface ReceiverInfo {
  readonly bind: string;
  readonly port: number;
  /** 0 when GENEVE is disabled. */
  readonly genevePort: number;
  readonly healthPort: number;
  readonly workers: number;
  readonly outputs: ReceiverOutputs;
  /** Receive buffer the kernel granted each socket (as getsockopt reports it). */
  readonly recvBufferBytes: number;
  /** Splunk HEC URL records are sent to, when configured. */
  readonly hecUrl?: string;
}

export interface ReceiverSummary {
  readonly totals: ReceiverTotals;
  readonly kernelDrops: number;
  readonly recordsWritten: number;
  readonly recordsDropped: number;
  readonly workerRestarts: number;
  /** Splunk HEC delivery, when configured; `backlogEvents` stay spooled for the next start. */
  readonly hec?: HecSinkStats & { readonly backlogEvents: number };
}

const WORKER_URL = new URL('./worker-main.js', import.meta.url);
const QUICK_DEATH_MS = 30_000;
const STEP_TIMEOUT_MS = 30_000;

/**
 * `fargate-mirror receive`: the main thread of the live receiver. It starts N worker threads (each
 * with its own sockets on the shared ports, its own pipeline and pcap files), writes every worker's
 * records through one writer, serves /healthz and /metrics, restarts dead workers, and shuts down in
 * order: fail health for the drain period, stop reading, hand over and end open flows, flush and close.
 */
export class Receiver {
  readonly config: ReceiverConfig;
  readonly log: Logger;
  readonly health: HealthState;
  private info_: ReceiverInfo | undefined;
  private readonly outputs: ReceiverOutputs;
  private readonly slots: WorkerSlot[];
  private readonly stats: StatsAggregator;
  private records: RecordsFileSink | undefined;
  private hec: HecSink | undefined;
  private hecBackpressureReported = false;
  private retention: PcapRetention | undefined;
  private drops: KernelDropMonitor | undefined;
  private registry: Registry | undefined;
  private server: Server | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private rings: (SharedArrayBuffer | null)[][] = [];
  private port = 0;
  private genevePort = 0;
  private bind: string;
  private recvBufferBytes = 0;
  private workerRestarts = 0;
  private lastPcapErrors = 0;
  private lastHandoffDrops = 0;
  private stopping: Promise<ReceiverSummary> | undefined;
  private shuttingDown = false;
  private startupFailure: ((error: Error) => void) | undefined;

  constructor(config: ReceiverConfig, log?: Logger) {
    this.config = config;
    this.log = log ?? pino({ level: config.logLevel }, pino.destination({ fd: 2, sync: true }));
    this.health = new HealthState(config.health.unhealthyAfter, config.health.healthyAfter);
    this.outputs = resolveOutputs(config);
    this.slots = Array.from({ length: config.workers }, (_, i) => emptySlot(i));
    this.stats = new StatsAggregator(config.workers);
    this.bind = config.bind;
  }

  get info(): ReceiverInfo {
    if (this.info_ === undefined)
      throw new ReceiverError('RECEIVER_NOT_STARTED', 'the receiver has not started');
    return this.info_;
  }

  /** Opens the outputs, claims the ports, starts the workers and the health server. */
  async start(): Promise<ReceiverInfo> {
    const { config, outputs, log } = this;
    try {
      await this.openOutputs();
      await this.claimPorts();
      this.createRings();
      await this.startWorkers();
      this.warnAboutReceiveBuffer();
      this.drops = new KernelDropMonitor(this.genevePort === 0 ? [this.port] : [this.port, this.genevePort]);
      this.drops.poll();
      this.registry = createReceiverMetrics(this.metricsSource());
      const { server, port } = await startHealthServer({
        host: config.healthBind,
        port: config.healthPort,
        state: this.health,
        registry: this.registry,
        crashWorker: config.testing.faultInjection ? (id) => this.crashWorker(id) : undefined,
      });
      this.server = server;
      this.checkTimer = setInterval(() => this.check(), config.health.intervalMs);
      this.info_ = {
        bind: this.bind,
        port: this.port,
        genevePort: this.genevePort,
        healthPort: port,
        workers: config.workers,
        outputs,
        recvBufferBytes: this.recvBufferBytes,
        hecUrl: config.hec.url,
      };
      log.info({ ...this.info_ }, 'receiving');
      return this.info_;
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /**
   * Graceful stop: /healthz fails for `drainSeconds` (the load balancer stops sending), then the
   * workers stop reading, take what other workers handed over, end their open flows, and close their
   * pcap files; the last records are written and the file closed. Idempotent.
   */
  stop(): Promise<ReceiverSummary> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<ReceiverSummary> {
    const { log, config } = this;
    this.health.draining = true;
    log.info({ drainSeconds: config.drainSeconds }, 'draining: /healthz now fails');
    if (config.drainSeconds > 0) await new Promise((r) => setTimeout(r, config.drainSeconds * 1000));
    this.shuttingDown = true;
    for (const slot of this.slots) if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
    await this.eachAliveWorker('stop-reading', (slot, done) => {
      slot.onStoppedReading = done;
    });
    log.info('stopped reading; ending open flows');
    await this.eachAliveWorker('finish', (slot, done) => {
      slot.onFinished = done;
    });
    await Promise.all(this.slots.map((slot) => this.waitForExit(slot)));
    if (this.checkTimer !== undefined) clearInterval(this.checkTimer);
    this.retention?.enforce();
    await this.records?.close();
    await this.hec?.close(config.hec.drainSeconds * 1000);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
    this.drops?.poll();
    return this.summary();
  }

  summary(): ReceiverSummary {
    return {
      totals: this.stats.totals(),
      kernelDrops: this.drops?.total ?? 0,
      recordsWritten: this.records?.stats.recordsWritten ?? 0,
      recordsDropped: this.records?.stats.recordsDropped ?? 0,
      workerRestarts: this.workerRestarts,
      hec: this.hec === undefined ? undefined : { ...this.hec.stats, backlogEvents: this.hec.backlogEvents },
    };
  }

  /** The Splunk HEC sink (undefined when not configured): `healthy`, `backpressure`, `backlogBytes`. */
  get hecSink(): HecSink | undefined {
    return this.hec;
  }

  private async openOutputs(): Promise<void> {
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
          onError: (error) =>
            log.error({ err: error, records: outputs.records }, 'records write failed; retrying'),
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
    this.hec = HecSink.open({
      url: hec.url,
      token: resolveHecToken({ token: hec.token, tokenFile: hec.tokenFile }),
      index: hec.index,
      source: hec.source,
      host: config.dvc,
      spoolDir,
      maxSpoolBytes: hec.maxSpoolBytes,
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

  private async claimPorts(): Promise<void> {
    const { config } = this;
    try {
      this.port = await claimPort(this.bind, config.port, 'VXLAN');
    } catch (error) {
      // A host without IPv6 cannot bind '::': fall back to IPv4 only.
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      if (this.bind !== '::' || (cause?.code !== 'EAFNOSUPPORT' && cause?.code !== 'EADDRNOTAVAIL'))
        throw error;
      this.log.warn('IPv6 is not available: receiving on IPv4 only (0.0.0.0)');
      this.bind = '0.0.0.0';
      this.port = await claimPort(this.bind, config.port, 'VXLAN');
    }
    this.genevePort = config.genevePort === 0 ? 0 : await claimPort(this.bind, config.genevePort, 'GENEVE');
  }

  private createRings(): void {
    const n = this.config.workers;
    // rings[i][j]: worker i hands worker j the packets j owns.
    this.rings = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) =>
        i === j ? null : HandoffRing.create(this.config.handoffRingBytes).buffer,
      ),
    );
  }

  private async startWorkers(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.startupFailure = reject;
      let ready = 0;
      for (const slot of this.slots) {
        this.spawn(slot, () => {
          ready++;
          if (ready === this.slots.length) resolve();
        });
      }
    });
    this.startupFailure = undefined;
  }

  private spawn(slot: WorkerSlot, onReady?: () => void): void {
    const n = this.config.workers;
    const data: ReceiverWorkerData = {
      workerId: slot.id,
      workers: n,
      config: this.config,
      port: this.port,
      genevePort: this.genevePort,
      pcapDir: this.outputs.pcapDir,
      records: this.outputs.records !== undefined || this.hec !== undefined,
      toWorker: this.rings[slot.id],
      fromWorker: this.rings.map((row) => row[slot.id]),
    };
    const worker = new Worker(WORKER_URL, {
      workerData: { ...data, config: { ...this.config, bind: this.bind } },
    });
    slot.worker = worker;
    slot.alive = true;
    slot.ready = false;
    slot.startedAt = Date.now();
    worker.on('message', (message: WorkerToMain) => this.onMessage(slot, message, onReady));
    worker.on('error', (error) => this.log.error({ err: error, worker: slot.id }, 'worker failed'));
    worker.on('exit', (code) => this.onExit(slot, worker, code));
  }

  private onMessage(slot: WorkerSlot, message: WorkerToMain, onReady?: () => void): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.recvBufferBytes = message.recvBufferBytes;
        onReady?.();
        break;
      case 'stats':
        this.stats.update(message.stats);
        break;
      case 'records':
        this.records?.enqueue(message.text, message.count);
        this.hec?.writeLines(message.text);
        break;
      case 'file-complete':
        this.retention?.enforce();
        break;
      case 'stopped-reading':
        slot.onStoppedReading?.();
        break;
      case 'finished':
        slot.onFinished?.();
        break;
      case 'fatal': {
        const error = new ReceiverError(message.code, message.message);
        this.log.error({ worker: slot.id, code: message.code }, message.message);
        if (this.startupFailure !== undefined) this.startupFailure(error);
        break;
      }
    }
  }

  private onExit(slot: WorkerSlot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.alive = false;
    slot.worker = undefined;
    const exit = slot.onExit;
    slot.onStoppedReading?.();
    slot.onFinished?.();
    exit?.();
    if (this.shuttingDown || this.startupFailure !== undefined) {
      if (this.startupFailure !== undefined && !slot.ready) {
        this.startupFailure(
          new ReceiverError(
            'RECEIVER_WORKER_FAILED',
            `worker ${slot.id} exited with code ${code} while starting`,
          ),
        );
      }
      return;
    }
    // Died while running: keep its counts, make its partial pcap visible, start a new one.
    this.stats.retire(slot.id);
    this.recoverTempFiles(slot.id);
    this.workerRestarts++;
    slot.quickDeaths = Date.now() - slot.startedAt < QUICK_DEATH_MS ? slot.quickDeaths + 1 : 0;
    const delay = Math.min(10_000, 200 * 2 ** Math.min(slot.quickDeaths, 6));
    this.log.error(
      { worker: slot.id, code, restartInMs: delay },
      'worker died; restarting it (its open flows are lost)',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.shuttingDown) this.spawn(slot);
    }, delay);
  }

  private crashWorker(id: number): boolean {
    const slot = this.slots[id];
    if (slot?.worker === undefined || !slot.alive) return false;
    this.log.warn({ worker: id }, 'fault injection: terminating worker');
    void slot.worker.terminate();
    return true;
  }

  /** Sends `type` to every live worker and waits until each answers (or exits). */
  private async eachAliveWorker(
    type: MainToWorker['type'],
    arm: (slot: WorkerSlot, done: () => void) => void,
  ): Promise<void> {
    await Promise.all(
      this.slots
        .filter((slot) => slot.alive && slot.worker !== undefined)
        .map(
          (slot) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                this.log.error({ worker: slot.id, step: type }, 'worker did not answer in time');
                resolve();
              }, STEP_TIMEOUT_MS);
              arm(slot, () => {
                clearTimeout(timer);
                resolve();
              });
              slot.worker?.postMessage({ type } satisfies MainToWorker);
            }),
        ),
    );
  }

  private waitForExit(slot: WorkerSlot): Promise<void> {
    const worker = slot.worker;
    if (worker === undefined || !slot.alive) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        void worker.terminate();
      }, 5000);
      slot.onExit = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async abort(): Promise<void> {
    this.shuttingDown = true;
    if (this.checkTimer !== undefined) clearInterval(this.checkTimer);
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
    await this.records?.close(1000);
    await this.hec?.close(0);
    this.server?.close();
  }

  /** Renames the `.pcap.tmp` files of a dead worker (or of an earlier run) to `.partial.pcap`. */
  private recoverTempFiles(workerId?: number): void {
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

  private warnAboutReceiveBuffer(): void {
    const wanted = this.config.recvBuffer;
    // Linux doubles the size asked for (the extra half is its own bookkeeping) and reports the doubled
    // value; the usable part is half of it, capped at net.core.rmem_max.
    const granted = this.recvBufferBytes;
    const usable = process.platform === 'linux' ? Math.floor(granted / 2) : granted;
    if (usable < wanted) {
      this.log.warn(
        { requested: wanted, granted: usable },
        `receive buffer is ${formatByteSize(usable)}, less than the ${formatByteSize(wanted)} asked for: the kernel caps it at ` +
          `net.core.rmem_max; raise it (sysctl -w net.core.rmem_max=${wanted}) or bursts will be dropped`,
      );
    }
  }

  /** One health check: every problem found now; the hysteresis decides what /healthz says. */
  private check(): void {
    const { config, health, log } = this;
    const problems: string[] = [];
    const newDrops = this.drops?.poll() ?? 0;
    if (newDrops > 0) {
      problems.push(`kernel dropped ${newDrops} datagrams on the receive sockets (receive buffer full)`);
    }
    const backlog = this.records?.backlogBytes ?? 0;
    if (backlog > config.health.recordsBacklogLimit) {
      problems.push(
        `records sink cannot keep up: ${formatByteSize(backlog)} waiting, limit ${formatByteSize(config.health.recordsBacklogLimit)}`,
      );
    }
    const hec = this.hec;
    if (hec !== undefined) {
      // Stage 1 of a Splunk outage: back-pressure, reported; stage 2: unhealthy (spool nearly full).
      if (hec.backpressure !== this.hecBackpressureReported) {
        this.hecBackpressureReported = hec.backpressure;
        if (hec.backpressure)
          log.warn(
            { backlogBytes: hec.backlogBytes, problem: hec.problem },
            'HEC back-pressure: the spool is filling',
          );
      }
      if (!hec.healthy) {
        problems.push(
          `Splunk HEC spool nearly full: ${formatByteSize(hec.spoolBytes)} waiting (${hec.problem ?? 'delivery too slow'})`,
        );
      }
    }
    const dirs = [
      this.outputs.pcapDir,
      this.outputs.records && this.outputs.records !== '-' ? dirname(this.outputs.records) : undefined,
    ];
    for (const dir of dirs) {
      if (dir === undefined) continue;
      const space = diskSpace(dir);
      if (space !== undefined && space.freePercent < config.health.minDiskFreePercent) {
        problems.push(`disk nearly full at ${dir}: ${space.freePercent.toFixed(1)}% free`);
      }
    }
    const dead = this.slots.filter((s) => !s.alive || !s.ready).length;
    if (dead > 0) problems.push(`${dead} of ${this.slots.length} workers not running`);
    const totals = this.stats.totals();
    if (totals.pcapErrors > this.lastPcapErrors) problems.push('pcap sink write errors');
    this.lastPcapErrors = totals.pcapErrors;
    if (totals.handoffDrops > this.lastHandoffDrops)
      problems.push('handoff ring full: datagrams lost between workers');
    this.lastHandoffDrops = totals.handoffDrops;
    const wasHealthy = health.healthy;
    health.report(problems);
    if (wasHealthy && !health.healthy) log.warn({ problems }, 'unhealthy');
    if (!wasHealthy && health.healthy) log.warn('healthy again');
    this.retention?.enforce();
  }

  private metricsSource() {
    const self = this;
    return {
      totals: () => self.stats.totals(),
      get kernelDrops() {
        return self.drops?.total ?? 0;
      },
      get recvBufferBytes() {
        return self.recvBufferBytes;
      },
      get recordsBacklogBytes() {
        return self.records?.backlogBytes ?? 0;
      },
      get recordsWritten() {
        return self.records?.stats.recordsWritten ?? 0;
      },
      get recordsDropped() {
        return self.records?.stats.recordsDropped ?? 0;
      },
      get recordsErrors() {
        return self.records?.stats.errors ?? 0;
      },
      get pcapFilesRemoved() {
        return self.retention?.removedTotal ?? 0;
      },
      get pcapDirBytes() {
        return self.retention?.lastTotalBytes ?? 0;
      },
      get workerRestarts() {
        return self.workerRestarts;
      },
      get workersAlive() {
        return self.slots.filter((s) => s.alive).length;
      },
      get healthy() {
        return self.health.serving;
      },
      hec: self.hec,
    };
  }
}

export { formatHostPort };
