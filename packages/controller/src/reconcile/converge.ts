import type { AppliedAction, EniResult } from '../core/outcomes.js';
import { type EniPlan, planEni, type Refusal } from '../core/plan.js';
import type { DesiredSource, SessionView } from '../core/types.js';
import { asControllerError, ControllerError, type ControllerErrorCode } from '../errors.js';
import { applyAction } from './apply.js';
import { markTokenSpent, type ReconcileContext } from './context.js';
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

/** Longest single wait of the re-read backoff. */
const MAX_BACKOFF_MS = 4000;

/**
 * Re-reads the ENI's sessions with exponential backoff (first wait `readAfterWriteDelayMs`) until
 * `settled` holds or `visibilityWaitMs` is spent: EC2's reads are eventually consistent, so a
 * session just created may be missing and one just deleted may still be listed for a while. With a
 * first wait of 0 (unit tests' consistent fakes) it reads once more, at once.
 */
async function rereadUntil(
  ctx: ReconcileContext,
  eniId: string,
  read: () => Promise<SessionView[]>,
  settled: (sessions: readonly SessionView[]) => boolean,
): Promise<SessionView[]> {
  let sessions = await read();
  let waited = 0;
  for (let delay = ctx.readAfterWriteDelayMs; !settled(sessions) && delay > 0; delay *= 2) {
    const step = Math.min(delay, MAX_BACKOFF_MS, ctx.visibilityWaitMs - waited);
    if (step <= 0) break;
    await sleep(step);
    waited += step;
    sessions = await read();
  }
  if (!settled(sessions)) ctx.log.info('EC2 reads had not caught up', { eniId, waitedMs: waited });
  return sessions;
}

/**
 * Plan, apply, re-read, until the ENI needs nothing more. `snapshot` (sessions read earlier) saves
 * the first read; every later round reads fresh, which is also the re-read after a create.
 */
export async function converge(
  ctx: ReconcileContext,
  eniId: string,
  source: DesiredSource | undefined,
  snapshot: readonly SessionView[] | undefined,
  /** A refusal EC2's description of the ENI predicts (predict-refusals.ts): no create is tried. */
  predicted?: Refusal,
): Promise<EniResult> {
  // Before any write: a missing target or filter throws here, and nothing is deleted.
  const settings = await checkedSettings(ctx);
  const applied: AppliedAction[] = [];
  let salt = 0;
  /** Sessions this pass created and has not seen listed yet. */
  const unseen = new Set<string>();
  /** Sessions of this pass, with their tokens: deleting one spends its token. */
  const createdHere = new Map<string, string | undefined>();
  /** Sessions this pass deleted: gone, though a lagging Describe may still list them. */
  const deletedHere = new Set<string>();
  /** A session number another writer holds on this ENI that no read has shown yet. */
  let takenNumber: number | undefined;
  const read = async () =>
    (await ctx.ec2.listSessions({ eniIds: [eniId] })).filter((s) => !deletedHere.has(s.sessionId));
  let plan: EniPlan | undefined;
  for (let round = 0; round <= ctx.maxRounds; round++) {
    let sessions: SessionView[];
    if (round === 0 && snapshot) {
      sessions = snapshot.filter((s) => s.eniId === eniId);
    } else {
      const wanted = takenNumber;
      sessions = await rereadUntil(
        ctx,
        eniId,
        read,
        (list) =>
          [...unseen].every((id) => list.some((s) => s.sessionId === id)) &&
          (wanted === undefined || list.some((s) => s.sessionNumber === wanted)),
      );
    }
    for (const id of unseen) {
      if (sessions.some((s) => s.sessionId === id)) continue;
      // Still not listed after the backoff: the token most likely named a session that was deleted
      // since (EC2 answers a repeated token with the original result), so the next create needs a
      // fresh one.
      salt++;
      markTokenSpent(ctx, createdHere.get(id));
      ctx.log.warn('created session is not there: new ClientToken', { eniId, sessionId: id });
    }
    unseen.clear();
    takenNumber = undefined;
    plan = planEni({
      eniId,
      source,
      sessions,
      settings,
      refusal: ctx.refusals.get(eniId) ?? predicted,
    });
    if (plan.actions.length === 0) return finalResult(plan, applied);
    if (round === ctx.maxRounds) break;
    for (const action of plan.actions) {
      const r = await applyAction(ctx, action, salt);
      applied.push(r);
      if (r.result === 'done' && action.kind === 'create' && r.sessionId !== undefined) {
        unseen.add(r.sessionId);
        createdHere.set(r.sessionId, r.clientToken);
      }
      if (r.result !== 'failed' && action.kind === 'delete') {
        deletedHere.add(action.sessionId);
        // EC2 would answer the same token with this deleted session (or IdempotentParameterMismatch).
        if (createdHere.has(action.sessionId)) {
          salt++;
          markTokenSpent(ctx, createdHere.get(action.sessionId));
        }
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
      if (r.errorCode === 'SESSION_NUMBER_TAKEN' && action.kind === 'create') {
        // Another writer's session, not listed yet: wait for it to show before planning again.
        takenNumber = action.spec.sessionNumber;
      }
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
