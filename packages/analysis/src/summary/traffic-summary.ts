import { LatencySketch, type LatencySketchOptions } from './latency-sketch.js';
import { nearestRank } from './percentiles.js';
import type {
  CountByName,
  DnsNameSummary,
  EdgeSummary,
  LatencyPercentiles,
  SummaryReport,
  TalkerSummary,
} from './summary-report.js';

/** The fields of a record the summary reads; records come from files, so every one may be missing. */
interface LooseRecord {
  readonly type?: unknown;
  readonly time?: unknown;
  readonly app?: unknown;
  readonly src_ip?: unknown;
  readonly dest_ip?: unknown;
  readonly src_ecs_cluster?: unknown;
  readonly src_ecs_service?: unknown;
  readonly dest_ecs_cluster?: unknown;
  readonly dest_ecs_service?: unknown;
  readonly bytes_out?: unknown;
  readonly bytes_in?: unknown;
  readonly tcp_flag?: unknown;
  readonly status?: unknown;
  readonly reply_code?: unknown;
  readonly query?: unknown;
  readonly duration_ms?: unknown;
  readonly server_name?: unknown;
  readonly tls_version?: unknown;
  readonly flow_end_reason?: unknown;
}

interface EdgeTotals {
  readonly sourceKey: string;
  readonly destinationKey: string;
  readonly protocol: string;
  connections: number;
  requests: number;
  http4xx: number;
  http5xx: number;
  dnsFailures: number;
  tcpResets: number;
  readonly latencies: LatencySamples;
  bytesOut: number;
  bytesIn: number;
}

export interface TrafficSummaryOptions {
  /** Length of each top list. @default 10 */
  readonly top?: number;
  /**
   * How durations are kept for the percentiles. `'exact'` (the default, what `summary` uses on files)
   * keeps every one, 8 bytes each, so the percentiles equal those computed from tshark's `http.time`;
   * a sketch (what the live page uses) holds a fixed number of buckets per row whatever the traffic,
   * each percentile within its `relativeError`.
   */
  readonly latency?: 'exact' | { readonly sketch: LatencySketchOptions };
}

/** The durations of one row, and its percentiles. */
interface LatencySamples {
  add(ms: number): void;
  percentiles(): LatencyPercentiles;
  /** What the durations take in memory (8 bytes a value or a bucket). */
  readonly bytes: number;
}

/** Every duration, sorted when a report asks (nearest rank, as a test computes it from tshark). */
class ExactLatencies implements LatencySamples {
  private readonly values: number[] = [];
  private sorted = true;

  add(ms: number): void {
    const last = this.values.at(-1);
    if (last !== undefined && ms < last) this.sorted = false;
    this.values.push(ms);
  }

  get bytes(): number {
    return this.values.length * 8;
  }

