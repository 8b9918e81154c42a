import type { Logger } from 'pino';
import { formatByteSize } from '../config/byte-size.js';
import type { ReceiverConfig } from '../config/receiver-config.js';
import { diskSpace } from './disk-space.js';
import type { HealthState } from './health-state.js';

/** What one health check looks at; the receiver's parts fit. */
export interface HealthCheckSources {
  /** New kernel drops since the last poll. */
  pollKernelDrops(): number;
  readonly recordsBacklogBytes: number;
  readonly hec?: {
    readonly backpressure: boolean;
    readonly healthy: boolean;
    readonly backlogBytes: number;
    readonly spoolBytes: number;
    readonly problem: string | undefined;
    /** The spool directory refuses writes (disk full), in words. */
    readonly spoolProblem: string | undefined;
  };
  readonly s3?: {
    readonly backlogExceeded: boolean;
    readonly pendingFiles: number;
    readonly pendingBytes: number;
    readonly stats: { readonly lastError: string | null };
  };
  readonly ocsf?: {
    readonly stats: {
      readonly heldFiles: number;
      readonly heldRecords: number;
      readonly lastError: string | null;
    };
  };
  /** Directories the outputs write to. */
  readonly outputDirs: readonly string[];
  readonly workers: number;
  readonly workersNotRunning: number;
  /** Counters that only grow: a rise since the last check is a problem. */
  totals(): { readonly pcapErrors: number; readonly handoffDrops: number };
  /** Run after each check (pcap retention). */
  afterCheck(): void;
}

/**
 * The periodic health check: turns kernel drops, sink backlogs, disk space, dead workers, pcap write
 * errors and handoff drops into problems; the hysteresis in HealthState decides what /healthz says.
 */
export class HealthCheck {
  private readonly config: ReceiverConfig;
  private readonly health: HealthState;
  private readonly log: Logger;
  private readonly sources: HealthCheckSources;
  private hecBackpressureReported = false;
  private lastPcapErrors = 0;
  private lastHandoffDrops = 0;
  /** The previous check saw kernel drops: a new episode is logged once, at its start. */
  private dropping = false;

  constructor(config: ReceiverConfig, health: HealthState, log: Logger, sources: HealthCheckSources) {
    this.config = config;
    this.health = health;
    this.log = log;
    this.sources = sources;
  }

  /** One health check: every problem found now. */
  check(): void {
    const { config, health, log, sources } = this;
    const problems: string[] = [];
    const newDrops = sources.pollKernelDrops();
    if (newDrops > 0) {
      problems.push(`kernel dropped ${newDrops} datagrams on the receive sockets (receive buffer full)`);
      if (!this.dropping) {
        const perSecond = Math.round(newDrops / (config.health.intervalMs / 1000));
        log.warn(
          { drops: newDrops, perSecond },
          `kernel started dropping datagrams on the receive sockets: ${newDrops} in ${config.health.intervalMs} ms (about ${perSecond}/s); the receive buffer is full: raise recvBuffer (and net.core.rmem_max) or add workers`,
        );
      }
    }
    this.dropping = newDrops > 0;
    const backlog = sources.recordsBacklogBytes;
    if (backlog > config.health.recordsBacklogLimit) {
      problems.push(
        `records sink cannot keep up: ${formatByteSize(backlog)} waiting, limit ${formatByteSize(config.health.recordsBacklogLimit)}`,
      );
    }
    const hec = sources.hec;
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
      const spoolProblem = hec.spoolProblem;
      if (spoolProblem !== undefined) {
        problems.push(`Splunk HEC spool: ${spoolProblem}`);
      } else if (!hec.healthy) {
        problems.push(
          `Splunk HEC spool nearly full: ${formatByteSize(hec.spoolBytes)} waiting (${hec.problem ?? 'delivery too slow'})`,
        );
      }
    }
    const s3 = sources.s3;
    if (s3?.backlogExceeded) {
      problems.push(
        `S3 backlog: ${s3.pendingFiles} files (${formatByteSize(s3.pendingBytes)}) waiting (${s3.stats.lastError ?? 'uploads too slow'})`,
      );
    }
    const ocsf = sources.ocsf?.stats;
    if (ocsf !== undefined && ocsf.heldFiles > 0) {
      problems.push(
        `OCSF Parquet: ${ocsf.heldFiles} files (${ocsf.heldRecords} records) held in memory, not yet written (${ocsf.lastError ?? 'write failed'})`,
      );
    }
    for (const dir of sources.outputDirs) {
      const space = diskSpace(dir);
      if (space !== undefined && space.freePercent < config.health.minDiskFreePercent) {
        problems.push(`disk nearly full at ${dir}: ${space.freePercent.toFixed(1)}% free`);
      }
    }
    const dead = sources.workersNotRunning;
    if (dead > 0) problems.push(`${dead} of ${sources.workers} workers not running`);
    const { pcapErrors, handoffDrops } = sources.totals();
    if (pcapErrors > this.lastPcapErrors) problems.push('pcap sink write errors');
    this.lastPcapErrors = pcapErrors;
    if (handoffDrops > this.lastHandoffDrops)
      problems.push('handoff ring full: datagrams lost between workers');
    this.lastHandoffDrops = handoffDrops;
    const wasHealthy = health.healthy;
    health.report(problems);
    if (wasHealthy && !health.healthy) log.warn({ problems }, 'unhealthy');
    if (!wasHealthy && health.healthy) log.warn('healthy again');
    sources.afterCheck();
  }
}
