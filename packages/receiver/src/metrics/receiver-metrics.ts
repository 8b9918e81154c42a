import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ReceiverTotals } from '../live/stats-aggregator.js';
import { OTHER_VNI } from '../live/vni-counters.js';
import type { HecSinkStats } from '../sinks/hec/hec-sink.js';
import {
  SINK_BACKLOG_HELP,
  SINK_ERRORS_HELP,
  WORKER_COUNTER_NAMES,
  WORKER_COUNTERS,
  type WorkerCounter,
} from './receiver-counters.js';

/** What the metrics read at each scrape; everything is pulled, nothing is pushed per packet. */
export interface ReceiverMetricsSource {
  totals(): ReceiverTotals;
  readonly kernelDrops: number;
  readonly healthy: boolean;
  /** The main thread's sinks: `OutputSinks` fits. */
  readonly sinks: SinkMetricsSource;
  /** The worker threads: `WorkerSupervisor` fits. */
  readonly workers: WorkerMetricsSource;
  /** The Splunk HEC sink, when configured (its series exist only then). */
  readonly hec?: HecMetricsSource;
  /** S3 delivery, when configured. */
  readonly s3?: S3MetricsSource;
  /** OCSF Parquet, when configured. */
  readonly ocsf?: OcsfMetricsSource;
}

export interface S3MetricsSource {
  readonly stats: {
    readonly uploadedFiles: number;
    readonly uploadedBytes: number;
    readonly failedAttempts: number;
    readonly lostFiles: number;
    readonly alreadyPresent: number;
    readonly keptBeside: number;
  };
  readonly pendingFiles: number;
  readonly pendingBytes: number;
}

export interface OcsfMetricsSource {
  readonly stats: {
    readonly records: number;
    readonly failed: number;
    readonly files: number;
    readonly bytes: number;
    readonly heldRecords: number;
    readonly lost: number;
  };
  readonly pendingRecords: number;
}

export interface SinkMetricsSource {
  readonly recordsBacklogBytes: number;
  readonly recordsWritten: number;
  readonly recordsDropped: number;
  readonly recordsErrors: number;
  readonly pcapFilesRemoved: number;
  readonly pcapDirBytes: number;
  readonly recordsFilesCompleted: number;
  readonly recordsFilesRemoved: number;
  readonly recordsDirBytes: number;
}

export interface WorkerMetricsSource {
  /** Receive buffer the kernel granted each socket. */
  readonly recvBufferBytes: number;
  readonly restarts: number;
  readonly alive: number;
}

/** What the HEC series read: `HecSink` fits. */
export interface HecMetricsSource {
  readonly stats: Readonly<HecSinkStats>;
  readonly backlogBytes: number;
  readonly backlogEvents: number;
  readonly spoolBytes: number;
  readonly memoryBytes: number;
  readonly backpressure: boolean;
}

/**
 * Series of one metric: without `label`, one value; with it, `values` gives [label value, value]
 * pairs (or one value for the fixed `label` value). Several entries with one name make one metric.
 */
interface Series {
  readonly name: string;
  readonly help: string;
  readonly kind: 'counter' | 'gauge';
  readonly label?: readonly [name: string, value: string];
  readonly labelName?: string;
  readonly values: () => readonly number[] | readonly (readonly [string, number])[];
}

const PREFIX = 'fargate_mirror_receiver_';

/**
 * The receiver's Prometheus metrics (prom-client), computed from the workers' latest counter snapshots
 * when scraped. The workers' counters come from the table in receiver-counters.ts; what the main
 * thread counts, and the series computed from several counters, are listed here. Counters are set
 * from absolute totals at collection time (reset, then inc), which keeps them monotonic because the
 * totals never decrease (dead workers' counts are retained).
 */
