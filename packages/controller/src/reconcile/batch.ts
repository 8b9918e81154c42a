import type { TaskView } from '../core/types.js';
import { mapLimit } from '../util/map-limit.js';
import { type WorkItem, workItemKey } from '../work-item.js';
import { desiredOf, type ReconcileContext } from './context.js';
import { convergeBatch } from './converge-batch.js';
import { clusterOfTaskArn, describeTasksOrNone, type KeyResult, reconcileKey } from './keys.js';
import { predictRefusals } from './predict-refusals.js';

/** One key of a batch: its result, or the error that stopped it (retryable or not). */
export interface BatchEntry {
  readonly item: WorkItem;
  readonly result: KeyResult | undefined;
  readonly error: unknown;
}

/** Keys a batch reconciles one by one (few in a storm): container instances, ENIs, gone tasks. */
const SINGLE_CONCURRENCY = 4;

/**
 * Reconciles many keys with shared reads: the tasks of a batch cost one DescribeTasks per cluster
 * and 100 tasks, their ENIs one DescribeTrafficMirrorSessions per 100 ENIs, and every re-read after
 * the writes is batched as well (convergeBatch). Keys that need reads of their own (container
 * instances, leftover ENIs, tasks ECS no longer knows) go through the single-key path. Duplicate
 * keys are reconciled once; each entry answers for its item.
 */
export async function reconcileBatch(
  ctx: ReconcileContext,
  items: readonly WorkItem[],
): Promise<BatchEntry[]> {
  const unique = new Map<string, WorkItem>();
  for (const item of items) unique.set(workItemKey(item), item);
  const tasksByCluster = new Map<string, WorkItem[]>();
  const single: WorkItem[] = [];
  for (const item of unique.values()) {
    if (item.kind !== 'task') {
      single.push(item);
      continue;
    }
    const cluster = item.clusterArn ?? clusterOfTaskArn(item.taskArn) ?? 'default';
    tasksByCluster.set(cluster, [...(tasksByCluster.get(cluster) ?? []), item]);
  }
  const done = new Map<string, BatchEntry>();
  const found: { item: WorkItem; task: TaskView }[] = [];
  for (const [cluster, clusterItems] of tasksByCluster) {
    try {
      const { tasks } = await describeTasksOrNone(
        ctx,
        cluster,
        clusterItems.map((i) => (i.kind === 'task' ? i.taskArn : '')),
      );
      const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
      for (const item of clusterItems) {
        const task = item.kind === 'task' ? byArn.get(item.taskArn) : undefined;
        // Gone tasks (their leftovers are found by tag) and bridge/host tasks read more on their own.
        if (task === undefined || task.network.kind === 'instance') single.push(item);
        else found.push({ item, task });
      }
    } catch (error) {
      for (const item of clusterItems) done.set(workItemKey(item), { item, result: undefined, error });
    }
  }
  await reconcileTaskEnis(ctx, found, done);
  await mapLimit(single, SINGLE_CONCURRENCY, async (item) => {
    try {
      done.set(workItemKey(item), { item, result: await reconcileKey(ctx, item), error: undefined });
    } catch (error) {
      done.set(workItemKey(item), { item, result: undefined, error });
    }
  });
  return items.map((item) => done.get(workItemKey(item)) as BatchEntry);
}

/** The awsvpc tasks of a batch: one desired state, one sessions read, one convergeBatch. */
async function reconcileTaskEnis(
  ctx: ReconcileContext,
  found: readonly { item: WorkItem; task: TaskView }[],
  done: Map<string, BatchEntry>,
): Promise<void> {
  if (found.length === 0) return;
  const desired = desiredOf(
    ctx,
    found.map((f) => f.task),
    new Map(),
  );
  const dispositions = new Map(desired.tasks.map((d) => [d.task.taskArn, d]));
  const eniOf = (t: TaskView) => (t.network.kind === 'task-eni' ? t.network.eniId : undefined);
  const eniIds = [...new Set(found.map((f) => eniOf(f.task)).filter((e): e is string => e !== undefined))];
  try {
    const sessions = eniIds.length > 0 ? await ctx.ec2.listSessions({ eniIds }) : [];
    // As the resync: ENIs that want a session and have none are checked against AWS's source rules
    // first (one DescribeNetworkInterfaces for the batch), so a refused task costs no create.
    const withSession = new Set(sessions.map((s) => s.eniId));
    const { predicted } = await predictRefusals(
      ctx,
      eniIds.filter((id) => desired.sources.has(id) && !withSession.has(id)),
    );
    const results = await convergeBatch(
      ctx,
      eniIds.map((eniId) => ({ eniId, source: desired.sources.get(eniId), predicted: predicted.get(eniId) })),
      sessions,
    );
    const byEni = new Map(results.map((r) => [r.eniId, r]));
    for (const { item, task } of found) {
      const disposition = dispositions.get(task.taskArn);
      const eniId = eniOf(task);
      const eni = eniId === undefined ? undefined : byEni.get(eniId);
      const result: KeyResult = {
        item,
        key: task.taskArn,
        task,
        disposition,
        detail: disposition?.detail ?? (eniId === undefined ? 'no ENI' : ''),
        enis: eni ? [eni] : [],
      };
      done.set(workItemKey(item), { item, result, error: undefined });
    }
  } catch (error) {
    for (const { item } of found) done.set(workItemKey(item), { item, result: undefined, error });
  }
}
