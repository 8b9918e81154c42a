// Issue 22: the controller commands follow the binary's command-line contract. Each case runs the
// built `fargate-mirror` binary with only the environment given here, and asserts the exit code and
// the one stderr line `fargate-mirror <command>: <problem>`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NO_AWS = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  HOME: '/nonexistent',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const KEYS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

let dir: string;

function cli(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [CLI_BIN, ...args], {
    env: { ...NO_AWS, ...env },
    cwd: dir,
    allowFailure: true,
    timeoutMs: 60_000,
  });
}

function oneLine(stderr: string, command: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^fargate-mirror ${command}: `));
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? '';
}

afterAll(() => rm(dir, { recursive: true, force: true }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fm-ctl-contract-'));
  await writeFile(
    join(dir, 'c.yaml'),
    'owner: t\ntarget: tmt-0123456789abcdef0\nfilter: tmf-0123456789abcdef0\n',
  );
  await writeFile(join(dir, 'not-json.json'), '{"detail-type": ');
  await writeFile(join(dir, 'not-an-event.json'), '{"hello": "world"}\n');
  await writeFile(
    join(dir, 'ec2-event.json'),
    JSON.stringify({
      source: 'aws.ec2',
      'detail-type': 'EC2 Instance State-change Notification',
      detail: {},
    }),
  );
});

describe('controller commands: AWS settings are checked before any call', () => {
  it.each(['status', 'plan', 'reconcile', 'cleanup'])(
    '%s without a region exits 2 naming --region and AWS_REGION',
    async (command) => {
      const r = await cli([command, '--config', 'c.yaml'], KEYS);
      expect(r.code, r.stderr).toBe(2);
      const line = oneLine(r.stderr, command);
      expect(line).toMatch(/no AWS region: pass --region REGION, set AWS_REGION/);
      expect(line).toMatch(/\(AWS_REGION_MISSING\)$/);
    },
  );

  it('status without credentials exits 2 saying how to provide them', async () => {
    const r = await cli(['status', '--config', 'c.yaml'], { AWS_REGION: 'us-east-1' });
    expect(r.code, r.stderr).toBe(2);
    const line = oneLine(r.stderr, 'status');
    expect(line).toMatch(/no AWS credentials/);
    expect(line).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(line).toMatch(/AWS_PROFILE/);
    expect(line).toMatch(/for aws-local any dummy keys do/);
    expect(line).toMatch(/\(AWS_CREDENTIALS_MISSING\)$/);
  });

  it('--endpoint-url that is not a URL exits 2 before any call', async () => {
    // No region and no credentials either: the endpoint is the first thing checked.
    const r = await cli(['status', '--config', 'c.yaml', '--endpoint-url', 'notaurl']);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr, 'status')).toMatch(
      /^fargate-mirror status: endpoint 'notaurl' \(--endpoint-url\) is not a URL: .*\(AWS_ENDPOINT_INVALID\)$/,
    );
  });

  it('AWS_ENDPOINT_URL that is not a URL is named as the variable', async () => {
    const r = await cli(['plan', '--config', 'c.yaml'], { AWS_ENDPOINT_URL: 'localhost:4566' });
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr, 'plan')).toMatch(/endpoint 'localhost:4566' \(AWS_ENDPOINT_URL\) is not a URL/);
  });

  it('FARGATE_MIRROR_DEBUG=1 adds the stack before the one error line', async () => {
    const r = await cli(['status', '--config', 'c.yaml'], { ...KEYS, FARGATE_MIRROR_DEBUG: '1' });
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/^\s+at /m);
    expect(lines.at(-1)).toMatch(/^fargate-mirror status: no AWS region: .*\(AWS_REGION_MISSING\)$/);
  });

  it('a config error names the command and the code', async () => {
    const r = await cli(['status', '--config', 'nope.yaml'], { ...KEYS, AWS_REGION: 'us-east-1' });
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr, 'status')).toMatch(/\(CONFIG_UNREADABLE\)$/);
  });
});

describe('handle-event: the event file', () => {
  it('a missing file exits 2 with `no such file: FILE`', async () => {
    const r = await cli(['handle-event', 'missing.json', '--config', 'c.yaml']);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr, 'handle-event')).toBe('fargate-mirror handle-event: no such file: missing.json');
  });

  it('a file that is not JSON exits 2 naming it', async () => {
    const r = await cli(['handle-event', 'not-json.json', '--config', 'c.yaml']);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr, 'handle-event')).toMatch(
      /^fargate-mirror handle-event: not-json\.json is not JSON: .*\(EVENT_MALFORMED\)$/,
    );
  });

  it.each([
    ['not-an-event.json', /not an EventBridge event/],
    ['ec2-event.json', /aws\.ec2\/EC2 Instance State-change Notification is not an ECS Task State Change/],
  ])('%s (JSON, but not an ECS task event) exits 2 naming the problem', async (file, problem) => {
    const r = await cli(['handle-event', file, '--config', 'c.yaml']);
    expect(r.code, r.stderr).toBe(2);
    const line = oneLine(r.stderr, 'handle-event');
    expect(line).toMatch(
      new RegExp(`^fargate-mirror handle-event: ${file.replace('.', '\\.')} is not an ECS task event: `),
    );
    expect(line).toMatch(problem);
    expect(line).toMatch(/\(EVENT_MALFORMED\)$/);
  });

  it('an event from stdin that is not JSON is named as stdin', async () => {
    const r = await run(process.execPath, [CLI_BIN, 'handle-event', '-', '--config', 'c.yaml'], {
      env: NO_AWS,
      cwd: dir,
      input: 'nope',
      allowFailure: true,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr, 'handle-event')).toMatch(/^fargate-mirror handle-event: stdin is not JSON: /);
  });
});
