// Exactly-once objects: receive's S3 delivery (the real SDK v3 and lib-storage) against aws-local's S3,
// after a crash between an upload and the local delete. The files the spool still holds were sent
// already: the conditional writes (If-None-Match: *) are refused with 412, the objects there are
// compared with the files (size and ETag, single and multipart) and the files are removed without a
// second write. An object at the key that is not the file is never overwritten: the file is sent
// beside it, under a key named by its content; nor is one that cannot be compared (the writer's role
// may put and not head: a Security Lake provider role).

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { Upload } from '@aws-sdk/lib-storage';
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiverConfigSchema } from '../../src/config/receiver-config.js';
import { besideKey, S3Delivery } from '../../src/sinks/s3/s3-delivery.js';
import type { SpoolSource } from '../../src/sinks/s3/s3-spool.js';

const BUCKET = 'fm-once';
const MiB = 1024 * 1024;

describe('receive sends each file to S3 once, across a crash before the local delete', {
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-s3-once-'));
  const pcapDir = join(dir, 'pcap');
  let aws: AwsLocal;
  let client: S3Client;
  let delivery: S3Delivery | undefined;
  const files = {
    small: { name: 'a-000001.pcap', data: randomBytes(300 * 1024) },
    big: { name: 'a-000002.pcap', data: randomBytes(12 * MiB + 17) },
    fresh: { name: 'a-000003.pcap', data: randomBytes(1000) },
    taken: { name: 'a-000004.pcap', data: randomBytes(2000) },
  };
  const source: SpoolSource = {
    kind: 'pcap',
    dir: pcapDir,
    keyOf: (rel) => `pcap/${rel}`,
    isComplete: (name) => name.endsWith('.pcap'),
  };

  beforeAll(async () => {
    aws = await startAwsLocal({ port: 0 });
    client = new S3Client({
      endpoint: aws.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDBEFORECRASH', secretAccessKey: 'secret' },
    });
    aws.s3.createBucket(BUCKET);
    mkdirSync(pcapDir, { mode: 0o700 });
    for (const f of Object.values(files)) writeFileSync(join(pcapDir, f.name), f.data, { mode: 0o600 });
    // The run before the crash: small (whole) and big (in 5 MiB parts, as the delivery sends it) are
    // in S3 already; the files stayed on disk. Another writer put something else at taken's key.
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `pcap/${files.small.name}`, Body: files.small.data }),
    );
    await new Upload({
      client,
      params: { Bucket: BUCKET, Key: `pcap/${files.big.name}`, Body: files.big.data },
      partSize: 5 * MiB,
    }).done();
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `pcap/${files.taken.name}`, Body: 'other' }),
    );

    const config = receiverConfigSchema.parse({
      s3: {
        bucket: BUCKET,
        endpoint: aws.url,
        region: 'us-east-1',
        partBytes: '5MiB',
        retryBaseMs: 50,
        retryMaxMs: 100,
      },
    }).s3;
    if (config === undefined) throw new Error('no s3 section parsed');
    process.env.AWS_ACCESS_KEY_ID = 'AKIDAFTERCRASH';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    delivery = await S3Delivery.open(config, [source], dir, pino({ level: 'silent' }));
    delivery.start();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && delivery.stats.uploadedFiles < 4)
      await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await delivery?.close(0);
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    client?.destroy();
    await aws?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the two objects already there as delivered and writes them no second time', () => {
    expect(delivery?.stats.alreadyPresent).toBe(2);
    for (const f of [files.small, files.big]) {
      const o = aws.s3.get(BUCKET, `pcap/${f.name}`);
      expect(o.writtenBy).toBe('AKIDBEFORECRASH');
      expect(o.body.equals(f.data)).toBe(true);
      expect(existsSync(join(pcapDir, f.name))).toBe(false);
    }
    expect(aws.s3.get(BUCKET, `pcap/${files.big.name}`).etag).toMatch(/-3"$/);
  });

  it('uploads the file that was not there yet, once', () => {
    const o = aws.s3.get(BUCKET, `pcap/${files.fresh.name}`);
    expect([o.writtenBy, o.body.equals(files.fresh.data)]).toEqual(['AKIDAFTERCRASH', true]);
    expect(existsSync(join(pcapDir, files.fresh.name))).toBe(false);
  });

  it('never overwrites a different object at the key: the file goes beside it, named by its content', () => {
    expect(aws.s3.get(BUCKET, `pcap/${files.taken.name}`).body.toString()).toBe('other');
    const digest = createHash('md5').update(files.taken.data).digest('hex').slice(0, 12);
    expect(besideKey(`pcap/${files.taken.name}`, digest)).toBe(`pcap/a-000004.${digest}.pcap`);
    const beside = aws.s3.get(BUCKET, `pcap/a-000004.${digest}.pcap`);
    expect([beside.writtenBy, beside.body.equals(files.taken.data)]).toEqual(['AKIDAFTERCRASH', true]);
    expect(existsSync(join(pcapDir, files.taken.name))).toBe(false);
    expect(delivery?.stats.keptBeside).toBe(1);
    expect(delivery?.stats.uploadedFiles).toBe(4);
  });
});

