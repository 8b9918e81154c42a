export { addMirrorPointToFlow } from './dedup/flow-mirror-point.js';
export { PacketDeduplicator, type PacketDedupOptions, type PacketDedupStats } from './dedup/packet-dedup.js';
export { hashInnerPacket } from './dedup/packet-hash.js';
export {
  DEFAULT_REDACTED_HEADERS,
  DEFAULT_REDACTED_QUERY_PARAMETERS,
  REDACTED,
  type RedactionOptions,
  Redactor,
} from './dissect/redaction.js';
export { ja4, ja4Raw } from './dissect/tls/ja4.js';
export {
  TransactionEngine,
  type TransactionOptions,
  type TransactionStats,
} from './dissect/transaction-engine.js';
export { ANALYSIS_ERROR_CODES, AnalysisError, type AnalysisErrorCode, isAnalysisError } from './errors.js';
export { FlowEndReason, flowEndReasonNames } from './flows/flow-end-reason.js';
export {
  FlowPcapPositions,
  type FramePositionSource,
  type PcapPositionFields,
} from './flows/flow-pcap-positions.js';
export { type FlowSink, FlowTable, type FlowTableOptions } from './flows/flow-table.js';
export { MirrorPointRegistry } from './flows/mirror-points.js';
export { type ReadCaptureOptions, type ReadSummary, readCapture } from './offline/read-capture.js';
export { readCaptureInWorkers } from './offline/read-shards.js';
export { JsonLinesWriter } from './output/json-lines-writer.js';
export { recordJson } from './output/record-json.js';
export {
  type InnerFrameSink,
  MirrorPipeline,
  type MirrorPipelineOptions,
  packetMicros,
} from './pipeline/mirror-pipeline.js';
export {
  PIPELINE_COUNTERS,
  type PipelineCounter,
  type PipelineCounterKey,
  readPipelineCounters,
} from './pipeline/pipeline-counters.js';
export { PipelineStats } from './pipeline/pipeline-stats.js';
export { TcpReassembler, type TcpReassemblerOptions } from './reassembly/tcp-reassembler.js';
export type { DnsRecord } from './records/dns-record.js';
export { buildFlowRecord, type FlowRecord } from './records/flow-record.js';
export type { HttpRecord } from './records/http-record.js';
export type { MirrorPointRecord } from './records/mirror-point-record.js';
export type { MirrorRecord, RecordSink, WorkloadFields } from './records/mirror-record.js';
export { SCHEMA_VERSION } from './records/schema.js';
export { isoFromMicros } from './records/time-format.js';
export type { TlsRecord } from './records/tls-record.js';
export { LatencySketch, type LatencySketchOptions } from './summary/latency-sketch.js';
export { nearestRank } from './summary/percentiles.js';
export { recordFilesUnder, summarizeRecordFiles } from './summary/record-files.js';
export type {
  CountByName,
  DnsNameSummary,
  EdgeSummary,
  LatencyPercentiles,
  SummaryReport,
  TalkerSummary,
} from './summary/summary-report.js';
export { TrafficSummary, type TrafficSummaryOptions } from './summary/traffic-summary.js';
