import { describe, expect, it } from 'vitest';
import { translateAwsError } from '../../src/aws/translate-error.js';
import { MemoryRefusalCache } from '../../src/core/refusals.js';
import { TAG_CLUSTER, TAG_OWNER, TAG_TASK_ARN } from '../../src/core/types.js';
import { coverageOf } from '../../src/coverage.js';
import { AwsCallError, isControllerError } from '../../src/errors.js';
import { createQueueWorkerHandler } from '../../src/lambda/queue-worker-handler.js';
import { createResyncHandler } from '../../src/lambda/resync-handler.js';
import { createTaskEventHandler } from '../../src/lambda/task-event-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import { MemoryWorkQueue } from '../../src/lambda/work-queue.js';
import { silentLog } from '../../src/log.js';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { taskEvent } from '../support/events.js';
import type { FakeCloud } from '../support/fake-cloud.js';
import { config, FILTER, OWNER, setup, TARGET } from '../support/setup.js';

function eniOf(t: { network: { kind: string; eniId?: string } }): string {
  if (t.network.kind !== 'task-eni' || !t.network.eniId) throw new Error('no task ENI');
  return t.network.eniId;
}

function sqsEvent(bodies: string[]) {
  return { Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) };
}

async function thrown(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A session of ours as an earlier run left it (tags as the controller writes them). */
function ownedSession(cloud: FakeCloud, eniId: string, taskArn: string, cluster: string): string {
  const sessionId = `tms-own${eniId.slice(-10)}`;
  cloud.sessions.set(sessionId, {
    sessionId,
    eniId,
    targetId: TARGET,
    filterId: FILTER,
    sessionNumber: 32766,
    vni: 77,
    packetLength: undefined,
    tags: { [TAG_OWNER]: OWNER, [TAG_CLUSTER]: cluster, [TAG_TASK_ARN]: taskArn },
  });
  return sessionId;
}

describe('defect 1: NLB targets get PacketLength 8500 from AWS; effective settings are compared', () => {
  it('creates once and leaves the 8500 session alone on every later resync and event', async () => {
    const { cloud, reconciler } = setup();
    cloud.targets.set(TARGET, 'network-load-balancer');
    const tasks = [1, 2, 3].map((i) => cloud.addTask({ id: `nlb${i}`, service: 'web' }));
    const first = await reconciler.resync();
    expect(first.tally).toMatchObject({ created: 3, deleted: 0, failed: 0 });
    expect(cloud.ownedSessions(OWNER).map((s) => s.packetLength)).toEqual([8500, 8500, 8500]);
    const ids = cloud.ownedSessions(OWNER).map((s) => s.sessionId);

    const second = await reconciler.resync();
    expect(second.plans.every((p) => p.actions.length === 0)).toBe(true);
    expect(second.tally).toMatchObject({ created: 0, deleted: 0, unchanged: 3 });
    const perTask = await reconciler.reconcileTask(tasks[0]!.taskArn);
    expect(perTask.enis[0]?.outcome).toBe('unchanged');
    expect(cloud.ownedSessions(OWNER).map((s) => s.sessionId)).toEqual(ids);
    expect(cloud.calls['CreateTrafficMirrorSession']).toBe(3);
    expect(cloud.calls['DeleteTrafficMirrorSession'] ?? 0).toBe(0);
  });

  it('still replaces a session whose packet length really differs from the configured one', async () => {
    const { cloud } = setup();
    cloud.targets.set(TARGET, 'network-load-balancer');
    const t = cloud.addTask({ id: 'nlbpl', service: 'web' });
    const deps = {
      ec2: cloud,
      ecs: cloud,
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
      readAfterWriteDelayMs: 0,
    };
    await new Reconciler({ ...deps, config: config() }).reconcileTask(t.taskArn);
    const result = await new Reconciler({ ...deps, config: config({ packetLength: 128 }) }).reconcileTask(
      t.taskArn,
    );
    expect(result.enis[0]?.outcome).toBe('updated');
    expect(cloud.ownedSessions(OWNER).map((s) => s.packetLength)).toEqual([128]);
    // An explicit 8500 on an NLB target equals the default: a session with 8500 needs nothing under either.
    for (const own of cloud.ownedSessions(OWNER))
      cloud.sessions.set(own.sessionId, { ...own, packetLength: 8500 });
    expect((await new Reconciler({ ...deps, config: config() }).plan()).workItems).toEqual([]);
    expect(
      (await new Reconciler({ ...deps, config: config({ packetLength: 8500 }) }).plan()).workItems,
    ).toEqual([]);
  });
});

describe('defect 2: a missing target or filter changes nothing and fails loudly', () => {
  it('reconcile deletes nothing and throws TARGET_NOT_FOUND naming the target when it is gone', async () => {
    const { cloud, reconciler } = setup();
    for (const i of [1, 2, 3]) cloud.addTask({ id: `tg${i}`, service: 'web' });
    await reconciler.resync();
    expect(cloud.ownedSessions(OWNER)).toHaveLength(3);
    cloud.targets.delete(TARGET);
    // A fresh process: a found target is trusted for a minute within one.
    const fresh = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config(),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
      readAfterWriteDelayMs: 0,
    });
    const error = await thrown(fresh.resync());
    expect(isControllerError(error) && error.code).toBe('TARGET_NOT_FOUND');
    expect((error as Error).message).toContain(TARGET);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(3);
    expect(cloud.calls['DeleteTrafficMirrorSession'] ?? 0).toBe(0);
  });

  it('a mistyped target in the configuration: no session of the old target is deleted, per key either', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'typo', service: 'web' });
    await reconciler.reconcileTask(t.taskArn);
    const typo = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config({ target: 'tmt-0123456789abcdef9' }),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
      readAfterWriteDelayMs: 0,
    });
    const error = await thrown(typo.reconcileTask(t.taskArn));
    expect(isControllerError(error) && error.code).toBe('TARGET_NOT_FOUND');
    expect((error as Error).message).toContain('tmt-0123456789abcdef9');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });

  it('says FILTER_NOT_FOUND for a missing filter, and the Lambda paths emit mirrorResourceMissing', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'flt', service: 'web' });
    await reconciler.reconcileTask(t.taskArn);
    cloud.filters.delete(FILTER);
    const fresh = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config({ packetLength: 100 }),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
      readAfterWriteDelayMs: 0,
    });
    const metrics = new MemoryMetrics();
    const resync = createResyncHandler({
      reconciler: fresh,
      queue: new MemoryWorkQueue(),
      metrics,
      log: silentLog,
    });
    const error = await thrown(resync());
    expect(isControllerError(error) && error.code).toBe('FILTER_NOT_FOUND');
    expect((error as Error).message).toContain(FILTER);
    expect(metrics.counters).toMatchObject({ mirrorResourceMissing: 1, terminalFailures: 1 });

    const eventMetrics = new MemoryMetrics();
    const handle = createTaskEventHandler({ reconciler: fresh, metrics: eventMetrics, log: silentLog });
    const report = await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 9 }));
    expect(report.status).toBe('failed');
    expect(report.reason).toMatch(/^FILTER_NOT_FOUND: /);
    expect(eventMetrics.counters).toMatchObject({ mirrorResourceMissing: 1, terminalFailures: 1 });
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
    expect(cloud.ownedSessions(OWNER)[0]?.packetLength).toBeUndefined();
  });
});