export function createReceiverMetrics(source: ReceiverMetricsSource): Registry {
  const registry = new Registry();
  let cached: ReceiverTotals | undefined;
  let cachedAt = 0;
  // One scrape reads the totals once, however many metrics use them.
  const totals = () => {
    const now = Date.now();
    if (cached === undefined || now - cachedAt > 100) {
      cached = source.totals();
      cachedAt = now;
    }
    return cached;
  };
  const series: Series[] = [];
  for (const k of WORKER_COUNTER_NAMES) {
    const c = WORKER_COUNTERS[k] as WorkerCounter;
    if (c.metric !== undefined) series.push({ ...c.metric, kind: c.kind, values: () => [totals()[k]] });
  }
  series.push(...mainThreadSeries(source, totals));
  if (source.hec !== undefined) series.push(...hecSeries(source.hec));
  if (source.s3 !== undefined) series.push(...s3Series(source.s3));
  if (source.ocsf !== undefined) series.push(...ocsfSeries(source.ocsf));
  register(registry, series);
  collectDefaultMetrics({ register: registry, prefix: 'fargate_mirror_' });
  return registry;
}

const counter = (name: string, help: string, value: () => number): Series => ({
  name,
  help,
  kind: 'counter',
  values: () => [value()],
});
const gauge = (name: string, help: string, value: () => number): Series => ({
  name,
  help,
  kind: 'gauge',
  values: () => [value()],
});
const labelled = (
  kind: Series['kind'],
  name: string,
  help: string,
  labelName: string,
  values: () => (readonly [string, number])[],
): Series => ({ name, help, kind, labelName, values });

/** What the main thread counts, and the series computed from several worker counters. */
function mainThreadSeries(source: ReceiverMetricsSource, totals: () => ReceiverTotals): Series[] {
  const { sinks, workers } = source;
  const vniLabel = (vni: number) => (vni === OTHER_VNI ? 'other' : String(vni));
  return [
    labelled('counter', 'datagrams_by_outcome_total', 'Datagrams by what became of them', 'outcome', () => {
      const t = totals();
      const malformed = Object.values(t.malformed).reduce((a, b) => a + b, 0);
      // A datagram whose inner packet is malformed is in both `mirrored` and `malformed`: counted once,
      // as malformed, so the outcomes add up to the datagrams received.
      return [
        ['mirrored', t.mirrored - t.innerMalformed],
        ['malformed', malformed],
        ['not_mirror', t.notMirror],
        ['handoff_dropped', t.handoffDrops],
        ['source_not_allowed', t.sourceNotAllowed],
      ];
    }),
    counter(
      'kernel_drops_total',
      'Datagrams the kernel dropped on our sockets (receive buffer full) or, with the afpacket intake, frames its ring had no room for',
      () => source.kernelDrops,
    ),
    labelled(
      'counter',
      'malformed_total',
      'Datagrams or inner packets that did not decode, by reason',
      'reason',
      () => Object.entries(totals().malformed),
    ),
    labelled('counter', 'vni_packets_total', 'Mirrored packets per VNI (mirror session)', 'vni', () =>
      [...totals().vni].map(([vni, e]) => [vniLabel(vni), e.packets] as const),
    ),
    labelled('counter', 'vni_ip_bytes_total', 'IP bytes of mirrored packets per VNI', 'vni', () =>
      [...totals().vni].map(([vni, e]) => [vniLabel(vni), e.bytes] as const),
    ),
    {
      ...gauge('sink_backlog_bytes', SINK_BACKLOG_HELP, () => sinks.recordsBacklogBytes),
      label: ['sink', 'records'],
    },
    {
      ...counter('sink_errors_total', SINK_ERRORS_HELP, () => sinks.recordsErrors),
      label: ['sink', 'records'],
    },
    counter('records_written_total', 'Records written to the records sink', () => sinks.recordsWritten),
    counter(
      'records_dropped_total',
      'Records dropped because the records sink fell too far behind',
      () => sinks.recordsDropped,
    ),
    counter(
      'pcap_files_removed_total',
      'pcap files removed to stay within pcapMaxTotal',
      () => sinks.pcapFilesRemoved,
    ),
    gauge('pcap_dir_bytes', 'Bytes of pcap files on disk', () => sinks.pcapDirBytes),
    counter(
      'records_files_completed_total',
      'Records files completed by rotation (size or age)',
      () => sinks.recordsFilesCompleted,
    ),
    counter(
      'records_files_removed_total',
      'Completed records files removed to stay within recordsRotation.maxTotal',
      () => sinks.recordsFilesRemoved,
    ),
    gauge(
      'records_dir_bytes',
      'Bytes of the live records file and its completed files',
      () => sinks.recordsDirBytes,
    ),
    counter('worker_restarts_total', 'Workers restarted after dying', () => workers.restarts),
    gauge('workers_alive', 'Workers running', () => workers.alive),
    gauge(
      'recv_buffer_bytes',
      'Receive buffer the kernel granted each socket',
      () => workers.recvBufferBytes,
    ),
    gauge('healthy', '1 while /healthz answers 200', () => (source.healthy ? 1 : 0)),
  ];
}

