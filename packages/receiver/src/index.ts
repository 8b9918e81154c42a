export { formatByteSize, parseByteSize } from './config/byte-size.js';
export { ReceiverConfigError } from './config/config-error.js';
export { readConfigFile, resolveReceiverConfig } from './config/load-receiver-config.js';
export {
  LOG_LEVELS,
  type ReceiverConfig,
  type ReceiverConfigInput,
  receiverConfigSchema,
} from './config/receiver-config.js';
export {
  isReceiverError,
  RECEIVER_ERROR_CODES,
  ReceiverError,
  type ReceiverErrorCode,
} from './errors.js';
export {
  AwsIdentitySource,
  type AwsIdentitySourceOptions,
  type IdentitySource,
} from './identity/aws-identity-source.js';
export { ErrorThrottle, errorCode } from './identity/error-throttle.js';
export { GraceMap } from './identity/grace-map.js';
export {
  IdentityMapError,
  type IdentityMapInput,
  identitySnapshotOf,
  loadIdentityMap,
} from './identity/identity-map-file.js';
export {
  type IdentityCacheSizes,
  type IdentityErrorReport,
  IdentityResolver,
  type IdentityResolverOptions,
  type IdentityStats,
} from './identity/identity-resolver.js';
export { createRecordEnricher } from './identity/record-enricher.js';
export {
  canonicalIp,
  type IdentitySnapshot,
  type MirrorPointIdentity,
  mirrorPointKey,
  type Workload,
} from './identity/workload.js';
export {
  createWorkloadIdentity,
  startWorkloadIdentity,
  type WorkloadIdentity,
  type WorkloadIdentityOptions,
} from './identity/workload-identity.js';
export { Receiver, type ReceiverInfo, type ReceiverSummary } from './live/receiver.js';
export type { ReceiverTotals } from './live/stats-aggregator.js';
export { createStderrLogger, LOG_FORMATS, type LogFormat } from './logging/stderr-logger.js';
export type {
  HecMetricsSource,
  ReceiverMetricsSource,
  SinkMetricsSource,
  WorkerMetricsSource,
} from './metrics/receiver-metrics.js';
export { type InnerRewrite, InnerRewriter } from './replay/inner-rewrite.js';
export {
  type ReplayOptions,
  type ReplaySummary,
  type ReplayTarget,
  replayCapture,
} from './replay/replay-sender.js';
export { loadReplaySource, ReplayKind, type ReplaySource } from './replay/replay-source.js';
export {
  classifyHecReply,
  HecClient,
  type HecClientOptions,
  type HecOutcome,
} from './sinks/hec/hec-client.js';
export {
  type EnvelopeOptions,
  epochSeconds,
  HEC_SOURCETYPE_PREFIX,
  hecEnvelope,
} from './sinks/hec/hec-envelope.js';
export { HecConfigError } from './sinks/hec/hec-errors.js';
export { type HecLog, HecSink, type HecSinkOptions, type HecSinkStats } from './sinks/hec/hec-sink.js';
export { HecSpool, type SpooledBatch } from './sinks/hec/hec-spool.js';
export { HEC_TOKEN_ENV, resolveHecToken } from './sinks/hec/hec-token.js';
export { RotatingPcapSink, type RotatingPcapSinkOptions } from './sinks/rotating-pcap-sink.js';
