export { NAMED_QUERIES, type NamedQuery } from './athena/named-queries.js';
export { isOcsfError, OCSF_ERROR_CODES, OcsfError, type OcsfErrorCode } from './errors.js';
export type { OcsfMappingOptions } from './mapping/common.js';
export { toOcsfEvent } from './mapping/map-record.js';
export {
  OCSF_CLASSES,
  type OcsfClassName,
  type OcsfEvent,
  type OcsfObject,
  type OcsfValue,
} from './mapping/ocsf-event.js';
export type { CloudDefaults } from './mapping/workload-cloud.js';
export { type ArrowLayout, arrowLayout } from './parquet/arrow-layout.js';
export {
  type CompletedParquetFile,
  type OcsfParquetOptions,
  OcsfParquetSink,
  type OcsfParquetStats,
} from './parquet/ocsf-parquet-sink.js';
export { encodeParquet, type ParquetCompression } from './parquet/parquet-encode.js';
export { eventDayOf, partitionPath } from './parquet/partition-path.js';
export {
  type OcsfSummaryRecord,
  ocsfParquetFilesUnder,
  readOcsfSummaryRecords,
} from './read/ocsf-summary-records.js';
export {
  loadOcsfSchema,
  OCSF_SCHEMA_URL,
  OCSF_VERSION,
  type OcsfSchemaDocument,
  type SchemaNode,
} from './schema/ocsf-schema.js';
