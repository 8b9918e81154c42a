import type { IdentityCacheSizes, IdentityStats } from '../identity/identity-resolver.js';
import type { WorkerStatsSnapshot } from './worker-protocol.js';

/** Counters of every worker together: live ones from their latest snapshot, plus those that died. */
export interface ReceiverTotals {
  datagrams: number;
  datagramBytes: number;
  vxlanDatagrams: number;
  geneveDatagrams: number;
  handoffsOut: number;
  handoffsIn: number;
  handoffDrops: number;
  mirrored: number;
  mirroredIpBytes: number;
  truncated: number;
  notMirror: number;
  innerNotIp: number;
  malformed: Record<string, number>;
  /** Open flows in live workers (a dead worker's flows are gone). */
  flowsActive: number;
  flowsCreated: number;
  flowsEnded: number;
  flowsEvicted: number;
  /** Packets already counted at another mirror point (both ends mirrored), removed. */
  duplicates: number;
  dedupChecked: number;
  dedupOverwritten: number;
  /** Workload identity of every worker (each resolves on its own). */
  identity: IdentityStats;
  /** Entries in the live workers' identity caches. */
  identityCache: { snapshot: number; lookups: number; grace: number };
  vni: Map<number, { packets: number; bytes: number }>;
  recordsEmitted: number;
  pcapFramesWritten: number;
  pcapFramesDropped: number;
  pcapBytesWritten: number;
  pcapFilesCompleted: number;
  pcapErrors: number;
  pcapBufferedBytes: number;
}

const SUMMED = [
  'datagrams',
  'datagramBytes',
  'vxlanDatagrams',
  'geneveDatagrams',
  'handoffsOut',
  'handoffsIn',
  'handoffDrops',
  'mirrored',
  'mirroredIpBytes',
  'truncated',
  'notMirror',
  'innerNotIp',
  'flowsCreated',
  'flowsEnded',
  'flowsEvicted',
  'duplicates',
  'dedupChecked',
  'dedupOverwritten',
  'recordsEmitted',
] as const;

export function emptyIdentityStats(): IdentityStats {
  return {
    refreshes: 0,
    refreshErrors: 0,
    lookups: 0,
    lookupErrors: 0,
    notFound: 0,
    queueFull: 0,
    hits: 0,
    misses: 0,
    graceHits: 0,
    strayErrors: 0,
  };
}

const IDENTITY_KEYS = Object.keys(emptyIdentityStats()) as (keyof IdentityStats)[];

function addIdentity(t: IdentityStats, s: Readonly<IdentityStats>): void {
  for (const k of IDENTITY_KEYS) t[k] += s[k];
}

function addCache(t: ReceiverTotals['identityCache'], c: IdentityCacheSizes): void {
  t.snapshot += c.snapshot;
  t.lookups += c.lookups;
  t.grace += c.grace;
}

export function emptyTotals(): ReceiverTotals {
  return {
    datagrams: 0,
    datagramBytes: 0,
    vxlanDatagrams: 0,
    geneveDatagrams: 0,
    handoffsOut: 0,
    handoffsIn: 0,
    handoffDrops: 0,
    mirrored: 0,
    mirroredIpBytes: 0,
    truncated: 0,
    notMirror: 0,
    innerNotIp: 0,
    malformed: {},
    flowsActive: 0,
    flowsCreated: 0,
    flowsEnded: 0,
    flowsEvicted: 0,
    duplicates: 0,
    dedupChecked: 0,
    dedupOverwritten: 0,
    identity: emptyIdentityStats(),
    identityCache: { snapshot: 0, lookups: 0, grace: 0 },
    vni: new Map(),
    recordsEmitted: 0,
    pcapFramesWritten: 0,
    pcapFramesDropped: 0,
    pcapBytesWritten: 0,
    pcapFilesCompleted: 0,
    pcapErrors: 0,
    pcapBufferedBytes: 0,
  };
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
    if (last !== undefined) addSnapshot(this.retired, last, false);
  }

  totals(): ReceiverTotals {
    const t = emptyTotals();
    addTotals(t, this.retired);
    for (const s of this.latest) if (s !== undefined) addSnapshot(t, s, true);
    return t;
  }
}

function addSnapshot(t: ReceiverTotals, s: WorkerStatsSnapshot, live: boolean): void {
  for (const k of SUMMED) t[k] += s[k];
  for (const [reason, n] of Object.entries(s.malformed)) t.malformed[reason] = (t.malformed[reason] ?? 0) + n;
  for (const [vni, packets, bytes] of s.vni) {
    const e = t.vni.get(vni) ?? { packets: 0, bytes: 0 };
    e.packets += packets;
    e.bytes += bytes;
    t.vni.set(vni, e);
  }
  t.pcapFramesWritten += s.pcap.framesWritten;
  t.pcapFramesDropped += s.pcap.framesDropped;
  t.pcapBytesWritten += s.pcap.bytesWritten;
  t.pcapFilesCompleted += s.pcap.filesCompleted;
  t.pcapErrors += s.pcap.errors;
  addIdentity(t.identity, s.identity);
  if (live) {
    t.flowsActive += s.flowsActive;
    addCache(t.identityCache, s.identityCache);
    t.pcapBufferedBytes += s.pcap.bufferedBytes;
  }
}

function addTotals(t: ReceiverTotals, r: ReceiverTotals): void {
  for (const k of SUMMED) t[k] += r[k];
  for (const [reason, n] of Object.entries(r.malformed)) t.malformed[reason] = (t.malformed[reason] ?? 0) + n;
  for (const [vni, e] of r.vni) {
    const x = t.vni.get(vni) ?? { packets: 0, bytes: 0 };
    x.packets += e.packets;
    x.bytes += e.bytes;
    t.vni.set(vni, x);
  }
  t.pcapFramesWritten += r.pcapFramesWritten;
  t.pcapFramesDropped += r.pcapFramesDropped;
  t.pcapBytesWritten += r.pcapBytesWritten;
  t.pcapFilesCompleted += r.pcapFilesCompleted;
  t.pcapErrors += r.pcapErrors;
  addIdentity(t.identity, r.identity);
}
