import type { DesiredState } from '../core/desired-state.js';
import { type AppliedAction, addToTally, type EniResult, emptyTally, type Tally } from '../core/outcomes.js';
import { type Action, type EniPlan, planAll, planCleanup } from '../core/plan.js';
import { mapLimit } from '../util/map-limit.js';
import { type WorkItem, workItemForPlan, workItemKey } from '../work-item.js';
import { applyActionCatching } from './apply.js';
import { desiredOf, type ReconcileContext } from './context.js';
import { convergeCatching } from './converge.js';
import { unchangedResult } from './eni-result.js';
import { type ObservedWorld, type ObserveProgress, observeWorld } from './observe.js';

export interface ResyncPlan {
  readonly world: ObservedWorld;
  readonly desired: DesiredState;
  readonly plans: readonly EniPlan[];
  /** One key per differing ENI (deduplicated): what the scheduled resync queues. */
  readonly workItems: readonly WorkItem[];
}

export interface ResyncReport extends ResyncPlan {
  readonly results: readonly EniResult[];
  readonly tally: Tally;
}

export interface ResyncOptions {
  readonly concurrency?: number;
  readonly progress?: ObserveProgress;
  readonly apply?: boolean;
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
  const world = await observeWorld(ctx.ec2, ctx.ecs, ctx.config.selection, progress, options.explain);
  const desired = desiredOf(ctx, world.tasks, world.instances);
  const plans = planAll({
    sources: desired.sources,
    sessions: world.sessions,
    settings: ctx.settings,
    refusalFor: (eniId) => ctx.refusals.get(eniId),
  });
  const items = new Map<string, WorkItem>();
  for (const p of plans) {
    if (p.actions.length === 0) continue;
    const w = workItemForPlan(p);
    items.set(workItemKey(w), w);
  }
  return { world, desired, plans, workItems: [...items.values()] };
}

/**
 * Full resync in this process: plan, then converge every differing ENI (re-reading each before
 * its writes), `concurrency` ENIs at a time. Retryable failures are recorded per ENI, not thrown.
 */
export async function resyncFleet(ctx: ReconcileContext, options: ResyncOptions = {}): Promise<ResyncReport> {
  const planned = await planFleet(ctx, options.progress);
  const differing = planned.plans.filter((p) => p.actions.length > 0);
  const tally = emptyTally();
  if (options.apply === false) return { ...planned, results: [], tally };
  let done = 0;
  const results = await mapLimit(differing, options.concurrency ?? 4, async (p) => {
    const result = await convergeCatching(ctx, {
      eniId: p.eniId,
      source: p.source,
      sessions: planned.world.sessions,
    });
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