describe('defect 3: terminal per-ENI failures are failures', () => {
  it('the task-event handler answers failed, counts terminalFailures, and logs at error level', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'quota', service: 'web' });
    cloud.createSession = async () => {
      throw new AwsCallError('ACCOUNT_SESSION_LIMIT', 'CreateTrafficMirrorSession', 'limit', {
        awsCode: 'TrafficMirrorSessionLimitExceeded',
      });
    };
    const metrics = new MemoryMetrics();
    const errors: string[] = [];
    const log = { ...silentLog, error: (message: string) => void errors.push(message) };
    const handle = createTaskEventHandler({ reconciler, metrics, log });
    const report = await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 2 }));
    expect(report.status).toBe('failed');
    expect(report.reason).toContain('ACCOUNT_SESSION_LIMIT');
    expect(metrics.counters).toMatchObject({ failed: 1, terminalFailures: 1 });
    expect(errors).toEqual(['task reconcile failed (terminal, recorded)']);
  });

  it('the queue worker counts terminalFailures and logs at error level, without returning the message', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'quota2', service: 'web' });
    cloud.createSession = async () => {
      throw new AwsCallError('ACCOUNT_SESSION_LIMIT', 'CreateTrafficMirrorSession', 'limit', {
        awsCode: 'TrafficMirrorSessionLimitExceeded',
      });
    };
    const metrics = new MemoryMetrics();
    const errors: string[] = [];
    const log = { ...silentLog, error: (message: string) => void errors.push(message) };
    const worker = createQueueWorkerHandler({ reconciler, metrics, log });
    const answer = await worker(sqsEvent([JSON.stringify({ kind: 'task', taskArn: t.taskArn })]));
    expect(answer.batchItemFailures).toEqual([]);
    expect(metrics.counters).toMatchObject({ failed: 1, terminalFailures: 1 });
    expect(errors).toEqual(['work item failed (terminal, recorded)']);
  });
});

