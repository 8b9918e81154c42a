import type {
  Cluster,
  ContainerInstance,
  RegionState,
  Service,
  Tag,
  Task,
  TaskDefinition,
} from '../state/types.js';

/**
 * Records -> ECS shapes. The API (JSON 1.1) writes timestamps as epoch seconds and calls the
 * ENI attachment `ElasticNetworkInterface`; EventBridge events write ISO strings and call it
 * `eni` (docs/aws-facts.md §2). Everything else is the same Task object.
 */
export type TaskStyle = 'api' | 'event';

function time(ms: number | undefined, style: TaskStyle): number | string | undefined {
  if (ms === undefined) return undefined;
  return style === 'api' ? ms / 1000 : new Date(ms).toISOString();
}

function tagList(tags: Tag[]): Array<{ key: string; value: string }> {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

function attachmentDetails(task: Task): Array<{ name: string; value: string }> {
  const a = task.attachment;
  if (!a) return [];
  const details = [{ name: 'subnetId', value: a.subnetId }];
  if (a.networkInterfaceId) details.push({ name: 'networkInterfaceId', value: a.networkInterfaceId });
  if (a.macAddress) details.push({ name: 'macAddress', value: a.macAddress });
  if (a.privateDnsName) details.push({ name: 'privateDnsName', value: a.privateDnsName });
  if (a.privateIPv4Address) details.push({ name: 'privateIPv4Address', value: a.privateIPv4Address });
  return details;
}

export function taskWire(task: Task, style: TaskStyle, withTags: boolean): Record<string, unknown> {
  const a = task.attachment;
  return {
    attachments: a
      ? [
          {
            id: a.id,
            type: style === 'api' ? 'ElasticNetworkInterface' : 'eni',
            status: a.status,
            details: attachmentDetails(task),
          },
        ]
      : [],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    clusterArn: task.clusterArn,
    connectivity: task.connectivityAt !== undefined ? 'CONNECTED' : undefined,
    connectivityAt: time(task.connectivityAt, style),
    containerInstanceArn: task.containerInstanceArn,
    containers: task.containers.map((c) => ({
      containerArn: c.containerArn,
      taskArn: task.taskArn,
      name: c.name,
      image: c.image,
      lastStatus: c.lastStatus,
      networkInterfaces:
        a?.privateIPv4Address !== undefined
          ? [{ attachmentId: a.id, privateIpv4Address: a.privateIPv4Address }]
          : [],
      healthStatus: 'UNKNOWN',
      ...(c.lastStatus === 'STOPPED' ? { exitCode: c.exitCode ?? 0 } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
    })),
    cpu: task.cpu,
    memory: task.memory,
    createdAt: time(task.createdAt, style),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    executionStoppedAt: time(task.executionStoppedAt, style),
    group: task.group,
    healthStatus: 'UNKNOWN',
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    overrides: {
      containerOverrides: task.containers.map((c) => ({ name: c.name })),
      inferenceAcceleratorOverrides: [],
    },
    ...(task.launchType === 'FARGATE'
      ? { platformVersion: '1.4.0', platformFamily: 'Linux', ephemeralStorage: { sizeInGiB: 20 } }
      : {}),
    pullStartedAt: time(task.pullStartedAt, style),
    pullStoppedAt: time(task.pullStoppedAt, style),
    startedAt: time(task.startedAt, style),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: time(task.stoppedAt, style),
    stoppedReason: task.stoppedReason,
    stoppingAt: time(task.stoppingAt, style),
    tags: withTags ? tagList(task.tags) : undefined,
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    ...(style === 'event' ? { updatedAt: time(task.updatedAt, style) } : {}),
    version: task.version,
  };
}

export function clusterWire(
  cluster: Cluster,
  region: RegionState,
  withTags: boolean,
): Record<string, unknown> {
  const tasks = Object.values(region.tasks).filter(
    (t) => t.clusterArn === cluster.clusterArn && t.lastStatus !== 'STOPPED',
  );
  return {
    clusterArn: cluster.clusterArn,
    clusterName: cluster.clusterName,
    status: cluster.status,
    registeredContainerInstancesCount: Object.values(region.containerInstances).filter(
      (ci) => ci.clusterArn === cluster.clusterArn && ci.status === 'ACTIVE',
    ).length,
    runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
    pendingTasksCount: tasks.filter((t) => ['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(t.lastStatus))
      .length,
    activeServicesCount: Object.values(region.services).filter(
      (s) => s.clusterArn === cluster.clusterArn && s.status === 'ACTIVE',
    ).length,
    statistics: [],
    tags: withTags ? tagList(cluster.tags) : [],
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
}

export function taskDefinitionWire(def: TaskDefinition): Record<string, unknown> {
  const compatibilities = def.networkMode === 'awsvpc' ? ['EC2', 'FARGATE'] : ['EC2'];
  return {
    taskDefinitionArn: def.taskDefinitionArn,
    containerDefinitions: def.containerDefinitions,
    family: def.family,
    networkMode: def.networkMode,
    revision: def.revision,
    volumes: [],
    status: def.status,
    requiresAttributes: [],
    placementConstraints: [],
    compatibilities,
    requiresCompatibilities: def.requiresCompatibilities,
    cpu: def.cpu,
    memory: def.memory,
    registeredAt: def.registeredAt / 1000,
  };
}

export function serviceWire(
  service: Service,
  region: RegionState,
  withTags: boolean,
): Record<string, unknown> {
  const tasks = Object.values(region.tasks).filter(
    (t) =>
      t.serviceName === service.serviceName &&
      t.clusterArn === service.clusterArn &&
      t.desiredStatus === 'RUNNING',
  );
  const runningCount = tasks.filter((t) => t.lastStatus === 'RUNNING').length;
  const pendingCount = tasks.length - runningCount;
  const networkConfiguration = service.awsvpcConfiguration
    ? { awsvpcConfiguration: { ...service.awsvpcConfiguration } }
    : undefined;
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    clusterArn: service.clusterArn,
    loadBalancers: [],
    serviceRegistries: [],
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount,
    pendingCount,
    launchType: service.launchType,
    ...(service.launchType === 'FARGATE' ? { platformVersion: 'LATEST', platformFamily: 'Linux' } : {}),
    taskDefinition: service.taskDefinitionArn,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments: [
      {
        id: service.deploymentId,
        status: 'PRIMARY',
        taskDefinition: service.taskDefinitionArn,
        desiredCount: service.desiredCount,
        pendingCount,
        runningCount,
        failedTasks: 0,
        createdAt: service.createdAt / 1000,
        updatedAt: service.updatedAt / 1000,
        launchType: service.launchType,
        networkConfiguration,
        rolloutState: runningCount === service.desiredCount ? 'COMPLETED' : 'IN_PROGRESS',
      },
    ],
    events: [],
    createdAt: service.createdAt / 1000,
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration,
    schedulingStrategy: 'REPLICA',
    enableECSManagedTags: service.enableEcsManagedTags,
    propagateTags: service.propagateTags ?? 'NONE',
    enableExecuteCommand: false,
    tags: withTags ? tagList(service.tags) : undefined,
  };
}

export function containerInstanceWire(
  ci: ContainerInstance,
  region: RegionState,
  withTags: boolean,
): Record<string, unknown> {
  const instance = region.instances[ci.ec2InstanceId];
  const tasks = Object.values(region.tasks).filter(
    (t) => t.containerInstanceArn === ci.containerInstanceArn && t.lastStatus !== 'STOPPED',
  );
  return {
    containerInstanceArn: ci.containerInstanceArn,
    ec2InstanceId: ci.ec2InstanceId,
    version: ci.version,
    versionInfo: { agentVersion: '1.82.0', agentHash: '0a5b1e7c', dockerVersion: 'DockerVersion: 20.10.25' },
    remainingResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
    ],
    registeredResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
    ],
    status: ci.status,
    agentConnected: true,
    runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
    pendingTasksCount: tasks.filter((t) => t.lastStatus !== 'RUNNING').length,
    attributes: [
      { name: 'ecs.availability-zone', value: instance?.availabilityZone ?? '' },
      { name: 'ecs.instance-type', value: instance?.instanceType ?? '' },
      { name: 'ecs.os-type', value: 'linux' },
      { name: 'ecs.capability.task-eni' },
    ],
    registeredAt: ci.registeredAt / 1000,
    attachments: [],
    tags: withTags ? tagList(ci.tags) : undefined,
  };
}
