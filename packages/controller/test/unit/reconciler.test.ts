import { describe, expect, it } from 'vitest';
import { MemoryRefusalCache } from '../../src/core/refusals.js';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { config, FILTER, OWNER, setup, TARGET } from '../support/setup.js';

function eniOf(t: { network: { kind: string; eniId?: string } }): string {
  if (t.network.kind !== 'task-eni' || !t.network.eniId) throw new Error('no task ENI');
  return t.network.eniId;
}

describe('Reconciler against an in-memory cloud (state-first)', () => {
  it('gives every selected running task exactly one owned, tagged session; a second resync does nothing', async () => {
    // Prepare
    const { cloud, reconciler } = setup();
    const web = [1, 2, 3].map((i) => cloud.addTask({ id: `web${i}`, service: 'web' }));
    const job = cloud.addTask({ id: 'job1', family: 'nightly' });
    // Act
    const first = await reconciler.resync();
    // Assess
    for (const t of [...web, job]) {
      const owned = cloud.ownedSessions(OWNER).filter((s) => s.eniId === eniOf(t));
      expect(owned).toHaveLength(1);
      expect(owned[0]?.tags).toMatchObject({
        'fargate-mirror:owner': OWNER,
        'fargate-mirror:cluster': 'shop',
        'fargate-mirror:task-arn': t.taskArn,
      });
      expect(owned[0]?.targetId).toBe(TARGET);
      expect(owned[0]?.filterId).toBe(FILTER);
      expect(owned[0]?.sessionNumber).toBe(32766);
    }
    const services = cloud
      .ownedSessions(OWNER)
      .map((s) => s.tags['fargate-mirror:service'] ?? '(standalone)');
    expect(services.sort()).toEqual(['(standalone)', 'web', 'web', 'web']);
    expect(first.tally.created).toBe(4);
    const creates = cloud.calls['CreateTrafficMirrorSession'];
    const second = await reconciler.resync();
    expect(second.plans.every((p) => p.actions.length === 0)).toBe(true);
    expect(second.tally).toMatchObject({ created: 0, deleted: 0, unchanged: 4, failed: 0 });
    expect(cloud.calls['CreateTrafficMirrorSession']).toBe(creates);
  });

  it('removes sessions of stopped tasks and leaves other tools and other owners alone', async () => {
    const { cloud, reconciler } = setup();
    const a = cloud.addTask({ id: 'a', service: 'web' });
    const b = cloud.addTask({ id: 'b', service: 'web' });
    const foreign = cloud.addForeignSession(eniOf(a), 10);
    const otherOwner = cloud.addForeignSession(eniOf(b), 20, { 'fargate-mirror:owner': 'shop-staging' });
    await reconciler.resync();
    cloud.stopTask(a.taskArn);
    await reconciler.reconcileTask(a.taskArn);
    expect(cloud.ownedSessions(OWNER).map((s) => s.eniId)).toEqual([eniOf(b)]);
    expect(cloud.sessions.has(foreign)).toBe(true);
    expect(cloud.sessions.has(otherOwner)).toBe(true);
  });

  it('takes the highest free number around other sessions and reports a lower foreign one as hiding ours', async () => {
    // takeTrafficFromOthers: without it, 32765 below the foreign 32766 is refused (safety.test.ts).
    const { cloud, reconciler } = setup({ takeTrafficFromOthers: true });
    const t = cloud.addTask({ id: 'h', service: 'web' });
    cloud.addForeignSession(eniOf(t), 32766);
    const hider = cloud.addForeignSession(eniOf(t), 5);
    const result = await reconciler.reconcileTask(t.taskArn);
    const [eni] = result.enis;
    expect(eni?.outcome).toBe('created');
    expect(eni?.sessionNumber).toBe(32765);
    expect(eni?.hiddenBy).toEqual([hider]);
  });

  it('reports an ENI full of other sessions as unmirrorable without touching them', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'full', service: 'web' });
    for (const n of [1, 2, 3]) cloud.addForeignSession(eniOf(t), n);
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(result.enis[0]?.outcome).toBe('unmirrorable');
    expect(result.enis[0]?.unmirrorable?.code).toBe('ENI_SESSION_LIMIT');
    expect(cloud.calls['CreateTrafficMirrorSession'] ?? 0).toBe(0);
    expect(cloud.sessions.size).toBe(3);
  });

  it('records a refusal per ENI with the remedy, and a resync does not ask AWS again', async () => {
    const { cloud, reconciler, refusals } = setup();
    cloud.rejectTaskEnis = true;
    const tasks = [1, 2].map((i) => cloud.addTask({ id: `r${i}`, service: 'web' }));
    const first = await reconciler.resync();
    expect(first.results.map((r) => r.outcome)).toEqual(['unmirrorable', 'unmirrorable']);
    expect(first.results[0]?.unmirrorable?.reason).toContain('NetworkInterfaceNotSupported');
    expect(first.results[0]?.unmirrorable?.remedy).toContain('forwarder sidecar');
    expect(refusals.size).toBe(2);
    const creates = cloud.calls['CreateTrafficMirrorSession'];
    expect(creates).toBe(2);
    const second = await reconciler.resync();
    expect(second.workItems).toEqual([]);
    expect(second.tally.unmirrorable).toBe(2);
    await reconciler.reconcileTask(tasks[0]?.taskArn ?? '');
    expect(cloud.calls['CreateTrafficMirrorSession']).toBe(creates);
    expect(cloud.sessions.size).toBe(0);
  });

  it('leaves one session when two reconciles of one task run at once', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'race', service: 'web' });
    const other = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config(),
      refusals: new MemoryRefusalCache({ ttlMs: 1000 }),
      readAfterWriteDelayMs: 0,
    });
    await Promise.all([reconciler.reconcileTask(t.taskArn), other.reconcileTask(t.taskArn)]);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });

  it('keeps the lowest-numbered of duplicate sessions and removes the others', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'dup', service: 'web' });
    // Two concurrent runs in different token buckets each made a session.
    const spec = {
      eniId: eniOf(t),
      targetId: TARGET,
      filterId: FILTER,
      vni: undefined,
      packetLength: undefined,
      tags: { 'fargate-mirror:owner': OWNER, 'fargate-mirror:task-arn': t.taskArn },
      description: 'x',
    };
    const low = await cloud.createSession({ ...spec, sessionNumber: 32765 }, 'token-a');
    await cloud.createSession({ ...spec, sessionNumber: 32766 }, 'token-b');
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(cloud.ownedSessions(OWNER).map((s) => s.sessionId)).toEqual([low.sessionId]);
    expect(result.enis[0]?.outcome).toBe('updated');
  });

  it('re-creates a session deleted by someone else, with a token that does not point at the deleted one', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'gone', service: 'web' });
    await reconciler.reconcileTask(t.taskArn);
    const [first] = cloud.ownedSessions(OWNER);
    cloud.sessions.delete(first?.sessionId ?? '');
    await reconciler.reconcileTask(t.taskArn);
    const after = cloud.ownedSessions(OWNER);
    expect(after).toHaveLength(1);
    expect(after[0]?.sessionId).not.toBe(first?.sessionId);
  });

  it('replaces a session of ours that drifted from the configuration', async () => {
    const { cloud } = setup();
    const t = cloud.addTask({ id: 'drift', service: 'web' });
    const before = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config(),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
    });
    await before.reconcileTask(t.taskArn);
    const after = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config({ packetLength: 128, vni: 4242 }),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
      readAfterWriteDelayMs: 0,
    });
    const result = await after.reconcileTask(t.taskArn);
    expect(result.enis[0]?.outcome).toBe('updated');
    const owned = cloud.ownedSessions(OWNER);
    expect(owned).toHaveLength(1);
    expect(owned[0]).toMatchObject({ packetLength: 128, vni: 4242 });
  });

  it('mirrors a container instance ENI once for its bridge tasks and removes it after the last one', async () => {
    const { cloud, reconciler } = setup();
    const ci = cloud.addContainerInstance('shop', 'ci1');
    const a = cloud.addTask({ id: 'ba', service: 'legacy', mode: 'bridge', containerInstance: ci });
    const b = cloud.addTask({ id: 'bb', service: 'legacy', mode: 'bridge', containerInstance: ci });
    await reconciler.resync();
    const instanceEni = cloud.instanceEnis.get(cloud.containerInstances.get(ci)?.ec2InstanceId ?? '');
    let owned = cloud.ownedSessions(OWNER);
    expect(owned).toHaveLength(1);
    expect(owned[0]?.eniId).toBe(instanceEni);
    expect(owned[0]?.tags['fargate-mirror:container-instance']).toBe(ci);
    cloud.stopTask(a.taskArn);
    await reconciler.reconcileTask(a.taskArn);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
    cloud.stopTask(b.taskArn);
    await reconciler.reconcileTask(b.taskArn);
    owned = cloud.ownedSessions(OWNER);
    expect(owned).toHaveLength(0);
  });

  it('deletes the leftover session of a task ECS no longer knows, found by its task-arn tag', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'forgotten', service: 'web' });
    await reconciler.reconcileTask(t.taskArn);
    cloud.tasks.delete(t.taskArn);
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(result.detail).toBe('missing');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(0);
  });

  it('does nothing for a task whose ENI is not attached yet, and creates once it is', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'prov', service: 'web', lastStatus: 'PROVISIONING', eniAttached: false });
    const early = await reconciler.reconcileTask(t.taskArn);
    expect(early.enis).toEqual([]);
    expect(early.disposition?.state).toBe('not-active');
    cloud.addTask({ id: 'prov', service: 'web' });
    await reconciler.reconcileTask(t.taskArn);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });

  it('deletes sessions of tasks that left the selection, and cleanup removes only this owner', async () => {
    const { cloud } = setup();
    cloud.addTask({ id: 'w', service: 'web' });
    cloud.addTask({ id: 'x', service: 'batch' });
    const everything = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config(),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
    });
    await everything.resync();
    const foreign = cloud.addForeignSession('eni-00000000000000000w', 7, {
      'fargate-mirror:owner': 'someone-else',
    });
    const onlyWeb = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config({ select: { services: ['web'] } }),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
    });
    const report = await onlyWeb.resync();
    expect(report.tally.deleted).toBe(1);
    expect(cloud.ownedSessions(OWNER).map((s) => s.tags['fargate-mirror:service'])).toEqual(['web']);
    const cleaned = await onlyWeb.cleanup();
    expect(cleaned.results.every((r) => r.result === 'done')).toBe(true);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(0);
    expect([...cloud.sessions.keys()]).toEqual([foreign]);
  });
});