describe('defect 5: a resync re-checks a task right before deleting its session, and plans once', () => {
  it('keeps the session of a task that started (and was mirrored) while the clusters were read', async () => {
    const { cloud, reconciler } = setup();
    cloud.addTask({ id: 'early', service: 'web' });
    let late: ReturnType<FakeCloud['addTask']> | undefined;
    cloud.beforeListAll = () => {
      if (late) return;
      // Between ListTasks and DescribeTrafficMirrorSessions: a task starts and the event path mirrors it.
      late = cloud.addTask({ id: 'late', service: 'web' });
      ownedSession(cloud, eniOf(late), late.taskArn, 'shop');
    };
    const report = await reconciler.resync();
    expect(late).toBeDefined();
    const onLate = cloud.ownedSessions(OWNER).filter((s) => s.eniId === eniOf(late!));
    expect(onLate).toHaveLength(1);
    expect(report.tally.deleted).toBe(0);
    expect(cloud.calls['DeleteTrafficMirrorSession'] ?? 0).toBe(0);
  });

  it('applies a given plan without reading and planning the fleet again', async () => {
    const { cloud, reconciler } = setup();
    cloud.addTask({ id: 'once', service: 'web' });
    const planned = await reconciler.plan();
    const lists = cloud.calls['ListTasks'];
    const report = await reconciler.resync({ planned });
    expect(report.plans).toBe(planned.plans);
    expect(report.tally.created).toBe(1);
    expect(cloud.calls['ListTasks']).toBe(lists);
    expect(cloud.calls['ListClusters']).toBe(1);
  });
});

describe('defect 6: highest-free never takes another tool traffic', () => {
  it('does not create below a foreign session at 32766, and says whose traffic it would take', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'steal', service: 'web' });
    const foreign = cloud.addForeignSession(eniOf(t), 32766, { 'fargate-mirror:owner': 'ids-team' });
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(result.enis[0]?.outcome).toBe('unmirrorable');
    expect(result.enis[0]?.unmirrorable?.code).toBe('SESSION_NUMBER_TAKEN');
    expect(result.enis[0]?.unmirrorable?.reason).toContain(
      `would take traffic from session ${foreign} (owner ids-team`,
    );
    expect(cloud.calls['CreateTrafficMirrorSession'] ?? 0).toBe(0);
  });

  it('creates below it only with takeTrafficFromOthers, and reports the session it hides', async () => {
    const { cloud, reconciler } = setup({ takeTrafficFromOthers: true });
    const t = cloud.addTask({ id: 'steal2', service: 'web' });
    cloud.addForeignSession(eniOf(t), 32766);
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(result.enis[0]?.outcome).toBe('created');
    expect(result.enis[0]?.sessionNumber).toBe(32765);
  });
});

