import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ReceiverTotals } from '../live/stats-aggregator.js';
import { OTHER_VNI } from '../live/vni-counters.js';

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
  collectDefaultMetrics({ register: registry, prefix: 'fargate_mirror_' });
  return registry;
}
