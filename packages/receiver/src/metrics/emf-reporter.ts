import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { restrictOpenFile } from '@fargate-mirror/wire';
import { ensurePrivateDir } from '../sinks/private-dir.js';

/** What one EMF line reports; the receiver's parts fit. Counters only grow: the reporter takes deltas. */
export interface EmfSource {
  readonly kernelDrops: number;
  readonly datagrams: number;
  readonly recordsWritten: number;
  /** Records the records file dropped plus HEC events dropped. */
  readonly recordsDropped: number;
  /** Share of the HEC spool in use (0 without HEC). */
  readonly hecSpoolUsedPercent: number;
  /** The fullest file system an output writes to, in percent used. */
  readonly diskUsedPercent: number;
  readonly healthy: boolean;
}

export interface EmfReporterOptions {
  /** File the EMF lines are appended to (owner-only), for the CloudWatch agent to ship. */
  readonly path: string;
  readonly namespace: string;
  /** Value of the `Fleet` dimension (every receiver of a fleet the same: the alarms use it). */
  readonly fleet: string;
  /** Value of the `InstanceId` dimension (the receiver's `dvc`). */
  readonly instance: string;
  readonly intervalMs: number;
  readonly source: EmfSource;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
  /** The file starts over (truncated) past this size; the agent follows a truncated file. @default 16 MiB */
  readonly maxFileBytes?: number;
}

/** The metrics, their units, and how each is read (deltas of counters, gauges as they are). */
const METRICS = [
  ['KernelDrops', 'Count'],
  ['DatagramsPerSecond', 'Count/Second'],
  ['RecordsWritten', 'Count'],
  ['RecordsDropped', 'Count'],
  ['HecSpoolUsedPercent', 'Percent'],
  ['DiskUsedPercent', 'Percent'],
  ['Healthy', 'None'],
] as const;

/**
 * Writes the receiver's own health as CloudWatch embedded metric format (one JSON object a line,
 * the `_aws` metadata naming the metrics), every `intervalMs`: CloudWatch Logs turns each line the
 * CloudWatch agent ships into metric data points, with no CloudWatch API call from the receiver.
 * Dimensions `[Fleet]` (what the alarms watch, over every receiver) and `[Fleet, InstanceId]`.
 */
export class EmfReporter {
  private readonly options: EmfReporterOptions;
  private readonly now: () => number;
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last: { at: number; kernelDrops: number; datagrams: number; written: number; dropped: number };
  linesWritten = 0;
  errors = 0;

  constructor(options: EmfReporterOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const s = options.source;
    this.last = {
      at: this.now(),
      kernelDrops: s.kernelDrops,
      datagrams: s.datagrams,
      written: s.recordsWritten,
      dropped: s.recordsDropped,
    };
  }

  /** Opens the file (its directory created owner-only if missing); a failure is reported, never thrown. */
  start(): void {
    try {
      ensurePrivateDir(dirname(this.options.path));
      this.fd = openSync(this.options.path, 'a', 0o600);
      restrictOpenFile(this.fd);
    } catch (error) {
      this.errors++;
      this.options.onError?.(error);
      return;
    }
    this.timer = setInterval(() => this.report(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Writes the last interval's line and closes the file. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.fd === undefined) return;
    this.report();
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** One line for the interval since the previous one. */
  report(): void {
    if (this.fd === undefined) return;
    const s = this.options.source;
    const at = this.now();
    const seconds = Math.max((at - this.last.at) / 1000, 0.001);
    const kernelDrops = s.kernelDrops;
    const datagrams = s.datagrams;
    const written = s.recordsWritten;
    const dropped = s.recordsDropped;
    const values: Record<(typeof METRICS)[number][0], number> = {
      KernelDrops: kernelDrops - this.last.kernelDrops,
      DatagramsPerSecond: Math.round(((datagrams - this.last.datagrams) / seconds) * 100) / 100,
      RecordsWritten: written - this.last.written,
      RecordsDropped: dropped - this.last.dropped,
      HecSpoolUsedPercent: round2(s.hecSpoolUsedPercent),
      DiskUsedPercent: round2(s.diskUsedPercent),
      Healthy: s.healthy ? 1 : 0,
    };
    this.last = { at, kernelDrops, datagrams, written, dropped };
    const line = {
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: this.options.namespace,
            Dimensions: [['Fleet'], ['Fleet', 'InstanceId']],
            Metrics: METRICS.map(([Name, Unit]) => ({ Name, Unit })),
          },
        ],
      },
      Fleet: this.options.fleet,
      InstanceId: this.options.instance,
      ...values,
    };
    try {
      // A line a minute is about 1 MiB a month: bounded all the same, never a disk filler.
      if (fstatSync(this.fd).size > (this.options.maxFileBytes ?? 16 * 1024 ** 2)) ftruncateSync(this.fd, 0);
      writeSync(this.fd, `${JSON.stringify(line)}\n`);
      this.linesWritten++;
    } catch (error) {
      this.errors++;
      this.options.onError?.(error);
    }
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