function hecSeries(hec: HecMetricsSource): Series[] {
  return [
    counter('hec_events_in_total', 'Records handed to the Splunk HEC sink', () => hec.stats.eventsIn),
    counter(
      'hec_events_sent_total',
      'Events HEC accepted (with indexer acknowledgement: acknowledged)',
      () => hec.stats.eventsDelivered,
    ),
    counter('hec_batches_sent_total', 'Batches HEC accepted', () => hec.stats.batchesDelivered),
    counter(
      'hec_retries_total',
      'HEC sends that failed and were repeated (busy, 5xx, connection errors)',
      () => hec.stats.retries,
    ),
    counter(
      'hec_permanent_errors_total',
      'HEC refusals caused by configuration (bad token, bad index, acks not enabled)',
      () => hec.stats.permanentErrors,
    ),
    counter(
      'hec_events_dropped_total',
      'Events dropped, oldest first, because the spool was full',
      () => hec.stats.eventsDropped,
    ),
    counter(
      'hec_events_dropped_no_space_total',
      'Of hec_events_dropped_total: dropped because the spool disk refused writes and the in-memory bound was reached',
      () => hec.stats.eventsDroppedNoSpace,
    ),
    counter(
      'hec_spool_write_errors_total',
      'Spool writes the disk refused (full, I/O error): the batch was held in memory instead',
      () => hec.stats.spoolWriteErrors,
    ),
    counter(
      'hec_spool_quarantined_total',
      'Spool files found corrupt at start, moved aside as .bad and not sent',
      () => hec.stats.spoolQuarantined,
    ),
    counter(
      'hec_events_rejected_total',
      'Events in batches HEC refused as malformed (kept in the rejected/ directory)',
      () => hec.stats.eventsRejected,
    ),
    counter(
      'hec_ack_timeouts_total',
      'Accepted batches not acknowledged in time, sent again',
      () => hec.stats.ackTimeouts,
    ),
    counter(
      'hec_journal_recovered_total',
      'Events a crashed run had journaled, not yet spooled, spooled for delivery at this start',
      () => hec.stats.journalRecovered,
    ),
    gauge(
      'hec_backlog_bytes',
      'Bytes waiting for HEC: spooled (compressed) plus the batch being filled',
      () => hec.backlogBytes,
    ),
    gauge('hec_backlog_events', 'Events waiting for HEC', () => hec.backlogEvents),
    gauge('hec_spool_bytes', 'Bytes of spooled batches on disk', () => hec.spoolBytes),
    gauge(
      'hec_memory_bytes',
      'Bytes of batches held in memory because the spool disk refused them (lost on a crash)',
      () => hec.memoryBytes,
    ),
    gauge('hec_backpressure', '1 while the HEC spool is past its back-pressure share', () =>
      hec.backpressure ? 1 : 0,
    ),
  ];
}

