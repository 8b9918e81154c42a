import { ApiError } from '../errors.js';
import type { TaskDefinition } from '../state/types.js';
import { ecsArn } from './arns.js';
import type { EcsContext, EcsHandler } from './context.js';
import {
  clientException,
  ecsPage,
  includes,
  invalidParameter,
  optObjectList,
  optString,
  optStringList,
  readTags,
  reqString,
} from './input.js';
import { taskDefinitionWire } from './wire.js';

// Fields ECS keeps and returns as given; the emulator does not interpret them, but a client that
// copies a task definition into a new revision (`fargate-mirror sidecar add`) must get them back.
const KEPT_AS_GIVEN = [
  'taskRoleArn',
  'executionRoleArn',
  'volumes',
  'placementConstraints',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const;

const NETWORK_MODES = ['awsvpc', 'bridge', 'host', 'none'] as const;
const COMPATIBILITIES = ['EC2', 'FARGATE', 'EXTERNAL'];

export const registerTaskDefinition: EcsHandler = (ctx, input) => {
  const family = reqString(input, 'family');
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family)) {
    throw clientException(
      'Family contains invalid characters. Up to 255 letters, numbers, hyphens, and underscores are allowed.',
    );
  }
  const containerDefinitions = optObjectList(input, 'containerDefinitions') ?? [];
  if (containerDefinitions.length === 0) {
    throw clientException('Container list cannot be empty.');
  }
  for (const container of containerDefinitions) {
    reqString(container, 'name');
    reqString(container, 'image');
  }
  const networkMode = (optString(input, 'networkMode') ?? 'bridge') as TaskDefinition['networkMode'];
  if (!NETWORK_MODES.includes(networkMode)) {
    throw clientException(`Invalid networkMode '${networkMode}'. Valid values: ${NETWORK_MODES.join(', ')}`);
  }
  const requiresCompatibilities = optStringList(input, 'requiresCompatibilities') ?? [];
  for (const compatibility of requiresCompatibilities) {
    if (!COMPATIBILITIES.includes(compatibility)) {
      throw clientException(`Invalid requiresCompatibilities value '${compatibility}'.`);
    }
  }
  const cpu = optString(input, 'cpu');
  const memory = optString(input, 'memory');
  if (requiresCompatibilities.includes('FARGATE')) {
    if (networkMode !== 'awsvpc') {
      throw clientException('Fargate only supports network mode \u2018awsvpc\u2019.');
    }
    if (!cpu || !memory) {
      throw clientException('Fargate requires that \u2018cpu\u2019 be defined at the task level.');
    }
  }
  const revision =
    Object.values(ctx.region.taskDefinitions)
      .filter((d) => d.family === family)
      .reduce((max, d) => Math.max(max, d.revision), 0) + 1;
  const def: TaskDefinition = {
    seq: ctx.nextSeq(),
    taskDefinitionArn: ecsArn(ctx, `task-definition/${family}:${revision}`),
    family,
    revision,
    status: 'ACTIVE',
    networkMode,
    requiresCompatibilities,
    containerDefinitions: containerDefinitions.map((c) => structuredClone(c)),
    cpu,
    memory,
    registeredAt: ctx.clock.now(),
    tags: readTags(input),
    extra: Object.fromEntries(
      KEPT_AS_GIVEN.filter((key) => input[key] !== undefined).map((key) => [
        key,
        structuredClone(input[key]),
      ]),
    ),
  };
  ctx.region.taskDefinitions[def.taskDefinitionArn] = def;
  return { taskDefinition: fullWire(def), tags: def.tags };
};

/** `family`, `family:revision` or a full ARN; a bare family means its latest ACTIVE revision. */
export function resolveTaskDefinition(ctx: EcsContext, reference: string): TaskDefinition | undefined {
  const defs = Object.values(ctx.region.taskDefinitions);
  if (reference.startsWith('arn:')) return ctx.region.taskDefinitions[reference];
  const [family, revision] = reference.split(':');
  if (revision !== undefined) return defs.find((d) => d.family === family && d.revision === Number(revision));
  return defs
    .filter((d) => d.family === family && d.status === 'ACTIVE')
    .sort((a, b) => b.revision - a.revision)[0];
}

/** The task definition a launch names; ECS refuses an unknown or deregistered one. */
export function activeTaskDefinition(ctx: EcsContext, reference: string): TaskDefinition {
  const def = resolveTaskDefinition(ctx, reference);
  if (def?.status !== 'ACTIVE') throw invalidParameter('TaskDefinition not found.');
  return def;
}

export const describeTaskDefinition: EcsHandler = (ctx, input) => {
  const def = resolveTaskDefinition(ctx, reqString(input, 'taskDefinition'));
  if (!def) throw new ApiError('ClientException', 'Unable to describe task definition.');
  return { taskDefinition: fullWire(def), tags: includes(input, 'TAGS') ? def.tags : undefined };
};

/** The task definition as ECS answers it, with the fields kept as given. */
function fullWire(def: TaskDefinition): Record<string, unknown> {
  return { ...taskDefinitionWire(def), ...(def.extra ?? {}) };
}

/** ListTaskDefinitions: `familyPrefix` is a whole family name, as in ECS; oldest first unless sort DESC. */
export const listTaskDefinitions: EcsHandler = (ctx, input) => {
  const family = optString(input, 'familyPrefix');
  const status = optString(input, 'status') ?? 'ACTIVE';
  if (status !== 'ACTIVE' && status !== 'INACTIVE' && status !== 'DELETE_IN_PROGRESS') {
    throw invalidParameter(`Invalid status '${status}'.`);
  }
  const sort = optString(input, 'sort') ?? 'ASC';
  if (sort !== 'ASC' && sort !== 'DESC') throw invalidParameter(`Invalid sort '${sort}'.`);
  const defs = Object.values(ctx.region.taskDefinitions)
    .filter((d) => (family === undefined || d.family === family) && d.status === status)
    .sort((a, b) => a.seq - b.seq);
  const page = ecsPage(defs, input, { max: 100, default: 100 });
  const arns = page.items.map((d) => d.taskDefinitionArn);
  return { taskDefinitionArns: sort === 'DESC' ? arns.reverse() : arns, nextToken: page.nextToken };
};
