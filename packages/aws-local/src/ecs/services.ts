import { ApiError } from '../errors.js';
import type { Service, Task } from '../state/types.js';
import { ecsId } from '../util/ids.js';
import { arnId, ecsArn } from './arns.js';
import type { EcsContext, EcsHandler } from './context.js';
import {
  ecsPage,
  includes,
  invalidParameter,
  optBool,
  optInt,
  optString,
  optStringList,
  readTags,
  reqString,
} from './input.js';
import { resolveCluster } from './resolve.js';
import { activeTaskDefinition } from './task-definitions.js';
import { launchTasks, readAwsvpcConfiguration, readLaunch, validateLaunch } from './task-launch.js';
import { serviceWire } from './wire.js';

function liveTasks(ctx: EcsContext, service: Service): Task[] {
  return Object.values(ctx.region.tasks)
    .filter(
      (t) =>
        t.clusterArn === service.clusterArn &&
        t.serviceName === service.serviceName &&
        t.desiredStatus === 'RUNNING',
    )
    .sort((a, b) => a.seq - b.seq);
}

/** The service scheduler: start or stop tasks until the live count equals the desired count. */
export function reconcileService(ctx: EcsContext, service: Service): void {
  const desired = service.status === 'ACTIVE' ? service.desiredCount : 0;
  const live = liveTasks(ctx, service);
  if (live.length > desired) {
    for (const task of live.slice(desired).reverse()) {
      ctx.lifecycle.stop(
        task,
        'ServiceSchedulerInitiated',
        service.status === 'ACTIVE'
          ? `Scaling activity initiated by (deployment ecs-svc/${service.deploymentId})`
          : 'Service is being deleted',
      );
    }
  } else if (live.length < desired) {
    const def = ctx.region.taskDefinitions[service.taskDefinitionArn];
    const cluster = ctx.region.clusters[service.clusterArn];
    if (!def || !cluster) return;
    try {
      launchTasks(ctx, {
        cluster,
        def,
        count: desired - live.length,
        launchType: service.launchType,
        awsvpc: service.awsvpcConfiguration,
        group: `service:${service.serviceName}`,
        startedBy: `ecs-svc/${service.deploymentId}`,
        serviceName: service.serviceName,
        tags:
          service.propagateTags === 'SERVICE'
            ? service.tags
            : service.propagateTags === 'TASK_DEFINITION'
              ? def.tags
              : [],
        enableEcsManagedTags: service.enableEcsManagedTags,
      });
    } catch {
      // No capacity (e.g. no container instances yet): ECS keeps the service and retries later;
      // the next change to the service tries again.
    }
  }
}

export function reconcileServiceOf(ctx: EcsContext, task: Task): void {
  if (!task.serviceName) return;
  const service = Object.values(ctx.region.services).find(
    (s) => s.clusterArn === task.clusterArn && s.serviceName === task.serviceName && s.status === 'ACTIVE',
  );
  if (service) reconcileService(ctx, service);
}

/** After a service task stops: a DRAINING service with no tasks left becomes INACTIVE. */
export function finishDraining(region: EcsContext['region'], clusterArn: string, serviceName: string): void {
  for (const service of Object.values(region.services)) {
    if (
      service.status !== 'DRAINING' ||
      service.serviceName !== serviceName ||
      service.clusterArn !== clusterArn
    ) {
      continue;
    }
    const remaining = Object.values(region.tasks).filter(
      (t) =>
        t.serviceName === service.serviceName &&
        t.clusterArn === service.clusterArn &&
        t.lastStatus !== 'STOPPED',
    );
    if (remaining.length === 0) service.status = 'INACTIVE';
  }
}

function findService(ctx: EcsContext, clusterArn: string, reference: string): Service | undefined {
  const name = arnId(reference);
  const candidates = Object.values(ctx.region.services).filter(
    (s) => s.clusterArn === clusterArn && s.serviceName === name,
  );
  return candidates.find((s) => s.status !== 'INACTIVE') ?? candidates.sort((a, b) => b.seq - a.seq)[0];
}

function activeService(ctx: EcsContext, clusterArn: string, reference: string): Service {
  const service = findService(ctx, clusterArn, reference);
  if (!service) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  if (service.status !== 'ACTIVE') throw new ApiError('ServiceNotActiveException', 'Service was not ACTIVE.');
  return service;
}