function s3Series(s3: S3MetricsSource): Series[] {
  return [
    counter(
      's3_uploaded_files_total',
      'Files delivered to S3 (pcap and OCSF Parquet)',
      () => s3.stats.uploadedFiles,
    ),
    counter('s3_uploaded_bytes_total', 'Bytes of files delivered to S3', () => s3.stats.uploadedBytes),
    counter(
      's3_failed_attempts_total',
      'S3 uploads that failed (the file stays on disk and is retried with backoff)',
      () => s3.stats.failedAttempts,
    ),
    counter('s3_lost_files_total', 'Files removed by others before S3 had them', () => s3.stats.lostFiles),
    counter(
      's3_already_present_total',
      'Files S3 already had (a conditional write refused, the object there the same): sent before a restart',
      () => s3.stats.alreadyPresent,
    ),
    counter(
      's3_kept_beside_total',
      'Files sent beside their key, named by their content: another object held it, or it could not be compared',
      () => s3.stats.keptBeside,
    ),
    gauge('s3_pending_files', 'Completed files waiting for S3', () => s3.pendingFiles),
    gauge('s3_pending_bytes', 'Bytes of completed files waiting for S3', () => s3.pendingBytes),
  ];
}

function ocsfSeries(ocsf: OcsfMetricsSource): Series[] {
  return [
    counter('ocsf_records_total', 'Records written as OCSF events into Parquet', () => ocsf.stats.records),
    counter(
      'ocsf_records_failed_total',
      'Records not written as OCSF (unmappable, not JSON, or their file could not be encoded)',
      () => ocsf.stats.failed,
    ),
    counter(
      'ocsf_records_lost_total',
      'OCSF records given up: their file could not be written and the memory held for it was full, or the receiver stopped',
      () => ocsf.stats.lost,
    ),
    gauge(
      'ocsf_held_records',
      'OCSF records in encoded files that could not be written yet (disk full), held in memory for the next roll',
      () => ocsf.stats.heldRecords,
    ),
    counter('ocsf_files_total', 'OCSF Parquet files completed', () => ocsf.stats.files),
    counter('ocsf_bytes_total', 'Bytes of OCSF Parquet files completed', () => ocsf.stats.bytes),
    gauge(
      'ocsf_pending_records',
      'Records buffered for OCSF Parquet files not yet written',
      () => ocsf.pendingRecords,
    ),
  ];
}

/** One prom-client metric per name, collecting every series of that name at scrape time. */
function register(registry: Registry, all: readonly Series[]): void {
  const byName = new Map<string, Series[]>();
  for (const s of all) {
    const group = byName.get(s.name);
    if (group === undefined) byName.set(s.name, [s]);
    else if (group[0].help !== s.help || group[0].kind !== s.kind)
      throw new Error(`metric ${s.name} is declared twice with different help or kind`);
    else group.push(s);
  }
  for (const [name, group] of byName) {
    const labelName = group[0].label?.[0] ?? group[0].labelName;
    const collectInto = (set: (labels: Record<string, string> | undefined, v: number) => void) => {
      for (const s of group) {
        const values = s.values();
        if (s.label !== undefined) set({ [s.label[0]]: s.label[1] }, values[0] as number);
        else if (s.labelName !== undefined)
          for (const [l, v] of values as (readonly [string, number])[]) set({ [s.labelName]: l }, v);
        else set(undefined, values[0] as number);
      }
    };
    const options = {
      name: PREFIX + name,
      help: group[0].help,
      labelNames: labelName === undefined ? [] : [labelName],
      registers: [registry],
    };
    if (group[0].kind === 'counter') {
      const c: Counter<string> = new Counter({
        ...options,
        collect: () => {
          c.reset();
          collectInto((labels, v) => (labels === undefined ? c.inc(v) : c.inc(labels, v)));
        },
      });
    } else {
      const g: Gauge<string> = new Gauge({
        ...options,
        collect: () => {
          g.reset();
          collectInto((labels, v) => (labels === undefined ? g.set(v) : g.set(labels, v)));
        },
      });
    }
  }
}
