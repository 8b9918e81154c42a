import type {
  AwsvpcConfiguration,
  Cluster,
  ContainerInstance,
  Subnet,
  Tag,
  Task,
  TaskDefinition,
} from '../state/types.js';
import { attachmentId, ecsId } from '../util/ids.js';
import { uuid } from '../util/random.js';
import { ecsArn } from './arns.js';
import type { EcsContext, EcsInput } from './context.js';
import { invalidParameter, optObject, optString, optStringList } from './input.js';

export interface LaunchSpec {
  cluster: Cluster;
  def: TaskDefinition;
  count: number;
  launchType: 'FARGATE' | 'EC2';
  awsvpc?: AwsvpcConfiguration;
  group: string;
  startedBy?: string;
  serviceName?: string;
  tags: Tag[];
  enableEcsManagedTags: boolean;
}

/** Reads `networkConfiguration.awsvpcConfiguration` as RunTask and CreateService take it. */
export function readAwsvpcConfiguration(input: EcsInput): AwsvpcConfiguration | undefined {
  const network = optObject(input, 'networkConfiguration');
  const awsvpc = network && optObject(network, 'awsvpcConfiguration');
  if (!awsvpc) return undefined;
  const assignPublicIp = optString(awsvpc, 'assignPublicIp') ?? 'DISABLED';
  if (assignPublicIp !== 'ENABLED' && assignPublicIp !== 'DISABLED') {
    throw invalidParameter(`Invalid assignPublicIp '${assignPublicIp}'. Valid values: ENABLED, DISABLED`);
  }
  return {
    subnets: optStringList(awsvpc, 'subnets') ?? [],
    securityGroups: optStringList(awsvpc, 'securityGroups') ?? [],
    assignPublicIp,
  };
}

export function readLaunchType(input: EcsInput): 'FARGATE' | 'EC2' {
  const launchType = optString(input, 'launchType') ?? 'EC2';
  if (launchType !== 'FARGATE' && launchType !== 'EC2') {
    throw invalidParameter(`launchType '${launchType}' is not supported by this emulator (FARGATE, EC2).`);
  }
  return launchType;
}

