import type { AppliedAction, EniResult } from '../core/outcomes.js';
import { type EniPlan, planEni, type Refusal } from '../core/plan.js';
import type { DesiredSource, SessionView } from '../core/types.js';
import { asControllerError, ControllerError, type ControllerErrorCode } from '../errors.js';
import { mapLimit } from '../util/map-limit.js';
import { applyAction } from './apply.js';
import { markTokenSpent, type ReconcileContext } from './context.js';
import { failedResult, finalResult } from './eni-result.js';
import { checkedSettings } from './mirror-resources.js';

/** Write failures after which a re-read and re-plan can succeed (as converge.ts). */
const REPLAN_CODES: ReadonlySet<ControllerErrorCode | undefined> = new Set<ControllerErrorCode>([
  'SOURCE_NOT_SUPPORTED',
  'ENI_SESSION_LIMIT',
  'IDEMPOTENCY_MISMATCH',
  'SESSION_NUMBER_TAKEN',
]);

const MAX_BACKOFF_MS = 4000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One ENI of a batch and what this pass knows about it (the per-ENI state converge.ts keeps locally). */
interface EniState {
  readonly eniId: string;
  readonly source: DesiredSource | undefined;
  /** A refusal EC2's description of the ENI predicts: planned as a cached refusal, no create. */
  readonly predicted: Refusal | undefined;
  readonly applied: AppliedAction[];
  salt: number;
  /** Sessions this pass created and no read has listed yet. */
  readonly unseen: Set<string>;
  /** Sessions this pass created, with their ClientTokens. */
  readonly createdHere: Map<string, string | undefined>;
  /** Deleted by this pass: a lagging read may still list them. */
  readonly deletedHere: Set<string>;
  takenNumber: number | undefined;
  sessions: SessionView[];
  result: EniResult | undefined;
  plan: EniPlan | undefined;
}

function settled(state: EniState): boolean {
  return (
    [...state.unseen].every((id) => state.sessions.some((s) => s.sessionId === id)) &&
    (state.takenNumber === undefined || state.sessions.some((s) => s.sessionNumber === state.takenNumber))
  );
}

/**
 * Re-reads the sessions of every open ENI with ONE DescribeTrafficMirrorSessions per step (filter
 * `network-interface-id`, chunked by the adapter), backing off as converge.ts does until every
 * create of this pass is listed or `visibilityWaitMs` is spent.
 */
async function rereadAll(ctx: ReconcileContext, open: readonly EniState[]): Promise<void> {
  const read = async (states: readonly EniState[]) => {
    const listed = await ctx.ec2.listSessions({ eniIds: states.map((s) => s.eniId) });
    const byEni = groupByEni(listed);
    for (const s of states)
      s.sessions = (byEni.get(s.eniId) ?? []).filter((x) => !s.deletedHere.has(x.sessionId));
  };
  await read(open);
  let waited = 0;
  for (let delay = ctx.readAfterWriteDelayMs; delay > 0; delay *= 2) {
    const waiting = open.filter((s) => !settled(s));
    if (waiting.length === 0) return;
    const step = Math.min(delay, MAX_BACKOFF_MS, ctx.visibilityWaitMs - waited);
    if (step <= 0) break;
    await sleep(step);
    waited += step;
    await read(waiting);
  }
  const behind = open.filter((s) => !settled(s)).length;
  if (behind > 0) ctx.log.info('EC2 reads had not caught up', { enis: behind, waitedMs: waited });
}

export function groupByEni(sessions: readonly SessionView[]): Map<string, SessionView[]> {
  const out = new Map<string, SessionView[]>();
  for (const s of sessions) {
    const list = out.get(s.eniId);
    if (list) list.push(s);
    else out.set(s.eniId, [s]);
  }
  return out;
}

/** Applies one ENI's plan; leaves `result` set when the ENI is finished (done or failed). */
async function applyPlan(ctx: ReconcileContext, state: EniState, plan: EniPlan): Promise<void> {
  for (const action of plan.actions) {
    let r: AppliedAction;
    try {
      r = await applyAction(ctx, action, state.salt);
    } catch (error) {
      // Retryable (throttled beyond the SDK's retries, 5xx): recorded for this ENI, the batch goes on.
      state.result = failedResult(state.eniId, state.applied, asControllerError(error), plan);
      return;
    }
    state.applied.push(r);
    if (r.result === 'done' && action.kind === 'create' && r.sessionId !== undefined) {
      state.unseen.add(r.sessionId);
      state.createdHere.set(r.sessionId, r.clientToken);
    }
    if (r.result !== 'failed' && action.kind === 'delete') {
      state.deletedHere.add(action.sessionId);
      if (state.createdHere.has(action.sessionId)) {
        state.salt++;
        markTokenSpent(ctx, state.createdHere.get(action.sessionId));
      }
    }
    if (r.result !== 'failed') continue;
    if (r.errorCode === 'ENI_NOT_FOUND') {
      state.result = {
        ...finalResult(
          { ...plan, actions: [], keep: undefined, hiddenBy: [], unmirrorable: undefined },
          state.applied,
        ),
        outcome: 'unchanged',
      };
      return;
    }
    if (r.errorCode === 'IDEMPOTENCY_MISMATCH') state.salt++;
    if (r.errorCode === 'SESSION_NUMBER_TAKEN' && action.kind === 'create')
      state.takenNumber = action.spec.sessionNumber;
    if (REPLAN_CODES.has(r.errorCode)) return;
    state.result = failedResult(
      state.eniId,
      state.applied,
      new ControllerError(r.errorCode ?? 'AWS_REQUEST_FAILED', r.message ?? 'failed'),
      plan,
    );
    return;
  }
}

