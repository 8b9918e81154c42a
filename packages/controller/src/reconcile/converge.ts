import type { AppliedAction, EniResult } from '../core/outcomes.js';
import { type EniPlan, planEni } from '../core/plan.js';
import type { DesiredSource, SessionView } from '../core/types.js';
import { asControllerError, ControllerError, type ControllerErrorCode } from '../errors.js';
import { applyAction } from './apply.js';
import type { ReconcileContext } from './context.js';
import { failedResult, finalResult } from './eni-result.js';
import { checkedSettings } from './mirror-resources.js';

/** Write failures after which a re-read and re-plan can succeed (another writer got there first). */
const REPLAN_CODES: ReadonlySet<ControllerErrorCode | undefined> = new Set<ControllerErrorCode>([
  'SOURCE_NOT_SUPPORTED',
  'ENI_SESSION_LIMIT',
  'IDEMPOTENCY_MISMATCH',
  'SESSION_NUMBER_TAKEN',
]);

/** One ENI to converge: what it should carry, and the sessions read earlier (if any). */
export interface ConvergeTarget {
  readonly eniId: string;
  readonly source: DesiredSource | undefined;
  readonly sessions: readonly SessionView[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Plan, apply, re-read, until the ENI needs nothing more. `snapshot` (sessions read earlier) saves
 * the first read; every later round reads fresh, which is also the re-read after a create.
 */
export async function converge(
  ctx: ReconcileContext,
  eniId: string,
  source: DesiredSource | undefined,
  snapshot: readonly SessionView[] | undefined,
): Promise<EniResult> {
  // Before any write: a missing target or filter throws here, and nothing is deleted.
  const settings = await checkedSettings(ctx);
  const applied: AppliedAction[] = [];
  let salt = 0;
  let lastCreated: string | undefined;
  /** Sessions this pass created: deleting one spends its token, so the next create needs a new one. */
  const createdHere = new Set<string>();
  let plan: EniPlan | undefined;
  for (let round = 0; round <= ctx.maxRounds; round++) {
    let sessions =
      round === 0 && snapshot
        ? snapshot.filter((s) => s.eniId === eniId)
        : await ctx.ec2.listSessions({ eniIds: [eniId] });
    if (lastCreated !== undefined && !sessions.some((s) => s.sessionId === lastCreated)) {
      // Not there: either EC2 has not caught up yet, or the token named a session that was
      // deleted since (EC2 answers a repeated token with the original result). Look once more,
      // then treat the token as spent.
      if (ctx.readAfterWriteDelayMs > 0) await sleep(ctx.readAfterWriteDelayMs);
      sessions = await ctx.ec2.listSessions({ eniIds: [eniId] });
      if (!sessions.some((s) => s.sessionId === lastCreated)) {
        salt++;
        ctx.log.warn('created session is not there: new ClientToken', { eniId, sessionId: lastCreated });
      }
    }
    lastCreated = undefined;
    plan = planEni({
      eniId,
      source,
      sessions,
      settings,
      refusal: ctx.refusals.get(eniId),
    });
    if (plan.actions.length === 0) return finalResult(plan, applied);
    if (round === ctx.maxRounds) break;
    for (const action of plan.actions) {
      const r = await applyAction(ctx, action, salt);
      applied.push(r);
      if (r.result === 'done' && action.kind === 'create' && r.sessionId !== undefined) {
        lastCreated = r.sessionId;
        createdHere.add(r.sessionId);
      }
      if (r.result !== 'failed' && action.kind === 'delete' && createdHere.has(action.sessionId)) {
        // EC2 would answer the same token with this deleted session (or IdempotentParameterMismatch).
        salt++;
      }
      if (r.result !== 'failed') continue;
      if (r.errorCode === 'ENI_NOT_FOUND') {
        // The ENI is gone (task stopped meanwhile): AWS removed its sessions with it.
        return {
          ...finalResult(
            { ...plan, actions: [], keep: undefined, hiddenBy: [], unmirrorable: undefined },
            applied,
          ),
          outcome: 'unchanged',
        };
      }
      if (r.errorCode === 'IDEMPOTENCY_MISMATCH') salt++;
      if (REPLAN_CODES.has(r.errorCode)) {
        break; // re-read and re-plan: the refusal is cached now, or another writer got there first
      }
      return failedResult(
        eniId,
        applied,
        new ControllerError(r.errorCode ?? 'AWS_REQUEST_FAILED', r.message ?? 'failed'),
        plan,
      );
    }
  }
  throw new ControllerError(
    'NOT_CONVERGED',
    `${eniId}: still ${plan?.actions.length ?? 0} action(s) to do after ${ctx.maxRounds} rounds`,
  );
}

/** Converges ENIs one after another (a key's few ENIs; the fleet uses `convergeCatching`). */
export async function convergeEach(
  ctx: ReconcileContext,
  targets: readonly ConvergeTarget[],
): Promise<EniResult[]> {
  const out: EniResult[] = [];
  for (const t of targets) out.push(await converge(ctx, t.eniId, t.source, t.sessions));
  return out;
}

/** Converges one ENI of a fleet run: a failure is recorded for that ENI, never thrown. */
export async function convergeCatching(ctx: ReconcileContext, target: ConvergeTarget): Promise<EniResult> {
  try {
    return await converge(ctx, target.eniId, target.source, target.sessions);
  } catch (error) {
    const e = asControllerError(error);
    ctx.log.warn('reconcile failed', { eniId: target.eniId, code: e.code, error: e.message });
    return failedResult(target.eniId, [], e);
  }
}
