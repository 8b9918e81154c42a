import type { RegionScope } from '../ec2/network-interface-ops.js';
import type { TaskLifecycle } from './lifecycle.js';

/** What an ECS action handler may use. */
export interface EcsContext extends RegionScope {
  lifecycle: TaskLifecycle;
  changed: () => void;
}

export type EcsInput = Record<string, unknown>;
export type EcsHandler = (ctx: EcsContext, input: EcsInput) => unknown;