export const createService: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const serviceName = reqString(input, 'serviceName');
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(serviceName)) throw invalidParameter('Invalid service name.');
  const existing = findService(ctx, cluster.clusterArn, serviceName);
  if (existing && existing.status !== 'INACTIVE')
    throw invalidParameter('Creation of service was not idempotent.');
  const def = activeTaskDefinition(ctx, reqString(input, 'taskDefinition'));
  const desiredCount = optInt(input, 'desiredCount');
  if (desiredCount === undefined)
    throw invalidParameter('desiredCount is required for the REPLICA scheduling strategy.');
  if (desiredCount < 0) throw invalidParameter('desiredCount must be at least 0.');
  const { launchType, awsvpc } = readLaunch(ctx, input, def);
  const now = ctx.clock.now();
  const service: Service = {
    seq: ctx.nextSeq(),
    serviceArn: ecsArn(ctx, `service/${cluster.clusterName}/${serviceName}`),
    serviceName,
    clusterArn: cluster.clusterArn,
    taskDefinitionArn: def.taskDefinitionArn,
    desiredCount,
    launchType,
    status: 'ACTIVE',
    deploymentId: ecsId().slice(0, 19),
    awsvpcConfiguration: awsvpc,
    enableEcsManagedTags: optBool(input, 'enableECSManagedTags') ?? false,
    propagateTags: optString(input, 'propagateTags'),
    createdAt: now,
    updatedAt: now,
    tags: readTags(input),
  };
  ctx.region.services[`${service.serviceArn}#${service.seq}`] = service;
  reconcileService(ctx, service);
  return { service: serviceWire(service, ctx.region, true) };
};

export const updateService: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const service = activeService(ctx, cluster.clusterArn, reqString(input, 'service'));
  const desiredCount = optInt(input, 'desiredCount');
  if (desiredCount !== undefined && desiredCount < 0)
    throw invalidParameter('desiredCount must be at least 0.');
  const reference = optString(input, 'taskDefinition');
  const def = reference === undefined ? undefined : activeTaskDefinition(ctx, reference);
  const awsvpc = readAwsvpcConfiguration(input) ?? service.awsvpcConfiguration;
  const target = def ?? ctx.region.taskDefinitions[service.taskDefinitionArn];
  if (target) validateLaunch(ctx, target, service.launchType, awsvpc);
  const redeploy =
    (optBool(input, 'forceNewDeployment') ?? false) ||
    (def !== undefined && def.taskDefinitionArn !== service.taskDefinitionArn) ||
    awsvpc !== service.awsvpcConfiguration;
  if (desiredCount !== undefined) service.desiredCount = desiredCount;
  if (def) service.taskDefinitionArn = def.taskDefinitionArn;
  service.awsvpcConfiguration = awsvpc;
  service.updatedAt = ctx.clock.now();
  if (redeploy) {
    // A new deployment replaces every task (all at once: the emulator has no health checks).
    service.deploymentId = ecsId().slice(0, 19);
    for (const task of liveTasks(ctx, service)) {
      ctx.lifecycle.stop(
        task,
        'ServiceSchedulerInitiated',
        `Deployment ecs-svc/${service.deploymentId} replaced this task`,
      );
    }
  }
  reconcileService(ctx, service);
  return { service: serviceWire(service, ctx.region, false) };
};

export const deleteService: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const service = activeService(ctx, cluster.clusterArn, reqString(input, 'service'));
  const force = optBool(input, 'force') ?? false;
  if (service.desiredCount > 0 && !force) {
    throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
  }
  service.desiredCount = 0;
  service.status = 'DRAINING';
  service.updatedAt = ctx.clock.now();
  reconcileService(ctx, service);
  if (liveTasks(ctx, service).length === 0) {
    finishDraining(ctx.region, service.clusterArn, service.serviceName);
  }
  return { service: serviceWire(service, ctx.region, false) };
};

export const describeServices: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const references = optStringList(input, 'services') ?? [];
  if (references.length === 0) throw invalidParameter('Services cannot be empty.');
  if (references.length > 10) throw invalidParameter('services can have at most 10 items.');
  const withTags = includes(input, 'TAGS');
  const services: unknown[] = [];
  const failures: unknown[] = [];
  for (const reference of references) {
    const service = findService(ctx, cluster.clusterArn, reference);
    if (service) services.push(serviceWire(service, ctx.region, withTags));
    else
      failures.push({
        arn: ecsArn(ctx, `service/${cluster.clusterName}/${arnId(reference)}`),
        reason: 'MISSING',
      });
  }
  return { services, failures };
};

export const listServices: EcsHandler = (ctx, input) => {
  const cluster = resolveCluster(ctx, optString(input, 'cluster'));
  const launchType = optString(input, 'launchType');
  const services = Object.values(ctx.region.services)
    .filter((s) => s.clusterArn === cluster.clusterArn && s.status !== 'INACTIVE')
    .filter((s) => !launchType || s.launchType === launchType)
    .sort((a, b) => a.seq - b.seq);
  const page = ecsPage(services, input, { max: 100, default: 10 });
  return { serviceArns: page.items.map((s) => s.serviceArn), nextToken: page.nextToken };
};
