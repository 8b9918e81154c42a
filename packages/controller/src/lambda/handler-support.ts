import { addToTally, type EniResult, emptyTally, type Tally } from '../core/outcomes.js';
import type { ControllerErrorCode } from '../errors.js';
import type { KeyResult } from '../reconcile/keys.js';

/** A compact, JSON-friendly line per reconciled key (logs, handler answers, `handle-event`). */
export interface KeyReport {
  readonly key: string;
  readonly state: string;
  readonly detail: string;
  readonly enis: readonly {
    readonly eniId: string;
    readonly outcome: string;
    readonly sessionId: string | undefined;
    readonly sessionNumber: number | undefined;
    readonly vni: number | undefined;
    readonly hiddenBy: readonly string[];
    readonly unmirrorable: EniResult['unmirrorable'];
    readonly error: EniResult['error'];
    readonly actions: readonly string[];
  }[];
}

export function keyReport(result: KeyResult): KeyReport {
  return {
    key: result.key,
    state: result.disposition?.state ?? (result.task ? 'unknown' : result.detail),
    detail: result.detail,
    enis: result.enis.map((e) => ({
      eniId: e.eniId,
      outcome: e.outcome,
      sessionId: e.sessionId,
      sessionNumber: e.sessionNumber,
      vni: e.vni,
      hiddenBy: e.hiddenBy,
      unmirrorable: e.unmirrorable,
      error: e.error,
      actions: e.applied.map(
        (a) =>
          `${a.action.kind} ${a.action.kind === 'delete' ? `${a.action.sessionId} (${a.action.reason})` : `#${a.action.spec.sessionNumber}`}: ${a.result}${a.errorCode ? ` ${a.errorCode}` : ''}`,
      ),
    })),
  };
}

export function tallyOf(results: readonly KeyResult[]): Tally {
  const tally = emptyTally();
  for (const r of results) for (const e of r.enis) addToTally(tally, e);
  return tally;
}

/** The first retryable failure in a result (recorded per ENI rather than thrown), if any. */
export function retryableFailure(
  result: KeyResult,
): { code: ControllerErrorCode; message: string } | undefined {
  for (const e of result.enis)
    if (e.error?.retryable) return { code: e.error.code, message: e.error.message };
  return undefined;
}

/**
 * Metric names the handlers emit besides the outcome tally, for alarms: a terminal failure is
 * recorded and not retried, so nothing else would ever show it.
 */
export const ALARM_METRICS = {
  /** Per-ENI or per-key failures that will not be retried (logged at error level). */
  terminalFailures: 'terminalFailures',
  /** The configured target or filter does not exist: nothing is changed until it is fixed. */
  mirrorResourceMissing: 'mirrorResourceMissing',
  /** Clusters of `select.clusters` that ECS does not know (the resync reads the others). */
  clustersNotFound: 'clustersNotFound',
  /**
   * Selected running tasks neither mirrored by a session nor covered by a running forwarder
   * sidecar (the resync publishes it every run, 0 included).
   */
  uncoveredTasks: 'uncoveredTasks',
  /**
   * Keys whose ENI still needed writes after every plan-apply-reread round (NOT_CONVERGED): retried,
   * but a steady count means another writer keeps changing the ENI (e.g. a second deployment with
   * the same owner).
   */
  notConverged: 'notConverged',
} as const;

/** Counts a retryable failure that an alarm should see anyway (NOT_CONVERGED). */
export function countRetryableFailure(
  metrics: { count(name: string, value?: number): void },
  code: ControllerErrorCode | 'UNEXPECTED' | undefined,
): void {
  if (code === 'NOT_CONVERGED') metrics.count(ALARM_METRICS.notConverged);
}

/** The terminal (not retried) per-ENI failures of a result. */
export function terminalFailures(
  result: KeyResult,
): { eniId: string; code: ControllerErrorCode; message: string }[] {
  return result.enis.flatMap((e) =>
    e.outcome === 'failed' && e.error && !e.error.retryable
      ? [{ eniId: e.eniId, code: e.error.code, message: e.error.message }]
      : [],
  );
}

/** Counts a thrown terminal error, and says when it is a missing target or filter. */
export function countTerminalError(
  metrics: { count(name: string, value?: number): void },
  code: ControllerErrorCode | 'UNEXPECTED',
): void {
  metrics.count(ALARM_METRICS.terminalFailures);
  if (code === 'TARGET_NOT_FOUND' || code === 'FILTER_NOT_FOUND')
    metrics.count(ALARM_METRICS.mirrorResourceMissing);
}

/** Emits the outcome counters for a set of key results. */
export function recordTallyOf(
  metrics: { count(name: string, value?: number): void },
  results: readonly KeyResult[],
): void {
  for (const [name, value] of Object.entries(tallyOf(results))) if (value > 0) metrics.count(name, value);
}
