import type { AppliedAction, EniResult } from '../core/outcomes.js';
import { outcomeOf } from '../core/outcomes.js';
import type { EniPlan } from '../core/plan.js';
import type { ControllerError } from '../errors.js';

/** The result of an ENI whose last plan needs nothing more. */
export function finalResult(plan: EniPlan, applied: readonly AppliedAction[]): EniResult {
  return {
    eniId: plan.eniId,
    outcome: outcomeOf(applied, plan, false),
    applied,
    sessionId: plan.keep?.sessionId,
    sessionNumber: plan.keep?.sessionNumber,
    vni: plan.keep?.vni,
    hiddenBy: plan.hiddenBy.map((s) => s.sessionId),
    unmirrorable: plan.keep ? undefined : plan.unmirrorable,
    error: undefined,
  };
}

/** The result of an ENI the resync found already right: nothing applied. */
export function unchangedResult(plan: EniPlan): EniResult {
  return finalResult(plan, []);
}

/** The result of an ENI whose writes failed; `plan` (when known) says what stayed in place. */
export function failedResult(
  eniId: string,
  applied: readonly AppliedAction[],
  error: ControllerError,
  plan?: EniPlan,
): EniResult {
  return {
    eniId,
    outcome: 'failed',
    applied,
    sessionId: plan?.keep?.sessionId,
    sessionNumber: plan?.keep?.sessionNumber,
    vni: plan?.keep?.vni,
    hiddenBy: plan?.hiddenBy.map((s) => s.sessionId) ?? [],
    unmirrorable: undefined,
    error: { code: error.code, message: error.message, retryable: error.retryable },
  };
}
