// receive -> OCSF Parquet and pcap -> S3 (aws-local), with S3 unreachable first: the sample capture
// of real mirrored traffic is replayed into `receive` on loopback while nothing listens on the S3
// endpoint's port (uploads fail, files wait on disk), then aws-local starts on that port and the
// backlog drains. Every file reaches S3 once, nothing stays behind; Debian's `aws s3 ls` shows the
// layout the Glue tables are built on; DuckDB reads the Parquet downloaded back and agrees with the
// JSON Lines records of the same run; the pcap objects hold every packet, and each OCSF record names
// the pcap objects of its flow, and the object and byte offset of its flow's first packet (checked with
// tshark against the downloaded objects).

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
import { freePort } from '@fargate-mirror/testkit/free-port';
import { flowKey } from '@fargate-mirror/testkit/ground-truth';
import { type FrameAtOffset, framesByOffset } from '@fargate-mirror/testkit/pcap-offsets';
import { run } from '@fargate-mirror/testkit/proc';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { CaptureReader } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsTaskEnv,
  CLI,
  countBy,
  type JsonRecord,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  REPO,
  readJsonLines,
  replayToReceiver,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
  withEnv,
} from '../helpers/receive-support.ts';

const AWS = '/usr/bin/aws';
const BUCKET = 'fm-lake';
const PREFIX = 'run1/';
const SAMPLE = join(REPO, 'fixtures/sample-mirror.pcap');
const ENV = awsTaskEnv('us-east-1');
type Row = Record<string, unknown>;

async function aws(endpoint: string, args: string[]): Promise<string> {
  return (await run(AWS, [...args, '--endpoint-url', endpoint, '--region', 'us-east-1'], { env: ENV }))
    .stdout;
}

