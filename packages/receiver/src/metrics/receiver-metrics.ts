import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ReceiverTotals } from '../live/stats-aggregator.js';
import { OTHER_VNI } from '../live/vni-counters.js';
import type { HecSinkStats } from '../sinks/hec/hec-sink.js';

/** What the metrics read at each scrape; everything is pulled, nothing is pushed per packet. */
export interface ReceiverMetricsSource {
  totals(): ReceiverTotals;
  readonly kernelDrops: number;
  readonly recvBufferBytes: number;
  readonly recordsBacklogBytes: number;
  readonly recordsWritten: number;
  readonly recordsDropped: number;
  readonly recordsErrors: number;
  readonly pcapFilesRemoved: number;
  readonly pcapDirBytes: number;
  readonly workerRestarts: number;
  readonly workersAlive: number;
  readonly healthy: boolean;
  /** The Splunk HEC sink, when configured (its series exist only then). */
  readonly hec?: HecMetricsSource;
}

/** What the HEC series read: `HecSink` fits. */
export interface HecMetricsSource {
  readonly stats: Readonly<HecSinkStats>;
  readonly backlogBytes: number;
  readonly backlogEvents: number;
  readonly spoolBytes: number;
  readonly backpressure: boolean;
}

const PREFIX = 'fargate_mirror_receiver_';

