// Issue 22: AWS configuration problems come with the fix: no region (--region / AWS_REGION), an
// endpoint that is not a URL, no credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine } from './support/expect-one-line.ts';
import { SAMPLE } from './support/sample.ts';

const home = mkdtempSync(join(tmpdir(), 'fm-aws-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** An environment with no AWS configuration at all: no variables, an empty home (no ~/.aws). */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
  return { ...env, ...extra };
}

const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  run(process.execPath, [CLI_BIN, ...args], { allowFailure: true, env });

describe('AWS configuration for --aws-identity', () => {
  it.each([
    ['read', ['read', SAMPLE, '--records', '/dev/null', '--aws-identity']],
    ['receive', ['receive', '--aws-identity']],
  ])('%s without a region exits 2 saying where to give one', async (command, args) => {
    const result = await cli(args, bareEnv());
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, command, /no AWS region: give --region, set AWS_REGION/);
  });

  it('--region is enough (the region check passes and read runs)', async () => {
    const result = await cli(
      [
        'read',
        SAMPLE,
        '--records',
        '/dev/null',
        '--aws-identity',
        '--region',
        'eu-west-1',
        '--endpoint-url',
        'http://127.0.0.1:9',
      ],
      bareEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' }),
    );
    expect(result.stderr).not.toMatch(/no AWS region/);
    expect(result.stderr).toMatch(/^ {2}packets read: 152$/m);
  });

  it.each([
    ['--endpoint-url', ['--endpoint-url', 'not a url'], {}],
    ['AWS_ENDPOINT_URL', [], { AWS_ENDPOINT_URL: 'localhost:4566' }],
  ])('an endpoint from %s that is not a URL exits 2 with an example', async (_from, flags, env) => {
    const result = await cli(
      ['read', SAMPLE, '--records', '/dev/null', '--aws-identity', '--region', 'eu-west-1', ...flags],
      bareEnv(env),
    );
    expect(result.code).toBe(2);
    expectOneLine(
      result.stderr,
      'read',
      /the AWS endpoint '.*' .*is not a URL: give one like http:\/\/127\.0\.0\.1:4566/,
    );
  });

  it('no credentials: the identity failure says how to provide them', async () => {
    const result = await cli(
      ['read', SAMPLE, '--records', '/dev/null', '--aws-identity', '--region', 'eu-west-1'],
      bareEnv(),
    );
    expect(result.stderr).toMatch(
      /^fargate-mirror read: identity .* failed: .*no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/m,
    );
  });
});
