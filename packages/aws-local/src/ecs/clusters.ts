import type { Cluster } from '../state/types.js';
import { clusterName, ecsArn } from './arns.js';
import type { EcsHandler } from './context.js';
import { ecsPage, includes, invalidParameter, optString, optStringList, readTags } from './input.js';
import { clusterWire } from './wire.js';

const CLUSTER_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

export const createCluster: EcsHandler = (ctx, input) => {
  const name = optString(input, 'clusterName') ?? 'default';
  if (!CLUSTER_NAME.test(name)) {
    throw invalidParameter(
      'Cluster name should consist of up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens.',
    );
  }
  // CreateCluster is idempotent on the name: an ACTIVE cluster of that name is returned as is.
  let cluster = Object.values(ctx.region.clusters).find(
    (c) => c.clusterName === name && c.status === 'ACTIVE',
  );
  if (!cluster) {
    cluster = {
      seq: ctx.nextSeq(),
      clusterArn: ecsArn(ctx, `cluster/${name}`),
      clusterName: name,
      status: 'ACTIVE',
      tags: readTags(input),
    } satisfies Cluster;
    ctx.region.clusters[cluster.clusterArn] = cluster;
  }
  return { cluster: clusterWire(cluster, ctx.region, true) };
};

export const listClusters: EcsHandler = (ctx, input) => {
  const clusters = Object.values(ctx.region.clusters)
    .filter((c) => c.status === 'ACTIVE')
    .sort((a, b) => a.seq - b.seq);
  const page = ecsPage(clusters, input, { max: 100, default: 100 });
  return { clusterArns: page.items.map((c) => c.clusterArn), nextToken: page.nextToken };
};

export const describeClusters: EcsHandler = (ctx, input) => {
  const wanted = optStringList(input, 'clusters') ?? ['default'];
  const withTags = includes(input, 'TAGS');
  const clusters: unknown[] = [];
  const failures: unknown[] = [];
  for (const nameOrArn of wanted) {
    const name = clusterName(nameOrArn);
    const cluster = Object.values(ctx.region.clusters).find((c) => c.clusterName === name);
    if (cluster) clusters.push(clusterWire(cluster, ctx.region, withTags));
    else failures.push({ arn: ecsArn(ctx, `cluster/${name}`), reason: 'MISSING' });
  }
  return { clusters, failures };
};
