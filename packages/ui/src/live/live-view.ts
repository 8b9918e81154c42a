import { type LatencySketchOptions, TrafficSummary } from '@fargate-mirror/analysis';
import type { UiNode, UiState, UiTransactionList, UiTransactionQuery } from '../api/ui-api.js';
import { UiError } from '../errors.js';
import { HealthHistory, type UiHealthSource } from './health-history.js';
import { RecentTransactions } from './recent-transactions.js';

export interface LiveViewOptions {
  /** Who serves the page (`receive`, `demo`): shown in its title bar. */
  readonly origin: string;
  readonly health: UiHealthSource;
  /** HTTP transactions kept for the list. @default 500 */
  readonly transactions?: number;
  /** Tasks named per service on the map (the rest are counted, not drawn). @default 50 */
  readonly tasksPerService?: number;
  /** Rows of the service table sent to the page, busiest first. @default 200 */
  readonly maxEdges?: number;
  /**
   * The table's latency percentiles come from a fixed-size sketch per row (memory set by this, not by
   * the traffic): each within `relativeError` of the exact nearest-rank figure, `maxBuckets` of 8 bytes.
   * @default { relativeError: 0.01, maxBuckets: 1024 }
   */
  readonly latency?: LatencySketchOptions;
}

/** The state is built at most once in this many milliseconds, however many pages follow it. */
const STATE_REUSE_MS = 900;

/** The fields of a record the view reads beyond the summary's; records may come from files. */
interface LooseRecord {
  readonly type?: unknown;
  readonly interim?: unknown;
  readonly time?: unknown;
  readonly src_ip?: unknown;
  readonly dest_ip?: unknown;
  readonly src_ecs_cluster?: unknown;
  readonly src_ecs_service?: unknown;
  readonly src_ecs_task_arn?: unknown;
  readonly dest_ecs_cluster?: unknown;
  readonly dest_ecs_service?: unknown;
  readonly dest_ecs_task_arn?: unknown;
  readonly http_method?: unknown;
  readonly site?: unknown;
  readonly uri_path?: unknown;
  readonly status?: unknown;
  readonly duration_ms?: unknown;
  readonly bytes?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * What the live page shows, fed with records as the receiver makes them: the service table
 * (TrafficSummary, the one `fargate-mirror summary` prints), the nodes of the map with their tasks,
 * the newest HTTP transactions, and the health history. Read-only towards whatever feeds it.
 */
export class LiveView {
  readonly origin: string;
  private readonly summary: TrafficSummary;
  private readonly recent: RecentTransactions;
  private readonly health: HealthHistory;
  private readonly tasks = new Map<string, Set<string>>();
  private readonly clusters = new Set<string>();
  private readonly tasksPerService: number;
  private readonly startedAt = new Date().toISOString();
  private records = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxEdges: number;
  private cached: { at: number; state: UiState } | undefined;

  constructor(options: LiveViewOptions) {
    const transactions = options.transactions ?? 500;
    if (!Number.isInteger(transactions) || transactions < 1 || transactions > 100_000) {
      throw new UiError(
        'UI_OPTIONS_INVALID',
        `transactions must be a whole number from 1 to 100000, got ${String(options.transactions)}`,
      );
    }
    this.origin = options.origin;
    this.summary = new TrafficSummary({ top: 10, latency: { sketch: options.latency ?? {} } });
    this.recent = new RecentTransactions(transactions);
    this.health = new HealthHistory(options.health);
    this.tasksPerService = options.tasksPerService ?? 50;
    this.maxEdges = options.maxEdges ?? 200;
  }

  /** Bytes the service table's latency sketches hold (fixed per row, whatever the traffic). */
  get latencyBytes(): number {
    return this.summary.latencyBytes;
  }

