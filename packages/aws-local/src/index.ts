export { createAwsLocalCommand } from './command.js';
export type { AwsLocalControl } from './control.js';
export {
  ApiError,
  AwsLocalConfigError,
  AwsLocalError,
  AwsLocalStateError,
} from './errors.js';
export type { EcsEvent } from './events/task-event.js';
export type { FaultConfig } from './faults/faults.js';
export { NO_FAULTS } from './faults/faults.js';
export type { AwsLocalOptions, LifecycleTimings, Quotas, TaskEniSources } from './options.js';
export { DEFAULT_LIFECYCLE_TIMINGS, DEFAULT_QUOTAS } from './options.js';
export type { AwsLocal } from './server.js';
export { startAwsLocal } from './server.js';
export type { AccountState, TaskStatus } from './state/types.js';
export type { BucketConfig } from './throttle/limits.js';
export { MUTATING, NON_MUTATING, UNCATEGORIZED, UNFILTERED_NON_MUTATING } from './throttle/limits.js';
