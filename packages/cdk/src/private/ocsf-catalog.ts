import { readFileSync } from 'node:fs';
import { packageAsset } from './assets.js';

/** One Glue column: a Parquet top-level field in Hive DDL type syntax (struct<...>, array<...>, ...). */
export interface OcsfColumn {
  readonly name: string;
  readonly type: string;
}

/** One OCSF class: its Glue table (named after the class folder the receivers write) and columns. */
export interface OcsfTableSpec {
  /** The class folder and table name (`network_activity`, `http_activity`, `dns_activity`). */
  readonly name: string;
  readonly classUid: number;
  readonly className: string;
  readonly columns: readonly OcsfColumn[];
}

export interface OcsfNamedQuerySpec {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

export interface OcsfCatalog {
  readonly ocsfVersion: string;
  readonly tables: readonly OcsfTableSpec[];
  readonly namedQueries: readonly OcsfNamedQuerySpec[];
}

let cached: OcsfCatalog | undefined;

/**
 * The Glue columns and Athena named queries of @fargate-mirror/ocsf, generated at the package's build
 * (scripts/ocsf-catalog.mjs: `arrowLayout` and `NAMED_QUERIES`), so the tables describe exactly the
 * Parquet the receivers write and the queries are the very text the ocsf package tests with DuckDB.
 */
export function ocsfCatalog(): OcsfCatalog {
  cached ??= JSON.parse(readFileSync(packageAsset('lake', 'ocsf-catalog.json'), 'utf8')) as OcsfCatalog;
  return cached;
}