  /** Samples health once a second (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.health.sample(this.records);
    this.timer = setInterval(() => this.health.sample(this.records), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A batch of JSON Lines as the receiver's workers send them; a line that is not JSON counts as malformed. */
  addLines(text: string): void {
    let at = 0;
    while (at < text.length) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      if (end > at) {
        let value: unknown;
        try {
          value = JSON.parse(text.slice(at, end));
        } catch {
          this.summary.addMalformed();
          at = end + 1;
          continue;
        }
        this.add(value);
      }
      at = end + 1;
    }
  }

  add(value: unknown): void {
    this.records++;
    this.summary.add(value);
    if (typeof value !== 'object' || value === null) return;
    const r = value as LooseRecord;
    if (r.interim === true) return;
    const sourceKey = this.side(r.src_ecs_cluster, r.src_ecs_service, r.src_ecs_task_arn, r.src_ip);
    const destinationKey = this.side(r.dest_ecs_cluster, r.dest_ecs_service, r.dest_ecs_task_arn, r.dest_ip);
    if (r.type !== 'http') return;
    this.recent.push({
      seq: ++this.seq,
      time: str(r.time),
      sourceKey,
      destinationKey,
      method: str(r.http_method),
      site: str(r.site),
      path: str(r.uri_path),
      status: numOrNull(r.status),
      durationMs: numOrNull(r.duration_ms),
      bytes: numOrNull(r.bytes) ?? 0,
    });
  }

  /** The page's state; several pages within a second share one (the report walks every row). */
  state(now = Date.now()): UiState {
    if (this.cached !== undefined && now - this.cached.at < STATE_REUSE_MS) return this.cached.state;
    const state = this.buildState();
    this.cached = { at: now, state };
    return state;
  }

  private buildState(): UiState {
    const full = this.summary.report();
    const summary = { ...full, edges: full.edges.slice(0, this.maxEdges) };
    const nodes = new Map<string, UiNode>();
    const serviceTasks = new Map<string, string[]>();
    for (const [key, set] of this.tasks) serviceTasks.set(this.label(key), [...set]);
    // Every service, however quiet; external addresses only where a row of the table names them
    // (a replay or a scan makes thousands).
    for (const [id, tasks] of serviceTasks) nodes.set(id, { id, kind: 'service', tasks });
    for (const e of summary.edges) {
      for (const id of [e.source, e.destination]) {
        if (!nodes.has(id)) nodes.set(id, { id, kind: 'external', tasks: [] });
      }
    }
    const services = new Set<string>();
    const statuses = new Set<number>();
    for (const tx of this.recent.newestFirst()) {
      services.add(this.label(tx.sourceKey));
      services.add(this.label(tx.destinationKey));
      if (tx.status !== null) statuses.add(tx.status);
    }
    return {
      origin: this.origin,
      startedAt: this.startedAt,
      summary,
      edgesTotal: full.edges.length,
      nodes: [...nodes.values()],
      health: this.health.health(this.records),
      latestTransaction: this.seq,
      transactionServices: [...services].sort(),
      transactionStatuses: [...statuses].sort((a, b) => a - b),
    };
  }

  transactions(query: UiTransactionQuery): UiTransactionList {
    return this.recent.query(query, (key) => this.label(key));
  }

  /** A side's key, as TrafficSummary keys it; a service's task is remembered for the map. */
  private side(cluster: unknown, service: unknown, task: unknown, ip: unknown): string {
    const s = str(service);
    if (s === null) return `ip\u0000${str(ip) ?? '?'}`;
    const c = str(cluster) ?? '';
    this.clusters.add(c);
    const key = `svc\u0000${c}\u0000${s}`;
    let set = this.tasks.get(key);
    if (set === undefined) {
      set = new Set();
      this.tasks.set(key, set);
    }
    const t = str(task);
    if (t !== null && set.size < this.tasksPerService) set.add(t);
    return key;
  }

  /** The summary's labels: a service by name, `cluster/service` when records span several clusters. */
  private label(key: string): string {
    const parts = key.split('\u0000');
    if (parts[0] === 'ip') return parts[1] ?? '?';
    return this.clusters.size > 1 && parts[1] !== '' ? `${parts[1]}/${parts[2]}` : (parts[2] ?? '?');
  }
}
