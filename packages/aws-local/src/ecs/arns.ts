import { ApiError } from '../errors.js';
import type { Cluster, RegionState } from '../state/types.js';
import type { EcsContext } from './context.js';

export function ecsArn(ctx: Pick<EcsContext, 'regionName' | 'accountId'>, resource: string): string {
  return `arn:aws:ecs:${ctx.regionName}:${ctx.accountId}:${resource}`;
}

/** `name` or `arn:...:cluster/name` -> the cluster; AWS's ClusterNotFoundException otherwise. */
export function resolveCluster(ctx: EcsContext, nameOrArn: string | undefined): Cluster {
  const name = clusterName(nameOrArn ?? 'default');
  const cluster = Object.values(ctx.region.clusters).find(
    (c) => c.clusterName === name && c.status === 'ACTIVE',
  );
  if (!cluster) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return cluster;
}

export function clusterName(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split(':cluster/')[1] ?? nameOrArn) : nameOrArn;
}

/** The last path segment of an ARN (a task id, a service name...), or the input when not an ARN. */
export function arnId(value: string): string {
  return value.startsWith('arn:') ? (value.split('/').pop() ?? value) : value;
}

/** Region of an ECS ARN (`arn:aws:ecs:REGION:...`). */
export function arnRegion(arn: string): string {
  return arn.split(':')[3] ?? '';
}

export function findTask(region: RegionState, cluster: Cluster, taskIdOrArn: string) {
  const id = arnId(taskIdOrArn);
  return Object.values(region.tasks).find(
    (t) => t.clusterArn === cluster.clusterArn && arnId(t.taskArn) === id,
  );
}