function packetsIn(files: readonly string[]): number {
  let n = 0;
  for (const f of files) {
    const reader = CaptureReader.open(f);
    while (reader.next()) n++;
    reader.close();
  }
  return n;
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

describe('receive delivers OCSF Parquet and pcap to S3 through an outage', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-s3-delivery-'));
  let s3: AwsLocal | undefined;
  let endpoint = '';
  let records: JsonRecord[] = [];
  let keys: string[] = [];
  let listing = '';
  let packetsReceived = 0;
  let duringOutage = { failed: 0, pending: 0 };
  let uploaded = 0;
  let query: (sql: string) => Promise<Row[]>;

  afterAll(async () => {
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    requireTools(['aws', 'tshark']);
    requireBuiltCli();
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    const config = join(dir, 'receive.json');
    writeFileSync(
      config,
      JSON.stringify({
        ocsf: { dir: join(dir, 'ocsf'), windowSeconds: 1, graceSeconds: 0, accountId: '123456789012' },
        s3: { retryBaseMs: 100, retryMaxMs: 500, scanSeconds: 1, drainSeconds: 30 },
        health: { intervalMs: 200 },
      }),
    );
    const receiver = await startReceive(
      [
        '--config',
        config,
        ...LOOPBACK_RECEIVE,
        '--pcap-dir',
        join(dir, 'pcap'),
        '--rotate-mb',
        '0.02',
        '--records',
        join(dir, 'records.jsonl'),
        '--s3-bucket',
        BUCKET,
        '--s3-prefix',
        PREFIX,
        '--s3-endpoint',
        endpoint,
        '--log-level',
        'info',
      ],
      withEnv(ENV),
    );
    const sent = await replayToReceiver(CLI, SAMPLE, receiver.port);
    // S3 is unreachable: uploads fail and are retried, completed files pile up on disk.
    await waitUntil('uploads to fail while S3 is unreachable', async () => {
      const m = await metrics(receiver.healthPort);
      duringOutage = {
        failed: metric(m, 's3_failed_attempts_total'),
        pending: metric(m, 's3_pending_files'),
      };
      return (
        metric(m, 'datagrams_received_total') >= sent && duringOutage.failed >= 3 && duringOutage.pending >= 2
      );
    });
    packetsReceived = metric(await metrics(receiver.healthPort), 'packets_total');
    // S3 comes back (the bucket first missing, then made): the backlog drains.
    s3 = await startAwsLocal({ port });
    await aws(endpoint, ['s3', 'mb', `s3://${BUCKET}`]);
    await waitUntil('the backlog to drain', async () => {
      const m = await metrics(receiver.healthPort);
      return metric(m, 's3_pending_files') === 0 && metric(m, 's3_uploaded_files_total') > 0;
    });
    const stderr = await stopReceive(receiver);
    uploaded = (stderr.match(/OCSF Parquet file completed/g) ?? []).length;
    records = readJsonLines(join(dir, 'records.jsonl'));
    listing = await aws(endpoint, ['s3', 'ls', '--recursive', `s3://${BUCKET}/`]);
    keys = listing
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/).slice(3).join(' '));
    await aws(endpoint, [
      's3',
      'cp',
      '--recursive',
      '--quiet',
      `s3://${BUCKET}/${PREFIX}`,
      join(dir, 'down'),
    ]);
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    query = async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Row[];
  });

  it('failed and retried while S3 was unreachable, and left nothing behind once it was back', () => {
    expect(duringOutage.failed).toBeGreaterThanOrEqual(3);
    expect(duringOutage.pending).toBeGreaterThanOrEqual(2);
    expect(filesUnder(join(dir, 'pcap'), '.pcap')).toEqual([]);
    expect(filesUnder(join(dir, 'ocsf'), '.parquet')).toEqual([]);
  });

  it('lays the objects out as the Glue tables expect, each file once', () => {
    const parquet = keys.filter((k) => k.endsWith('.parquet'));
    const pcap = keys.filter((k) => k.endsWith('.pcap'));
    expect(parquet.length + pcap.length).toBe(keys.length);
    for (const k of parquet)
      expect(k).toMatch(
        /^run1\/ocsf\/(network_activity|http_activity|dns_activity)\/region=[\w-]+\/accountId=123456789012\/eventDay=\d{8}\/\1_\d{8}T\d{6}Z_\d+_\d{4}\.zstd\.parquet$/,
      );
    for (const k of pcap) expect(k).toMatch(/^run1\/pcap\/fargate-mirror-w0-\d{8}T\d{9}Z-\d{6}\.pcap$/);
    // Each completed Parquet file became exactly one object (names are unique per file).
    expect(parquet.length).toBe(uploaded);
    expect(new Set(keys).size).toBe(keys.length);
    expect(pcap.length).toBeGreaterThan(1);
  });

  it('carries every received packet in the pcap objects', () => {
    const files = filesUnder(join(dir, 'down', 'pcap'), '.pcap');
    expect(packetsIn(files)).toBe(packetsReceived);
  });

  it('DuckDB reads the downloaded Parquet and agrees with the JSON Lines records', async () => {
    const lake = join(dir, 'down', 'ocsf');
    const view = (c: string) => `read_parquet('${lake}/${c}/*/*/*/*.parquet', hive_partitioning = true)`;
    const byType = countBy(records, (r) => r.type as string);
    const count = async (c: string) => Number((await query(`SELECT count(*) AS n FROM ${view(c)}`))[0].n);
    expect(await count('network_activity')).toBe((byType.get('flow') ?? 0) + (byType.get('tls') ?? 0));
    expect(await count('http_activity')).toBe(byType.get('http') ?? 0);
    expect(await count('dns_activity')).toBe(byType.get('dns') ?? 0);
    const flows = records.filter((r) => r.type === 'flow');
    const fromParquet = await query(
      `SELECT connection_info.community_uid AS id, traffic.bytes AS bytes, traffic.packets AS packets
       FROM ${view('network_activity')} WHERE metadata.log_name = 'flow'`,
    );
    const key = (id: unknown, bytes: unknown, packets: unknown) => `${id} ${bytes} ${packets}`;
    expect(fromParquet.map((r) => key(r.id, r.bytes, r.packets)).sort()).toEqual(
      flows.map((r) => key(r.community_id, r.bytes, r.packets)).sort(),
    );
    const urls = await query(`SELECT http_request.url.url_string AS url FROM ${view('http_activity')}`);
    expect(urls.map((r) => r.url).sort()).toEqual(
      records
        .filter((r) => r.type === 'http')
        .map((r) => r.url)
        .sort(),
    );
  });

  it("names each flow's pcap objects in unmapped.pcap_files", async () => {
    const lake = join(dir, 'down', 'ocsf');
    const rows = await query(
      `SELECT map_extract(unmapped, 'pcap_files') AS files FROM read_parquet('${lake}/network_activity/*/*/*/*.parquet')
       WHERE metadata.log_name = 'flow'`,
    );
    const objects = new Set(keys.map((k) => `s3://${BUCKET}/${k}`));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const files = JSON.parse((row.files as string[])[0]) as string[];
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(objects.has(f), f).toBe(true);
    }
  });

  it("points each record at its flow's first packet: the pcap object and byte offset", async () => {
    const framesOf = new Map<string, Map<number, FrameAtOffset>>();
    for (const file of filesUnder(join(dir, 'down', 'pcap'), '.pcap'))
      framesOf.set(file.slice(file.lastIndexOf('/') + 1), await framesByOffset(file));
    const frameAt = (name: string, offset: number) => framesOf.get(name)?.get(offset);
    // JSON Lines: the file's name in the pcap directory (the object's name under pcap/).
    const mirrored = records.filter((r) => r.transport === 'tcp' || r.transport === 'udp');
    expect(mirrored.length).toBeGreaterThan(20);
    for (const r of mirrored) {
      const frame = frameAt(r.pcap_file as string, r.pcap_offset as number);
      expect(frame?.key, `${r.type} ${r.pcap_file}@${r.pcap_offset}`).toBe(
        flowKey(
          r.transport as string,
          r.src_ip as string,
          r.src_port as number,
          r.dest_ip as string,
          r.dest_port as number,
        ),
      );
    }
    // More than one file holds first packets: the offsets are per file, not per run.
    expect(new Set(mirrored.map((r) => r.pcap_file)).size).toBeGreaterThan(1);
    // OCSF: the S3 object itself, in every class.
    const lake = join(dir, 'down', 'ocsf');
    const objects = new Set(keys.map((k) => `s3://${BUCKET}/${k}`));
    for (const cls of ['network_activity', 'http_activity', 'dns_activity']) {
      const rows = await query(
        `SELECT map_extract(unmapped, 'pcap_file')[1] AS file, map_extract(unmapped, 'pcap_offset')[1] AS offset,
                connection_info.protocol_name AS transport, src_endpoint.ip AS src_ip, src_endpoint.port AS src_port,
                dst_endpoint.ip AS dest_ip, dst_endpoint.port AS dest_port
         FROM read_parquet('${lake}/${cls}/*/*/*/*.parquet')`,
      );
      expect(rows.length, cls).toBeGreaterThan(0);
      for (const row of rows) {
        const file = row.file as string;
        expect(objects.has(file), `${cls}: ${file}`).toBe(true);
        const frame = frameAt(file.slice(file.lastIndexOf('/') + 1), Number(row.offset));
        expect(frame, `${cls} ${file}@${row.offset}`).toBeDefined();
        // tshark's key is of TCP and UDP frames (ICMP flows have no ports to compare).
        if (row.transport !== 'tcp' && row.transport !== 'udp') continue;
        expect(frame?.key, `${cls} ${file}@${row.offset}`).toBe(
          flowKey(
            row.transport as string,
            row.src_ip as string,
            Number(row.src_port),
            row.dest_ip as string,
            Number(row.dest_port),
          ),
        );
      }
    }
  });

  it('shows the layout with aws s3 ls', () => {
    expect(listing).toMatch(
      /run1\/ocsf\/network_activity\/region=[\w-]+\/accountId=123456789012\/eventDay=\d{8}\//,
    );
    expect(listing).toMatch(/run1\/pcap\/fargate-mirror-w0-/);
  });
});
