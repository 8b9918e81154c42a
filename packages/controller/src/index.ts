export { type AwsClientOptions, type AwsClients, createAwsClients } from './aws/clients.js';
export { Ec2Adapter } from './aws/ec2-adapter.js';
export { EcsAdapter } from './aws/ecs-adapter.js';
export {
  DEFAULT_SHARE_HOLD_MS,
  EC2_MUTATING,
  EC2_NON_MUTATING,
  Ec2Pacing,
  ec2RateOf,
  paceEc2Client,
  sharedEc2Pacing,
} from './aws/pacing.js';
export type {
  ContainerInstanceRef,
  Ec2Port,
  EcsPort,
  MirrorResources,
  MirrorTargetType,
} from './aws/ports.js';
export { type EcsTaskLike, taskViewOf } from './aws/task-view.js';
export { translateAwsError } from './aws/translate-error.js';
export { type ControllerCommandsIo, createControllerCommands } from './cli/commands.js';
export {
  type ConfigFile,
  type ControllerConfig,
  configSchema,
  loadConfigFile,
  loadConfigFromEnv,
  parseConfig,
  parseConfigText,
} from './config.js';
export { clientToken, tokenBucket } from './core/client-token.js';
export {
  computeDesiredState,
  type DesiredState,
  type TaskDisposition,
  type TaskState,
} from './core/desired-state.js';
export {
  type AppliedAction,
  type EniResult,
  METRIC_NAMES,
  type Outcome,
  type Tally,
} from './core/outcomes.js';
export {
  type Action,
  type EniPlan,
  effectivePacketLength,
  NLB_DEFAULT_PACKET_LENGTH,
  type PlanSettings,
  planAll,
  planCleanup,
  planEni,
  type Refusal,
  type SessionSpec,
  SIDECAR_REMEDY,
  type Unmirrorable,
} from './core/plan.js';
export { MemoryRefusalCache, type RefusalCache } from './core/refusals.js';
export { type Selection, type SelectionDecision, selectTask } from './core/selection.js';
export { chooseSessionNumber, type SessionNumberPolicy } from './core/session-number.js';
export {
  type DesiredSource,
  type InstanceView,
  type SessionView,
  TAG_CLUSTER,
  TAG_CONTAINER_INSTANCE,
  TAG_OWNER,
  TAG_SERVICE,
  TAG_TASK_ARN,
  type TaskView,
} from './core/types.js';
export { desiredVni, stableVni, type VniPolicy } from './core/vni.js';
export { type Coverage, type CoverageRow, coverageOf } from './coverage.js';
export {
  AwsCallError,
  CONTROLLER_ERROR_CODES,
  ConfigInvalidError,
  ConfigUnreadableError,
  ControllerError,
  type ControllerErrorCode,
  ERROR_CODES,
  isControllerError,
  MalformedInputError,
} from './errors.js';
export { ALARM_METRICS } from './lambda/handler-support.js';
export {
  type BatchResponse,
  createQueueWorkerHandler,
  type SqsEventLike,
} from './lambda/queue-worker-handler.js';
export { createResyncHandler, type ResyncSummary } from './lambda/resync-handler.js';
export { parseTaskEvent } from './lambda/task-event.js';
export { createTaskEventHandler, type TaskEventReport } from './lambda/task-event-handler.js';
export { MemoryMetrics, type MetricsPort, powertoolsMetrics } from './lambda/telemetry.js';
export { MemoryWorkQueue, SqsWorkQueue, type WorkQueue } from './lambda/work-queue.js';
export type { LogPort } from './log.js';
export type { ReconcilerDeps } from './reconcile/context.js';
export type { ResyncReport } from './reconcile/fleet.js';
export type { KeyResult } from './reconcile/keys.js';
export { Reconciler } from './reconcile/reconciler.js';
export { parseWorkItem, type WorkItem } from './work-item.js';
