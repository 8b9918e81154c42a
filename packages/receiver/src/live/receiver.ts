import type { Server } from 'node:http';
import pino, { type Logger } from 'pino';
import { formatByteSize } from '../config/byte-size.js';
import type { ReceiverConfig } from '../config/receiver-config.js';
import { ReceiverError } from '../errors.js';
import { diskSpace } from '../health/disk-space.js';
import { HealthCheck } from '../health/health-check.js';
import { startHealthServer } from '../health/health-server.js';
import { HealthState } from '../health/health-state.js';
import { KernelDropMonitor } from '../health/kernel-drops.js';
import { instanceName } from '../identity/instance-name.js';
import { EmfReporter } from '../metrics/emf-reporter.js';
import { createReceiverMetrics, type ReceiverMetricsSource } from '../metrics/receiver-metrics.js';
import type { HecSink, HecSinkStats } from '../sinks/hec/hec-sink.js';
import { ReceiverUi } from '../ui/receiver-ui.js';
import { type Intake, resolveIntake } from './native-intake.js';
import { OutputSinks } from './output-sinks.js';
import { type ReceiverOutputs, resolveOutputs } from './receiver-outputs.js';
import { type ReceiverTotals, StatsAggregator } from './stats-aggregator.js';
import { claimPort, formatHostPort } from './udp-socket.js';
import { WorkerSupervisor } from './worker-supervisor.js';

/** What a started receiver listens on and writes to. */
export interface ReceiverInfo {
  readonly bind: string;
  readonly port: number;
  /** 0 when GENEVE is disabled. */
  readonly genevePort: number;
  readonly healthPort: number;
  readonly workers: number;
  /** How the workers read their sockets (`--intake`, resolved). */
  readonly intake: Intake;
  /** The interface the afpacket intake captures on. */
  readonly captureInterface?: string;
  readonly outputs: ReceiverOutputs;
  /** Receive buffer the kernel granted each socket (as getsockopt reports it); afpacket: the ring's bytes. */
  readonly recvBufferBytes: number;
  /** Splunk HEC URL records are sent to, when configured. */
  readonly hecUrl?: string;
  /** The live page, when `ui` is on. */
  readonly uiUrl?: string;
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

/**
 * `fargate-mirror receive`: the main thread of the live receiver. It starts N worker threads (each
 * with its own sockets on the shared ports, its own pipeline and pcap files), writes every worker's
 * records through one writer, serves /healthz and /metrics, restarts dead workers, and shuts down in
 * order: fail health for the drain period, stop reading, hand over and end open flows, flush and close.
 * The parts: WorkerSupervisor (threads), OutputSinks (records, HEC, pcap retention), HealthCheck.
 */
export class Receiver {
  readonly config: ReceiverConfig;
  readonly log: Logger;
  readonly health: HealthState;
  private info_: ReceiverInfo | undefined;
  private readonly outputs: ReceiverOutputs;
  private readonly stats: StatsAggregator;
  private readonly sinks: OutputSinks;
  private readonly workers: WorkerSupervisor;
  private drops: KernelDropMonitor | undefined;
  private ui: ReceiverUi | undefined;
  private server: Server | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private emf: EmfReporter | undefined;
  private port = 0;
  private genevePort = 0;
  private bind: string;
  private stopping: Promise<ReceiverSummary> | undefined;

