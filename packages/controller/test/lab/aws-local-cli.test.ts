/**
 * The controller CLI (a real process, real SDK v3) converging aws-local while Debian's AWS CLI v2
 * drives ECS like a user: services, scaling, standalone tasks, stops.
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
  type LiveTask,
  owned,
  registerFargateFamily,
  requireAwsCli,
  startEnv,
  tasksOf,
  waitForRunning,
  waitForStopped,
  writeConfig,
} from '../support/aws-local-env.js';

const OWNER = 'shop-prod';

describe('controller CLI against aws-local (taskEniSources: accept)', () => {
  let env: Env;
  let configFile: string;
  let ids: { target: string; filter: string };
  const cli = (args: string[]) =>
    controllerCli([...args, '--config', configFile, '--endpoint-url', env.aws.url]);

  beforeAll(async () => {
    requireAwsCli();
    await buildController();
    env = await startEnv({ taskEniSources: 'accept' });
    ids = await createTargetAndFilter(env);
    configFile = await writeConfig(env, 'controller.json', {
      owner: OWNER,
      target: ids.target,
      filter: ids.filter,
      select: { clusters: ['shop'] },
    });
    const url = env.aws.url;
    await awsCli(url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await awsCli(url, ['ecs', 'create-cluster', '--cluster-name', 'analytics']);
    await registerFargateFamily(env, 'web');
    await registerFargateFamily(env, 'nightly');
    const service = (cluster: string, name: string, count: number) =>
      createFargateService(env, cluster, name, count);
    await service('shop', 'web', 3);
    await service('analytics', 'etl', 2);
    await awsCli(url, [
      'ecs',
      'run-task',
      '--cluster',
      'shop',
      '--task-definition',
      'nightly',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      awsvpcArg(env),
    ]);
    await waitForRunning(env, 'shop', 4);
    await waitForRunning(env, 'analytics', 2);
  });

  afterAll(async () => {
    await env?.close();
  });

  async function expectExactCoverage(running: readonly LiveTask[]): Promise<void> {
    const sessions = owned(await allSessions(env), OWNER);
    for (const t of running) {
      const mine = sessions.filter((s) => s.eniId === t.eniId);
      expect(mine, `task ${t.taskArn}`).toHaveLength(1);
      expect(mine[0]?.tags).toMatchObject({
        'fargate-mirror:owner': OWNER,
        'fargate-mirror:cluster': 'shop',
        'fargate-mirror:task-arn': t.taskArn,
      });
      const service = t.group.startsWith('service:') ? t.group.slice('service:'.length) : undefined;
      expect(mine[0]?.tags['fargate-mirror:service']).toBe(service);
      expect(mine[0]).toMatchObject({ targetId: ids.target, filterId: ids.filter, sessionNumber: 32766 });
    }
    const runningEnis = new Set(running.map((t) => t.eniId));
    expect(sessions.filter((s) => !runningEnis.has(s.eniId))).toEqual([]);
  }

  it('gives every selected running task one owned session, leaves other tools alone, and a second run is a no-op', async () => {
    const shop = await tasksOf(env, 'shop');
    const [first, second] = shop;
    // Another tool's session (lower number) and another deployment's session, made with the AWS CLI.
    const foreign = await awsCli(env.aws.url, [
      'ec2',
      'create-traffic-mirror-session',
      '--network-interface-id',
      first?.eniId ?? '',
      '--traffic-mirror-target-id',
      ids.target,
      '--traffic-mirror-filter-id',
      ids.filter,
      '--session-number',
      '10',
    ]);
    const otherOwner = await awsCli(env.aws.url, [
      'ec2',
      'create-traffic-mirror-session',
      '--network-interface-id',
      second?.eniId ?? '',
      '--traffic-mirror-target-id',
      ids.target,
      '--traffic-mirror-filter-id',
      ids.filter,
      '--session-number',
      '20',
      '--tag-specifications',
      'ResourceType=traffic-mirror-session,Tags=[{Key=fargate-mirror:owner,Value=shop-staging}]',
    ]);
    const foreignId = (foreign['TrafficMirrorSession'] as { TrafficMirrorSessionId: string })
      .TrafficMirrorSessionId;
    const otherId = (otherOwner['TrafficMirrorSession'] as { TrafficMirrorSessionId: string })
      .TrafficMirrorSessionId;

    const plan = await cli(['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('cluster analytics is not in select.clusters');

    const run = await cli(['reconcile']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('created 4, deleted 0');
    await expectExactCoverage(shop);
    const all = await allSessions(env);
    expect(all.map((s) => s.sessionId)).toEqual(expect.arrayContaining([foreignId, otherId]));
    expect(owned(all, OWNER).filter((s) => s.eniId === first?.eniId)).toHaveLength(1);
    for (const t of await tasksOf(env, 'analytics'))
      expect(all.filter((s) => s.eniId === t.eniId)).toEqual([]);

    const status = await cli(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const coverage = JSON.parse(status.stdout) as {
      rows: { state: string; hiddenBy: string[]; taskArn: string }[];
    };
    expect(coverage.rows.map((r) => r.state)).toEqual(['mirrored', 'mirrored', 'mirrored', 'mirrored']);
    expect(coverage.rows.find((r) => r.taskArn === first?.taskArn)?.hiddenBy).toEqual([foreignId]);

    const again = await cli(['reconcile']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do');
    expect((await allSessions(env)).map((s) => s.sessionId).sort()).toEqual(
      all.map((s) => s.sessionId).sort(),
    );
  });

  it('follows scaling and stops made with the AWS CLI', async () => {
    const url = env.aws.url;
    const standalone = (await tasksOf(env, 'shop')).find((t) => t.group === 'family:nightly');
    await awsCli(url, [
      'ecs',
      'update-service',
      '--cluster',
      'shop',
      '--service',
      'web',
      '--desired-count',
      '5',
    ]);
    await awsCli(url, ['ecs', 'stop-task', '--cluster', 'shop', '--task', standalone?.taskArn ?? '']);
    await waitForStopped(env, 'shop');
    const grown = await waitForRunning(env, 'shop', 5);
    const up = await cli(['reconcile']);
    expect(up.code, up.stderr).toBe(0);
    await expectExactCoverage(grown);

    await awsCli(url, [
      'ecs',
      'update-service',
      '--cluster',
      'shop',
      '--service',
      'web',
      '--desired-count',
      '2',
    ]);
    await waitForStopped(env, 'shop');
    const shrunk = await waitForRunning(env, 'shop', 2);
    const down = await cli(['reconcile']);
    expect(down.code, down.stderr).toBe(0);
    await expectExactCoverage(shrunk);
    const again = await cli(['reconcile', '--dry-run']);
    expect(again.stdout).toContain('nothing to do');
  });

  it('cleanup removes every session of this owner and nothing else', async () => {
    const before = await allSessions(env);
    const dry = await cli(['cleanup', '--dry-run']);
    expect(dry.stdout).toContain(`${owned(before, OWNER).length} session(s) of owner ${OWNER} (dry run)`);
    const clean = await cli(['cleanup']);
    expect(clean.code, clean.stderr).toBe(0);
    const after = await allSessions(env);
    expect(owned(after, OWNER)).toEqual([]);
    expect(after.map((s) => s.sessionId).sort()).toEqual(
      before
        .filter((s) => s.tags['fargate-mirror:owner'] !== OWNER)
        .map((s) => s.sessionId)
        .sort(),
    );
  });

  it('explains a bad configuration with the key and exit code 2', async () => {
    const bad = await writeConfig(env, 'bad.json', {
      owner: OWNER,
      target: 'nope',
      filter: ids.filter,
      select: { clusterz: ['x'] },
    } as never);
    const r = await controllerCli(['status', '--config', bad, '--endpoint-url', env.aws.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_INVALID');
    expect(r.stderr).toContain('target: must be a traffic mirror target id');
    expect(r.stderr).toContain('select.clusterz: unknown key');
  });
});
