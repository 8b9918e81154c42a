import type { MirrorPipeline } from '@fargate-mirror/analysis';
import type { IdentityResolver } from '../identity/identity-resolver.js';
import type { OuterFragments } from '../live/outer-fragments.js';
import type { PacketRing } from '../live/packet-ring.js';
import type { RotatingPcapSink } from '../sinks/rotating-pcap-sink.js';

/** What a worker's counters are read from when it sends a snapshot (never per packet). */
export interface WorkerCounterSources {
  readonly pipeline: MirrorPipeline;
  /** The worker's own socket and handoff counts. */
  readonly own: {
    readonly datagrams: number;
    readonly datagramBytes: number;
    readonly vxlanDatagrams: number;
    readonly geneveDatagrams: number;
    readonly handoffsOut: number;
    readonly handoffsIn: number;
    readonly handoffDrops: number;
    readonly recordsEmitted: number;
    readonly sourceNotAllowed: number;
  };
  /** The afpacket intake's ring and its outer fragments (undefined with the socket intakes). */
  readonly ring: PacketRing | undefined;
  readonly fragments: OuterFragments | undefined;
  readonly pcap: RotatingPcapSink | undefined;
  readonly identity: IdentityResolver | undefined;
}

/** One Prometheus series: a metric of its own, or one `label` value of a metric shared with others. */
export interface CounterSeries {
  readonly name: string;
  readonly help: string;
  readonly label?: readonly [name: string, value: string];
}

export interface WorkerCounter {
  readonly kind: 'counter' | 'gauge';
  /**
   * Counted by live workers only: what a dead worker held (open flows, buffered bytes, cache entries)
   * is gone with it, while a counter of what happened is kept after its worker died.
   */
  readonly liveOnly?: true;
  /** Its series in /metrics; none when it only feeds the summary or a derived series. */
  readonly metric?: CounterSeries;
  readonly read: (w: WorkerCounterSources) => number;
}

// Help texts of metrics whose series come from several entries (the sink ones also from the main thread).
const PORT_HELP = 'Datagrams by receiving port kind';
export const SINK_ERRORS_HELP = 'Write failures per sink';
export const SINK_BACKLOG_HELP = 'Bytes waiting to be written, per sink';
const IDENTITY_ERRORS_HELP = 'Identity failures by kind (the receiver goes on without them)';
const IDENTITY_CACHE_HELP = 'Identity entries held in memory, by where they came from';

const MALFORMED_PAYLOAD_HELP =
  'Application payloads that did not parse, by protocol (dns: messages; tls: ClientHellos and ServerHellos)';
const txStat = (w: WorkerCounterSources) => w.pipeline.transactions?.stats;
const idStat = (w: WorkerCounterSources) => w.identity?.stats;
const idCache = (w: WorkerCounterSources) => w.identity?.cacheSizes;

/**
 * Every counter a receive worker keeps, declared once: the worker's snapshot, the totals over all
 * workers (StatsAggregator) and the Prometheus metrics are derived from this table. The by-reason and
 * per-VNI maps (`malformed`, `vni`) and the main thread's own values are in receiver-metrics.ts.
 */
