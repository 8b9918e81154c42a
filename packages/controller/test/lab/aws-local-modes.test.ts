/**
 * Against aws-local with the real SDK: AWS's refusal of task ENIs (`reject`, the default), the
 * instance ENI for bridge tasks on EC2, and the task-state-change handler fed with the emulator's
 * own events (in process, and through `handle-event -` as a local invoke).
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { EcsEvent } from '@fargate-mirror/aws-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskEventHandler } from '../../src/lambda/task-event-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import { silentLog } from '../../src/log.js';
import {
  allSessions,
  awsCli,
  buildController,
  controllerCli,
  createFargateService,
  createTargetAndFilter,
  type Env,
  owned,
  reconcilerFor,
  registerFargateFamily,
  requireAwsCli,
  startEnv,
  tasksOf,
  waitForRunning,
  waitForStopped,
  writeConfig,
} from '../support/aws-local-env.js';

const OWNER = 'shop-prod';

describe('taskEniSources reject (the default): task ENIs are not mirrorable', () => {
  let env: Env;
  let ids: { target: string; filter: string };

  beforeAll(async () => {
    requireAwsCli();
    await buildController();
    env = await startEnv({});
    ids = await createTargetAndFilter(env);
    await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    await createFargateService(env, 'shop', 'web', 2);
    await waitForRunning(env, 'shop', 2);
  });

  afterAll(async () => {
    await env?.close();
  });

  // aws-local counts every EC2 request by its Action (ECS ones as `ecs:Operation`).
  const creates = () =>
    (env.aws.control.summary()['counters'] as { requests: Record<string, number> }).requests[
      'CreateTrafficMirrorSession'
    ] ?? 0;

  it('predicts the refusal from the ENI: not mirrorable with the reason and the sidecar remedy, and no CreateTrafficMirrorSession call at all', async () => {
    const config = await writeConfig(env, 'c.json', { owner: OWNER, target: ids.target, filter: ids.filter });
    const run = await controllerCli(['reconcile', '--config', config, '--endpoint-url', env.aws.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('unmirrorable 2');
    expect(run.stdout).toMatch(
      /not mirrorable: (eni-[0-9a-f]+): AWS refuses \1 as a mirror source \(predicted from DescribeNetworkInterfaces; CreateTrafficMirrorSession not called\): \1 is requester-managed \(by 716531411939\)/,
    );
    // Not one create was asked for; the ENIs were read instead.
    expect(creates()).toBe(0);
    expect(
      (env.aws.control.summary()['counters'] as { requests: Record<string, number> }).requests[
        'DescribeNetworkInterfaces'
      ],
    ).toBeGreaterThan(0);
    expect(await allSessions(env)).toEqual([]);

    const status = await controllerCli([
      'status',
      '--json',
      '--config',
      config,
      '--endpoint-url',
      env.aws.url,
    ]);
    expect(status.code, status.stderr).toBe(0);
    const rows = (JSON.parse(status.stdout) as { rows: { state: string; covered: boolean; note: string }[] })
      .rows;
    // A new process has no refusal cache, but EC2 says the ENIs are requester-managed (by ECS):
    // status names the refusal, not "missing".
    expect(rows.map((r) => [r.state, r.covered])).toEqual([
      ['unmirrorable', false],
      ['unmirrorable', false],
    ]);
    for (const r of rows) {
      expect(r.note).toMatch(
        /^not covered: AWS refuses eni-[0-9a-f]+ as a mirror source \(predicted from DescribeNetworkInterfaces/,
      );
      expect(r.note).toContain('remedy: run the fargate-mirror forwarder sidecar');
    }

    // The resync Lambda starts with an empty cache every time: the prediction keeps it from queueing
    // the refused tasks again on every run.
    for (let i = 0; i < 2; i++) {
      const fresh = reconcilerFor(env, { owner: OWNER, target: ids.target, filter: ids.filter });
      const plan = await fresh.plan();
      expect(plan.workItems).toEqual([]);
      expect(plan.plans.map((p) => p.unmirrorable?.code)).toEqual([
        'SOURCE_NOT_SUPPORTED',
        'SOURCE_NOT_SUPPORTED',
      ]);
    }
    expect(creates()).toBe(0);
  });

  it('without prediction AWS refuses the create: the same code and remedy, with its error, and a long-lived reconciler does not ask again', async () => {
    const input = { owner: OWNER, target: ids.target, filter: ids.filter, predictRefusals: false };
    const config = await writeConfig(env, 'asks.json', input);
    const run = await controllerCli(['reconcile', '--config', config, '--endpoint-url', env.aws.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('unmirrorable 2');
    expect(run.stdout).toContain('NetworkInterfaceNotSupported');
    expect(creates()).toBe(2);
    expect(await allSessions(env)).toEqual([]);

    // One long-lived reconciler (a warm Lambda, or one CLI run) remembers refusals per ENI.
    const reconciler = reconcilerFor(env, input);
    const first = await reconciler.resync();
    expect(first.results.map((r) => r.outcome)).toEqual(['unmirrorable', 'unmirrorable']);
    expect(first.results.map((r) => r.unmirrorable?.code)).toEqual([
      'SOURCE_NOT_SUPPORTED',
      'SOURCE_NOT_SUPPORTED',
    ]);
    expect(first.results[0]?.unmirrorable?.remedy).toContain('forwarder sidecar');
    const before = creates();
    const second = await reconciler.resync();
    expect(second.workItems).toEqual([]);
    expect(second.tally.unmirrorable).toBe(2);
    expect(creates()).toBe(before);
    expect(await allSessions(env)).toEqual([]);
  });
});

describe('bridge tasks on EC2 and the event handler on real events (accept)', () => {
  let env: Env;
  let ids: { target: string; filter: string };
  const events: EcsEvent[] = [];

  beforeAll(async () => {
    requireAwsCli();
    await buildController();
    env = await startEnv({ taskEniSources: 'accept' });
    env.aws.onEvent((e) => {
      events.push(e);
    });
    ids = await createTargetAndFilter(env);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('mirrors the container instance ENI once for its bridge tasks, and removes it after the last one stops', async () => {
    const url = env.aws.url;
    await awsCli(url, ['ecs', 'create-cluster', '--cluster-name', 'legacy']);
    const ci = await awsCli(url, ['ecs', 'register-container-instance', '--cluster', 'legacy']);
    const instanceId = (ci['containerInstance'] as { ec2InstanceId: string }).ec2InstanceId;
    await awsCli(url, [
      'ecs',
      'register-task-definition',
      '--family',
      'legacy-app',
      '--network-mode',
      'bridge',
      '--requires-compatibilities',
      'EC2',
      '--container-definitions',
      JSON.stringify([{ name: 'app', image: 'nginx', memory: 128, essential: true }]),
    ]);
    await awsCli(url, [
      'ecs',
      'run-task',
      '--cluster',
      'legacy',
      '--task-definition',
      'legacy-app',
      '--count',
      '2',
      '--launch-type',
      'EC2',
    ]);
    const tasks = await waitForRunning(env, 'legacy', 2);
    const described = await env.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const primaryEni = described.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.find(
      (n) => n.Attachment?.DeviceIndex === 0,
    )?.NetworkInterfaceId;
    expect(primaryEni).toMatch(/^eni-/);

    const config = await writeConfig(env, 'legacy.json', {
      owner: OWNER,
      target: ids.target,
      filter: ids.filter,
      select: { clusters: ['legacy'] },
    });
    const cli = (args: string[]) => controllerCli([...args, '--config', config, '--endpoint-url', url]);
    expect((await cli(['reconcile'])).code).toBe(0);
    let mine = owned(await allSessions(env), OWNER);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.eniId).toBe(primaryEni);
    expect(mine[0]?.tags['fargate-mirror:container-instance']).toBe(tasks[0]?.containerInstanceArn);
    expect((await cli(['reconcile'])).stdout).toContain('nothing to do');

    await awsCli(url, ['ecs', 'stop-task', '--cluster', 'legacy', '--task', tasks[0]?.taskArn ?? '']);
    await waitForStopped(env, 'legacy');
    expect((await cli(['reconcile'])).code).toBe(0);
    expect(owned(await allSessions(env), OWNER)).toHaveLength(1);

    await awsCli(url, ['ecs', 'stop-task', '--cluster', 'legacy', '--task', tasks[1]?.taskArn ?? '']);
    await waitForStopped(env, 'legacy');
    const last = await cli(['reconcile']);
    expect(last.stdout).toContain('deleted 1');
    mine = owned(await allSessions(env), OWNER);
    expect(mine).toEqual([]);
  });

  it('follows a service through its own events: sessions on RUNNING, none after STOPPED', async () => {
    const url = env.aws.url;
    await awsCli(url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    const reconciler = reconcilerFor(env, {
      owner: OWNER,
      target: ids.target,
      filter: ids.filter,
      select: { clusters: ['shop'] },
    });
    const metrics = new MemoryMetrics();
    const handle = createTaskEventHandler({ reconciler, metrics, log: silentLog });
    events.length = 0;
    await createFargateService(env, 'shop', 'web', 3);
    const running = await waitForRunning(env, 'shop', 3);
    await env.aws.control.flushEvents();
    const statuses = new Set(events.map((e) => (e.detail as { lastStatus: string }).lastStatus));
    expect(statuses).toContain('PROVISIONING');
    expect(statuses).toContain('RUNNING');
    for (const e of events.splice(0)) await handle(e);
    const sessions = owned(await allSessions(env), OWNER);
    expect(sessions.map((s) => s.eniId).sort()).toEqual(running.map((t) => t.eniId).sort());

    await awsCli(url, [
      'ecs',
      'update-service',
      '--cluster',
      'shop',
      '--service',
      'web',
      '--desired-count',
      '1',
    ]);
    await waitForStopped(env, 'shop');
    const left = await waitForRunning(env, 'shop', 1);
    await env.aws.control.flushEvents();
    // The last events through `handle-event -` (a local invoke), the rest in process.
    const stopped = events.splice(0);
    const tail = stopped.pop();
    for (const e of stopped) await handle(e);
    const config = await writeConfig(env, 'shop.json', {
      owner: OWNER,
      target: ids.target,
      filter: ids.filter,
      select: { clusters: ['shop'] },
    });
    const invoke = await controllerCli(
      ['handle-event', '-', '--json', '--config', config, '--endpoint-url', url],
      {
        input: JSON.stringify(tail),
      },
    );
    expect(invoke.code, invoke.stderr).toBe(0);
    // --json: the result is one JSON object on stdout.
    expect(invoke.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(invoke.stdout)).toMatchObject({ reports: [{ status: 'reconciled' }] });
    expect(owned(await allSessions(env), OWNER).map((s) => s.eniId)).toEqual([left[0]?.eniId]);
    expect(metrics.counters['created']).toBe(3);
    expect(metrics.counters['malformed'] ?? 0).toBe(0);
    expect((await tasksOf(env, 'shop', 'STOPPED')).length).toBe(2);
  });
});
