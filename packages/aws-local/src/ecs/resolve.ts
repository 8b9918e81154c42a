import { ApiError } from '../errors.js';
import type { Cluster, RegionState } from '../state/types.js';
import { arnId, clusterName } from './arns.js';

/** `name` or `arn:...:cluster/name` -> the cluster; AWS's ClusterNotFoundException otherwise. */
export function resolveCluster(ctx: { region: RegionState }, nameOrArn: string | undefined): Cluster {
  const name = clusterName(nameOrArn ?? 'default');
  const cluster = Object.values(ctx.region.clusters).find(
    (c) => c.clusterName === name && c.status === 'ACTIVE',
  );
  if (!cluster) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return cluster;
}

export function findTask(region: RegionState, cluster: Cluster, taskIdOrArn: string) {
  const id = arnId(taskIdOrArn);
  return Object.values(region.tasks).find(
    (t) => t.clusterArn === cluster.clusterArn && arnId(t.taskArn) === id,
  );
}