export const WORKER_COUNTERS = {
  datagrams: {
    kind: 'counter',
    metric: { name: 'datagrams_received_total', help: 'UDP datagrams read from the mirror sockets' },
    read: (w) => w.own.datagrams,
  },
  datagramBytes: {
    kind: 'counter',
    metric: { name: 'datagram_bytes_total', help: 'UDP payload bytes read from the mirror sockets' },
    read: (w) => w.own.datagramBytes,
  },
  vxlanDatagrams: {
    kind: 'counter',
    metric: { name: 'datagrams_by_port_total', help: PORT_HELP, label: ['encapsulation', 'vxlan'] },
    read: (w) => w.own.vxlanDatagrams,
  },
  geneveDatagrams: {
    kind: 'counter',
    metric: { name: 'datagrams_by_port_total', help: PORT_HELP, label: ['encapsulation', 'geneve'] },
    read: (w) => w.own.geneveDatagrams,
  },
  /** Datagrams handed to the worker owning their flow (which counts their outcome). */
  handoffsOut: {
    kind: 'counter',
    metric: { name: 'worker_handoffs_total', help: 'Datagrams handed to the worker owning their flow' },
    read: (w) => w.own.handoffsOut,
  },
  handoffsIn: { kind: 'counter', read: (w) => w.own.handoffsIn },
  handoffDrops: {
    kind: 'counter',
    metric: { name: 'worker_handoff_drops_total', help: 'Datagrams lost because a handoff ring was full' },
    read: (w) => w.own.handoffDrops,
  },
  /** Datagrams from a sender outside `allowSources`, dropped before decoding. */
  sourceNotAllowed: {
    kind: 'counter',
    metric: {
      name: 'datagrams_refused_total',
      help: 'Datagrams dropped before decoding, by reason (source_not_allowed: sender outside allowSources)',
      label: ['reason', 'source_not_allowed'],
    },
    read: (w) => w.own.sourceNotAllowed,
  },
  /** The afpacket intake: frames its filter let into the ring (UDP to a mirror port, outer fragments). */
  ringFrames: {
    kind: 'counter',
    metric: {
      name: 'capture_frames_total',
      help: "Frames the afpacket intake's filter let in: UDP to a mirror port and outer IP fragments (those it had no room for included)",
    },
    read: (w) => w.ring?.frames ?? 0,
  },
  /** The afpacket intake: frames its ring had no room for (part of the kernel drops). */
  ringDrops: {
    kind: 'counter',
    read: (w) => w.ring?.drops ?? 0,
  },
  /** The afpacket intake: frames its filter let in that it could not take (too short for their UDP header). */
  ringIgnored: {
    kind: 'counter',
    metric: {
      name: 'capture_frames_ignored_total',
      help: "Frames the afpacket intake's filter let in that it could not take (too short to hold their UDP header)",
    },
    read: (w) => w.ring?.ignored ?? 0,
  },
  /** The afpacket intake: outer IP fragments it reassembled itself (a socket gets them whole). */
  ringFragments: {
    kind: 'counter',
    metric: {
      name: 'capture_fragments_total',
      help: 'Outer IP fragments the afpacket intake reassembled into datagrams itself',
    },
    read: (w) => w.fragments?.stats.fragments ?? 0,
  },
  /** ...and the datagrams among them that never completed (timed out, overlapping, too big, evicted, malformed). */
  ringFragmentsDropped: {
    kind: 'counter',
    metric: {
      name: 'capture_fragment_datagrams_dropped_total',
      help: 'Outer datagrams the afpacket intake could not reassemble (timed out, overlapping, too big, evicted or malformed)',
    },
    read: (w) => w.fragments?.datagramsDropped ?? 0,
  },
  dnsMalformed: {
    kind: 'counter',
    metric: { name: 'payload_malformed_total', help: MALFORMED_PAYLOAD_HELP, label: ['protocol', 'dns'] },
    read: (w) => txStat(w)?.dnsMalformed ?? 0,
  },
  tlsMalformed: {
    kind: 'counter',
    metric: { name: 'payload_malformed_total', help: MALFORMED_PAYLOAD_HELP, label: ['protocol', 'tls'] },
    read: (w) => txStat(w)?.tlsMalformed ?? 0,
  },
  httpAnomalies: {
    kind: 'counter',
    metric: {
      name: 'http_anomalies_total',
      help: 'HTTP transactions framed the way request smuggling relies on (http_anomalies set on the record)',
    },
    read: (w) => txStat(w)?.httpAnomalies ?? 0,
  },
  /** Inner frames recovered, malformed inner packets included. */
  mirrored: {
    kind: 'counter',
    metric: { name: 'packets_total', help: 'Inner (mirrored) packets recovered' },
    read: (w) => w.pipeline.stats.mirrored,
  },
  /** Of `mirrored`, those whose inner packet is malformed (also in `malformed`). */
  innerMalformed: { kind: 'counter', read: (w) => w.pipeline.stats.innerMalformed },
  mirroredIpBytes: {
    kind: 'counter',
    metric: { name: 'ip_bytes_total', help: 'IP-layer bytes of the mirrored packets, from their headers' },
    read: (w) => w.pipeline.stats.mirroredIpBytes,
  },
  truncated: {
    kind: 'counter',
    metric: { name: 'truncated_packets_total', help: 'Mirrored packets cut short (PacketLength or MTU)' },
    read: (w) => w.pipeline.stats.truncated,
  },
  notMirror: { kind: 'counter', read: (w) => w.pipeline.stats.notMirror },
  innerNotIp: {
    kind: 'counter',
    metric: { name: 'inner_not_ip_total', help: 'Mirrored frames that carry no IP (ARP and the like)' },
    read: (w) => w.pipeline.stats.innerNotIp,
  },
  flowsActive: {
    kind: 'gauge',
    liveOnly: true,
    metric: { name: 'flows_active', help: 'Flows open in the flow tables' },
    read: (w) => w.pipeline.flows.size,
  },
  flowsCreated: {
    kind: 'counter',
    metric: { name: 'flows_created_total', help: 'Flows started' },
    read: (w) => w.pipeline.flows.stats.created,
  },
  flowsEnded: {
    kind: 'counter',
    metric: { name: 'flows_ended_total', help: 'Flows ended (records emitted)' },
    read: (w) => w.pipeline.flows.stats.ended,
  },
  flowsEvicted: {
    kind: 'counter',
    metric: { name: 'flows_evicted_total', help: 'Flows ended early because the flow table was full' },
    read: (w) => w.pipeline.flows.stats.evicted,
  },
  /** Packets already counted at another mirror point (both ends mirrored), removed. */
  duplicates: {
    kind: 'counter',
    metric: {
      name: 'duplicates_removed_total',
      help: 'Mirrored packets removed as copies of one already counted at another mirror point (both ends mirrored)',
    },
    read: (w) => w.pipeline.dedup?.stats.duplicates ?? 0,
  },
  dedupChecked: {
    kind: 'counter',
    metric: { name: 'dedup_checked_total', help: 'Packets the de-duplicator looked at' },
    read: (w) => w.pipeline.dedup?.stats.checked ?? 0,
  },
  dedupOverwritten: {
    kind: 'counter',
    metric: {
      name: 'dedup_overwritten_total',
      help: 'De-duplication entries overwritten while still in the window (table too small for the rate)',
    },
    read: (w) => w.pipeline.dedup?.stats.overwritten ?? 0,
  },
  recordsEmitted: { kind: 'counter', read: (w) => w.own.recordsEmitted },
  pcapFramesWritten: {
    kind: 'counter',
    metric: { name: 'pcap_frames_written_total', help: 'Inner frames written to pcap' },
    read: (w) => w.pcap?.stats.framesWritten ?? 0,
  },
  pcapFramesDropped: {
    kind: 'counter',
    metric: {
      name: 'pcap_frames_dropped_total',
      help: 'Inner frames not written to pcap after a write failure',
    },
    read: (w) => w.pcap?.stats.framesDropped ?? 0,
  },
  pcapBytesWritten: { kind: 'counter', read: (w) => w.pcap?.stats.bytesWritten ?? 0 },
  pcapFilesCompleted: {
    kind: 'counter',
    metric: { name: 'pcap_files_completed_total', help: 'pcap files completed (renamed into place)' },
    read: (w) => w.pcap?.stats.filesCompleted ?? 0,
  },
  pcapErrors: {
    kind: 'counter',
    metric: { name: 'sink_errors_total', help: SINK_ERRORS_HELP, label: ['sink', 'pcap'] },
    read: (w) => w.pcap?.stats.errors ?? 0,
  },
  pcapBufferedBytes: {
    kind: 'gauge',
    liveOnly: true,
    metric: { name: 'sink_backlog_bytes', help: SINK_BACKLOG_HELP, label: ['sink', 'pcap'] },
    read: (w) => w.pcap?.bufferedBytes ?? 0,
  },
  identityRefreshes: {
    kind: 'counter',
    metric: {
      name: 'identity_refreshes_total',
      help: 'Full identity refreshes (sessions, ENIs, tasks) that succeeded',
    },
    read: (w) => idStat(w)?.refreshes ?? 0,
  },
  identityLookups: {
    kind: 'counter',
    metric: {
      name: 'identity_lookups_total',
      help: 'Single identity look-ups made in the background (misses)',
    },
    read: (w) => idStat(w)?.lookups ?? 0,
  },
  identityHits: {
    kind: 'counter',
    metric: { name: 'identity_hits_total', help: 'Addresses and mirror points answered from memory' },
    read: (w) => idStat(w)?.hits ?? 0,
  },
  identityMisses: {
    kind: 'counter',
    metric: {
      name: 'identity_misses_total',
      help: 'Addresses and mirror points not known (yet) when a record was written',
    },
    read: (w) => idStat(w)?.misses ?? 0,
  },
  identityGraceHits: {
    kind: 'counter',
    metric: {
      name: 'identity_grace_hits_total',
      help: 'Hits answered by a task, ENI or session that had disappeared, within the grace period',
    },
    read: (w) => idStat(w)?.graceHits ?? 0,
  },
  identityNotFound: {
    kind: 'counter',
    metric: { name: 'identity_not_found_total', help: 'Look-ups that found nothing' },
    read: (w) => idStat(w)?.notFound ?? 0,
  },
  identityQueueFull: {
    kind: 'counter',
    metric: {
      name: 'identity_queue_full_total',
      help: 'Misses not looked up because too many look-ups were waiting',
    },
    read: (w) => idStat(w)?.queueFull ?? 0,
  },
  identityRefreshErrors: {
    kind: 'counter',
    metric: { name: 'identity_errors_total', help: IDENTITY_ERRORS_HELP, label: ['kind', 'refresh'] },
    read: (w) => idStat(w)?.refreshErrors ?? 0,
  },
  identityLookupErrors: {
    kind: 'counter',
    metric: { name: 'identity_errors_total', help: IDENTITY_ERRORS_HELP, label: ['kind', 'lookup'] },
    read: (w) => idStat(w)?.lookupErrors ?? 0,
  },
  identityStrayErrors: {
    kind: 'counter',
    metric: { name: 'identity_errors_total', help: IDENTITY_ERRORS_HELP, label: ['kind', 'stray'] },
    read: (w) => idStat(w)?.strayErrors ?? 0,
  },
  identityCacheSnapshot: {
    kind: 'gauge',
    liveOnly: true,
    metric: { name: 'identity_cache_entries', help: IDENTITY_CACHE_HELP, label: ['kind', 'snapshot'] },
    read: (w) => idCache(w)?.snapshot ?? 0,
  },
  identityCacheLookups: {
    kind: 'gauge',
    liveOnly: true,
    metric: { name: 'identity_cache_entries', help: IDENTITY_CACHE_HELP, label: ['kind', 'lookup'] },
    read: (w) => idCache(w)?.lookups ?? 0,
  },
  identityCacheGrace: {
    kind: 'gauge',
    liveOnly: true,
    metric: { name: 'identity_cache_entries', help: IDENTITY_CACHE_HELP, label: ['kind', 'grace'] },
    read: (w) => idCache(w)?.grace ?? 0,
  },
} as const satisfies Record<string, WorkerCounter>;

export type WorkerCounterName = keyof typeof WORKER_COUNTERS;
export type WorkerCounterValues = Record<WorkerCounterName, number>;

export const WORKER_COUNTER_NAMES = Object.keys(WORKER_COUNTERS) as WorkerCounterName[];

export function zeroCounters(): WorkerCounterValues {
  const out = {} as WorkerCounterValues;
  for (const k of WORKER_COUNTER_NAMES) out[k] = 0;
  return out;
}

/** The worker's counters now, read through the table. */
export function readWorkerCounters(sources: WorkerCounterSources): WorkerCounterValues {
  const out = {} as WorkerCounterValues;
  for (const k of WORKER_COUNTER_NAMES) out[k] = (WORKER_COUNTERS[k] as WorkerCounter).read(sources);
  return out;
}
