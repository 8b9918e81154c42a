import type { TaskDisposition } from '../core/desired-state.js';
import type { EniResult } from '../core/outcomes.js';
import { isOwnedBy } from '../core/plan.js';
import {
  type DesiredSource,
  type InstanceView,
  type SessionView,
  TAG_CLUSTER,
  TAG_CONTAINER_INSTANCE,
  TAG_TASK_ARN,
  type TaskView,
} from '../core/types.js';
import { isControllerError } from '../errors.js';
import type { WorkItem } from '../work-item.js';
import { desiredOf, type ReconcileContext } from './context.js';
import { converge, convergeEach } from './converge.js';
import { resolveInstances } from './observe.js';
import { predictRefusals } from './predict-refusals.js';

/** The result of reconciling one key (task, container instance or ENI). */
export interface KeyResult {
  readonly item: WorkItem;
  readonly key: string;
  /** The task, when the key is a task and ECS still knows it. */
  readonly task: TaskView | undefined;
  readonly disposition: TaskDisposition | undefined;
  /** `missing`: ECS no longer knows the task (stopped over an hour ago, or never existed). */
  readonly detail: string;
  readonly enis: readonly EniResult[];
}

export function clusterOfTaskArn(taskArn: string): string | undefined {
  // arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID (the old format, task/ID, names no cluster).
  const parts = taskArn.split(':task/')[1]?.split('/');
  return parts && parts.length >= 2 ? parts[0] : undefined;
}

/**
 * Removes the sessions of ours whose `tag` names a task or instance that is gone: their ENIs want
 * nothing. The tag is how we find them, since ECS no longer answers for the key.
 */
async function convergeLeftovers(ctx: ReconcileContext, tag: string, value: string): Promise<EniResult[]> {
  const sessions = await ctx.ec2.listSessions();
  const leftovers = sessions.filter((s) => isOwnedBy(s, ctx.settings.owner) && s.tags[tag] === value);
  return convergeEach(
    ctx,
    [...new Set(leftovers.map((s) => s.eniId))].map((eniId) => ({ eniId, source: undefined, sessions })),
  );
}

/**
 * DescribeTasks, where a deleted cluster means its tasks are gone too (rather than an error that
 * would leave our sessions on them billed forever).
 */
export async function describeTasksOrNone(
  ctx: ReconcileContext,
  cluster: string,
  taskArns: readonly string[],
): Promise<{ tasks: TaskView[]; missing: string[] }> {
  try {
    return await ctx.ecs.describeTasks(cluster, taskArns);
  } catch (error) {
    if (isControllerError(error) && error.code === 'CLUSTER_NOT_FOUND') {
      ctx.log.warn('cluster not found: its tasks are treated as gone', { cluster });
      return { tasks: [], missing: [...taskArns] };
    }
    throw error;
  }
}

/** ListTasks, where a deleted cluster has no tasks. */
async function listTasksOrNone(
  ctx: ReconcileContext,
  cluster: string,
  options: Parameters<ReconcileContext['ecs']['listTasks']>[1],
): Promise<string[]> {
  try {
    return await ctx.ecs.listTasks(cluster, options);
  } catch (error) {
    if (isControllerError(error) && error.code === 'CLUSTER_NOT_FOUND') {
      ctx.log.warn('cluster not found: it has no tasks', { cluster });
      return [];
    }
    throw error;
  }
}

/**
 * The tasks on a container instance that may still want its session: desired RUNNING, and those ECS
 * decided to stop (desired STOPPED) but that are still draining through DEACTIVATING/STOPPING; the
 * plan keeps a session for them by their lastStatus (MIRRORED_STATUSES), so the last draining task
 * does not lose its traffic.
 */
async function tasksOnInstance(
  ctx: ReconcileContext,
  cluster: string,
  containerInstance: string,
): Promise<string[]> {
  const running = await listTasksOrNone(ctx, cluster, { containerInstance, desiredStatus: 'RUNNING' });
  const stopping = await listTasksOrNone(ctx, cluster, { containerInstance, desiredStatus: 'STOPPED' });
  return [...new Set([...running, ...stopping])];
}

export async function reconcileTask(
  ctx: ReconcileContext,
  taskArn: string,
  clusterArn?: string,
): Promise<KeyResult> {
  const item: WorkItem = { kind: 'task', clusterArn, taskArn };
  const cluster = clusterArn ?? clusterOfTaskArn(taskArn) ?? 'default';
  const { tasks } = await describeTasksOrNone(ctx, cluster, [taskArn]);
  const task = tasks.find((t) => t.taskArn === taskArn);
  if (!task) {
    // Also when the whole cluster is gone: its tasks are, and our sessions on them are leftovers.
    // ECS forgets stopped tasks after about an hour; our sessions name the task in a tag.
    const enis = await convergeLeftovers(ctx, TAG_TASK_ARN, taskArn);
    return { item, key: taskArn, task: undefined, disposition: undefined, detail: 'missing', enis };
  }
  if (task.network.kind === 'instance') {
    const result = await reconcileInstance(ctx, task.clusterArn, task.network.containerInstanceArn, task);
    const disposition = result.disposition;
    return { ...result, item, key: taskArn, task, detail: disposition?.detail ?? result.detail };
  }
  const desired = desiredOf(ctx, [task], new Map());
  const disposition = desired.tasks[0];
  const eniId = task.network.kind === 'task-eni' ? task.network.eniId : undefined;
  if (eniId === undefined) {
    return { item, key: taskArn, task, disposition, detail: disposition?.detail ?? 'no ENI', enis: [] };
  }
  const source = desired.sources.get(eniId);
  // Read first (converge would), so that an ENI with no session and a source can be checked against
  // AWS's source rules before any create: a refused task ENI costs one DescribeNetworkInterfaces.
  const sessions = await ctx.ec2.listSessions({ eniIds: [eniId] });
  const predicted =
    source !== undefined && !sessions.some((s) => s.eniId === eniId)
      ? (await predictRefusals(ctx, [eniId])).predicted.get(eniId)
      : undefined;
  const eni = await converge(ctx, eniId, source, sessions, predicted);
  return { item, key: taskArn, task, disposition, detail: disposition?.detail ?? '', enis: [eni] };
}

