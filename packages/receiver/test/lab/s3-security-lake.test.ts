// receive -> Security Lake custom sources: the sample capture of real mirrored traffic is replayed into
// `receive`, configured with one Security Lake destination per OCSF class (the provider location and
// provider role of each registered custom source, with its external id). The receiver assumes each
// provider role through aws-local's STS (fromTemporaryCredentials) and writes that class's Parquet
// below the provider location, in Security Lake's partition layout, signed by the role's session;
// our own bucket gets every file too. Debian's AWS CLI lists and downloads the provider prefixes,
// DuckDB reads them, and they agree with the records in our bucket.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
import { run } from '@fargate-mirror/testkit/proc';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsTaskEnv,
  CLI,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  REPO,
  replayToReceiver,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
  withEnv,
} from '../helpers/receive-support.ts';

const AWS = '/usr/bin/aws';
const BUCKET = 'fm-lake';
const LAKE = 'aws-security-data-lake-eu-west-1-abcdef0123456789';
const SAMPLE = join(REPO, 'fixtures/sample-mirror.pcap');
const CLASSES = {
  network_activity: 'fm-net',
  http_activity: 'fm-http',
  dns_activity: 'fm-dns',
} as const;
const roleOf = (source: string) =>
  `arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-${source}-eu-west-1`;
const ENV = awsTaskEnv('eu-west-1', 'AKIDRECEIVERTASK');

async function aws(endpoint: string, args: string[]): Promise<string> {
  return (await run(AWS, [...args, '--endpoint-url', endpoint, '--region', 'eu-west-1'], { env: ENV }))
    .stdout;
}

const keysOf = (listing: string): string[] =>
  listing
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/).slice(3).join(' '));

describe('receive delivers each OCSF class to its Security Lake custom source', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-s3-security-lake-'));
  let s3: AwsLocal | undefined;
  let lakeKeys: string[] = [];
  let ourKeys: string[] = [];
  let query: (sql: string) => Promise<Record<string, unknown>[]>;

  afterAll(async () => {
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    requireTools(['aws']);
    requireBuiltCli();
    s3 = await startAwsLocal({ port: 0 });
    const endpoint = s3.url;
    for (const source of Object.values(CLASSES)) s3.sts.trust(roleOf(source), { externalId: 'fm-ext-42' });
    await aws(endpoint, ['s3', 'mb', `s3://${BUCKET}`]);
    await aws(endpoint, ['s3', 'mb', `s3://${LAKE}`]);
    const destinations = Object.fromEntries(
      Object.entries(CLASSES).map(([className, source]) => [
        className,
        { location: `s3://${LAKE}/ext/${source}/`, roleArn: roleOf(source), externalId: 'fm-ext-42' },
      ]),
    );
    const config = join(dir, 'receive.json');
    writeFileSync(
      config,
      JSON.stringify({
        ocsf: {
          dir: join(dir, 'ocsf'),
          windowSeconds: 1,
          graceSeconds: 0,
          accountId: '123456789012',
          region: 'eu-west-1',
        },
        s3: {
          retryBaseMs: 100,
          retryMaxMs: 500,
          scanSeconds: 1,
          drainSeconds: 30,
          uploadPcap: false,
          securityLake: { destinations, stsEndpoint: endpoint },
        },
      }),
    );
    const receiver = await startReceive(
      [
        '--config',
        config,
        ...LOOPBACK_RECEIVE,
        '--s3-bucket',
        BUCKET,
        '--s3-endpoint',
        endpoint,
        '--log-level',
        'info',
      ],
      withEnv(ENV),
    );
    const sent = await replayToReceiver(CLI, SAMPLE, receiver.port);
    await waitUntil('the datagrams to arrive', async () => {
      const m = await metrics(receiver.healthPort);
      return metric(m, 'datagrams_received_total') >= sent;
    });
    // The stop writes the last windows and drains them to both places.
    await stopReceive(receiver);
    ourKeys = keysOf(await aws(endpoint, ['s3', 'ls', '--recursive', `s3://${BUCKET}/`]));
    lakeKeys = keysOf(await aws(endpoint, ['s3', 'ls', '--recursive', `s3://${LAKE}/`]));
    await aws(endpoint, ['s3', 'cp', '--recursive', '--quiet', `s3://${LAKE}/ext/`, join(dir, 'lake')]);
    await aws(endpoint, ['s3', 'cp', '--recursive', '--quiet', `s3://${BUCKET}/ocsf/`, join(dir, 'ours')]);
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    query = async (sql) =>
      (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  });

  it("lays each class out below its source's provider location, partitioned as Security Lake expects", () => {
    expect(lakeKeys.length).toBeGreaterThanOrEqual(3);
    for (const k of lakeKeys)
      expect(k).toMatch(
        /^ext\/fm-(net|http|dns)\/region=eu-west-1\/accountId=123456789012\/eventDay=\d{8}\/(network|http|dns)_activity_\d{8}T\d{6}Z_\d+_\d{4}\.zstd\.parquet$/,
      );
    for (const [className, source] of Object.entries(CLASSES))
      expect(
        lakeKeys.filter((k) => k.startsWith(`ext/${source}/`)).every((k) => k.includes(`/${className}_`)),
      ).toBe(true);
    // Every file in our bucket as well, under its class folder: the same files, once each.
    const ours = ourKeys.map((k) => k.replace(/^ocsf\/[a-z_]+\//, ''));
    const theirs = lakeKeys.map((k) => k.replace(/^ext\/[a-z-]+\//, ''));
    expect(theirs.sort()).toEqual(ours.sort());
  });

  it("writes each source's objects with a session of that source's provider role, assumed with the external id", () => {
    for (const k of lakeKeys) {
      const writer = s3?.s3.get(LAKE, k).writtenBy ?? '';
      const session = s3?.sts.sessionOf(writer);
      const source = k.split('/')[1];
      expect([session?.roleArn, session?.externalId], k).toEqual([roleOf(source), 'fm-ext-42']);
    }
    // Our own bucket is written with the task's own credentials.
    for (const k of ourKeys) expect(s3?.s3.get(BUCKET, k).writtenBy).toBe('AKIDRECEIVERTASK');
  });

  it('DuckDB reads the Parquet downloaded from the provider locations, and it agrees with our bucket', async () => {
    for (const [className, source] of Object.entries(CLASSES)) {
      const count = async (glob: string) =>
        Number(
          (await query(`SELECT count(*) AS n FROM read_parquet('${glob}', hive_partitioning = true)`))[0].n,
        );
      const lake = await count(join(dir, 'lake', source, '*/*/*/*.parquet'));
      const ours = await count(join(dir, 'ours', className, '*/*/*/*.parquet'));
      expect([className, lake]).toEqual([className, ours]);
    }
    const classes = await query(
      `SELECT DISTINCT class_uid, accountId, region FROM read_parquet('${join(dir, 'lake', 'fm-net', '*/*/*/*.parquet')}', hive_partitioning = true)`,
    );
    expect(classes).toEqual([{ class_uid: 4001, accountId: '123456789012', region: 'eu-west-1' }]);
  });
});
