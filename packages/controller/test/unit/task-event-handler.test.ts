import { describe, expect, it } from 'vitest';
import { createTaskEventHandler } from '../../src/lambda/task-event-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import { silentLog } from '../../src/log.js';
import { taskEvent } from '../support/events.js';
import { OWNER, setup } from '../support/setup.js';

function harness(extra: Parameters<typeof setup>[0] = {}) {
  const s = setup(extra);
  const metrics = new MemoryMetrics();
  const handle = createTaskEventHandler({ reconciler: s.reconciler, metrics, log: silentLog });
  return { ...s, metrics, handle };
}

describe('task state change handler (events in the documented shape)', () => {
  it('creates on RUNNING with the ENI, removes on STOPPED, for a service task', async () => {
    const { cloud, handle, metrics } = harness();
    const t = cloud.addTask({ id: 'svc1', service: 'web' });
    const running = await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 3 }));
    expect(running.status).toBe('reconciled');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
    cloud.stopTask(t.taskArn);
    const stopped = await handle(
      taskEvent(cloud.tasks.get(t.taskArn)!, { lastStatus: 'STOPPED', version: 6 }),
    );
    expect(stopped.result?.enis[0]?.outcome).toBe('deleted');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(0);
    expect(metrics.counters).toMatchObject({ created: 1, deleted: 1 });
  });

  it('does nothing for PROVISIONING without an ENI, and the later RUNNING event creates', async () => {
    const { cloud, handle } = harness();
    const t = cloud.addTask({ id: 'prov', service: 'web', lastStatus: 'PROVISIONING', eniAttached: false });
    const early = await handle(taskEvent(t, { lastStatus: 'PROVISIONING', version: 1 }));
    expect(early.status).toBe('reconciled');
    expect(early.result?.enis).toEqual([]);
    expect(cloud.sessions.size).toBe(0);
    const running = cloud.addTask({ id: 'prov', service: 'web' });
    await handle(taskEvent(running, { lastStatus: 'RUNNING', version: 4 }));
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });

  it('handles a standalone task (family group)', async () => {
    const { cloud, handle } = harness();
    const t = cloud.addTask({ id: 'solo', family: 'nightly-report' });
    await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 2 }));
    const [s] = cloud.ownedSessions(OWNER);
    expect(s?.tags['fargate-mirror:task-arn']).toBe(t.taskArn);
    expect(s?.tags['fargate-mirror:service']).toBeUndefined();
  });

  it('skips duplicates and late copies without AWS calls, and a late RUNNING after STOPPED creates nothing', async () => {
    const { cloud, handle, metrics } = harness();
    const t = cloud.addTask({ id: 'dup', service: 'web' });
    const runningEvent = taskEvent(t, { lastStatus: 'RUNNING', version: 3 });
    await handle(runningEvent);
    const calls = { ...cloud.calls };
    expect((await handle(runningEvent)).status).toBe('duplicate');
    expect(cloud.calls).toEqual(calls);
    cloud.stopTask(t.taskArn);
    await handle(taskEvent(cloud.tasks.get(t.taskArn)!, { lastStatus: 'STOPPED', version: 6 }));
    const late = await handle(runningEvent);
    expect(late.status).toBe('stale');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(0);
    expect(metrics.counters).toMatchObject({ duplicate: 1, stale: 1 });
  });

  it('re-reads the task: a RUNNING event for a task that already stopped creates nothing (fresh handler)', async () => {
    const { cloud, handle } = harness();
    const t = cloud.addTask({ id: 'late', service: 'web' });
    const runningEvent = taskEvent(t, { lastStatus: 'RUNNING', version: 3 });
    cloud.stopTask(t.taskArn);
    const report = await handle(runningEvent);
    expect(report.status).toBe('reconciled');
    expect(report.result?.state).toBe('not-active');
    expect(cloud.sessions.size).toBe(0);
  });

  it('tolerates unknown fields anywhere in the event', async () => {
    const { cloud, handle } = harness();
    const t = cloud.addTask({ id: 'unk', service: 'web' });
    const event = taskEvent(t, {
      lastStatus: 'RUNNING',
      version: 3,
      extra: { ephemeralStorage: { sizeInGiB: 20 }, futureField: [1, 2] },
    });
    (event as Record<string, unknown>)['newEnvelopeField'] = true;
    expect((await handle(event)).status).toBe('reconciled');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });

  it('drops events of clusters outside the selection without calling AWS', async () => {
    const { cloud, handle, metrics } = harness({ select: { clusters: ['shop'] } });
    const t = cloud.addTask({ id: 'other', cluster: 'analytics', service: 'etl' });
    const report = await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 3 }));
    expect(report.status).toBe('not-selected');
    expect(report.reason).toContain('analytics');
    expect(cloud.calls).toEqual({});
    expect(metrics.counters['notSelected']).toBe(1);
  });

  it('answers malformed events with a stable code and a counter, and keeps going', async () => {
    const { cloud, handle, metrics } = harness();
    const bad = [
      null,
      'text',
      { 'detail-type': 'ECS Task State Change', source: 'aws.ecs', detail: { taskArn: 42 } },
      {
        'detail-type': 'ECS Task State Change',
        source: 'aws.ecs',
        detail: { taskArn: 'arn:x', clusterArn: 'nope' },
      },
    ];
    for (const e of bad) {
      const r = await handle(e);
      expect(r.status).toBe('malformed');
      expect(r.reason).toMatch(/^EVENT_MALFORMED: /);
    }
    expect(metrics.counters['malformed']).toBe(4);
    const ignored = await handle({
      'detail-type': 'ECS Container Instance State Change',
      source: 'aws.ecs',
      detail: {},
    });
    expect(ignored.status).toBe('ignored');
    const t = cloud.addTask({ id: 'after', service: 'web' });
    expect((await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 1 }))).status).toBe('reconciled');
  });

  it('reports a refused ENI as unmirrorable with AWS error and remedy, without retrying', async () => {
    const { cloud, handle, metrics } = harness();
    cloud.rejectTaskEnis = true;
    const t = cloud.addTask({ id: 'rej', service: 'web' });
    const report = await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 3 }));
    const eni = report.result?.enis[0];
    expect(eni?.outcome).toBe('unmirrorable');
    expect(eni?.unmirrorable?.reason).toContain('NetworkInterfaceNotSupported');
    expect(eni?.unmirrorable?.remedy).toContain('sidecar');
    expect(metrics.counters['unmirrorable']).toBe(1);
    expect(cloud.calls['CreateTrafficMirrorSession']).toBe(1);
  });

  it('throws on a retryable failure so Lambda retries the event', async () => {
    const { cloud, handle, metrics } = harness();
    const t = cloud.addTask({ id: 'thr', service: 'web' });
    const { AwsCallError } = await import('../../src/errors.js');
    const original = cloud.describeTasks.bind(cloud);
    cloud.describeTasks = async () => {
      throw new AwsCallError('AWS_THROTTLED', 'DescribeTasks', 'ThrottlingException', {
        awsCode: 'ThrottlingException',
      });
    };
    const event = taskEvent(t, { lastStatus: 'RUNNING', version: 3 });
    await expect(handle(event)).rejects.toMatchObject({ code: 'AWS_THROTTLED', retryable: true });
    expect(metrics.counters['failed']).toBe(1);
    cloud.describeTasks = original;
    expect((await handle(event)).status).toBe('reconciled');
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });
});

describe('task state change handler: unknown cluster', () => {
  it('treats the tasks of a cluster ECS does not know as gone, instead of failing or retrying forever', async () => {
    const { cloud, reconciler } = setup();
    const metrics = new MemoryMetrics();
    const handle = createTaskEventHandler({ reconciler, metrics, log: silentLog });
    const { AwsCallError } = await import('../../src/errors.js');
    cloud.describeTasks = async () => {
      throw new AwsCallError(
        'CLUSTER_NOT_FOUND',
        'DescribeTasks',
        'ClusterNotFoundException: Cluster not found.',
        {
          awsCode: 'ClusterNotFoundException',
        },
      );
    };
    const t = cloud.addTask({ id: 'ghost', cluster: 'gone', service: 'web' });
    const report = await handle(taskEvent(t, { lastStatus: 'RUNNING', version: 2 }));
    expect(report.status).toBe('reconciled');
    expect(report.result?.detail).toBe('missing');
    expect(report.result?.enis).toEqual([]);
    expect(metrics.counters['failed'] ?? 0).toBe(0);
  });
});
