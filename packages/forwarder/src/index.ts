export { CAP_NET_RAW, type CapabilitySets, hasCapability, readCapabilitySets } from './capabilities.js';
export { type CaptureInterface, findCaptureInterface } from './capture-interface.js';
export { type Cidr, cidrContains, parseCidr } from './cidr.js';
export {
  captureIsRunning,
  errorLine,
  exitCodeFor,
  FORWARD_DESCRIPTION,
  FORWARD_ENVIRONMENT,
  FORWARD_USAGE,
  ForwardExitCode,
  type ForwardRequest,
  parseForwardArgs,
  runForwardCommand,
} from './cli/forward-command.js';
export type { DatagramSink } from './datagram-sink.js';
export { type Destination, parseHostPort, resolveDestination } from './destination.js';
export {
  FilterConfigError,
  FORWARDER_ERROR_CODES,
  ForwarderError,
  ForwarderErrorCode,
  type ForwarderErrorCodeValue,
  isForwarderError,
  NetRawMissingError,
} from './errors.js';
export { loadFilterRules, parseFilterRules } from './filter-file.js';
export {
  type Forwarder,
  type ForwarderOptions,
  type ForwarderResult,
  formatStatsLine,
  startForwarder,
} from './forwarder.js';
export { ForwarderStats, type ForwarderStatsSnapshot } from './forwarder-stats.js';
export { FrameEncapsulator, type FrameEncapsulatorOptions } from './frame-encapsulator.js';
export {
  ACCEPT_ALL_RULES,
  MirrorFilter,
  type MirrorFilterRule,
  type PortRange,
  type TrafficDirection,
  validateRules,
} from './mirror-filter.js';
export {
  interfaceIsEthernet,
  type NativeCounters,
  type NativeForwardConfig,
  nativeForwardConfigText,
  parseNativeStatsLine,
} from './native-forward-config.js';
export { type PcapRecordHandler, PcapStreamParser } from './pcap-stream-parser.js';
export {
  IMAGE_NODE_FLAGS,
  SIDECAR_BUNDLE,
  SIDECAR_CONTAINER_NAME,
  SIDECAR_DEFAULTS,
  SIDECAR_ENTRYPOINT,
  SIDECAR_HEALTH_CHECK,
  SIDECAR_NODE,
  SIDECAR_USER,
  type SidecarContainerDefinition,
  type SidecarDefinitionOptions,
  sidecarContainerDefinition,
} from './sidecar/container-definition.js';
export {
  createForwarderLogger,
  defaultLogFormat,
  FORWARD_LOG_FORMATS,
  type ForwardLogFormat,
} from './stderr-logger.js';
export {
  METADATA_URI_ENV,
  parseTaskMetadata,
  readTaskMetadata,
  type TaskIdentity,
} from './task-metadata.js';
export {
  type CaptureExit,
  excludeOwnTrafficFilter,
  TcpdumpCapture,
  type TcpdumpCaptureOptions,
} from './tcpdump-capture.js';
export { FALLBACK_VNI, MAX_VNI, vniFromTaskArn } from './vni.js';
export { VxlanSender, type VxlanSenderOptions } from './vxlan-sender.js';
