import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../src/errors.js';
import { ALARM_METRICS } from '../../src/lambda/handler-support.js';
import { createQueueWorkerHandler } from '../../src/lambda/queue-worker-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import { MemoryWorkQueue } from '../../src/lambda/work-queue.js';
import { silentLog } from '../../src/log.js';
import { taskEvent } from '../support/events.js';
import { OWNER, setup } from '../support/setup.js';

function sqsEvent(bodies: unknown[]) {
  return {
    Records: bodies.map((b, i) => ({
      messageId: `m${i}`,
      body: typeof b === 'string' ? b : JSON.stringify(b),
      eventSource: 'aws:sqs',
    })),
  };
}

describe('issue 16 storm: the worker reconciles a batch of task events with shared reads', () => {
  it('150 tasks, each with PENDING, RUNNING and a duplicate event: one session each, reads batched', async () => {
    const { cloud, reconciler } = setup();
    const tasks = Array.from({ length: 150 }, (_, i) => cloud.addTask({ id: `st${i}`, service: 'web' }));
    const bodies = tasks.flatMap((t) => [
      taskEvent(t, { lastStatus: 'PENDING', version: 2 }),
      taskEvent(t, { lastStatus: 'RUNNING', version: 3 }),
      taskEvent(t, { lastStatus: 'RUNNING', version: 3 }),
    ]);
    const metrics = new MemoryMetrics();
    const worker = createQueueWorkerHandler({ reconciler, metrics, log: silentLog });
    expect(await worker(sqsEvent(bodies))).toEqual({ batchItemFailures: [] });
    expect(cloud.ownedSessions(OWNER)).toHaveLength(150);
    expect(metrics.counters).toMatchObject({ created: 150, coalesced: 300 });
    // One create per task; one DescribeTasks and one sessions read for the whole batch (the SDK
    // adapters split them by 100 on the wire), one batched re-read after the creates; a wave of 10
    // creates whose read is over a second old is re-read first (at most 15 here, on a slow machine).
    expect(cloud.calls['CreateTrafficMirrorSession']).toBe(150);
    expect(cloud.calls['DescribeTasks']).toBe(1);
    expect(cloud.calls['DescribeTrafficMirrorSessions']).toBeGreaterThanOrEqual(2);
    expect(cloud.calls['DescribeTrafficMirrorSessions']).toBeLessThanOrEqual(2 + 15);

    // The same events again: everything is in place, nothing is written.
    expect(await worker(sqsEvent(bodies))).toEqual({ batchItemFailures: [] });
    expect(cloud.calls['CreateTrafficMirrorSession']).toBe(150);
  });

  it('a throttled key is put back as a new message, never returned towards the dead-letter queue', async () => {
    const { cloud, reconciler } = setup();
    const a = cloud.addTask({ id: 'th1', service: 'web' });
    const b = cloud.addTask({ id: 'th2', service: 'web' });
    const original = cloud.createSession.bind(cloud);
    cloud.createSession = async (spec, token) => {
      if (spec.eniId === (a.network.kind === 'task-eni' ? a.network.eniId : ''))
        throw new AwsCallError('AWS_THROTTLED', 'CreateTrafficMirrorSession', 'Request limit exceeded.', {
          awsCode: 'RequestLimitExceeded',
        });
      return original(spec, token);
    };
    const requeue = new MemoryWorkQueue();
    const metrics = new MemoryMetrics();
    const worker = createQueueWorkerHandler({ reconciler, metrics, log: silentLog, requeue });
    const answer = await worker(
      sqsEvent([
        taskEvent(a, { lastStatus: 'RUNNING', version: 3 }),
        taskEvent(b, { lastStatus: 'RUNNING', version: 3 }),
      ]),
    );
    expect(answer.batchItemFailures).toEqual([]);
    expect(requeue.items).toEqual([{ kind: 'task', taskArn: a.taskArn, clusterArn: a.clusterArn }]);
    expect(metrics.counters['requeued']).toBe(1);
    cloud.createSession = original;
    expect(await worker(sqsEvent(requeue.items.map((i) => JSON.stringify(i))))).toEqual({
      batchItemFailures: [],
    });
    expect(cloud.ownedSessions(OWNER)).toHaveLength(2);
  });

  it('without a requeue queue, a throttled key returns its messages (each of them)', async () => {
    const { cloud, reconciler } = setup();
    const a = cloud.addTask({ id: 'th3', service: 'web' });
    cloud.createSession = async () => {
      throw new AwsCallError('AWS_THROTTLED', 'CreateTrafficMirrorSession', 'Request limit exceeded.', {
        awsCode: 'RequestLimitExceeded',
      });
    };
    const worker = createQueueWorkerHandler({ reconciler, metrics: new MemoryMetrics(), log: silentLog });
    const answer = await worker(
      sqsEvent([
        taskEvent(a, { lastStatus: 'PENDING', version: 2 }),
        taskEvent(a, { lastStatus: 'RUNNING', version: 3 }),
      ]),
    );
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]);
  });

  it('drops events of unselected services without AWS calls, and ignores other event types', async () => {
    const { cloud, reconciler } = setup({ select: { services: ['web'] } });
    const other = cloud.addTask({ id: 'ns1', service: 'batch' });
    const metrics = new MemoryMetrics();
    const worker = createQueueWorkerHandler({ reconciler, metrics, log: silentLog });
    await worker(
      sqsEvent([
        taskEvent(other, { lastStatus: 'RUNNING', version: 3 }),
        { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} },
      ]),
    );
    expect(metrics.counters).toMatchObject({ notSelected: 1, ignored: 1 });
    expect(cloud.calls['DescribeTasks'] ?? 0).toBe(0);
  });

  it('counts notConverged (for its alarm) when an ENI keeps changing under every round, and returns the messages', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'nc1', service: 'web' });
    const create = cloud.createSession.bind(cloud);
    cloud.createSession = async (spec, token) => {
      const answer = await create(spec, token);
      // Another writer changes every session we make: each round sees drift again.
      const s = cloud.sessions.get(answer.sessionId);
      if (s) cloud.sessions.set(answer.sessionId, { ...s, filterId: 'tmf-0ffffffffffffffff' });
      return answer;
    };
    const metrics = new MemoryMetrics();
    const worker = createQueueWorkerHandler({ reconciler, metrics, log: silentLog });
    const answer = await worker(sqsEvent([taskEvent(t, { lastStatus: 'RUNNING', version: 3 })]));
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect(metrics.counters['notConverged']).toBe(1);
    expect(metrics.counters['terminalFailures'] ?? 0).toBe(0);
  });

  it('names the alarm metrics packages/cdk alarms on (TaskMirroring #outcomeAlarms)', () => {
    expect(ALARM_METRICS).toMatchObject({
      terminalFailures: 'terminalFailures',
      notConverged: 'notConverged',
      mirrorResourceMissing: 'mirrorResourceMissing',
    });
  });
});
