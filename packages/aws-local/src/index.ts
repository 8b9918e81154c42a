export { AWS_API_ERROR_CODES, type AwsApiErrorCode } from './aws-error-codes.js';
export { createAwsLocalCommand } from './command.js';
export type { AwsLocalControl } from './control.js';
export {
  ApiError,
  AWS_LOCAL_ERROR_CODES,
  AwsLocalConfigError,
  AwsLocalError,
  type AwsLocalErrorCode,
  AwsLocalStateError,
  isApiError,
  isAwsLocalError,
} from './errors.js';
export type { EcsEvent } from './events/task-event.js';
export type { FaultConfig } from './faults/faults.js';
export { NO_FAULTS } from './faults/faults.js';
export type {
  AwsLocalOptions,
  ClientTokenAfterDelete,
  LifecycleTimings,
  Quotas,
  TaskEniSources,
} from './options.js';
export { DEFAULT_LIFECYCLE_TIMINGS, DEFAULT_QUOTAS } from './options.js';
export type { S3Object, S3Store } from './s3/s3-store.js';
export type { AwsLocal } from './server.js';
export { startAwsLocal } from './server.js';
export type { AccountState, TaskStatus } from './state/types.js';
export type { AssumedSession, RoleTrust, StsSessions } from './sts/sts-sessions.js';
export type { BucketConfig } from './throttle/limits.js';
export { MUTATING, NON_MUTATING, UNCATEGORIZED, UNFILTERED_NON_MUTATING } from './throttle/limits.js';
