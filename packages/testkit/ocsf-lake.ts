// DuckDB, a real SQL engine with its own Parquet reader (not ours), over the OCSF Parquet a
// `--ocsf-parquet` folder holds: the set-up the OCSF Parquet tests of read and of the CDK's
// receiver bundle share.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

/** The OCSF classes fargate-mirror writes, one folder (and one DuckDB view) each. */
export const OCSF_CLASSES = ['network_activity', 'http_activity', 'dns_activity'] as const;
export type OcsfClass = (typeof OCSF_CLASSES)[number];

/** `read_parquet(...)` over one class's files in the lake's hive layout (region, account, day). */
export function ocsfClassFiles(lake: string, c: OcsfClass): string {
  return `read_parquet('${lake}/${c}/*/*/*/*.parquet', hive_partitioning = true)`;
}

/**
 * An in-memory DuckDB with a view per OCSF class the lake holds (named as the class), and a query
 * function that gives rows as JSON values.
 */
export async function duckdbOverLake(lake: string): Promise<(sql: string) => Promise<Row[]>> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  for (const c of OCSF_CLASSES) {
    if (!existsSync(join(lake, c))) continue;
    await connection.run(`CREATE VIEW ${c} AS SELECT * FROM ${ocsfClassFiles(lake, c)}`);
  }
  return async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Row[];
}