describe('defect 7: ClientToken reuse', () => {
  it('recovers from IdempotentParameterMismatch with a new token instead of retrying the spent one', async () => {
    const { cloud } = setup();
    cloud.tokenAfterDelete = 'mismatch';
    const t = cloud.addTask({ id: 'tok', service: 'web' });
    const reconciler = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config(),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
      readAfterWriteDelayMs: 0,
      now: () => 1_000_000,
    });
    await reconciler.reconcileTask(t.taskArn);
    // Someone deletes our session; the next reconcile falls in the same token window.
    for (const s of cloud.ownedSessions(OWNER)) cloud.sessions.delete(s.sessionId);
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(result.enis[0]?.outcome).toBe('created');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
    expect(new Set(cloud.tokensSent).size).toBe(2);
  });

  it('never sends a token it saw spent again, in a later pass of the same token window', async () => {
    const { cloud } = setup();
    cloud.tokenAfterDelete = 'mismatch';
    const t = cloud.addTask({ id: 'tok3', service: 'web' });
    const reconciler = new Reconciler({
      ec2: cloud,
      ecs: cloud,
      config: config(),
      refusals: new MemoryRefusalCache({ ttlMs: 1 }),
      readAfterWriteDelayMs: 0,
      now: () => 2_000_000,
    });
    const deleteOurs = () => {
      for (const s of cloud.ownedSessions(OWNER)) cloud.sessions.delete(s.sessionId);
    };
    await reconciler.reconcileTask(t.taskArn);
    deleteOurs();
    await reconciler.reconcileTask(t.taskArn); // T0 refused (mismatch), T1 made
    const [t0, , t1] = cloud.tokensSent;
    expect(cloud.tokensSent).toEqual([t0, t0, t1]);
    deleteOurs();
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(result.enis[0]?.outcome).toBe('created');
    // T0 is known spent and is not sent again; T1's session is gone too (refused once), then T2.
    const third = cloud.tokensSent.slice(3);
    expect(third).not.toContain(t0);
    expect(third).toHaveLength(2);
    expect(third[0]).toBe(t1);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
    // The batch path (the storm's worker) shares the process's spent tokens.
    deleteOurs();
    const before = cloud.tokensSent.length;
    const [entry] = await reconciler.reconcileBatch([
      { kind: 'task', taskArn: t.taskArn, clusterArn: t.clusterArn },
    ]);
    expect(entry?.result?.enis[0]?.outcome).toBe('created');
    const fourth = cloud.tokensSent.slice(before);
    expect(fourth).not.toContain(t0);
    expect(fourth).not.toContain(t1);
    expect(fourth).toHaveLength(2);
  });

  it('a create after deleting the session made earlier in the same pass uses a new token', async () => {
    const { cloud, reconciler } = setup();
    cloud.tokenAfterDelete = 'mismatch';
    const t = cloud.addTask({ id: 'tok2', service: 'web' });
    const create = cloud.createSession.bind(cloud);
    let first = true;
    cloud.createSession = async (spec, token) => {
      const answer = await create(spec, token);
      if (first) {
        // EC2 answered with other settings than asked once (a drifted session): ours replaces it.
        first = false;
        const s = cloud.sessions.get(answer.sessionId)!;
        cloud.sessions.set(answer.sessionId, { ...s, filterId: 'tmf-0ffffffffffffffff' });
      }
      return answer;
    };
    const result = await reconciler.reconcileTask(t.taskArn);
    expect(result.enis[0]?.outcome).toBe('updated');
    expect(cloud.ownedSessions(OWNER).map((s) => s.filterId)).toEqual([FILTER]);
    expect(cloud.tokensSent).toHaveLength(2);
    expect(cloud.tokensSent[0]).not.toBe(cloud.tokensSent[1]);
  });
});