/**
 * The receiver's Prometheus metrics (prom-client), computed from the workers' latest counter snapshots
 * when scraped. Counters are set from absolute totals at collection time (reset, then inc), which
 * keeps them monotonic because the totals never decrease (dead workers' counts are retained).
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

  const counter = (name: string, help: string, value: () => number) => {
    const c: Counter = new Counter({
      name: PREFIX + name,
      help,
      registers: [registry],
      collect: () => {
        c.reset();
        c.inc(value());
      },
    });
  };
  const labelled = (name: string, help: string, label: string, values: () => [string, number][]) => {
    const c: Counter<string> = new Counter({
      name: PREFIX + name,
      help,
      labelNames: [label],
      registers: [registry],
      collect: () => {
        c.reset();
        for (const [l, v] of values()) c.inc({ [label]: l }, v);
      },
    });
  };
  const gauge = (
    name: string,
    help: string,
    value: () => number,
    labels?: { label: string; values: () => [string, number][] },
  ) => {
    const g: Gauge<string> = new Gauge({
      name: PREFIX + name,
      help,
      labelNames: labels ? [labels.label] : [],
      registers: [registry],
      collect: () => {
        if (labels) {
          g.reset();
          for (const [l, v] of labels.values()) g.set({ [labels.label]: l }, v);
        } else {
          g.set(value());
        }
      },
    });
  };

  counter('datagrams_received_total', 'UDP datagrams read from the mirror sockets', () => totals().datagrams);
  counter(
    'datagram_bytes_total',
    'UDP payload bytes read from the mirror sockets',
    () => totals().datagramBytes,
  );
  labelled('datagrams_by_outcome_total', 'Datagrams by what became of them', 'outcome', () => {
    const t = totals();
    const malformed = Object.values(t.malformed).reduce((a, b) => a + b, 0);
    return [
      ['mirrored', t.mirrored],
      ['malformed', malformed],
      ['not_mirror', t.notMirror],
      ['handoff_dropped', t.handoffDrops],
    ];
  });
  labelled('datagrams_by_port_total', 'Datagrams by receiving port kind', 'encapsulation', () => [
    ['vxlan', totals().vxlanDatagrams],
    ['geneve', totals().geneveDatagrams],
  ]);
  counter('packets_total', 'Inner (mirrored) packets recovered', () => totals().mirrored);
  counter(
    'ip_bytes_total',
    'IP-layer bytes of the mirrored packets, from their headers',
    () => totals().mirroredIpBytes,
  );
  counter(
    'kernel_drops_total',
    'Datagrams the kernel dropped on our sockets (receive buffer full)',
    () => source.kernelDrops,
  );
  counter(
    'truncated_packets_total',
    'Mirrored packets cut short (PacketLength or MTU)',
    () => totals().truncated,
  );
  counter(
    'inner_not_ip_total',
    'Mirrored frames that carry no IP (ARP and the like)',
    () => totals().innerNotIp,
  );
  labelled('malformed_total', 'Datagrams or inner packets that did not decode, by reason', 'reason', () =>
    Object.entries(totals().malformed),
  );
  gauge('flows_active', 'Flows open in the flow tables', () => totals().flowsActive);
  counter('flows_created_total', 'Flows started', () => totals().flowsCreated);
  counter('flows_ended_total', 'Flows ended (records emitted)', () => totals().flowsEnded);
  counter(
    'flows_evicted_total',
    'Flows ended early because the flow table was full',
    () => totals().flowsEvicted,
  );
  const vniLabel = (vni: number) => (vni === OTHER_VNI ? 'other' : String(vni));
  labelled('vni_packets_total', 'Mirrored packets per VNI (mirror session)', 'vni', () =>
    [...totals().vni].map(([vni, e]) => [vniLabel(vni), e.packets]),
  );
  labelled('vni_ip_bytes_total', 'IP bytes of mirrored packets per VNI', 'vni', () =>
    [...totals().vni].map(([vni, e]) => [vniLabel(vni), e.bytes]),
  );
  gauge('sink_backlog_bytes', 'Bytes waiting to be written, per sink', () => 0, {
    label: 'sink',
    values: () => [
      ['records', source.recordsBacklogBytes],
      ['pcap', totals().pcapBufferedBytes],
    ],
  });
  labelled('sink_errors_total', 'Write failures per sink', 'sink', () => [
    ['records', source.recordsErrors],
    ['pcap', totals().pcapErrors],
  ]);
  counter('records_written_total', 'Records written to the records sink', () => source.recordsWritten);
  counter(
    'records_dropped_total',
    'Records dropped because the records sink fell too far behind',
    () => source.recordsDropped,
  );
  counter('pcap_frames_written_total', 'Inner frames written to pcap', () => totals().pcapFramesWritten);
  counter(
    'pcap_frames_dropped_total',
    'Inner frames not written to pcap after a write failure',
    () => totals().pcapFramesDropped,
  );
  counter(
    'pcap_files_completed_total',
    'pcap files completed (renamed into place)',
    () => totals().pcapFilesCompleted,
  );
  counter(
    'pcap_files_removed_total',
    'pcap files removed to stay within pcapMaxTotal',
    () => source.pcapFilesRemoved,
  );
  gauge('pcap_dir_bytes', 'Bytes of pcap files on disk', () => source.pcapDirBytes);
  counter(
    'worker_handoffs_total',
    'Datagrams handed to the worker owning their flow',
    () => totals().handoffsOut,
  );
  counter(
    'worker_handoff_drops_total',
    'Datagrams lost because a handoff ring was full',
    () => totals().handoffDrops,
  );
  counter('worker_restarts_total', 'Workers restarted after dying', () => source.workerRestarts);
  gauge('workers_alive', 'Workers running', () => source.workersAlive);
  gauge('recv_buffer_bytes', 'Receive buffer the kernel granted each socket', () => source.recvBufferBytes);
  gauge('healthy', '1 while /healthz answers 200', () => (source.healthy ? 1 : 0));
  counter(
    'duplicates_removed_total',
    'Mirrored packets removed as copies of one already counted at another mirror point (both ends mirrored)',
    () => totals().duplicates,
  );
  counter('dedup_checked_total', 'Packets the de-duplicator looked at', () => totals().dedupChecked);
  counter(
    'dedup_overwritten_total',
    'De-duplication entries overwritten while still in the window (table too small for the rate)',
    () => totals().dedupOverwritten,
  );
  const identity = () => totals().identity;
  counter(
    'identity_refreshes_total',
    'Full identity refreshes (sessions, ENIs, tasks) that succeeded',
    () => identity().refreshes,
  );
  counter(
    'identity_lookups_total',
    'Single identity look-ups made in the background (misses)',
    () => identity().lookups,
  );
  counter('identity_hits_total', 'Addresses and mirror points answered from memory', () => identity().hits);
  counter(
    'identity_misses_total',
    'Addresses and mirror points not known (yet) when a record was written',
    () => identity().misses,
  );
  counter(
    'identity_grace_hits_total',
    'Hits answered by a task, ENI or session that had disappeared, within the grace period',
    () => identity().graceHits,
  );
  counter('identity_not_found_total', 'Look-ups that found nothing', () => identity().notFound);
  counter(
    'identity_queue_full_total',
    'Misses not looked up because too many look-ups were waiting',
    () => identity().queueFull,
  );
  labelled(
    'identity_errors_total',
    'Identity failures by kind (the receiver goes on without them)',
    'kind',
    () => [
      ['refresh', identity().refreshErrors],
      ['lookup', identity().lookupErrors],
      ['stray', identity().strayErrors],
    ],
  );
  gauge('identity_cache_entries', 'Identity entries held in memory, by where they came from', () => 0, {
    label: 'kind',
    values: () => {
      const c = totals().identityCache;
      return [
        ['snapshot', c.snapshot],
        ['lookup', c.lookups],
        ['grace', c.grace],
      ];
    },
  });
  const hec = source.hec;
  if (hec !== undefined) {
    counter('hec_events_in_total', 'Records handed to the Splunk HEC sink', () => hec.stats.eventsIn);
    counter(
      'hec_events_sent_total',
      'Events HEC accepted (with indexer acknowledgement: acknowledged)',
      () => hec.stats.eventsDelivered,
    );
    counter('hec_batches_sent_total', 'Batches HEC accepted', () => hec.stats.batchesDelivered);
    counter(
      'hec_retries_total',
      'HEC sends that failed and were repeated (busy, 5xx, connection errors)',
      () => hec.stats.retries,
    );
    counter(
      'hec_permanent_errors_total',
      'HEC refusals caused by configuration (bad token, bad index, acks not enabled)',
      () => hec.stats.permanentErrors,
    );
    counter(
      'hec_events_dropped_total',
      'Events dropped, oldest first, because the spool was full',
      () => hec.stats.eventsDropped,
    );
    counter(
      'hec_events_rejected_total',
      'Events in batches HEC refused as malformed (kept in the rejected/ directory)',
      () => hec.stats.eventsRejected,
    );
    counter(
      'hec_ack_timeouts_total',
      'Accepted batches not acknowledged in time, sent again',
      () => hec.stats.ackTimeouts,
    );
    gauge(
      'hec_backlog_bytes',
      'Bytes waiting for HEC: spooled (compressed) plus the batch being filled',
      () => hec.backlogBytes,
    );
    gauge('hec_backlog_events', 'Events waiting for HEC', () => hec.backlogEvents);
    gauge('hec_spool_bytes', 'Bytes of spooled batches on disk', () => hec.spoolBytes);
    gauge('hec_backpressure', '1 while the HEC spool is past its back-pressure share', () =>
      hec.backpressure ? 1 : 0,
    );
  }
  collectDefaultMetrics({ register: registry, prefix: 'fargate_mirror_' });
  return registry;
}
