// The JSON the page reads: shared by the server (which builds it) and the browser bundle (which only
// imports these types). Everything here is a copy of what records or the receiver's counters hold.
import type { SummaryReport } from '@fargate-mirror/analysis';

/** One HTTP transaction as the page lists it: the fields of an `http` record it shows, no headers. */
export interface UiTransaction {
  /** Arrival order, so the page can tell new rows from old. */
  readonly seq: number;
  readonly time: string | null;
  /** ECS service where workload identity named it, else the address (as the summary labels sides). */
  readonly source: string;
  readonly destination: string;
  readonly method: string | null;
  readonly site: string | null;
  /** Path only: the query is left out (it is redacted in records, and long). */
  readonly path: string | null;
  readonly status: number | null;
  readonly durationMs: number | null;
  readonly bytes: number;
}

/** A node of the service map: an ECS service (with its tasks), or an address outside ECS. */
export interface UiNode {
  readonly id: string;
  readonly kind: 'service' | 'external';
  /** Task ARNs seen on this service's side of records (the map draws them inside the service). */
  readonly tasks: readonly string[];
}

/** The receiver's own health, sampled once a second. */
export interface UiHealthSample {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Mirrored packets since start, and per second over the last sample. */
  readonly packets: number;
  readonly packetsPerSecond: number;
  /** Datagrams lost: kernel receive-buffer drops, hand-off drops, records dropped. */
  readonly drops: number;
  readonly malformed: number;
  readonly records: number;
  /** Splunk HEC spool on disk, null when HEC is not configured. */
  readonly spoolBytes: number | null;
  readonly spoolEvents: number | null;
  /** /healthz's verdict, null where there is no health check (the demo). */
  readonly healthy: boolean | null;
}

export interface UiHealth {
  readonly current: UiHealthSample;
  /** Oldest first, at most two minutes. */
  readonly history: readonly UiHealthSample[];
}

/** What the page receives every second (SSE `update`, or GET api/state). */
export interface UiState {
  /** Who serves the page: `receive` or `demo`. */
  readonly origin: string;
  readonly startedAt: string;
  /** The service table; `edges` holds the busiest `maxEdges` rows, `edgesTotal` says how many there are. */
  readonly summary: SummaryReport;
  readonly edgesTotal: number;
  readonly nodes: readonly UiNode[];
  readonly health: UiHealth;
  /** Seq of the newest transaction held; the page re-reads the list when it moves. */
  readonly latestTransaction: number;
  /** Distinct services and status codes among the held transactions, for the filters. */
  readonly transactionServices: readonly string[];
  readonly transactionStatuses: readonly number[];
}

export interface UiTransactionQuery {
  readonly service?: string;
  /** `404`, or a class: `4xx`, `5xx`. */
  readonly status?: string;
  /** Substring of the path. */
  readonly path?: string;
  readonly limit?: number;
}

export interface UiTransactionList {
  readonly held: number;
  readonly matched: number;
  readonly transactions: readonly UiTransaction[];
}
