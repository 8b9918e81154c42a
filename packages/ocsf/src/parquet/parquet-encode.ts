import { type RecordBatch, Table, tableToIPC } from 'apache-arrow';
import {
  Compression,
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
 * Security Lake reader takes.
 */
export function encodeParquet(
  batches: readonly RecordBatch[],
  compression: ParquetCompression,
  createdBy: string,
): Uint8Array {
  const ipc = tableToIPC(new Table(batches as RecordBatch[]), 'stream');
  const props = new WriterPropertiesBuilder()
    .setCompression(CODECS[compression])
    .setWriterVersion(WriterVersion.V1)
    .setCreatedBy(createdBy)
    .build();
  return writeParquet(WasmTable.fromIPCStream(ipc), props);
}
