/**
 * The Glue tables of OcsfLake against the Parquet files the receivers' code really writes:
 * `fargate-mirror read --ocsf-parquet` on the shipped capture, then DuckDB's `parquet_schema()` (its
 * own reader of the file footers, not our code) turned into Hive types. Every table's columns, names,
 * order and types, must equal the files', and each file must sit where the table's partition
 * projection template points, so the construct and the writer cannot drift apart.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO_ROOT, runCli } from '@fargate-mirror/testkit/cli';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OcsfLake } from '../../src/index.js';
import { type Json, resolveToString } from '../support/cfn.js';
import { newStack } from '../support/stacks.js';

interface SchemaRow {
  name: string;
  type: string | null;
  repetition_type: string | null;
  num_children: number | null;
  converted_type: string | null;
  logical_type: string | null;
}

interface Node {
  readonly row: SchemaRow;
  readonly children: Node[];
}

/** parquet_schema() lists the schema tree depth-first with child counts; rebuild the tree. */
function tree(rows: SchemaRow[]): Node {
  let i = 0;
  const take = (): Node => {
    const row = rows[i++]!;
    const children: Node[] = [];
    for (let c = 0; c < (row.num_children ?? 0); c++) children.push(take());
    return { row, children };
  };
  return take();
}

const annotated = (n: Node, what: string) =>
  n.row.converted_type === what || (n.row.logical_type ?? '').startsWith(`${what}`);

/** A Parquet schema node as the Hive type Athena reads it with (the Parquet format's LIST/MAP rules). */
function hiveType(n: Node): string {
  if (n.children.length === 0) {
    const t = n.row.type;
    if (t === 'BYTE_ARRAY' && (n.row.converted_type === 'UTF8' || /String/i.test(n.row.logical_type ?? '')))
      return 'string';
    if (t === 'BOOLEAN') return 'boolean';
    if (t === 'INT64') return 'bigint';
    if (t === 'INT32') return 'int';
    throw new Error(`no Hive type for Parquet leaf ${JSON.stringify(n.row)}`);
  }
  if (annotated(n, 'LIST') || /ListType/i.test(n.row.logical_type ?? '')) {
    // LIST group -> repeated group (list) -> element
    return `array<${hiveType(n.children[0]!.children[0]!)}>`;
  }
  if (annotated(n, 'MAP') || /MapType/i.test(n.row.logical_type ?? '')) {
    const [key, value] = n.children[0]!.children;
    return `map<${hiveType(key!)},${hiveType(value!)}>`;
  }
  return `struct<${n.children.map((c) => `${c.row.name}:${hiveType(c)}`).join(',')}>`;
}

function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith('.parquet')) out.push(join(e.parentPath, e.name));
  return out;
}

describe('OcsfLake Glue tables against the Parquet of read --ocsf-parquet', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fm-cdk-lake-parquet-'));
  const lakeDir = join(scratch, 'lake');
  let files: string[] = [];
  const fileColumns = new Map<string, { name: string; type: string }[]>();
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const stack = newStack();
  new OcsfLake(stack, 'Lake', { objectKeyPrefix: 'fm/' });
  const tables = Object.values(Template.fromStack(stack).findResources('AWS::Glue::Table')) as {
    Properties: {
      TableInput: {
        Name: string;
        Parameters: Record<string, Json>;
        StorageDescriptor: { Columns: { Name: string; Type: string }[] };
      };
    };
  }[];

  beforeAll(async () => {
    const result = await runCli([
      'read',
      join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap'),
      '--ocsf-parquet',
      lakeDir,
      '--ocsf-region',
      'eu-west-1',
      '--ocsf-account-id',
      '123456789012',
    ]);
    expect(result.code, result.stderr).toBe(0);
    files = parquetFiles(lakeDir);
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    for (const file of files) {
      const rows = (
        await connection.runAndReadAll(
          `SELECT name, type, repetition_type, num_children, converted_type, logical_type FROM parquet_schema('${file}')`,
        )
      ).getRowObjectsJson() as unknown as SchemaRow[];
      const root = tree(
        rows.map((r) => ({ ...r, num_children: r.num_children === null ? null : Number(r.num_children) })),
      );
      fileColumns.set(
        file,
        root.children.map((c) => ({ name: c.row.name, type: hiveType(c) })),
      );
    }
  }, 240_000);

  it('read wrote one file per class, and the construct has a table for each', () => {
    const classes = files.map((f) => relative(lakeDir, f).split('/')[0]).sort();
    expect(classes).toEqual(['dns_activity', 'http_activity', 'network_activity']);
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(classes);
  });

  it("each table's columns (names, order, Hive types) are the Parquet file's top-level fields", () => {
    for (const file of files) {
      const className = relative(lakeDir, file).split('/')[0];
      const table = tables.find((t) => t.Properties.TableInput.Name === className)!;
      const glue = table.Properties.TableInput.StorageDescriptor.Columns.map((c) => ({
        name: c.Name,
        type: c.Type,
      }));
      expect(glue).toEqual(fileColumns.get(file));
    }
  });

  it('every file lies where the partition projection template puts its partition', () => {
    for (const file of files) {
      const rel = relative(lakeDir, file);
      const [className, region, account, day] = rel.split('/');
      const table = tables.find((t) => t.Properties.TableInput.Name === className)!;
      const values: Record<string, string> = {
        region: region!.replace(/^region=/, ''),
        accountid: account!.replace(/^accountId=/, ''),
        eventday: day!.replace(/^eventDay=/, ''),
      };
      expect(values.region).toBe('eu-west-1');
      expect(values.accountid).toBe('123456789012');
      expect(values.eventday).toMatch(/^\d{8}$/);
      const template = resolveToString(
        table.Properties.TableInput.Parameters['storage.location.template']!,
        () => 'BUCKET',
      );
      const folder = template.replace(/\$\{(\w+)\}/g, (_, c: string) => values[c]!);
      // the receiver uploads <prefix>ocsf/<the path read writes under its --ocsf-parquet dir>.
      expect(`s3://BUCKET/fm/ocsf/${rel}`.startsWith(folder)).toBe(true);
      expect(`s3://BUCKET/fm/ocsf/${rel}`.slice(folder.length)).not.toContain('/');
    }
  });
});