  /** `productVersion`: the fargate-mirror release, in OCSF records' metadata.product.version. */
  constructor(config: ReceiverConfig, log?: Logger, productVersion?: string) {
    this.config = config;
    this.log = log ?? pino({ level: config.logLevel }, pino.destination({ fd: 2, sync: true }));
    this.health = new HealthState(config.health.unhealthyAfter, config.health.healthyAfter);
    this.outputs = resolveOutputs(config);
    this.stats = new StatsAggregator(config.workers);
    this.sinks = new OutputSinks(config, this.outputs, this.log, productVersion);
    this.workers = new WorkerSupervisor(config, this.log, {
      stats: (snapshot) => this.stats.update(snapshot),
      records: (text, count, workerId) => {
        this.sinks.write(text, count, workerId);
        this.ui?.records(text);
      },
      fileOpen: (path, openedAt, vni, workerId) => this.sinks.pcapOpened(path, openedAt, vni, workerId),
      fileComplete: (path, bytes, workerId) => this.sinks.pcapCompleted(path, bytes, workerId),
      died: (id) => {
        this.stats.retire(id);
        this.sinks.recoverTempFiles(id);
      },
    });
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
      if (config.dvcFromInstance && config.dvc === undefined) {
        const { name, source } = await instanceName();
        // Set before the sinks and workers read it: the one place records get their dvc from.
        config.dvc = name;
        log.info({ dvc: name, source }, 'records name this host');
      }
      await this.sinks.open();
      this.ui = ReceiverUi.create(config, this.metricsSource(), log);
      const { intake, fallbackReason } = resolveIntake(config.intake);
      if (fallbackReason !== undefined)
        log.warn(
          { reason: fallbackReason },
          'native intake unavailable: reading with the JavaScript intake (dgram)',
        );
      await this.claimPorts();
      const ports = { bind: this.bind, port: this.port, genevePort: this.genevePort, intake };
      await this.workers.start(ports, outputs.pcapDir, this.sinks.wantsRecords || this.ui !== undefined);
      // The afpacket intake's sockets drop everything by design; its ring is allocated in full.
      if (intake !== 'afpacket') this.warnAboutReceiveBuffer();
      const mirrorPorts = this.genevePort === 0 ? [this.port] : [this.port, this.genevePort];
      this.drops =
        intake === 'afpacket'
          ? new KernelDropMonitor([], () => this.stats.totals().ringDrops)
          : new KernelDropMonitor(mirrorPorts);
      this.drops.poll();
      const { server, port } = await startHealthServer({
        host: config.healthBind,
        port: config.healthPort,
        state: this.health,
        registry: createReceiverMetrics(this.metricsSource()),
        crashWorker: config.testing.faultInjection ? (id) => this.workers.crash(id) : undefined,
        routes: this.ui?.routes,
      });
      this.server = server;
      const uiUrl = await this.ui?.start(port);
      const check = this.healthCheck();
      this.checkTimer = setInterval(() => check.check(), config.health.intervalMs);
      this.info_ = {
        bind: this.bind,
        port: this.port,
        genevePort: this.genevePort,
        healthPort: port,
        workers: config.workers,
        intake,
        captureInterface: intake === 'afpacket' ? config.captureInterface : undefined,
        outputs,
        recvBufferBytes: this.workers.recvBufferBytes,
        hecUrl: config.hec.url,
        uiUrl,
      };
      this.startEmf();
      log.info({ ...this.info_ }, 'receiving');
      if (config.allowSources !== undefined)
        log.info(
          { allowSources: config.allowSources },
          'accepting mirrored datagrams only from allowSources',
        );
      return this.info_;
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /**
   * Graceful stop: /healthz fails for `drainSeconds` (the load balancer stops sending), then the
   * workers read what their sockets still hold and stop reading, the kernel's drops are read, and the
   * workers close their sockets, take what other workers handed over, end their open flows, and close
   * their pcap files; the last records are written and the file closed. Idempotent.
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
    // The kernel's drops up to the last read, while the sockets that hold the counts are still open.
    await this.workers.stop(() => this.drops?.poll());
    if (this.checkTimer !== undefined) clearInterval(this.checkTimer);
    await this.sinks.close(config.hec.drainSeconds * 1000);
    this.drops?.poll();
    this.emf?.stop();
    await this.ui?.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
    this.drops?.poll();
    return this.summary();
  }

  summary(): ReceiverSummary {
    const hec = this.sinks.hec;
    return {
      totals: this.stats.totals(),
      kernelDrops: this.drops?.total ?? 0,
      recordsWritten: this.sinks.recordsWritten,
      recordsDropped: this.sinks.recordsDropped,
      workerRestarts: this.workers.restarts,
      hec: hec === undefined ? undefined : { ...hec.stats, backlogEvents: hec.backlogEvents },
    };
  }

  /**
   * Closes and reopens the records file at its path (what `receive` does on SIGHUP), so an outside
   * log rotation that moved the file away gets a new one. Resolves once it is open.
   */
  reopenOutputs(): Promise<void> {
    this.log.info('reopening the records file');
    return this.sinks.reopen();
  }

  /** The Splunk HEC sink (undefined when not configured): `healthy`, `backpressure`, `backlogBytes`. */
  get hecSink(): HecSink | undefined {
    return this.sinks.hec;
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

  private startEmf(): void {
    const cw = this.config.cloudwatch;
    if (cw.emfFile === undefined) return;
    const { sinks, stats, health, config } = this;
    const drops = () => this.drops;
    this.emf = new EmfReporter({
      path: cw.emfFile,
      namespace: cw.namespace,
      fleet: cw.fleet,
      instance: config.dvc ?? 'fargate-mirror',
      intervalMs: cw.intervalSeconds * 1000,
      onError: (error) =>
        this.log.warn({ err: error, emfFile: cw.emfFile }, 'cannot write CloudWatch EMF line'),
      source: {
        get kernelDrops() {
          return drops()?.total ?? 0;
        },
        get datagrams() {
          return stats.totals().datagrams;
        },
        get recordsWritten() {
          return sinks.recordsWritten;
        },
        get recordsDropped() {
          return sinks.recordsDropped + (sinks.hec?.stats.eventsDropped ?? 0);
        },
        get hecSpoolUsedPercent() {
          const hec = sinks.hec;
          return hec === undefined ? 0 : (hec.spoolBytes / config.hec.maxSpoolBytes) * 100;
        },
        get diskUsedPercent() {
          let used = 0;
          for (const dir of sinks.dirs) {
            const space = diskSpace(dir);
            if (space !== undefined) used = Math.max(used, 100 - space.freePercent);
          }
          return used;
        },
        get healthy() {
          return health.serving;
        },
      },
    });
    this.emf.start();
  }

  private async abort(): Promise<void> {
    this.emf?.stop();
    if (this.checkTimer !== undefined) clearInterval(this.checkTimer);
    await this.workers.terminate();
    await this.sinks.abort();
    await this.ui?.close();
    this.server?.close();
  }

  private warnAboutReceiveBuffer(): void {
    const wanted = this.config.recvBuffer;
    // Linux doubles the size asked for (the extra half is its own bookkeeping) and reports the doubled
    // value; the usable part is half of it, capped at net.core.rmem_max unless the native intake could
    // force it (CAP_NET_ADMIN).
    const granted = this.workers.recvBufferBytes;
    const usable = process.platform === 'linux' ? Math.floor(granted / 2) : granted;
    if (usable < wanted) {
      this.log.warn(
        { requested: wanted, granted: usable },
        `receive buffer is ${formatByteSize(usable)}, less than the ${formatByteSize(wanted)} asked for: the kernel caps it at ` +
          `net.core.rmem_max; raise it (sysctl -w net.core.rmem_max=${wanted}) or give the receiver CAP_NET_ADMIN ` +
          '(the native intake then goes past it), or bursts will be dropped',
      );
    }
  }

  private healthCheck(): HealthCheck {
    const { sinks, workers, stats } = this;
    return new HealthCheck(this.config, this.health, this.log, {
      pollKernelDrops: () => this.drops?.poll() ?? 0,
      get recordsBacklogBytes() {
        return sinks.recordsBacklogBytes;
      },
      hec: sinks.hec,
      s3: sinks.s3,
      ocsf: sinks.ocsf,
      outputDirs: sinks.dirs,
      workers: workers.count,
      get workersNotRunning() {
        return workers.notRunning;
      },
      totals: () => stats.totals(),
      afterCheck: () => sinks.enforceRetention(),
    });
  }

  private metricsSource(): ReceiverMetricsSource {
    const { sinks, workers, stats, health } = this;
    const drops = () => this.drops;
    return {
      totals: () => stats.totals(),
      get kernelDrops() {
        return drops()?.total ?? 0;
      },
      get healthy() {
        return health.serving;
      },
      sinks,
      workers,
      hec: sinks.hec,
      s3: sinks.s3,
      ocsf: sinks.ocsf,
    };
  }
}

export { formatHostPort };
