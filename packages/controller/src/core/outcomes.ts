import type { ControllerErrorCode } from '../errors.js';
import type { Action, EniPlan, Unmirrorable } from './plan.js';

/**
 * The few outcomes a reconcile of one key ends in; they complete the sentence "task X was ...".
 * `hidden` is reported alongside (a flag), since a hidden session is still ours and in place.
 */
export type Outcome =
  | 'created'
  | 'deleted'
  /** A session of ours was replaced (drift) or duplicates were removed while one stayed. */
  | 'updated'
  | 'unchanged'
  | 'unmirrorable'
  | 'failed';

export const METRIC_NAMES = ['created', 'deleted', 'unchanged', 'unmirrorable', 'hidden', 'failed'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface AppliedAction {
  readonly action: Action;
  /** What happened: done, `already-gone` for a delete that found nothing, or the error code. */
  readonly result: 'done' | 'already-gone' | 'failed';
  readonly sessionId: string | undefined;
  readonly errorCode: ControllerErrorCode | undefined;
  readonly message: string | undefined;
  /** The ClientToken a create was sent with (so a spent one is never sent again). */
  readonly clientToken?: string;
}

export interface EniResult {
  readonly eniId: string;
  readonly outcome: Outcome;
  readonly applied: readonly AppliedAction[];
  /** The session of ours on the ENI at the end (undefined when none is wanted or none could be made). */
  readonly sessionId: string | undefined;
  readonly sessionNumber: number | undefined;
  readonly vni: number | undefined;
  readonly hiddenBy: readonly string[];
  readonly unmirrorable: Unmirrorable | undefined;
  readonly error:
    | { readonly code: ControllerErrorCode; readonly message: string; readonly retryable: boolean }
    | undefined;
}

/** The outcome of an ENI's reconcile from the actions that were applied and the final plan. */
export function outcomeOf(applied: readonly AppliedAction[], finalPlan: EniPlan, failed: boolean): Outcome {
  if (failed) return 'failed';
  if (finalPlan.unmirrorable && finalPlan.keep === undefined) return 'unmirrorable';
  const done = applied.filter((a) => a.result !== 'failed');
  const creates = done.filter((a) => a.action.kind === 'create' && a.result === 'done').length;
  const deletes = done.filter((a) => a.action.kind === 'delete').length;
  if (creates > 0 && deletes > 0) return 'updated';
  if (creates > 0) return 'created';
  if (deletes > 0) return finalPlan.keep ? 'updated' : 'deleted';
  return 'unchanged';
}

export type Tally = Record<MetricName, number>;

export function emptyTally(): Tally {
  return { created: 0, deleted: 0, unchanged: 0, unmirrorable: 0, hidden: 0, failed: 0 };
}

/** Adds one ENI result to the metric tally: creates and deletes count actions, the rest results. */
export function addToTally(tally: Tally, result: EniResult): Tally {
  for (const a of result.applied) {
    if (a.result !== 'done' && a.result !== 'already-gone') continue;
    if (a.action.kind === 'create') tally.created++;
    else tally.deleted++;
  }
  if (result.outcome === 'unchanged') tally.unchanged++;
  if (result.outcome === 'unmirrorable') tally.unmirrorable++;
  if (result.outcome === 'failed') tally.failed++;
  if (result.hiddenBy.length > 0) tally.hidden++;
  return tally;
}