/**
 * Reconciles the shared ENI of a container instance: one session while at least one selected
 * bridge/host task runs on it, none after the last one leaves.
 */
export async function reconcileInstance(
  ctx: ReconcileContext,
  clusterArn: string,
  containerInstanceArn: string,
  forTask?: TaskView,
): Promise<KeyResult> {
  const item: WorkItem = { kind: 'instance', clusterArn, containerInstanceArn };
  const arns = await tasksOnInstance(ctx, clusterArn, containerInstanceArn);
  const { tasks } =
    arns.length > 0 ? await describeTasksOrNone(ctx, clusterArn, arns) : { tasks: [] as TaskView[] };
  const [ref] = await describeContainerInstancesOrNone(ctx, clusterArn, containerInstanceArn);
  const ec2InstanceId = ref?.ec2InstanceId;
  const eniId = ec2InstanceId ? (await ctx.ec2.primaryEnis([ec2InstanceId])).get(ec2InstanceId) : undefined;
  const instance: InstanceView = { containerInstanceArn, clusterArn, ec2InstanceId, eniId };
  const all = forTask && !tasks.some((t) => t.taskArn === forTask.taskArn) ? [...tasks, forTask] : tasks;
  const desired = desiredOf(ctx, all, new Map([[containerInstanceArn, instance]]));
  const disposition = forTask ? desired.tasks.find((d) => d.task.taskArn === forTask.taskArn) : undefined;
  if (eniId === undefined) {
    // The instance is gone: its sessions went with its ENI, unless AWS has not caught up yet.
    const enis = await convergeLeftovers(ctx, TAG_CONTAINER_INSTANCE, containerInstanceArn);
    return {
      item,
      key: containerInstanceArn,
      task: forTask,
      disposition,
      detail: 'container instance not found',
      enis,
    };
  }
  const eni = await converge(ctx, eniId, desired.sources.get(eniId), undefined);
  const detail = `${desired.sources.get(eniId)?.taskArns.length ?? 0} selected task(s) on ${ec2InstanceId}`;
  return { item, key: containerInstanceArn, task: forTask, disposition, detail, enis: [eni] };
}

async function describeContainerInstancesOrNone(
  ctx: ReconcileContext,
  cluster: string,
  containerInstanceArn: string,
): Promise<Awaited<ReturnType<ReconcileContext['ecs']['describeContainerInstances']>>> {
  try {
    return await ctx.ecs.describeContainerInstances(cluster, [containerInstanceArn]);
  } catch (error) {
    if (isControllerError(error) && error.code === 'CLUSTER_NOT_FOUND') return [];
    throw error;
  }
}

/** Reconciles an ENI that carries sessions of ours; their tags name the task or instance to check. */
export async function reconcileEni(ctx: ReconcileContext, eniId: string): Promise<KeyResult> {
  const item: WorkItem = { kind: 'eni', eniId };
  const sessions = await ctx.ec2.listSessions({ eniIds: [eniId] });
  const owned = sessions.filter((s) => isOwnedBy(s, ctx.settings.owner));
  const source = await sourceFromTags(ctx, eniId, owned);
  const eni = await converge(ctx, eniId, source, sessions);
  return {
    item,
    key: eniId,
    task: undefined,
    disposition: undefined,
    detail: source ? 'still wanted' : 'leftover',
    enis: [eni],
  };
}

/**
 * What an ENI should carry, from the tasks and instances its sessions' tags name, re-read from ECS
 * (also the re-check right before a resync deletes a session: a task may have started since).
 */
export async function sourceFromTags(
  ctx: ReconcileContext,
  eniId: string,
  owned: readonly SessionView[],
): Promise<DesiredSource | undefined> {
  const tasks: TaskView[] = [];
  let instances = new Map<string, InstanceView>();
  for (const s of owned) {
    const cluster = s.tags[TAG_CLUSTER];
    const taskArn = s.tags[TAG_TASK_ARN];
    const ci = s.tags[TAG_CONTAINER_INSTANCE];
    if (taskArn) {
      tasks.push(
        ...(await describeTasksOrNone(ctx, cluster ?? clusterOfTaskArn(taskArn) ?? 'default', [taskArn]))
          .tasks,
      );
    } else if (ci && cluster) {
      const arns = await tasksOnInstance(ctx, cluster, ci);
      if (arns.length > 0) tasks.push(...(await describeTasksOrNone(ctx, cluster, arns)).tasks);
    }
  }
  if (tasks.some((t) => t.network.kind === 'instance'))
    instances = await resolveInstances(ctx.ec2, ctx.ecs, tasks);
  return desiredOf(ctx, tasks, instances).sources.get(eniId);
}

/** Reconciles one key, whichever kind it is. */
export function reconcileKey(ctx: ReconcileContext, item: WorkItem): Promise<KeyResult> {
  switch (item.kind) {
    case 'task':
      return reconcileTask(ctx, item.taskArn, item.clusterArn);
    case 'instance':
      return reconcileInstance(ctx, item.clusterArn, item.containerInstanceArn);
    case 'eni':
      return reconcileEni(ctx, item.eniId);
  }
}
