import type { DesiredState } from '../core/desired-state.js';
import { type AppliedAction, addToTally, type EniResult, emptyTally, type Tally } from '../core/outcomes.js';
import { type Action, type EniPlan, planAll, planCleanup } from '../core/plan.js';
import { TAG_OWNER } from '../core/types.js';
import { asControllerError } from '../errors.js';
import { mapLimit } from '../util/map-limit.js';
import { type WorkItem, workItemForPlan, workItemKey } from '../work-item.js';
import { applyActionCatching } from './apply.js';
import { desiredOf, type ReconcileContext } from './context.js';
import { convergeCatching } from './converge.js';
import { failedResult, unchangedResult } from './eni-result.js';
import { sourceFromTags } from './keys.js';
import { checkedSettings } from './mirror-resources.js';
import { type ObservedWorld, type ObserveProgress, observeWorld } from './observe.js';
import { predictRefusals } from './predict-refusals.js';

export interface ResyncPlan {
  readonly world: ObservedWorld;
  readonly desired: DesiredState;
  readonly plans: readonly EniPlan[];
  /** One key per differing ENI (deduplicated): what the scheduled resync queues. */
  readonly workItems: readonly WorkItem[];
  /** Set when the ENIs could not be read to predict refusals (no ec2:DescribeNetworkInterfaces). */
  readonly refusalsNotPredicted?: string;
}

export interface ResyncReport extends ResyncPlan {
  readonly results: readonly EniResult[];
  readonly tally: Tally;
}

export interface ResyncOptions {
  readonly concurrency?: number;
  readonly progress?: ObserveProgress;
  readonly apply?: boolean;
  /** A plan made just before (by `plan`): applied as is instead of reading and planning again. */
  readonly planned?: ResyncPlan;
}

/**
 * Reads everything and plans, without writing: what `plan`, `status` and the resync start from.
 * `explain` also reads clusters outside the selection, to say why their tasks are not selected.
 */
export async function planFleet(
  ctx: ReconcileContext,
  progress?: ObserveProgress,
  options: { explain?: boolean } = {},
): Promise<ResyncPlan> {
  // First: with a missing target or filter every session would look drifted.
  const settings = await checkedSettings(ctx);
  const world = await observeWorld(ctx.ec2, ctx.ecs, ctx.config.selection, progress, options.explain);
  if (world.missingClusters.length > 0) {
    ctx.log.warn('clusters not found; the others were read', { clusters: world.missingClusters });
  }
  const desired = desiredOf(ctx, world.tasks, world.instances);
  const { predicted, notPredicted } = await predictedRefusals(ctx, desired, world);
  const plans = planAll({
    sources: desired.sources,
    sessions: world.sessions,
    settings,
    refusalFor: (eniId) => ctx.refusals.get(eniId) ?? predicted.get(eniId),
  });
  const items = new Map<string, WorkItem>();
  for (const p of plans) {
    if (p.actions.length === 0) continue;
    const w = workItemForPlan(p);
    items.set(workItemKey(w), w);
  }
  return {
    world,
    desired,
    plans,
    workItems: [...items.values()],
    ...(notPredicted === undefined ? {} : { refusalsNotPredicted: notPredicted }),
  };
}

/** The fleet's ENIs that want a session and have none: predicted in one batch (predict-refusals.ts). */
function predictedRefusals(ctx: ReconcileContext, desired: DesiredState, world: ObservedWorld) {
  const withSession = new Set(world.sessions.map((s) => s.eniId));
  return predictRefusals(
    ctx,
    [...desired.sources.keys()].filter((id) => !withSession.has(id)),
  );
}

/**
 * Full resync in this process: plan, then converge every differing ENI (re-reading each before
 * its writes), `concurrency` ENIs at a time. Retryable failures are recorded per ENI, not thrown.
 */
export async function resyncFleet(ctx: ReconcileContext, options: ResyncOptions = {}): Promise<ResyncReport> {
  const planned = options.planned ?? (await planFleet(ctx, options.progress));
  const differing = planned.plans.filter((p) => p.actions.length > 0);
  const tally = emptyTally();
  if (options.apply === false) return { ...planned, results: [], tally };
  let done = 0;
  const results = await mapLimit(differing, options.concurrency ?? 4, async (p) => {
    const result = p.source
      ? await convergeCatching(ctx, { eniId: p.eniId, source: p.source, sessions: planned.world.sessions })
      : await convergeUnwanted(ctx, p.eniId);
    options.progress?.('apply', ++done, differing.length);
    return result;
  });
  const differingIds = new Set(differing.map((p) => p.eniId));
  for (const p of planned.plans) {
    if (!differingIds.has(p.eniId)) addToTally(tally, unchangedResult(p));
  }
  for (const r of results) addToTally(tally, r);
  return { ...planned, results, tally };
}

/**
 * An ENI the plan wants nothing on: the tasks read earlier may be stale (a task that started after
 * its cluster was listed has a session already), so its sessions and the tasks their tags name are
 * read again right before anything is deleted.
 */
async function convergeUnwanted(ctx: ReconcileContext, eniId: string): Promise<EniResult> {
  try {
    const sessions = await ctx.ec2.listSessions({ eniIds: [eniId] });
    const owned = sessions.filter((s) => s.tags[TAG_OWNER] === ctx.settings.owner);
    const source = await sourceFromTags(ctx, eniId, owned);
    if (source)
      ctx.log.info('the task its sessions name is active (started or draining since the plan): they stay', {
        eniId,
      });
    return await convergeCatching(ctx, { eniId, source, sessions });
  } catch (error) {
    const e = asControllerError(error);
    ctx.log.warn('reconcile failed', { eniId, code: e.code, error: e.message });
    return failedResult(eniId, [], e);
  }
}

/** Deletes every session of this owner and nothing else (`dryRun`: only lists them). */
export async function cleanupFleet(
  ctx: ReconcileContext,
  options: { dryRun?: boolean; concurrency?: number } = {},
): Promise<{ actions: Action[]; results: AppliedAction[] }> {
  const sessions = await ctx.ec2.listSessions();
  const actions = planCleanup(sessions, ctx.settings.owner);
  if (options.dryRun) return { actions, results: [] };
  const results = await mapLimit(actions, options.concurrency ?? 4, (a) => applyActionCatching(ctx, a));
  return { actions, results };
}
