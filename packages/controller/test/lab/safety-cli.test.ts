/**
 * The controller CLI (a real process, real SDK v3) against aws-local where aws-local behaves as
 * EC2 documents and a kind emulator would hide it: NLB-target sessions come back with PacketLength
 * 8500, a mistyped target must change nothing, a terminal failure must exit non-zero, and one
 * missing cluster must not stop the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allSessions,
  awsCli,
  awsvpcArg,
  buildController,
  controllerCli,
  createFargateService,
  createTargetAndFilter,
  type Env,
  owned,
  registerFargateFamily,
  requireAwsCli,
  startEnv,
  tasksOf,
  waitForRunning,
  writeConfig,
} from '../support/aws-local-env.js';

const OWNER = 'shop-prod';

describe('controller CLI safety against aws-local (NLB target, session quota 3)', () => {
  let env: Env;
  let ids: { target: string; filter: string };
  let configFile: string;

  beforeAll(async () => {
    requireAwsCli();
    await buildController();
    // Room for exactly the three tasks' sessions: a fourth task's create fails terminally.
    env = await startEnv({ taskEniSources: 'accept', quotas: { sessionsPerAccount: 3 } });
    ids = await createTargetAndFilter(env);
    configFile = await writeConfig(env, 'controller.json', {
      owner: OWNER,
      target: ids.target,
      filter: ids.filter,
      select: { clusters: ['shop', 'no-such-cluster'] },
    });
    await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    await createFargateService(env, 'shop', 'web', 3);
    await waitForRunning(env, 'shop', 3);
  });

  afterAll(async () => {
    await env?.close();
  });

  const cli = (args: string[], config = configFile) =>
    controllerCli([...args, '--config', config, '--endpoint-url', env.aws.url]);

  it('mirrors the found cluster despite a missing one, and a second run leaves the 8500 sessions alone', async () => {
    const first = await cli(['reconcile']);
    // Non-zero: select.clusters names a cluster ECS does not know; the others were still done.
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toContain('cluster not found: no-such-cluster');
    expect(first.stdout).toContain('created 3, deleted 0');
    const sessions = owned(await allSessions(env), OWNER);
    expect(sessions.map((s) => s.packetLength)).toEqual([8500, 8500, 8500]);

    const second = await cli(['reconcile']);
    expect(second.stdout).toContain('nothing to do');
    expect(second.stdout).toContain('created 0, deleted 0, unchanged 3');
    const after = owned(await allSessions(env), OWNER);
    expect(after.map((s) => s.sessionId).sort()).toEqual(sessions.map((s) => s.sessionId).sort());

    const status = await cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('cluster not found: no-such-cluster');
    expect(status.stdout).toContain('3 selected task(s): 3 mirrored');
  });

  it('a mistyped target changes nothing: reconcile exits non-zero with TARGET_NOT_FOUND naming it', async () => {
    const before = owned(await allSessions(env), OWNER).map((s) => s.sessionId);
    const typo = await writeConfig(env, 'typo.json', {
      owner: OWNER,
      target: 'tmt-0123456789abcdef9',
      filter: ids.filter,
      select: { clusters: ['shop'] },
    });
    const run = await cli(['reconcile'], typo);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('TARGET_NOT_FOUND');
    expect(run.stderr).toContain('tmt-0123456789abcdef9');
    expect(owned(await allSessions(env), OWNER).map((s) => s.sessionId)).toEqual(before);
  });

  it('handle-event exits non-zero when the outcome failed (the account session quota is reached)', async () => {
    await awsCli(env.aws.url, [
      'ecs',
      'run-task',
      '--cluster',
      'shop',
      '--task-definition',
      'web',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      awsvpcArg(env),
    ]);
    await waitForRunning(env, 'shop', 4);
    const mirrored = new Set(owned(await allSessions(env), OWNER).map((s) => s.eniId));
    const extra = (await tasksOf(env, 'shop')).find((t) => t.eniId && !mirrored.has(t.eniId));
    expect(extra).toBeDefined();
    const event = {
      version: '0',
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [extra?.taskArn],
      detail: {
        taskArn: extra?.taskArn,
        clusterArn: extra?.clusterArn,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        launchType: 'FARGATE',
        group: 'family:web',
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
        version: 3,
        attachments: [
          {
            id: 'a1',
            type: 'eni',
            status: 'ATTACHED',
            details: [{ name: 'networkInterfaceId', value: extra?.eniId }],
          },
        ],
      },
    };
    const invoke = await controllerCli(
      ['handle-event', '-', '--json', '--config', configFile, '--endpoint-url', env.aws.url],
      { input: JSON.stringify(event) },
    );
    expect(invoke.code, invoke.stdout).toBe(1);
    expect(invoke.stdout.trim().split('\n')).toHaveLength(1);
    const { reports } = JSON.parse(invoke.stdout) as { reports: { status: string; reason: string }[] };
    expect(reports).toHaveLength(1);
    const report = reports[0] as { status: string; reason: string };
    expect(report.status).toBe('failed');
    expect(report.reason).toContain('ACCOUNT_SESSION_LIMIT');
  });
});

describe('controller CLI against aws-local: another tool holds session number 32766', () => {
  let env: Env;
  let ids: { target: string; filter: string };

  beforeAll(async () => {
    requireAwsCli();
    await buildController();
    env = await startEnv({ taskEniSources: 'accept' });
    ids = await createTargetAndFilter(env);
    await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    await awsCli(env.aws.url, [
      'ecs',
      'run-task',
      '--cluster',
      'shop',
      '--task-definition',
      'web',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      awsvpcArg(env),
    ]);
    await waitForRunning(env, 'shop', 1);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('creates nothing below it and says whose traffic it would take; takeTrafficFromOthers creates anyway', async () => {
    const [task] = await tasksOf(env, 'shop');
    const foreign = await awsCli(env.aws.url, [
      'ec2',
      'create-traffic-mirror-session',
      '--network-interface-id',
      task?.eniId ?? '',
      '--traffic-mirror-target-id',
      ids.target,
      '--traffic-mirror-filter-id',
      ids.filter,
      '--session-number',
      '32766',
      '--tag-specifications',
      'ResourceType=traffic-mirror-session,Tags=[{Key=Name,Value=ids-team}]',
    ]);
    const foreignId = (foreign['TrafficMirrorSession'] as { TrafficMirrorSessionId: string })
      .TrafficMirrorSessionId;
    const config = (name: string, extra: Record<string, unknown>) =>
      writeConfig(env, name, {
        owner: OWNER,
        target: ids.target,
        filter: ids.filter,
        select: { clusters: ['shop'] },
        ...extra,
      });
    const safe = await config('safe.json', {});
    const run = await controllerCli(['reconcile', '--config', safe, '--endpoint-url', env.aws.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('nothing to do, but 1 selected source(s) cannot be mirrored');
    expect(run.stdout).toContain(`would take traffic from session ${foreignId} (owner ids-team`);
    expect(owned(await allSessions(env), OWNER)).toEqual([]);

    const anyway = await config('anyway.json', { takeTrafficFromOthers: true });
    const forced = await controllerCli(['reconcile', '--config', anyway, '--endpoint-url', env.aws.url]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(owned(await allSessions(env), OWNER).map((s) => s.sessionNumber)).toEqual([32765]);
  });
});
