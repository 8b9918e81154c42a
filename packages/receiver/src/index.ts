export { ReceiverError } from './errors.js';
export { FlowEndReason, flowEndReasonNames } from './flows/flow-end-reason.js';
export { type FlowSink, FlowTable, type FlowTableOptions } from './flows/flow-table.js';
export { MirrorPointRegistry } from './flows/mirror-points.js';
export { type ReadCaptureOptions, type ReadSummary, readCapture } from './offline/read-capture.js';
export {
  type InnerFrameSink,
  MirrorPipeline,
  type MirrorPipelineOptions,
  type RecordSink,
} from './pipeline/mirror-pipeline.js';
export { PipelineStats } from './pipeline/pipeline-stats.js';
export { buildFlowRecord, type FlowRecord } from './records/flow-record.js';
export { SCHEMA_VERSION } from './records/schema.js';
export { isoFromMicros } from './records/time-format.js';
export { JsonLinesWriter } from './sinks/json-lines-writer.js';
