/**
 * EC2's eventual consistency, modelled by aws-local's describeLagMs: a session just created is not
 * listed yet, one just deleted still is. The controller must neither re-create a session it made
 * (a duplicate, or a session-number clash that never converges) nor fail the ENI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsCli,
  createFargateService,
  createTargetAndFilter,
  type Env,
  reconcilerFor,
  registerFargateFamily,
  requireAwsCli,
  startEnv,
  tasksOf,
  waitForRunning,
} from '../support/aws-local-env.js';

const OWNER = 'shop-prod';
/** Longer than the controller's first re-read after a create, shorter than its whole backoff. */
const LAG_MS = 2500;

/** Sessions as they really are (the emulator's state, not a lagged Describe). */
function trueSessionsOf(env: Env, owner: string): { eniId: string; sessionId: string }[] {
  const regions = env.aws.control.snapshot().regions;
  return Object.values(regions).flatMap((r) =>
    Object.values(r.trafficMirrorSessions)
      .filter((s) => s.tags.some((t) => t.key === 'fargate-mirror:owner' && t.value === owner))
      .map((s) => ({ eniId: s.networkInterfaceId, sessionId: s.trafficMirrorSessionId })),
  );
}

describe('under Describe lag (describeLagMs), reconciles end with exactly one session per ENI', () => {
  let env: Env;
  let ids: { target: string; filter: string };

  beforeAll(async () => {
    requireAwsCli();
    env = await startEnv({ taskEniSources: 'accept', describeLagMs: LAG_MS });
    ids = await createTargetAndFilter(env);
    await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    await createFargateService(env, 'shop', 'web', 3);
    await waitForRunning(env, 'shop', 3);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('a resync and per-task reconciles at once create one session per task ENI, and fail none', {
    timeout: 120_000,
  }, async () => {
    const config = { owner: OWNER, target: ids.target, filter: ids.filter, select: { clusters: ['shop'] } };
    const reconciler = reconcilerFor(env, config);
    const other = reconcilerFor(env, config, true);
    const tasks = await tasksOf(env, 'shop');
    const [resync, ...perTask] = await Promise.all([
      reconciler.resync(),
      ...tasks.map((t) => other.reconcileTask(t.taskArn)),
    ]);
    expect(resync.tally.failed).toBe(0);
    for (const r of perTask) expect(r.enis.map((e) => e.outcome)).not.toContain('failed');

    const eniIds = tasks.map((t) => t.eniId).sort();
    const sessions = trueSessionsOf(env, OWNER);
    expect(sessions.map((s) => s.eniId).sort()).toEqual(eniIds);
    // Once EC2 has caught up, the next resync has nothing to do.
    await new Promise((r) => setTimeout(r, LAG_MS + 200));
    const again = await reconciler.resync();
    expect(again.tally).toMatchObject({ created: 0, deleted: 0, failed: 0 });
    expect(
      trueSessionsOf(env, OWNER)
        .map((s) => s.sessionId)
        .sort(),
    ).toEqual(sessions.map((s) => s.sessionId).sort());
  });

  it('two batch workers given the same tasks at once (the storm path) make one session each, and fail none', {
    timeout: 120_000,
  }, async () => {
    // The first test's sessions (another owner, at 32766) would leave no number above them: remove
    // them, and wait until Describe no longer lists them.
    await reconcilerFor(env, { owner: OWNER, target: ids.target, filter: ids.filter }).cleanup();
    await new Promise((r) => setTimeout(r, LAG_MS + 200));
    const owner = 'shop-batch';
    const config = { owner, target: ids.target, filter: ids.filter, select: { clusters: ['shop'] } };
    const tasks = await tasksOf(env, 'shop');
    const items = tasks.map((t) => ({ kind: 'task' as const, taskArn: t.taskArn, clusterArn: undefined }));
    const [a, b] = await Promise.all([
      reconcilerFor(env, config).reconcileBatch(items),
      reconcilerFor(env, config, true).reconcileBatch(items),
    ]);
    for (const entry of [...(a ?? []), ...(b ?? [])]) {
      expect(entry.error).toBeUndefined();
      expect(entry.result?.enis.map((e) => e.outcome)).not.toContain('failed');
    }
    const sessions = trueSessionsOf(env, owner);
    expect(sessions.map((s) => s.eniId).sort()).toEqual(tasks.map((t) => t.eniId).sort());
  });
});
