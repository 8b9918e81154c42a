import type { Quotas, TaskEniSources } from '../options.js';
import type { RegionScope } from './network-interface-ops.js';
import type { QueryParams } from './query-params.js';
import type { WireObject } from './xml.js';

/** What an EC2 action handler may use: the region's state and the emulator's settings. */
export interface Ec2Context extends RegionScope {
  quotas: Quotas;
  taskEniSources: TaskEniSources;
  /** How long a Describe lags a session's create or delete (ms; 0: consistent at once). */
  describeLagMs: number;
}

export type Ec2Handler = (ctx: Ec2Context, params: QueryParams) => WireObject;

/** Which of AWS's token buckets an action draws from (docs/aws-facts.md §6). */
export type ThrottleCategory = 'non-mutating' | 'mutating' | 'uncategorized';

export interface Ec2Action {
  handler: Ec2Handler;
  category: ThrottleCategory;
  /** Set for actions that take a ClientToken and answer a repeated one with the first result. */
  idempotent?: boolean;
}