/** ENIs written at once; also how many one just-in-time re-read covers. */
const DEFAULT_WAVE = 10;
/** A plan made from a read older than this is re-read before its writes (another writer may have acted). */
const FRESH_MS = 1000;

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Applies the plans in waves of `wave` ENIs. The writes wait for the client-side bucket, so a
 * batch's last creates happen long after its read; a wave whose read is older than FRESH_MS is
 * re-read first (one call) and re-planned, so a session another worker made meanwhile (it saw the
 * same task's other events) is not created twice. The order is shuffled per batch: two workers
 * holding the same tasks would otherwise walk them in lockstep, each creating what the other is
 * creating at that moment, both unseen behind EC2's read lag.
 */
async function applyInWaves(
  ctx: ReconcileContext,
  acting: readonly EniState[],
  settings: Awaited<ReturnType<typeof checkedSettings>>,
  readAt: { at: number },
  wave: number,
): Promise<void> {
  const order = shuffled(acting);
  for (let i = 0; i < order.length; i += wave) {
    let part = order.slice(i, i + wave);
    if (ctx.now() - readAt.at > FRESH_MS) {
      const listed = groupByEni(await ctx.ec2.listSessions({ eniIds: part.map((s) => s.eniId) }));
      const still: EniState[] = [];
      for (const s of part) {
        s.sessions = (listed.get(s.eniId) ?? []).filter((x) => !s.deletedHere.has(x.sessionId));
        s.plan = planEni({
          eniId: s.eniId,
          source: s.source,
          sessions: s.sessions,
          settings,
          refusal: ctx.refusals.get(s.eniId) ?? s.predicted,
        });
        if (s.plan.actions.length === 0) s.result = finalResult(s.plan, s.applied);
        else still.push(s);
      }
      part = still;
    }
    await mapLimit(part, wave, (s) => applyPlan(ctx, s, s.plan as EniPlan));
  }
}

/**
 * converge.ts for many ENIs at once, in lockstep rounds: plan every ENI from one snapshot, apply
 * the writes (`concurrency` ENIs at a time; creates wait for the client-side EC2 bucket, pacing.ts),
 * then re-read every ENI that was written with one batched Describe per backoff step, and plan
 * again. The rules are converge.ts's (ClientToken salts, deleted-here filtering, re-plan codes);
 * only the reads are shared, so a batch of N ENIs costs a few reads instead of N per round.
 * Failures are recorded per ENI, never thrown (a missing target or filter still throws first).
 */
export async function convergeBatch(
  ctx: ReconcileContext,
  targets: readonly {
    readonly eniId: string;
    readonly source: DesiredSource | undefined;
    readonly predicted?: Refusal | undefined;
  }[],
  snapshot: readonly SessionView[],
  options: { readonly wave?: number } = {},
): Promise<EniResult[]> {
  const settings = await checkedSettings(ctx);
  const readAt = { at: ctx.now() };
  const byEni = groupByEni(snapshot);
  const states: EniState[] = targets.map((t) => ({
    eniId: t.eniId,
    source: t.source,
    predicted: t.predicted,
    applied: [],
    salt: 0,
    unseen: new Set(),
    createdHere: new Map(),
    deletedHere: new Set(),
    takenNumber: undefined,
    sessions: byEni.get(t.eniId) ?? [],
    result: undefined,
    plan: undefined,
  }));
  for (let round = 0; round <= ctx.maxRounds; round++) {
    const open = states.filter((s) => s.result === undefined);
    if (open.length === 0) break;
    if (round > 0) {
      await rereadAll(ctx, open);
      readAt.at = ctx.now();
    }
    const acting: EniState[] = [];
    for (const s of open) {
      for (const id of s.unseen) {
        if (s.sessions.some((x) => x.sessionId === id)) continue;
        s.salt++; // not listed after the backoff: the token most likely named a deleted session
        markTokenSpent(ctx, s.createdHere.get(id));
        ctx.log.warn('created session is not there: new ClientToken', { eniId: s.eniId, sessionId: id });
      }
      s.unseen.clear();
      s.takenNumber = undefined;
      s.plan = planEni({
        eniId: s.eniId,
        source: s.source,
        sessions: s.sessions,
        settings,
        refusal: ctx.refusals.get(s.eniId) ?? s.predicted,
      });
      if (s.plan.actions.length === 0) s.result = finalResult(s.plan, s.applied);
      else acting.push(s);
    }
    if (acting.length === 0) break;
    if (round === ctx.maxRounds) {
      for (const s of acting) {
        s.result = failedResult(
          s.eniId,
          s.applied,
          new ControllerError(
            'NOT_CONVERGED',
            `${s.eniId}: still ${s.plan?.actions.length ?? 0} action(s) to do after ${ctx.maxRounds} rounds`,
          ),
          s.plan,
        );
      }
      break;
    }
    await applyInWaves(ctx, acting, settings, readAt, options.wave ?? DEFAULT_WAVE);
  }
  return states.map((s) => s.result as EniResult);
}