describe('receive cannot compare what is at the key (its role may not HeadObject)', {
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-s3-no-head-'));
  const pcapDir = join(dir, 'pcap');
  const role = 'arn:aws:iam::123456789012:role/fm-put-only';
  const file = { name: 'b-000001.pcap', data: randomBytes(4000) };
  let aws: AwsLocal;
  let delivery: S3Delivery | undefined;
  let sessionKey = '';

  beforeAll(async () => {
    aws = await startAwsLocal({ port: 0 });
    aws.s3.createBucket(BUCKET);
    // The very same bytes are at the key already (sent before a crash), but this role cannot see that.
    aws.s3.put(BUCKET, `pcap/${file.name}`, {
      body: file.data,
      etag: `"${createHash('md5').update(file.data).digest('hex')}"`,
      contentType: 'application/vnd.tcpdump.pcap',
      metadata: {},
    });
    aws.sts.trust(role, { s3Deny: ['s3:GetObject'] });
    const credentials = await fromTemporaryCredentials({
      params: { RoleArn: role, RoleSessionName: 'fm-receiver' },
      masterCredentials: { accessKeyId: 'AKIDTASK', secretAccessKey: 'secret' },
      clientConfig: { endpoint: aws.url, region: 'us-east-1' },
    })();
    sessionKey = credentials.accessKeyId;
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    process.env.AWS_SESSION_TOKEN = credentials.sessionToken;
    mkdirSync(pcapDir, { mode: 0o700 });
    writeFileSync(join(pcapDir, file.name), file.data, { mode: 0o600 });
    const config = receiverConfigSchema.parse({
      s3: { bucket: BUCKET, endpoint: aws.url, region: 'us-east-1', retryBaseMs: 50, retryMaxMs: 100 },
    }).s3;
    if (config === undefined) throw new Error('no s3 section parsed');
    const source: SpoolSource = {
      kind: 'pcap',
      dir: pcapDir,
      keyOf: (rel) => `pcap/${rel}`,
      isComplete: (name) => name.endsWith('.pcap'),
    };
    delivery = await S3Delivery.open(config, [source], dir, pino({ level: 'silent' }));
    delivery.start();
    const deadline = Date.now() + 60_000;
    while (
      Date.now() < deadline &&
      (delivery.stats.uploadedFiles < 1 || existsSync(join(pcapDir, file.name)))
    )
      await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await delivery?.close(0);
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    await aws?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the file beside the key, named by its content, signed by the role, and removes it locally', () => {
    expect(aws.s3.get(BUCKET, `pcap/${file.name}`).writtenBy).toBeUndefined();
    const digest = createHash('md5').update(file.data).digest('hex').slice(0, 12);
    const beside = aws.s3.get(BUCKET, `pcap/b-000001.${digest}.pcap`);
    expect(beside.body.equals(file.data)).toBe(true);
    expect(beside.writtenBy).toBe(sessionKey);
    expect(aws.sts.sessionOf(sessionKey)?.roleArn).toBe(role);
    expect(existsSync(join(pcapDir, file.name))).toBe(false);
    expect(delivery?.stats).toMatchObject({ keptBeside: 1, alreadyPresent: 0, uploadedFiles: 1 });
  });
});
