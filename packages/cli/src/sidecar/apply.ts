import type { SidecarDefinition } from './definition-flags.js';
import { type Change, registrationDiff } from './diff.js';
import type { SidecarEcs } from './ecs-adapter.js';
import {
  containerNamed,
  currentRegistration,
  sameSidecar,
  withoutSidecar,
  withSidecar,
} from './registration.js';

export type SidecarOutcome = 'unchanged' | 'added' | 'replaced' | 'removed';

/** What `sidecar add` or `sidecar remove` did (or, with dryRun, would do). */
export interface SidecarResult {
  readonly outcome: SidecarOutcome;
  readonly dryRun: boolean;
  readonly cluster: string;
  readonly service: string;
  readonly serviceArn: string;
  /** The task definition the service used. */
  readonly from: string;
  /** The revision registered and deployed; absent when unchanged or a dry run. */
  readonly to?: string;
  readonly container: string;
  readonly resized?: string;
  readonly changes: readonly Change[];
}

export interface SidecarTarget {
  readonly cluster: string;
  readonly service: string;
  readonly dryRun: boolean;
}

/** Adds the sidecar to the service's task definition (or replaces a different one); a no-op if it is there. */
export async function addSidecar(
  ecs: SidecarEcs,
  target: SidecarTarget,
  sidecar: SidecarDefinition,
): Promise<SidecarResult> {
  const current = await ecs.readServiceTaskDefinition(target.cluster, target.service);
  const before = currentRegistration(current);
  const existing = containerNamed(before, sidecar.name);
  const base = {
    dryRun: target.dryRun,
    cluster: target.cluster,
    service: target.service,
    serviceArn: current.serviceArn,
    from: current.taskDefinition.taskDefinitionArn ?? '',
    container: sidecar.name,
  };
  if (existing && sameSidecar(existing, sidecar)) return { ...base, outcome: 'unchanged', changes: [] };
  const { input, resized } = withSidecar(before, sidecar);
  const changes = registrationDiff(before, input);
  const outcome = existing ? 'replaced' : 'added';
  if (target.dryRun) return { ...base, outcome, resized, changes };
  const to = await ecs.register(input);
  await ecs.pointServiceAt(target.cluster, target.service, to);
  return { ...base, outcome, resized, changes, to };
}

/** Removes the sidecar container from the service's task definition; a no-op if it is not there. */
export async function removeSidecar(
  ecs: SidecarEcs,
  target: SidecarTarget,
  name: string,
): Promise<SidecarResult> {
  const current = await ecs.readServiceTaskDefinition(target.cluster, target.service);
  const before = currentRegistration(current);
  const base = {
    dryRun: target.dryRun,
    cluster: target.cluster,
    service: target.service,
    serviceArn: current.serviceArn,
    from: current.taskDefinition.taskDefinitionArn ?? '',
    container: name,
  };
  if (!containerNamed(before, name)) return { ...base, outcome: 'unchanged', changes: [] };
  const input = withoutSidecar(before, name);
  const changes = registrationDiff(before, input);
  if (target.dryRun) return { ...base, outcome: 'removed', changes };
  const to = await ecs.register(input);
  await ecs.pointServiceAt(target.cluster, target.service, to);
  return { ...base, outcome: 'removed', changes, to };
}
