import type { Ec2Port, EcsPort } from '../aws/ports.js';
import { clusterNameOf } from '../aws/task-view.js';
import type { Selection } from '../core/selection.js';
import { selectTask } from '../core/selection.js';
import type { InstanceView, SessionView, TaskView } from '../core/types.js';
import { isControllerError } from '../errors.js';

/** Everything the full resync looks at, read in one pass. */
export interface ObservedWorld {
  readonly clusters: readonly string[];
  /** Clusters of `select.clusters` ECS does not know (deleted or mistyped): reported, the rest read. */
  readonly missingClusters: readonly string[];
  readonly tasks: readonly TaskView[];
  readonly instances: ReadonlyMap<string, InstanceView>;
  readonly sessions: readonly SessionView[];
}

export type ObserveProgress = (phase: string, done: number, total: number) => void;

/**
 * Clusters to read: the configured include list (names or ARNs) or every cluster, minus excludes.
 * `explain` reads every cluster, so `plan` can say why the others' tasks are not selected.
 */
async function clustersToRead(ecs: EcsPort, selection: Selection, explain: boolean): Promise<string[]> {
  if (explain) return ecs.listClusters();
  const all = selection.clusters ? [...selection.clusters] : await ecs.listClusters();
  const excluded = selection.exclude?.clusters ?? [];
  return all.filter((c) => !excluded.includes(c) && !excluded.includes(clusterNameOf(c)));
}

/**
 * Resolves container instances to the primary ENI of their EC2 instance, for the given
 * `bridge`/`host` tasks (two calls per cluster batch, not per task).
 */
export async function resolveInstances(
  ec2: Ec2Port,
  ecs: EcsPort,
  tasks: readonly TaskView[],
): Promise<Map<string, InstanceView>> {
  const byCluster = new Map<string, Set<string>>();
  for (const t of tasks) {
    if (t.network.kind !== 'instance') continue;
    const set = byCluster.get(t.clusterArn) ?? new Set<string>();
    set.add(t.network.containerInstanceArn);
    byCluster.set(t.clusterArn, set);
  }
  const refs: { clusterArn: string; containerInstanceArn: string; ec2InstanceId: string | undefined }[] = [];
  for (const [clusterArn, arns] of byCluster) {
    for (const ref of await ecs.describeContainerInstances(clusterArn, [...arns]))
      refs.push({ clusterArn, ...ref });
  }
  const instanceIds = refs.map((r) => r.ec2InstanceId).filter((id): id is string => id !== undefined);
  const enis = instanceIds.length > 0 ? await ec2.primaryEnis(instanceIds) : new Map<string, string>();
  const out = new Map<string, InstanceView>();
  for (const r of refs) {
    out.set(r.containerInstanceArn, {
      containerInstanceArn: r.containerInstanceArn,
      clusterArn: r.clusterArn,
      ec2InstanceId: r.ec2InstanceId,
      eniId: r.ec2InstanceId === undefined ? undefined : enis.get(r.ec2InstanceId),
    });
  }
  return out;
}

/**
 * Reads the world for a full resync: running tasks of every cluster in scope (DescribeTasks by
 * 100, with tags), container instance ENIs for selected bridge/host tasks, and every session.
 */
export async function observeWorld(
  ec2: Ec2Port,
  ecs: EcsPort,
  selection: Selection,
  progress?: ObserveProgress,
  explain = false,
): Promise<ObservedWorld> {
  const clusters = await clustersToRead(ecs, selection, explain);
  const tasks: TaskView[] = [];
  const missingClusters: string[] = [];
  for (const [i, cluster] of clusters.entries()) {
    try {
      const arns = await ecs.listTasks(cluster, { desiredStatus: 'RUNNING' });
      if (arns.length > 0) tasks.push(...(await ecs.describeTasks(cluster, arns)).tasks);
    } catch (error) {
      // One deleted or mistyped cluster must not hide every other cluster's drift.
      if (!isControllerError(error) || error.code !== 'CLUSTER_NOT_FOUND') throw error;
      missingClusters.push(cluster);
    }
    progress?.('read clusters', i + 1, clusters.length);
  }
  const selectedInstanceTasks = tasks.filter(
    (t) => t.network.kind === 'instance' && selectTask(t, selection).selected,
  );
  const instances = await resolveInstances(ec2, ecs, selectedInstanceTasks);
  const sessions = await ec2.listSessions();
  return {
    clusters: clusters.filter((c) => !missingClusters.includes(c)),
    missingClusters,
    tasks,
    instances,
    sessions,
  };
}