describe('defect 9: vanished and missing clusters', () => {
  it('the Lambda path deletes a leftover session of ours whose cluster is gone', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'old1', cluster: 'old', service: 'web' });
    await reconciler.reconcileTask(t.taskArn);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
    cloud.goneClusters.add('old');
    const queue = new MemoryWorkQueue();
    const metrics = new MemoryMetrics();
    const resync = createResyncHandler({ reconciler, queue, metrics, log: silentLog });
    const worker = createQueueWorkerHandler({ reconciler, metrics, log: silentLog });
    const summary = await resync();
    expect(summary.differing).toBe(1);
    expect(await worker(sqsEvent(queue.items.map((i) => JSON.stringify(i))))).toEqual({
      batchItemFailures: [],
    });
    expect(cloud.ownedSessions(OWNER)).toHaveLength(0);
    expect(metrics.counters['terminalFailures'] ?? 0).toBe(0);

    // The event path too: a late event for a task of the deleted cluster removes what is left.
    const u = cloud.addTask({ id: 'old2', cluster: 'old2', service: 'web' });
    ownedSession(cloud, eniOf(u), u.taskArn, 'old2');
    cloud.goneClusters.add('old2');
    const handle = createTaskEventHandler({ reconciler, metrics, log: silentLog });
    const report = await handle(taskEvent(u, { lastStatus: 'STOPPED', version: 7 }));
    expect(report.status).toBe('reconciled');
    expect(report.result?.detail).toBe('missing');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(0);
  });

  it('a missing cluster in select.clusters is reported; the others are resynced, planned and shown', async () => {
    const { cloud, reconciler } = setup({ select: { clusters: ['shop', 'typo'] } });
    cloud.goneClusters.add('typo');
    cloud.addTask({ id: 'ok1', cluster: 'shop', service: 'web' });
    const queue = new MemoryWorkQueue();
    const metrics = new MemoryMetrics();
    const summary = await createResyncHandler({ reconciler, queue, metrics, log: silentLog })();
    expect(summary.missingClusters).toEqual(['typo']);
    expect(summary.differing).toBe(1);
    expect(metrics.gauges['clustersNotFound']).toBe(1);
    const plan = await reconciler.plan();
    expect(plan.world.missingClusters).toEqual(['typo']);
    const report = await reconciler.resync();
    expect(report.tally.created).toBe(1);
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });
});

describe('issue 12: a stopping task keeps its session until it is STOPPED', () => {
  it('keeps the session through DEACTIVATING/STOPPING (event and resync alike) and removes it on STOPPED', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'drain', service: 'web' });
    await reconciler.reconcileTask(t.taskArn);
    const [session] = cloud.ownedSessions(OWNER);
    for (const lastStatus of ['DEACTIVATING', 'STOPPING']) {
      cloud.tasks.set(t.taskArn, { ...t, lastStatus, desiredStatus: 'STOPPED' });
      expect((await reconciler.reconcileTask(t.taskArn)).enis[0]?.outcome).toBe('unchanged');
      // The resync lists desired-RUNNING tasks only; its re-check before deleting keeps the session.
      expect((await reconciler.resync()).tally.deleted).toBe(0);
      expect(cloud.ownedSessions(OWNER).map((s) => s.sessionId)).toEqual([session?.sessionId]);
    }
    cloud.stopTask(t.taskArn);
    expect((await reconciler.reconcileTask(t.taskArn)).enis[0]?.outcome).toBe('deleted');
    expect(cloud.ownedSessions(OWNER)).toEqual([]);
  });
});

