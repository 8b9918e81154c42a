import { launchInstance } from '../ec2/instances.js';
import type { ContainerInstance, Subnet } from '../state/types.js';
import { ecsId } from '../util/ids.js';
import { arnId, ecsArn } from './arns.js';
import type { EcsContext, EcsHandler } from './context.js';
import { ecsPage, includes, invalidParameter, optString, optStringList, readTags } from './input.js';
import { resolveCluster } from './resolve.js';
import { containerInstanceWire } from './wire.js';

interface IdentityDocument {
  instanceId?: string;
  availabilityZone?: string;
  instanceType?: string;
}

function readIdentityDocument(text: string | undefined): IdentityDocument {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed as IdentityDocument;
  } catch {
    throw invalidParameter('instanceIdentityDocument must be the JSON instance identity document.');
  }
}

function defaultSubnet(ctx: EcsContext, zone: string | undefined): Subnet {
  const defaults = Object.values(ctx.region.subnets)
    .filter((s) => s.defaultForAz)
    .sort((a, b) => a.seq - b.seq);
  if (zone) {
    const inZone = defaults.find((s) => s.availabilityZone === zone);
    if (!inZone) throw invalidParameter(`No default subnet in availability zone ${zone}.`);
    return inZone;
  }
  // Spread new hosts across zones, as an Auto Scaling group would.
  const count = Object.keys(ctx.region.instances).length;
  return defaults[count % defaults.length];
}

/**
 * RegisterContainerInstance, as the ECS agent calls it. The emulator has no real hosts, so an
 * unknown instance in the identity document (or none) launches an EC2 instance with its own
 * primary ENI, which DescribeInstances then shows.
 */
export const registerContainerInstance: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const identity = readIdentityDocument(optString(input, 'instanceIdentityDocument'));
  let instance = identity.instanceId ? ctx.region.instances[identity.instanceId] : undefined;
  if (!instance) {
    if (identity.instanceId !== undefined && !/^i-[0-9a-f]{8,17}$/.test(identity.instanceId)) {
      throw invalidParameter(
        `Invalid instance id '${identity.instanceId}' in the instance identity document.`,
      );
    }
    instance = launchInstance(ctx, {
      subnet: defaultSubnet(ctx, identity.availabilityZone),
      instanceId: identity.instanceId,
      instanceType: identity.instanceType,
    });
  }
  const ec2InstanceId = instance.instanceId;
  const existing = Object.values(ctx.region.containerInstances).find(
    (ci) => ci.ec2InstanceId === ec2InstanceId && ci.status === 'ACTIVE',
  );
  if (existing && existing.clusterArn !== cluster.clusterArn) {
    throw invalidParameter(`Instance ${ec2InstanceId} is already registered in another cluster.`);
  }
  const containerInstance: ContainerInstance = existing ?? {
    seq: ctx.nextSeq(),
    containerInstanceArn: ecsArn(ctx, `container-instance/${cluster.clusterName}/${ecsId()}`),
    clusterArn: cluster.clusterArn,
    ec2InstanceId,
    status: 'ACTIVE',
    registeredAt: ctx.clock.now(),
    version: 1,
    tags: readTags(input),
  };
  ctx.region.containerInstances[containerInstance.containerInstanceArn] = containerInstance;
  return { containerInstance: containerInstanceWire(containerInstance, ctx.region, true) };
};

function findContainerInstance(ctx: EcsContext, clusterArn: string, reference: string) {
  const id = arnId(reference);
  return Object.values(ctx.region.containerInstances).find(
    (ci) => ci.clusterArn === clusterArn && arnId(ci.containerInstanceArn) === id,
  );
}

export const describeContainerInstances: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const references = optStringList(input, 'containerInstances') ?? [];
  if (references.length === 0) throw invalidParameter('ContainerInstances cannot be empty.');
  const withTags = includes(input, 'TAGS');
  const containerInstances: unknown[] = [];
  const failures: unknown[] = [];
  for (const reference of references) {
    const ci = findContainerInstance(ctx, cluster.clusterArn, reference);
    if (ci) containerInstances.push(containerInstanceWire(ci, ctx.region, withTags));
    else {
      failures.push({
        arn: reference.startsWith('arn:')
          ? reference
          : ecsArn(ctx, `container-instance/${cluster.clusterName}/${reference}`),
        reason: 'MISSING',
      });
    }
  }
  return { containerInstances, failures };
};

export const listContainerInstances: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const status = optString(input, 'status');
  const all = Object.values(ctx.region.containerInstances)
    .filter((ci) => ci.clusterArn === cluster.clusterArn && (!status || ci.status === status))
    .sort((a, b) => a.seq - b.seq);
  const page = ecsPage(all, input, { max: 100, default: 100 });
  return {
    containerInstanceArns: page.items.map((ci) => ci.containerInstanceArn),
    nextToken: page.nextToken,
  };
};
