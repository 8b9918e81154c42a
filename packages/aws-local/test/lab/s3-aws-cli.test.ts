import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsLocal, startAwsLocal } from '../../src/index.js';
import { awsCli, awsCliText, requireAwsCli } from '../support/aws-cli.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON printed by the AWS CLI, read field by field in assertions.
type Json = Record<string, any>;

/**
 * Debian's AWS CLI v2 (botocore's S3 client: SigV4 with aws-chunked streaming bodies and CRC32
 * trailers, path-style against an IP endpoint, its own multipart transfer manager) against aws-local's
 * S3: buckets, uploads large enough to go multipart (8 MiB is the CLI's threshold and part size),
 * ranged downloads, listing with pagination and delimiters, head, delete, and S3's errors.
 */
describe("aws-local's S3 under Debian's AWS CLI v2", { timeout: 300_000 }, () => {
  let aws: AwsLocal;
  const dir = mkdtempSync(join(tmpdir(), 'fm-aws-local-s3-'));
  const s3 = async (...args: string[]): Promise<string> => {
    // Progress lines only for transfers, which have the flag to silence them.
    const quiet = args[0] === 'cp' || args[0] === 'rm' ? ['--only-show-errors'] : [];
    const r = await awsCliText(aws.url, ['s3', ...args, ...quiet]);
    if (r.code !== 0) throw new Error(`aws s3 ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const s3api = async (...args: string[]): Promise<Json> => {
    const r = await awsCli(aws.url, ['s3api', ...args]);
    if (r.code !== 0) throw new Error(`aws s3api ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return (r.json ?? {}) as Json;
  };

  beforeAll(async () => {
    requireAwsCli();
    aws = await startAwsLocal({ port: 0 });
  });
  afterAll(async () => {
    await aws?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a bucket and lists it', async () => {
    await s3('mb', 's3://lake');
    expect(await s3('ls')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d lake$/m);
  });

  it('uploads a 20 MiB file in parts and downloads it back (ranged parts) byte for byte', async () => {
    const big = join(dir, 'big.bin');
    const data = randomBytes(20 * 1024 * 1024 + 123);
    writeFileSync(big, data);
    await s3('cp', big, 's3://lake/pcap/2026/big.pcap');
    const head = await s3api('head-object', '--bucket', 'lake', '--key', 'pcap/2026/big.pcap');
    expect(head.ContentLength).toBe(data.length);
    // A multipart object's ETag: the MD5 of the parts' MD5s, and how many parts there were (8 MiB each).
    const parts = Math.ceil(data.length / (8 * 1024 * 1024));
    const partMd5s = Array.from({ length: parts }, (_, i) =>
      createHash('md5')
        .update(data.subarray(i * 8 * 1024 * 1024, (i + 1) * 8 * 1024 * 1024))
        .digest(),
    );
    expect(head.ETag).toBe(`"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-${parts}"`);
    const back = join(dir, 'back.bin');
    await s3('cp', 's3://lake/pcap/2026/big.pcap', back);
    expect(readFileSync(back).equals(data)).toBe(true);
  });

  it('puts small objects with their type, lists with delimiter and pagination, deletes', async () => {
    const small = join(dir, 'a.json');
    writeFileSync(small, '{"a":1}\n');
    const keys = ['records/region=eu-west-1/a.json', 'records/region=eu-west-1/b c.json', 'records/x.json'];
    for (const key of keys) await s3('cp', small, `s3://lake/${key}`, '--content-type', 'application/json');
    const top = await s3('ls', 's3://lake/');
    expect(top).toMatch(/PRE pcap\//);
    expect(top).toMatch(/PRE records\//);
    const under = await s3('ls', 's3://lake/records/');
    expect(under).toMatch(/PRE region=eu-west-1\//);
    expect(under).toMatch(/\s8 x\.json$/m);
    // Two keys a page: the CLI follows the continuation tokens to the end.
    const all = await s3('ls', 's3://lake/', '--recursive', '--page-size', '2');
    expect(
      all
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(3).join(' ')),
    ).toEqual(['pcap/2026/big.pcap', ...keys].sort());
    const listed = await s3api(
      'list-objects-v2',
      '--bucket',
      'lake',
      '--prefix',
      'records/',
      '--max-keys',
      '1',
    );
    expect(listed.KeyCount).toBe(1);
    expect(listed.IsTruncated).toBe(true);
    const head = await s3api('head-object', '--bucket', 'lake', '--key', keys[1]);
    expect([head.ContentType, head.ContentLength]).toEqual(['application/json', 8]);
    const got = join(dir, 'got.json');
    await s3api('get-object', '--bucket', 'lake', '--key', keys[1], got);
    expect(readFileSync(got, 'utf8')).toBe('{"a":1}\n');
    await s3('rm', `s3://lake/${keys[0]}`);
    await s3('rm', 's3://lake/records/', '--recursive');
    expect((await s3('ls', 's3://lake/', '--recursive')).trim().split('\n')).toHaveLength(1);
  });

  it("answers with S3's errors", async () => {
    const missing = await awsCli(aws.url, ['s3api', 'head-object', '--bucket', 'lake', '--key', 'nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/404/);
    const noKey = await awsCli(aws.url, [
      's3api',
      'get-object',
      '--bucket',
      'lake',
      '--key',
      'nope',
      join(dir, 'x'),
    ]);
    expect(noKey.stderr).toMatch(/NoSuchKey/);
    const noBucket = await awsCliText(aws.url, ['s3', 'ls', 's3://no-such-bucket/']);
    expect(noBucket.stderr).toMatch(/NoSuchBucket/);
  });
});
