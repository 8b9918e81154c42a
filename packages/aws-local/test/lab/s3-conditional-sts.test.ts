import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsLocal, startAwsLocal } from '../../src/index.js';
import { AWS_CLI, awsCli, requireAwsCli } from '../support/aws-cli.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON printed by the AWS CLI, read field by field in assertions.
type Json = Record<string, any>;

const ROLE = 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-fmNetwork-eu-west-1';

/**
 * S3's conditional writes (`If-None-Match: *` on PutObject and CompleteMultipartUpload) through the
 * real SDK v3, and STS AssumeRole through Debian's AWS CLI v2 and the SDK's temporary credentials.
 */
describe("aws-local's conditional S3 writes and STS AssumeRole", { timeout: 120_000 }, () => {
  let aws: AwsLocal;
  let s3: S3Client;

  beforeAll(async () => {
    requireAwsCli();
    aws = await startAwsLocal({ port: 0 });
    s3 = new S3Client({
      endpoint: aws.url,
      region: 'us-east-1',
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    const made = await awsCli(aws.url, ['s3api', 'create-bucket', '--bucket', 'lake']);
    expect(made.code, made.stderr).toBe(0);
  });
  afterAll(async () => {
    s3?.destroy();
    await aws?.close();
  });

  const refusal = async (send: Promise<unknown>): Promise<S3ServiceException> => {
    const error = await send.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof S3ServiceException)) throw new Error(`expected an S3 error, got ${String(error)}`);
    return error;
  };

  it('PutObject with IfNoneMatch: the first writes, the second is refused with 412 and leaves the first', async () => {
    const put = (body: string) =>
      s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'a.parquet', Body: body, IfNoneMatch: '*' }));
    const first = await put('first');
    const error = await refusal(put('second, longer'));
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'lake', Key: 'a.parquet' }));
    expect([head.ETag, head.ContentLength]).toEqual([first.ETag, 5]);
    // Unconditional writes still replace, as in S3.
    await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'a.parquet', Body: 'third' }));
    expect(aws.s3.get('lake', 'a.parquet').body.toString()).toBe('third');
  });

  it("lib-storage's multipart upload with IfNoneMatch: CompleteMultipartUpload is refused with 412 once the key exists", async () => {
    const data = randomBytes(11 * 1024 * 1024);
    const upload = () =>
      new Upload({
        client: s3,
        params: { Bucket: 'lake', Key: 'big.pcap', Body: data, IfNoneMatch: '*' },
        partSize: 5 * 1024 * 1024,
        leavePartsOnError: false,
      }).done();
    const first = await upload();
    expect(first.ETag).toMatch(/-3"$/);
    const error = await refusal(upload());
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    expect(aws.s3.get('lake', 'big.pcap').etag).toBe(first.ETag);
  });

  it("Debian's AWS CLI 2.9 has no --if-none-match on put-object (this test notes when that changes)", () => {
    const help = execFileSync(AWS_CLI, ['s3api', 'put-object', 'help'], {
      env: { PATH: '/usr/bin:/bin', HOME: '/tmp', AWS_PAGER: '', MANPAGER: 'cat', PAGER: 'cat' },
      encoding: 'utf8',
    });
    expect(help).toMatch(/put-object/);
    expect(help.includes('--if-none-match')).toBe(false);
  });

  it('AssumeRole through the AWS CLI: refused without the external id the role demands, granted with it', async () => {
    aws.sts.trust(ROLE, { externalId: 'fm-external-1' });
    const args = ['sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'fargate-mirror'];
    const refused = await awsCli(aws.url, args);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/AccessDenied.*not authorized to perform: sts:AssumeRole/);
    const granted = await awsCli(aws.url, [...args, '--external-id', 'fm-external-1']);
    expect(granted.code, granted.stderr).toBe(0);
    const out = granted.json as Json;
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(new Date(out.Credentials.Expiration).getTime()).toBeGreaterThan(Date.now() + 3000_000);
    expect(out.AssumedRoleUser.Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/AmazonSecurityLake-Provider-fmNetwork-eu-west-1/fargate-mirror',
    );
    expect(aws.sts.sessionOf(out.Credentials.AccessKeyId)?.externalId).toBe('fm-external-1');
    const bad = await awsCli(aws.url, [
      'sts',
      'assume-role',
      '--role-arn',
      'arn:aws:iam::123:role/not-an-account',
      '--role-session-name',
      'x1',
    ]);
    expect(bad.stderr).toMatch(/ValidationError/);
  });

  it('the S3 object written with the session names its access key', async () => {
    const granted = await awsCli(aws.url, [
      'sts',
      'assume-role',
      '--role-arn',
      ROLE,
      '--role-session-name',
      'fm-writer',
      '--external-id',
      'fm-external-1',
    ]);
    const c = (granted.json as Json).Credentials;
    const asRole = new S3Client({
      endpoint: aws.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
      },
    });
    await asRole.send(new PutObjectCommand({ Bucket: 'lake', Key: 'ext/x.parquet', Body: 'x' }));
    asRole.destroy();
    const writer = aws.s3.get('lake', 'ext/x.parquet').writtenBy;
    expect(aws.sts.sessionOf(writer ?? '')?.sessionName).toBe('fm-writer');
  });

  it("a role's sessions: denied s3:GetObject they write but cannot head or get; expired, S3 refuses them", async () => {
    const assume = async (role: string) => {
      const granted = await awsCli(aws.url, [
        'sts',
        'assume-role',
        '--role-arn',
        role,
        '--role-session-name',
        'fm-w',
      ]);
      expect(granted.code, granted.stderr).toBe(0);
      const c = (granted.json as Json).Credentials;
      return {
        env: {
          AWS_ACCESS_KEY_ID: c.AccessKeyId,
          AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
          AWS_SESSION_TOKEN: c.SessionToken,
        },
        expiresAt: new Date(c.Expiration).getTime(),
      };
    };
    // The denial, with a session that outlives the CLI calls however loaded the machine is.
    const role = 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-fmHttp-eu-west-1';
    aws.sts.trust(role, { s3Deny: ['s3:GetObject'], sessionSeconds: 900 });
    const session = (await assume(role)).env;
    const object = ['--bucket', 'lake', '--key', 'ext/denied.parquet'];
    const put = await awsCli(aws.url, ['s3api', 'put-object', ...object, '--body', '/etc/hostname'], session);
    expect(put.code, put.stderr).toBe(0);
    const head = await awsCli(aws.url, ['s3api', 'head-object', ...object], session);
    expect(head.code).not.toBe(0);
    expect(head.stderr).toMatch(/\(403\)|Forbidden/);
    const get = await awsCli(aws.url, ['s3api', 'get-object', ...object, '/dev/null'], session);
    expect(get.stderr).toMatch(/AccessDenied/);
    // The long-term key still reads it: the refusal is the role's.
    expect((await awsCli(aws.url, ['s3api', 'head-object', ...object])).code).toBe(0);
    // Past a session's expiration (1 s here, a test knob: AWS issues at least 900 s), of a role of its own.
    const shortRole = 'arn:aws:iam::123456789012:role/fm-short-session';
    aws.sts.trust(shortRole, { sessionSeconds: 1 });
    const short = await assume(shortRole);
    await new Promise((r) => setTimeout(r, Math.max(0, short.expiresAt - Date.now()) + 100));
    const late = await awsCli(
      aws.url,
      ['s3api', 'put-object', ...object, '--body', '/etc/hostname'],
      short.env,
    );
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/ExpiredToken.*The provided token has expired/);
  });
});
