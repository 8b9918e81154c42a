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

/** Emits the outcome counters for a set of key results. */
export function recordTallyOf(
  metrics: { count(name: string, value?: number): void },
  results: readonly KeyResult[],
): void {
  for (const [name, value] of Object.entries(tallyOf(results))) if (value > 0) metrics.count(name, value);
}
