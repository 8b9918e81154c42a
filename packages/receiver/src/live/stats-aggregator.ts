import {
  WORKER_COUNTER_NAMES,
  WORKER_COUNTERS,
  type WorkerCounter,
  type WorkerCounterValues,
  zeroCounters,
} from '../metrics/receiver-counters.js';
import type { WorkerStatsSnapshot } from './worker-protocol.js';

/**
 * Counters of every worker together: live ones from their latest snapshot, plus those that died. The
 * scalar counters are those of the table in metrics/receiver-counters.ts.
 */
export type ReceiverTotals = WorkerCounterValues & {
  malformed: Record<string, number>;
  vni: Map<number, { packets: number; bytes: number }>;
};

/** Counters kept after their worker died (what happened), as opposed to what it held. */
const KEPT = WORKER_COUNTER_NAMES.filter((k) => (WORKER_COUNTERS[k] as WorkerCounter).liveOnly !== true);

export function emptyTotals(): ReceiverTotals {
  return { ...zeroCounters(), malformed: {}, vni: new Map() };
}

/**
 * Sums the workers' periodic snapshots. A worker's counters start from zero when it is restarted, so
 * the last snapshot of a dead worker is kept in `retired` and counters never go backwards.
 */
export class StatsAggregator {
  private readonly latest: (WorkerStatsSnapshot | undefined)[];
  private readonly retired = emptyTotals();

  constructor(workers: number) {
    this.latest = new Array(workers).fill(undefined);
  }

  update(snapshot: WorkerStatsSnapshot): void {
    this.latest[snapshot.worker] = snapshot;
  }

  /** The worker died: keep what it counted, forget its open flows and buffers. */
  retire(worker: number): void {
    const last = this.latest[worker];
    this.latest[worker] = undefined;
    if (last !== undefined) add(this.retired, last.counters, KEPT, last.malformed, last.vni);
  }

  totals(): ReceiverTotals {
    const t = emptyTotals();
    const r = this.retired;
    add(
      t,
      r,
      KEPT,
      r.malformed,
      [...r.vni].map(([vni, e]) => [vni, e.packets, e.bytes] as const),
    );
    for (const s of this.latest)
      if (s !== undefined) add(t, s.counters, WORKER_COUNTER_NAMES, s.malformed, s.vni);
    return t;
  }
}

function add(
  t: ReceiverTotals,
  counters: Readonly<WorkerCounterValues>,
  keys: readonly (keyof WorkerCounterValues)[],
  malformed: Readonly<Record<string, number>>,
  vni: WorkerStatsSnapshot['vni'],
): void {
  for (const k of keys) t[k] += counters[k];
  for (const [reason, n] of Object.entries(malformed)) t.malformed[reason] = (t.malformed[reason] ?? 0) + n;
  for (const [id, packets, bytes] of vni) {
    const e = t.vni.get(id) ?? { packets: 0, bytes: 0 };
    e.packets += packets;
    e.bytes += bytes;
    t.vni.set(id, e);
  }
}