describe('issue 12: the last draining bridge task keeps the instance session until it is STOPPED', () => {
  it('keeps the instance ENI session while its only selected task is STOPPING, and removes it on STOPPED', async () => {
    const { cloud, reconciler } = setup();
    const ci = cloud.addContainerInstance('shop', 'cidrain');
    const t = cloud.addTask({ id: 'bdrain', service: 'legacy', mode: 'bridge', containerInstance: ci });
    await reconciler.resync();
    const [session] = cloud.ownedSessions(OWNER);
    expect(session).toBeDefined();
    for (const lastStatus of ['DEACTIVATING', 'STOPPING']) {
      cloud.tasks.set(t.taskArn, { ...t, lastStatus, desiredStatus: 'STOPPED' });
      expect((await reconciler.reconcileTask(t.taskArn)).enis[0]?.outcome).toBe('unchanged');
      expect((await reconciler.resync()).tally.deleted).toBe(0);
      expect(cloud.ownedSessions(OWNER).map((s) => s.sessionId)).toEqual([session?.sessionId]);
    }
    cloud.stopTask(t.taskArn);
    expect((await reconciler.reconcileTask(t.taskArn)).enis[0]?.outcome).toBe('deleted');
    expect(cloud.ownedSessions(OWNER)).toEqual([]);
  });
});

describe('issue 16 item 10: an excluded task sharing a mirrored container instance ENI', () => {
  it('the plan says its traffic is captured, on the source and on the task', async () => {
    const { cloud, reconciler } = setup({ select: { services: ['legacy'] } });
    const ci = cloud.addContainerInstance('shop', 'cishared');
    const selected = cloud.addTask({ id: 'bsel', service: 'legacy', mode: 'bridge', containerInstance: ci });
    const excluded = cloud.addTask({ id: 'bexc', service: 'billing', mode: 'bridge', containerInstance: ci });
    const plan = await reconciler.plan();
    const eniId = cloud.instanceEnis.get(cloud.containerInstances.get(ci)?.ec2InstanceId ?? '');
    const source = plan.desired.sources.get(eniId ?? '');
    expect(source?.taskArns).toEqual([selected.taskArn]);
    expect(source?.alsoCaptured).toEqual([excluded.taskArn]);
    const d = plan.desired.tasks.find((t) => t.task.taskArn === excluded.taskArn);
    expect(d?.state).toBe('not-selected');
    expect(d?.detail).toContain(`its traffic is captured anyway: it shares the ENI ${eniId}`);
  });
});

describe('issue 12: status at the account session quota', () => {
  it('says why a selected task has no session when the account is at its session quota', async () => {
    const { cloud, reconciler } = setup({ accountSessionQuota: 2 });
    const t = cloud.addTask({ id: 'q1', service: 'web' });
    const other = cloud.addTask({ id: 'q2', service: 'web' });
    cloud.addForeignSession('eni-0000000000000other1', 1);
    cloud.addForeignSession('eni-0000000000000other2', 1);
    const coverage = coverageOf(await reconciler.plan(), OWNER, 2);
    const row = coverage.rows.find((r) => r.taskArn === t.taskArn);
    expect(row?.state).toBe('missing');
    expect(row?.note).toContain('account session quota reached: 2 of 2 sessions');
    expect(coverage.rows.find((r) => r.taskArn === other.taskArn)?.note).toContain('quota');
  });
});

describe('issue 12: limits of one target are not reported as the account limit', () => {
  it('translates the per-target limits to TARGET_LIMIT and the account quota to ACCOUNT_SESSION_LIMIT', () => {
    const sdkError = (name: string) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400 } });
    for (const name of [
      'TrafficMirrorSourcesPerTargetLimitExceeded',
      'TrafficMirrorSessionsPerTargetLimitExceeded',
    ]) {
      expect(translateAwsError('CreateTrafficMirrorSession', sdkError(name))).toMatchObject({
        code: 'TARGET_LIMIT',
        awsCode: name,
        retryable: false,
      });
    }
    expect(
      translateAwsError('CreateTrafficMirrorSession', sdkError('TrafficMirrorSessionLimitExceeded')),
    ).toMatchObject({ code: 'ACCOUNT_SESSION_LIMIT' });
  });
});
