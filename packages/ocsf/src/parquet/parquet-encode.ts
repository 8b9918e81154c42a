import { type RecordBatch, Table, tableToIPC } from 'apache-arrow';
import {
  Compression,
  EnabledStatistics,
  Table as WasmTable,
  WriterPropertiesBuilder,
  WriterVersion,
  writeParquet,
} from 'parquet-wasm';

export type ParquetCompression = 'zstd' | 'snappy' | 'gzip';

const CODECS: Record<ParquetCompression, Compression> = {
  zstd: Compression.ZSTD,
  snappy: Compression.SNAPPY,
  gzip: Compression.GZIP,
};

/**
 * One Parquet file of the given record batches (one row group each), through parquet-wasm (the Rust
 * `parquet` crate): Arrow IPC in, file bytes out. Format v1 pages: what every Athena, Glue and
 * Security Lake reader takes. No dictionary pages: zstd already folds the repeated values (metadata,
 * class names, addresses), and without them the files are smaller (29.6 against 34.7 bytes a record
 * in bench/ocsf's capture) and encode in 2.9 instead of 4.2 µs a record. Statistics per column chunk
 * (row group min/max, which Athena and DuckDB prune on), not per page (a page index no query here uses).
 */
export function encodeParquet(
  batches: readonly RecordBatch[],
  compression: ParquetCompression,
  createdBy: string,
): Uint8Array {
  const ipc = tableToIPC(new Table(batches as RecordBatch[]), 'stream');
  const props = new WriterPropertiesBuilder()
    .setCompression(CODECS[compression])
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(EnabledStatistics.Chunk)
    .setWriterVersion(WriterVersion.V1)
    .setCreatedBy(createdBy)
    .build();
  return writeParquet(WasmTable.fromIPCStream(ipc), props);
}
