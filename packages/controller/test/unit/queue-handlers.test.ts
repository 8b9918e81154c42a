import { describe, expect, it } from 'vitest';
import { translateAwsError } from '../../src/aws/translate-error.js';
import { AwsCallError } from '../../src/errors.js';
import { createQueueWorkerHandler } from '../../src/lambda/queue-worker-handler.js';
import { createResyncHandler } from '../../src/lambda/resync-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import { MemoryWorkQueue } from '../../src/lambda/work-queue.js';
import { silentLog } from '../../src/log.js';
import { OWNER, setup } from '../support/setup.js';

function sqsEvent(bodies: string[]) {
  return { Records: bodies.map((body, i) => ({ messageId: `m${i}`, body, eventSource: 'aws:sqs' })) };
}

describe('scheduled resync and queue worker', () => {
  it('queues one item per differing task, and the worker converges them; the next resync queues nothing', async () => {
    const { cloud, reconciler } = setup();
    const a = cloud.addTask({ id: 'qa', service: 'web' });
    const b = cloud.addTask({ id: 'qb', service: 'web' });
    const gone = cloud.addTask({ id: 'qc', service: 'web' });
    const queue = new MemoryWorkQueue();
    const metrics = new MemoryMetrics();
    const resync = createResyncHandler({ reconciler, queue, metrics, log: silentLog });
    const worker = createQueueWorkerHandler({ reconciler, metrics, log: silentLog });

    const first = await resync();
    expect(first.differing).toBe(3);
    // Not mirrored yet: uncovered until the workers converge them.
    expect(first).toMatchObject({ covered: 0, uncovered: 3 });
    expect(metrics.gauges['uncoveredTasks']).toBe(3);
    expect(queue.items.map((i) => i.kind)).toEqual(['task', 'task', 'task']);
    expect(await worker(sqsEvent(queue.items.map((i) => JSON.stringify(i))))).toEqual({
      batchItemFailures: [],
    });
    expect(cloud.ownedSessions(OWNER)).toHaveLength(3);

    // ECS forgets a stopped task; its session is left on its ENI (AWS had not deleted it).
    cloud.tasks.delete(gone.taskArn);
    queue.items.length = 0;
    const second = await resync();
    expect(second.differing).toBe(1);
    expect(queue.items).toEqual([{ kind: 'eni', eniId: expect.stringMatching(/^eni-/) }]);
    await worker(sqsEvent(queue.items.map((i) => JSON.stringify(i))));
    expect(
      cloud
        .ownedSessions(OWNER)
        .map((s) => s.tags['fargate-mirror:task-arn'])
        .sort(),
    ).toEqual([a.taskArn, b.taskArn].sort());

    queue.items.length = 0;
    const third = await resync();
    expect(third.differing).toBe(0);
    expect(queue.items).toEqual([]);
    expect(metrics.gauges).toMatchObject({ sessionsInUse: 2, sessionsInAccount: 2, sessionQuota: 10000 });
    // Published at 0 too, so the alarm returns to OK.
    expect(third).toMatchObject({ covered: 2, uncovered: 0 });
    expect(metrics.gauges['uncoveredTasks']).toBe(0);
  });

  it('returns retryable failures as batch item failures, drops malformed messages with a count', async () => {
    const { cloud, reconciler } = setup();
    const t = cloud.addTask({ id: 'wk', service: 'web' });
    const metrics = new MemoryMetrics();
    const worker = createQueueWorkerHandler({ reconciler, metrics, log: silentLog });
    const original = cloud.createSession.bind(cloud);
    cloud.createSession = async () => {
      throw new AwsCallError('AWS_UNAVAILABLE', 'CreateTrafficMirrorSession', 'InternalError', {
        awsCode: 'InternalError',
      });
    };
    const item = JSON.stringify({ kind: 'task', taskArn: t.taskArn, clusterArn: t.clusterArn });
    const answer = await worker(sqsEvent([item, 'not json', JSON.stringify({ kind: 'task', taskArn: 'x' })]));
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect(metrics.counters['malformed']).toBe(2);
    cloud.createSession = original;
    expect(await worker(sqsEvent([item]))).toEqual({ batchItemFailures: [] });
    expect(cloud.ownedSessions(OWNER)).toHaveLength(1);
  });
});

describe('SDK error translation', () => {
  const sdkError = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  it('classifies throttling and 5xx as retryable, refusals and limits as terminal with their own code', () => {
    expect(translateAwsError('X', sdkError('RequestLimitExceeded', 503))).toMatchObject({
      code: 'AWS_THROTTLED',
      retryable: true,
    });
    expect(translateAwsError('X', sdkError('ThrottlingException', 400))).toMatchObject({
      code: 'AWS_THROTTLED',
    });
    expect(translateAwsError('X', sdkError('InternalError', 500))).toMatchObject({
      code: 'AWS_UNAVAILABLE',
      retryable: true,
    });
    expect(translateAwsError('X', sdkError('Whatever', 502))).toMatchObject({ code: 'AWS_UNAVAILABLE' });
    expect(translateAwsError('X', sdkError('NetworkInterfaceNotSupported', 400))).toMatchObject({
      code: 'SOURCE_NOT_SUPPORTED',
      retryable: false,
      awsCode: 'NetworkInterfaceNotSupported',
    });
    expect(translateAwsError('X', sdkError('TrafficMirrorSessionsPerInterfaceLimitExceeded', 400)).code).toBe(
      'ENI_SESSION_LIMIT',
    );
    expect(translateAwsError('X', sdkError('InvalidNetworkInterfaceID.NotFound', 400)).code).toBe(
      'ENI_NOT_FOUND',
    );
    expect(translateAwsError('X', sdkError('UnauthorizedOperation', 403)).code).toBe('AWS_ACCESS_DENIED');
    expect(translateAwsError('X', sdkError('InvalidParameterValue', 400))).toMatchObject({
      code: 'AWS_REQUEST_FAILED',
      retryable: false,
    });
  });
});
