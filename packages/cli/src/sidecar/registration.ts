import type { ContainerDefinition, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { UsageError } from '../errors.js';
import type { SidecarDefinition } from './definition-flags.js';
import type { ServiceTaskDefinition } from './ecs-adapter.js';
import { smallestFargateSize } from './fargate-size.js';

// Every field of RegisterTaskDefinition that DescribeTaskDefinition returns: the new revision keeps
// them as they are. (The rest of the description, revision/status/registeredAt/compatibilities/
// requiresAttributes, is ECS's own and not accepted by RegisterTaskDefinition.)
const REGISTERED_FIELDS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const;

export interface Registration {
  readonly input: RegisterTaskDefinitionCommandInput;
  /** Why the task's CPU or memory was raised, when it was. */
  readonly resized?: string;
}

/** The current task definition as a RegisterTaskDefinition input, every field kept. */
export function currentRegistration(current: ServiceTaskDefinition): RegisterTaskDefinitionCommandInput {
  const def = current.taskDefinition;
  const input: Record<string, unknown> = {};
  for (const key of REGISTERED_FIELDS) if (def[key] !== undefined) input[key] = structuredClone(def[key]);
  input.containerDefinitions = structuredClone(def.containerDefinitions ?? []);
  if (current.tags.length > 0) input.tags = structuredClone(current.tags);
  return input as unknown as RegisterTaskDefinitionCommandInput;
}

/** The container named `name`, if the task definition has one. */
export function containerNamed(
  input: RegisterTaskDefinitionCommandInput,
  name: string,
): ContainerDefinition | undefined {
  return input.containerDefinitions?.find((c) => c.name === name);
}

/**
 * Whether `existing` already is `wanted`: every field the sidecar sets has the same value (ECS adds
 * empty lists and defaults of its own to what it returns, so only the sidecar's fields are compared).
 */
export function sameSidecar(existing: ContainerDefinition, wanted: SidecarDefinition): boolean {
  const existingFields = existing as Record<string, unknown>;
  const wantedFields = wanted as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(wantedFields)) {
    const have = existingFields[key];
    if (
      key === 'environment' &&
      Array.isArray(value) &&
      value.length === 0 &&
      (have === undefined || (Array.isArray(have) && have.length === 0))
    )
      continue;
    if (JSON.stringify(normalise(have)) !== JSON.stringify(normalise(value))) return false;
  }
  // A field of an older sidecar that the wanted one no longer sets (e.g. logging turned off).
  return !(
    'logConfiguration' in existingFields &&
    existingFields.logConfiguration !== undefined &&
    !('logConfiguration' in wantedFields)
  );
}

/** Lists of name/value pairs in name order and object keys sorted, so field order does not count. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalise);
    if (
      items.every((i) => i && typeof i === 'object' && 'name' in (i as object) && 'value' in (i as object))
    ) {
      return [...items].sort((a, b) =>
        String((a as { name: string }).name).localeCompare(String((b as { name: string }).name)),
      );
    }
    return items;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, normalise(v)]),
    );
  }
  return value;
}

/** The current definition with the sidecar added (or put in place of one of the same name). */
export function withSidecar(
  current: RegisterTaskDefinitionCommandInput,
  sidecar: SidecarDefinition,
): Registration {
  const others = (current.containerDefinitions ?? []).filter((c) => c.name !== sidecar.name);
  const input: RegisterTaskDefinitionCommandInput = {
    ...current,
    containerDefinitions: [...others, structuredClone(sidecar) as ContainerDefinition],
  };
  return fitTaskSize(input);
}

/** The current definition without the container named `name`. */
export function withoutSidecar(
  current: RegisterTaskDefinitionCommandInput,
  name: string,
): RegisterTaskDefinitionCommandInput {
  return {
    ...current,
    containerDefinitions: (current.containerDefinitions ?? []).filter((c) => c.name !== name),
  };
}

/**
 * Raises the task-level CPU or memory when the containers' sum no longer fits: to the smallest
 * Fargate size that does on Fargate, else to the sum. Never lowers them.
 */
function fitTaskSize(input: RegisterTaskDefinitionCommandInput): Registration {
  if (input.cpu === undefined && input.memory === undefined) return { input };
  const containers = input.containerDefinitions ?? [];
  const cpuNeeded = containers.reduce((sum, c) => sum + (c.cpu ?? 0), 0);
  const memoryNeeded = containers.reduce((sum, c) => sum + (c.memory ?? c.memoryReservation ?? 0), 0);
  const cpu = Number(input.cpu ?? 0);
  const memory = Number(input.memory ?? 0);
  const cpuShort = input.cpu !== undefined && cpuNeeded > cpu;
  const memoryShort = input.memory !== undefined && memoryNeeded > memory;
  if (!cpuShort && !memoryShort) return { input };
  let next = { cpu: Math.max(cpu, cpuNeeded), memory: Math.max(memory, memoryNeeded) };
  if (input.requiresCompatibilities?.includes('FARGATE')) {
    const size = smallestFargateSize(next.cpu, next.memory);
    if (!size) {
      throw new UsageError(
        'USAGE_INVALID',
        `the containers with the sidecar need ${cpuNeeded} CPU units and ${memoryNeeded} MiB, more than any Fargate task size: lower --cpu/--memory`,
      );
    }
    next = size;
  }
  const resized = [
    next.cpu !== cpu && input.cpu !== undefined
      ? `task cpu ${input.cpu} -> ${next.cpu} (containers need ${cpuNeeded})`
      : '',
    next.memory !== memory && input.memory !== undefined
      ? `task memory ${input.memory} -> ${next.memory} MiB (containers need ${memoryNeeded})`
      : '',
  ]
    .filter((s) => s !== '')
    .join(', ');
  return {
    input: {
      ...input,
      ...(input.cpu !== undefined ? { cpu: String(next.cpu) } : {}),
      ...(input.memory !== undefined ? { memory: String(next.memory) } : {}),
    },
    resized,
  };
}
