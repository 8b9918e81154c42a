// The counter table is the one place a worker counter is declared: the aggregator sums every entry
// (keeping what a dead worker counted, forgetting what it held), and /metrics has a series for every
// entry that names one, with the outcomes adding up to the datagrams.
import { describe, expect, it } from 'vitest';
import { StatsAggregator } from '../../src/live/stats-aggregator.js';
import type { WorkerStatsSnapshot } from '../../src/live/worker-protocol.js';
import {
  WORKER_COUNTER_NAMES,
  WORKER_COUNTERS,
  type WorkerCounter,
  zeroCounters,
} from '../../src/metrics/receiver-counters.js';
import { createReceiverMetrics } from '../../src/metrics/receiver-metrics.js';

function snapshot(worker: number, value: number): WorkerStatsSnapshot {
  const counters = zeroCounters();
  for (const k of WORKER_COUNTER_NAMES) counters[k] = value;
  return { worker, counters, malformed: { vxlan_too_short: value }, vni: [[42, value, 10 * value]] };
}

describe('receiver counters', () => {
  it('sum over workers, and a dead worker keeps what it counted but not what it held', () => {
    const stats = new StatsAggregator(2);
    stats.update(snapshot(0, 3));
    stats.update(snapshot(1, 5));
    stats.retire(1);
    // The restarted worker starts again from zero.
    stats.update(snapshot(1, 1));
    const t = stats.totals();
    for (const k of WORKER_COUNTER_NAMES) {
      const liveOnly = (WORKER_COUNTERS[k] as WorkerCounter).liveOnly === true;
      expect(t[k], k).toBe(liveOnly ? 3 + 1 : 3 + 5 + 1);
    }
    expect(t.malformed).toEqual({ vxlan_too_short: 9 });
    expect(t.vni.get(42)).toEqual({ packets: 9, bytes: 90 });
  });

  it('each have their series in /metrics, and the outcomes count an inner-malformed datagram once', async () => {
    const stats = new StatsAggregator(1);
    const s = snapshot(0, 0);
    // 10 datagrams: 6 mirrored of which 2 inner-malformed, 1 tunnel-malformed, 2 not mirror, 1 lost.
    Object.assign(s.counters, {
      datagrams: 10,
      mirrored: 6,
      innerMalformed: 2,
      notMirror: 2,
      handoffDrops: 1,
    });
    stats.update({ ...s, malformed: { vxlan_too_short: 1, ipv4_truncated: 2 }, vni: [] });
    const zero = { recordsBacklogBytes: 0, recordsWritten: 0, recordsDropped: 0, recordsErrors: 0 };
    const registry = createReceiverMetrics({
      totals: () => stats.totals(),
      kernelDrops: 0,
      healthy: true,
      sinks: {
        ...zero,
        pcapFilesRemoved: 0,
        pcapDirBytes: 0,
        recordsFilesCompleted: 0,
        recordsFilesRemoved: 0,
        recordsDirBytes: 0,
      },
      workers: { recvBufferBytes: 0, restarts: 0, alive: 1 },
    });
    const text = await registry.metrics();
    for (const k of WORKER_COUNTER_NAMES) {
      const metric = (WORKER_COUNTERS[k] as WorkerCounter).metric;
      if (metric === undefined) continue;
      const labels = metric.label === undefined ? '' : `{${metric.label[0]}="${metric.label[1]}"}`;
      expect(text, k).toContain(`fargate_mirror_receiver_${metric.name}${labels} `);
    }
    const outcome = (o: string) =>
      Number(new RegExp(`datagrams_by_outcome_total\\{outcome="${o}"\\} (\\d+)`).exec(text)?.[1]);
    expect(outcome('mirrored')).toBe(4);
    expect(outcome('malformed')).toBe(3);
    expect(outcome('not_mirror')).toBe(2);
    expect(outcome('handoff_dropped')).toBe(1);
    expect(text).toContain('fargate_mirror_receiver_packets_total 6\n');
  });
});