  percentiles(): LatencyPercentiles {
    if (!this.sorted) this.values.sort((a, b) => a - b);
    this.sorted = true;
    return {
      p50: nearestRank(this.values, 0.5),
      p95: nearestRank(this.values, 0.95),
      p99: nearestRank(this.values, 0.99),
    };
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Service-to-service totals from flow, HTTP, DNS and TLS records (what `read`, `receive` and the demo
 * write): `add` each record, then `report()`. Sides are ECS services where workload identity named
 * them, addresses otherwise.
 */
export class TrafficSummary {
  private readonly edges = new Map<string, EdgeTotals>();
  private readonly counts: Record<string, number> = {};
  private readonly clusters = new Set<string>();
  private readonly talkers = new Map<string, { bytes: number; connections: number }>();
  private readonly dnsNames = new Map<string, { queries: number; failures: number }>();
  private readonly serverNames = new Map<string, number>();
  private readonly tlsVersions = new Map<string, number>();
  private firstTime: string | null = null;
  private lastTime: string | null = null;
  private readonly top: number;
  private readonly newLatencies: () => LatencySamples;
  /** 0 when percentiles are exact; the sketch's bound otherwise. */
  readonly latencyRelativeError: number;

  constructor(options: TrafficSummaryOptions = {}) {
    this.top = options.top ?? 10;
    const latency = options.latency ?? 'exact';
    if (latency === 'exact') {
      this.newLatencies = () => new ExactLatencies();
      this.latencyRelativeError = 0;
    } else {
      // Built once here so bad options fail at construction, not on the first transaction.
      const probe = new LatencySketch(latency.sketch);
      this.newLatencies = () => new LatencySketch(latency.sketch);
      this.latencyRelativeError = probe.relativeError;
    }
  }

  /** Bytes the rows' durations hold: grows with the transactions when exact, fixed per row with a sketch. */
  get latencyBytes(): number {
    let bytes = 0;
    for (const e of this.edges.values()) bytes += e.latencies.bytes;
    return bytes;
  }

  /** Counts a line that could not be read as a record. */
  addMalformed(): void {
    this.bump(this.counts, 'malformed');
  }

  add(value: unknown): void {
    if (typeof value !== 'object' || value === null || typeof (value as LooseRecord).type !== 'string') {
      this.addMalformed();
      return;
    }
    const r = value as LooseRecord;
    const type = r.type as string;
    this.bump(this.counts, type);
    const time = str(r.time);
    if (time !== undefined) {
      if (this.firstTime === null || time < this.firstTime) this.firstTime = time;
      if (this.lastTime === null || time > this.lastTime) this.lastTime = time;
    }
    const source = this.endpointKey(r.src_ecs_cluster, r.src_ecs_service, r.src_ip);
    const destination = this.endpointKey(r.dest_ecs_cluster, r.dest_ecs_service, r.dest_ip);
    switch (type) {
      case 'flow': {
        const edge = this.edge(source, destination, str(r.app) ?? 'ip');
        const bytesOut = num(r.bytes_out);
        const bytesIn = num(r.bytes_in);
        // A long-lived flow's interim records (active timeout) carry the bytes of their interval
        // only (delta counters, as IPFIX does): every record adds its bytes, the connection counts
        // once, on the record that ends it.
        const interim = r.flow_end_reason === 'active_timeout';
        if (!interim) edge.connections++;
        edge.bytesOut += bytesOut;
        edge.bytesIn += bytesIn;
        if (typeof r.tcp_flag === 'string' && r.tcp_flag.split(',').includes('RST')) edge.tcpResets++;
        const talker = this.talkers.get(source) ?? { bytes: 0, connections: 0 };
        talker.bytes += bytesOut + bytesIn;
        if (!interim) talker.connections++;
        this.talkers.set(source, talker);
        break;
      }
      case 'http': {
        const edge = this.edge(source, destination, 'http');
        edge.requests++;
        const status = num(r.status);
        if (status >= 500) edge.http5xx++;
        else if (status >= 400) edge.http4xx++;
        if (typeof r.duration_ms === 'number') edge.latencies.add(r.duration_ms);
        break;
      }
      case 'dns': {
        const edge = this.edge(source, destination, 'dns');
        edge.requests++;
        const failed = r.reply_code !== 'NOERROR';
        if (failed) edge.dnsFailures++;
        if (typeof r.duration_ms === 'number') edge.latencies.add(r.duration_ms);
        const name = str(r.query);
        if (name !== undefined) {
          const entry = this.dnsNames.get(name) ?? { queries: 0, failures: 0 };
          entry.queries++;
          if (failed) entry.failures++;
          this.dnsNames.set(name, entry);
        }
        break;
      }
      case 'tls': {
        this.bump(this.serverNames, str(r.server_name) ?? '(no SNI)');
        this.bump(this.tlsVersions, str(r.tls_version) ?? '(unknown)');
        break;
      }
    }
  }

  report(): SummaryReport {
    const edges: EdgeSummary[] = [...this.edges.values()].map((e) => {
      const errors = e.http4xx + e.http5xx + e.dnsFailures;
      return {
        source: this.label(e.sourceKey),
        destination: this.label(e.destinationKey),
        protocol: e.protocol,
        connections: e.connections,
        requests: e.requests,
        http4xx: e.http4xx,
        http5xx: e.http5xx,
        dnsFailures: e.dnsFailures,
        tcpResets: e.tcpResets,
        errorRate: e.requests > 0 ? errors / e.requests : e.connections > 0 ? e.tcpResets / e.connections : 0,
        latencyMs: e.latencies.percentiles(),
        bytesOut: e.bytesOut,
        bytesIn: e.bytesIn,
      };
    });
    edges.sort(
      (a, b) =>
        b.bytesOut + b.bytesIn - (a.bytesOut + a.bytesIn) ||
        b.requests - a.requests ||
        a.source.localeCompare(b.source) ||
        a.destination.localeCompare(b.destination) ||
        a.protocol.localeCompare(b.protocol),
    );
    const topTalkers: TalkerSummary[] = [...this.talkers]
      .map(([key, t]) => ({ endpoint: this.label(key), bytes: t.bytes, connections: t.connections }))
      .sort((a, b) => b.bytes - a.bytes || a.endpoint.localeCompare(b.endpoint))
      .slice(0, this.top);
    const topDnsNames: DnsNameSummary[] = [...this.dnsNames]
      .map(([name, d]) => ({ name, queries: d.queries, failures: d.failures }))
      .sort((a, b) => b.queries - a.queries || a.name.localeCompare(b.name))
      .slice(0, this.top);
    return {
      records: { ...this.counts },
      latencyRelativeError: this.latencyRelativeError,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      edges,
      topTalkers,
      topDnsNames,
      tlsServerNames: this.ranked(this.serverNames),
      tlsVersions: this.ranked(this.tlsVersions),
    };
  }

  private ranked(counts: Map<string, number>): CountByName[] {
    return [...counts]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, this.top);
  }

  private endpointKey(cluster: unknown, service: unknown, ip: unknown): string {
    const s = str(service);
    if (s === undefined) return `ip\u0000${str(ip) ?? '?'}`;
    const c = str(cluster) ?? '';
    this.clusters.add(c);
    return `svc\u0000${c}\u0000${s}`;
  }

  /** A service by its name, or `cluster/service` when the records span several clusters. */
  private label(key: string): string {
    const parts = key.split('\u0000');
    if (parts[0] === 'ip') return parts[1] ?? '?';
    return this.clusters.size > 1 && parts[1] !== '' ? `${parts[1]}/${parts[2]}` : (parts[2] ?? '?');
  }

  private edge(sourceKey: string, destinationKey: string, protocol: string): EdgeTotals {
    const key = `${sourceKey}\u0001${destinationKey}\u0001${protocol}`;
    let edge = this.edges.get(key);
    if (edge === undefined) {
      edge = {
        sourceKey,
        destinationKey,
        protocol,
        connections: 0,
        requests: 0,
        http4xx: 0,
        http5xx: 0,
        dnsFailures: 0,
        tcpResets: 0,
        latencies: this.newLatencies(),
        bytesOut: 0,
        bytesIn: 0,
      };
      this.edges.set(key, edge);
    }
    return edge;
  }

  private bump(map: Map<string, number> | Record<string, number>, key: string): void {
    if (map instanceof Map) map.set(key, (map.get(key) ?? 0) + 1);
    else map[key] = (map[key] ?? 0) + 1;
  }
}
