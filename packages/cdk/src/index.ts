export {
  BundlingFailedError,
  CDK_ERROR_CODES,
  type CdkErrorCode,
  FargateMirrorCdkError,
  isCdkError,
  PropsValidationError,
  SourceNotFoundError,
} from './errors.js';
export {
  defaultFilterRules,
  FilterProtocol,
  FilterRuleAction,
  GENEVE_PORT,
  MAX_RULES_PER_DIRECTION,
  type MirrorFilterRuleOptions,
  type PortRange,
  type ResolvedFilterRule,
  TrafficDirection,
  VXLAN_PORT,
} from './filter-rules.js';
export { type IMirrorFilter, MirrorFilter, type MirrorFilterProps } from './mirror-filter.js';
export { FORWARDER_DOCKER_DIRECTORY, MirrorSidecar, type MirrorSidecarProps } from './mirror-sidecar.js';
export {
  type IMirrorTarget,
  MirrorTarget,
  type MirrorTargetProps,
  MirrorTargetType,
} from './mirror-target.js';
export {
  type IOcsfLake,
  OCSF_PARTITION_KEYS,
  OcsfLake,
  OcsfLakeEncryption,
  type OcsfLakeProps,
  type SecurityLakeDestination,
} from './ocsf-lake.js';
export {
  DEFAULT_HEALTH_CHECK_PORT,
  RECEIVER_METRICS_NAMESPACE,
  ReceiverFleet,
  type ReceiverFleetProps,
  type ReceiverMetricName,
} from './receiver-fleet.js';
export { ReceiverNodeRuntime, type ReceiverNodeRuntimeConfig } from './receiver-node-runtime.js';
export {
  SECURITY_LAKE_EVENT_CLASSES,
  SecurityLakeCustomSources,
  type SecurityLakeCustomSourcesProps,
  type SecurityLakeSource,
} from './security-lake-sources.js';
export {
  CONTROLLER_METRIC_NAMESPACE,
  SelectedLaunchType,
  TaskMirroring,
  type TaskMirroringProps,
} from './task-mirroring.js';