/** The checks RunTask and CreateService share; throws what ECS throws. */
export function validateLaunch(
  ctx: EcsContext,
  def: TaskDefinition,
  launchType: 'FARGATE' | 'EC2',
  awsvpc: AwsvpcConfiguration | undefined,
): void {
  if (
    launchType === 'FARGATE' &&
    (def.networkMode !== 'awsvpc' || !def.requiresCompatibilities.includes('FARGATE'))
  ) {
    throw invalidParameter('Task definition does not support launch_type FARGATE.');
  }
  if (def.networkMode !== 'awsvpc') {
    if (awsvpc) {
      throw invalidParameter(
        'Network Configuration is not valid for the given networkMode of this task definition.',
      );
    }
    return;
  }
  if (!awsvpc || awsvpc.subnets.length === 0) {
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  if (awsvpc.subnets.length > 16) throw invalidParameter('subnets can have at most 16 items.');
  const missing = awsvpc.subnets.filter((id) => !ctx.region.subnets[id]);
  if (missing.length > 0) {
    throw invalidParameter(
      `Error retrieving subnet information for [${missing.join(', ')}]: The subnet ID '${missing[0]}' does not exist (ECS).`,
    );
  }
  const vpcs = new Set(awsvpc.subnets.map((id) => ctx.region.subnets[id].vpcId));
  if (vpcs.size > 1) throw invalidParameter('Subnets must all belong to the same VPC.');
}

/** The launch type and network of a RunTask or CreateService request, checked against `def`. */
export function readLaunch(
  ctx: EcsContext,
  input: EcsInput,
  def: TaskDefinition,
): { launchType: 'FARGATE' | 'EC2'; awsvpc: AwsvpcConfiguration | undefined } {
  const launchType = readLaunchType(input);
  const awsvpc = readAwsvpcConfiguration(input);
  validateLaunch(ctx, def, launchType, awsvpc);
  return { launchType, awsvpc };
}

function activeTasks(ctx: EcsContext): Task[] {
  return Object.values(ctx.region.tasks).filter((t) => t.lastStatus !== 'STOPPED');
}

/** EC2 placement: the ACTIVE container instance with the fewest live tasks ("spread"). */
function pickContainerInstance(ctx: EcsContext, cluster: Cluster): ContainerInstance {
  const candidates = Object.values(ctx.region.containerInstances)
    .filter((ci) => ci.clusterArn === cluster.clusterArn && ci.status === 'ACTIVE')
    .sort((a, b) => a.seq - b.seq);
  if (candidates.length === 0) throw invalidParameter('No Container Instances were found in your cluster.');
  const load = (ci: ContainerInstance) =>
    activeTasks(ctx).filter((t) => t.containerInstanceArn === ci.containerInstanceArn).length;
  return candidates.reduce((best, ci) => (load(ci) < load(best) ? ci : best));
}

function pickSubnet(ctx: EcsContext, awsvpc: AwsvpcConfiguration, zone: string | undefined): Subnet {
  const subnets = awsvpc.subnets.map((id) => ctx.region.subnets[id]);
  if (zone) return subnets.find((s) => s.availabilityZone === zone) ?? subnets[0];
  // Spread across the given subnets the way the scheduler balances AZs.
  const load = (s: Subnet) => activeTasks(ctx).filter((t) => t.attachment?.subnetId === s.subnetId).length;
  return subnets.reduce((best, s) => (load(s) < load(best) ? s : best));
}

export function launchTasks(ctx: EcsContext, spec: LaunchSpec): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < spec.count; i++) {
    const containerInstance =
      spec.launchType === 'EC2' ? pickContainerInstance(ctx, spec.cluster) : undefined;
    const instance = containerInstance && ctx.region.instances[containerInstance.ec2InstanceId];
    const subnet = spec.awsvpc ? pickSubnet(ctx, spec.awsvpc, instance?.availabilityZone) : undefined;
    const id = ecsId();
    const taskArn = ecsArn(ctx, `task/${spec.cluster.clusterName}/${id}`);
    const now = ctx.clock.now();
    const task: Task = {
      seq: ctx.nextSeq(),
      taskArn,
      clusterArn: spec.cluster.clusterArn,
      taskDefinitionArn: spec.def.taskDefinitionArn,
      launchType: spec.launchType,
      networkMode: spec.def.networkMode,
      lastStatus: spec.def.networkMode === 'awsvpc' ? 'PROVISIONING' : 'PENDING',
      desiredStatus: 'RUNNING',
      group: spec.group,
      startedBy: spec.startedBy,
      serviceName: spec.serviceName,
      version: 1,
      availabilityZone: subnet?.availabilityZone ?? instance?.availabilityZone ?? `${ctx.regionName}a`,
      cpu: spec.def.cpu,
      memory: spec.def.memory,
      containerInstanceArn: containerInstance?.containerInstanceArn,
      attachment: subnet && { id: attachmentId(), status: 'PRECREATED', subnetId: subnet.subnetId },
      securityGroups: spec.awsvpc?.securityGroups,
      containers: spec.def.containerDefinitions.map((c) => ({
        containerArn: ecsArn(ctx, `container/${spec.cluster.clusterName}/${id}/${uuid()}`),
        name: String(c.name),
        image: String(c.image),
        lastStatus: 'PENDING',
        essential: c.essential !== false,
      })),
      createdAt: now,
      updatedAt: now,
      enableEcsManagedTags: spec.enableEcsManagedTags,
      tags: spec.tags.map((t) => ({ ...t })),
    };
    ctx.region.tasks[taskArn] = task;
    tasks.push(task);
    ctx.lifecycle.start(task);
  }
  return tasks;
}
