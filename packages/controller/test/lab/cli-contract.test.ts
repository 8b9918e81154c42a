/**
 * Issue 22 against aws-local, through the real `fargate-mirror` binary (packages/cli/dist/bin.js):
 * status names refusals instead of "missing", cleanup and handle-event print one JSON object with
 * `--json`, and an AWS error while running is one line with its code and exit 1.
 */
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allSessions,
  awsCli,
  CREDENTIAL_ENV,
  createFargateService,
  createTargetAndFilter,
  type Env,
  owned,
  registerFargateFamily,
  requireAwsCli,
  startEnv,
  waitForRunning,
  writeConfig,
} from '../support/aws-local-env.js';

const OWNER = 'contract';

function fargateMirror(args: string[], input = '') {
  return run(process.execPath, [CLI_BIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/tmp', ...CREDENTIAL_ENV },
    input,
    allowFailure: true,
    timeoutMs: 120_000,
  });
}

function oneLine(stderr: string, command: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^fargate-mirror ${command}: `));
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? '';
}

async function startShop(options: Parameters<typeof startEnv>[0]): Promise<{ env: Env; config: string }> {
  const env = await startEnv(options);
  const ids = await createTargetAndFilter(env);
  await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
  await registerFargateFamily(env, 'web');
  await createFargateService(env, 'shop', 'web', 2);
  await waitForRunning(env, 'shop', 2);
  const config = await writeConfig(env, 'c.json', { owner: OWNER, target: ids.target, filter: ids.filter });
  return { env, config };
}

describe('status after reconcile reported refusals (taskEniSources reject)', () => {
  let env: Env;
  let config: string;

  beforeAll(async () => {
    requireAwsCli();
    ({ env, config } = await startShop({}));
  });

  afterAll(async () => {
    await env?.close();
  });

  it('shows each refused task ENI as unmirrorable with the reason, not missing', async () => {
    const reconcile = await fargateMirror(['reconcile', '--config', config, '--endpoint-url', env.aws.url]);
    expect(reconcile.code, reconcile.stderr).toBe(0);
    expect(reconcile.stdout).toMatch(
      /not mirrorable: eni-[0-9a-f]+: AWS refuses eni-[0-9a-f]+ as a mirror source \(predicted/,
    );

    const status = await fargateMirror(['status', '--config', config, '--endpoint-url', env.aws.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toBe('');
    const rows = status.stdout.split('\n').filter((l) => /^\S+\s+shop\s/.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatch(
        /\sunmirrorable\s+NO\s+not covered: AWS refuses eni-[0-9a-f]+ as a mirror source \(predicted from DescribeNetworkInterfaces; CreateTrafficMirrorSession not called\): eni-[0-9a-f]+ is requester-managed/,
      );
      expect(row).toContain('only when Amazon RDS or ElastiCache created them');
      expect(row).toContain('remedy: run the fargate-mirror forwarder sidecar');
      expect(row).not.toContain('missing');
    }
    expect(status.stdout).toContain(
      '2 selected task(s): 0 mirrored, 0 covered by sidecar, 0 missing, 2 unmirrorable, 0 sidecar stopped, 0 pending, 0 hidden; 0 covered, 2 not covered',
    );
  });

  it('an AWS error while running is one line with its code, exit 1', async () => {
    const typo = await writeConfig(env, 'typo.json', {
      owner: OWNER,
      target: 'tmt-0123456789abcdef9',
      filter: 'tmf-0123456789abcdef9',
    });
    const r = await fargateMirror(['reconcile', '--config', typo, '--endpoint-url', env.aws.url]);
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr, 'reconcile')).toMatch(/tmt-0123456789abcdef9.*\((TARGET|FILTER)_NOT_FOUND\)$/);
  });
});

describe('cleanup and handle-event --json (taskEniSources accept)', () => {
  let env: Env;
  let config: string;

  beforeAll(async () => {
    requireAwsCli();
    ({ env, config } = await startShop({ taskEniSources: 'accept' }));
  });

  afterAll(async () => {
    await env?.close();
  });

  it('handle-event prints one line per event, or one JSON object with --json', async () => {
    const tasks = (await awsCli(env.aws.url, ['ecs', 'list-tasks', '--cluster', 'shop']))[
      'taskArns'
    ] as string[];
    const described = (
      await awsCli(env.aws.url, ['ecs', 'describe-tasks', '--cluster', 'shop', '--tasks', ...tasks])
    )['tasks'] as Record<string, unknown>[];
    const events = described.map((t) => ({
      version: '0',
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [t['taskArn']],
      detail: { ...t, version: 2 },
    }));
    const text = await fargateMirror(
      ['handle-event', '-', '--config', config, '--endpoint-url', env.aws.url],
      JSON.stringify(events),
    );
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines)
      expect(l).toMatch(/^[0-9a-f]+: reconciled: eni-[0-9a-f]+ created \(tms-[0-9a-f]+\)$/);

    const json = await fargateMirror(
      ['handle-event', '-', '--json', '--config', config, '--endpoint-url', env.aws.url],
      JSON.stringify({ ...events[0], detail: { ...(events[0]?.detail ?? {}), version: 3 } }),
    );
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    const parsed = JSON.parse(json.stdout) as { reports: { status: string; taskArn: string }[] };
    expect(parsed.reports).toHaveLength(1);
    expect(parsed.reports[0]).toMatchObject({ status: 'reconciled', taskArn: described[0]?.['taskArn'] });
  });

  it('cleanup --json prints the sessions and their result as one JSON object', async () => {
    const ours = owned(await allSessions(env), OWNER)
      .map((s) => s.sessionId)
      .sort();
    expect(ours).toHaveLength(2);
    const dry = await fargateMirror([
      'cleanup',
      '--dry-run',
      '--json',
      '--config',
      config,
      '--endpoint-url',
      env.aws.url,
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.trimEnd().split('\n')).toHaveLength(1);
    const planned = JSON.parse(dry.stdout) as {
      owner: string;
      dryRun: boolean;
      sessions: { sessionId: string; result: string }[];
    };
    expect(planned.owner).toBe(OWNER);
    expect(planned.dryRun).toBe(true);
    expect(planned.sessions.map((s) => s.sessionId).sort()).toEqual(ours);
    expect(planned.sessions.map((s) => s.result)).toEqual(['would-delete', 'would-delete']);

    const clean = await fargateMirror([
      'cleanup',
      '--json',
      '--config',
      config,
      '--endpoint-url',
      env.aws.url,
    ]);
    expect(clean.code, clean.stderr).toBe(0);
    const done = JSON.parse(clean.stdout) as {
      dryRun: boolean;
      sessions: { sessionId: string; result: string }[];
    };
    expect(done.dryRun).toBe(false);
    expect(done.sessions.map((s) => s.sessionId).sort()).toEqual(ours);
    expect(done.sessions.map((s) => s.result)).toEqual(['done', 'done']);
    expect(owned(await allSessions(env), OWNER)).toEqual([]);
  });
});
