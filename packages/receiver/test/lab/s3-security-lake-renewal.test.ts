// receive -> a Security Lake custom source whose provider role's sessions expire while it runs: the
// SDK's temporary credentials (fromTemporaryCredentials) must assume the role again before each
// session expires, for as long as the receiver runs. aws-local issues this role 2-second sessions
// (a test knob: AWS issues at least 900 s) and refuses an expired one as S3 does (400 ExpiredToken),
// so a receiver that kept its first session would fail every upload after the second second.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
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

const BUCKET = 'fm-renew';
const LAKE = 'aws-security-data-lake-eu-west-1-renewal';
const SAMPLE = join(REPO, 'fixtures/sample-mirror.pcap');
const ROLE = 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-fm-http-eu-west-1';
const SESSION_SECONDS = 2;
const ENV = awsTaskEnv('eu-west-1', 'AKIDRECEIVERTASK');

describe('receive renews an assumed provider role before its sessions expire', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-s3-renewal-'));
  let aws: AwsLocal | undefined;
  let failedAttempts = Number.NaN;
  const rounds: { key: string; at: number }[][] = [];

  afterAll(async () => {
    await aws?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    requireBuiltCli();
    aws = await startAwsLocal({ port: 0 });
    const local = aws;
    local.sts.trust(ROLE, { externalId: 'fm-ext-7', sessionSeconds: SESSION_SECONDS });
    local.s3.createBucket(BUCKET);
    local.s3.createBucket(LAKE);
    const config = join(dir, 'receive.json');
    writeFileSync(
      config,
      JSON.stringify({
        ocsf: { dir: join(dir, 'ocsf'), windowSeconds: 1, graceSeconds: 0, accountId: '123456789012' },
        s3: {
          retryBaseMs: 100,
          retryMaxMs: 500,
          scanSeconds: 1,
          drainSeconds: 30,
          uploadPcap: false,
          securityLake: {
            destinations: {
              http_activity: { location: `s3://${LAKE}/ext/fm-http/`, roleArn: ROLE, externalId: 'fm-ext-7' },
            },
            stsEndpoint: local.url,
          },
        },
        health: { intervalMs: 200 },
      }),
    );
    const receiver = await startReceive(
      ['--config', config, ...LOOPBACK_RECEIVE, '--s3-bucket', BUCKET, '--s3-endpoint', local.url],
      withEnv(ENV),
    );
    const lakeObjects = () =>
      [...local.s3.objects(LAKE).entries()].map(([key, o]) => ({ key, at: o.lastModified.getTime() }));
    // Three rounds of traffic, each after the sessions of the round before have expired.
    for (let round = 0; round < 3; round++) {
      const before = lakeObjects().length;
      await replayToReceiver(CLI, SAMPLE, receiver.port);
      await waitUntil(
        `round ${round}'s HTTP Activity file in the lake`,
        () => lakeObjects().length > before,
        60_000,
      );
      rounds.push(lakeObjects().slice(before));
      await new Promise((r) => setTimeout(r, (SESSION_SECONDS + 0.5) * 1000));
    }
    failedAttempts = metric(await metrics(receiver.healthPort), 's3_failed_attempts_total');
    await stopReceive(receiver);
  });

  it('writes every round, each with a session that was live when it wrote', () => {
    expect(rounds.length).toBe(3);
    const local = aws as AwsLocal;
    const sessions = new Set<string>();
    for (const round of rounds)
      for (const { key, at } of round) {
        const writer = local.s3.get(LAKE, key).writtenBy ?? '';
        const session = local.sts.sessionOf(writer);
        expect([session?.roleArn, session?.externalId], key).toEqual([ROLE, 'fm-ext-7']);
        expect(session?.expiration.getTime() ?? 0, key).toBeGreaterThan(at);
        sessions.add(writer);
      }
    // Rounds 2.5 s apart cannot share a 2-second session.
    expect(sessions.size).toBeGreaterThanOrEqual(3);
  });

  it('never had an upload refused for an expired token', () => {
    expect(failedAttempts).toBe(0);
  });
});
