import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { OcsfError } from '../errors.js';

/**
 * The fields `TrafficSummary` reads, taken back out of an OCSF event where the mapping put them.
 * What does not come back as it was: `time` has milliseconds (OCSF timestamp_t; the record's
 * microseconds are gone) and `duration_ms` whole milliseconds (the mapping rounds into OCSF's
 * `duration`, long_t ms), so percentiles are the JSON Lines ones rounded to the millisecond.
 */
export interface OcsfSummaryRecord {
  readonly type: string;
  readonly time: string | undefined;
  readonly app: string | undefined;
  readonly src_ip: string | undefined;
  readonly dest_ip: string | undefined;
  readonly src_ecs_cluster: string | undefined;
  readonly src_ecs_service: string | undefined;
  readonly dest_ecs_cluster: string | undefined;
  readonly dest_ecs_service: string | undefined;
  readonly bytes_out: number | undefined;
  readonly bytes_in: number | undefined;
  readonly tcp_flag: string | undefined;
  readonly flow_end_reason: string | undefined;
  readonly status: number | undefined;
  readonly duration_ms: number | undefined;
  readonly reply_code: string | undefined;
  readonly query: string | undefined;
  readonly server_name: string | undefined;
  readonly tls_version: string | undefined;
}

/** A row as Arrow JS hands it: structs and maps as proxies, int64 as bigint. */
type Row = Record<string, unknown> | null | undefined;

const struct = (v: unknown): Row => (typeof v === 'object' && v !== null ? (v as Row) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const number = (v: unknown): number | undefined =>
  typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;

/** The `*.parquet` files under `path` (the file itself, or every one below a lake folder), in name order. */
export function ocsfParquetFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.parquet') && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The summary's fields of every event in one OCSF Parquet file that `OcsfParquetSink` wrote. */
export function* readOcsfSummaryRecords(file: string): Generator<OcsfSummaryRecord> {
  let table: ReturnType<typeof tableFromIPC>;
  try {
    table = tableFromIPC(readParquet(readFileSync(file)).intoIPCStream());
  } catch (error) {
    throw new OcsfError(
      'PARQUET_READ_FAILED',
      `cannot read ${file} as Parquet: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  for (const row of table) yield summaryFields(row as unknown as Row);
}

function summaryFields(row: Row): OcsfSummaryRecord {
  const metadata = struct(row?.metadata);
  const src = struct(row?.src_endpoint);
  const dst = struct(row?.dst_endpoint);
  const traffic = struct(row?.traffic);
  const tls = struct(row?.tls);
  const query = struct(row?.query);
  const response = struct(row?.http_response);
  const unmapped = unmappedOf(row?.unmapped);
  const type = text(metadata?.log_name) ?? classType(number(row?.class_uid));
  const time = number(row?.time);
  const rcodeId = number(row?.rcode_id);
  return {
    type,
    time: time === undefined ? undefined : new Date(time).toISOString(),
    app: text(row?.app_name),
    src_ip: text(src?.ip),
    dest_ip: text(dst?.ip),
    src_ecs_cluster: unmapped.src_ecs_cluster,
    src_ecs_service: unmapped.src_ecs_service ?? text(src?.svc_name),
    dest_ecs_cluster: unmapped.dest_ecs_cluster,
    dest_ecs_service: unmapped.dest_ecs_service ?? text(dst?.svc_name),
    // Only flows' bytes make the table's bytes (HTTP events carry theirs too, as records do).
    bytes_out: number(traffic?.bytes_out),
    bytes_in: number(traffic?.bytes_in),
    tcp_flag: unmapped.tcp_flags,
    flow_end_reason: unmapped.flow_end_reason,
    status: number(response?.code),
    duration_ms: type === 'http' || type === 'dns' ? number(row?.duration) : undefined,
    // The summary counts every answer but NOERROR, and no answer, as a DNS failure: rcode_id 0 is NoError.
    reply_code: type !== 'dns' ? undefined : rcodeId === 0 ? 'NOERROR' : (text(row?.rcode) ?? 'no response'),
    query: text(query?.hostname),
    server_name: text(tls?.sni),
    tls_version: text(tls?.version),
  };
}

/** Events without `metadata.log_name` (another writer's): the class says what they are, roughly. */
function classType(classUid: number | undefined): string {
  return classUid === 4002 ? 'http' : classUid === 4003 ? 'dns' : classUid === 4001 ? 'flow' : 'unknown';
}

function unmappedOf(value: unknown): Record<string, string | undefined> {
  const map = struct(value) as { toJSON?: () => unknown } | undefined;
  const plain = typeof map?.toJSON === 'function' ? map.toJSON() : map;
  return typeof plain === 'object' && plain !== null ? (plain as Record<string, string | undefined>) : {};
}
