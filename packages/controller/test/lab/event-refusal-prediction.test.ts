/**
 * Issue 16 item 4, the event path: against aws-local (taskEniSources reject, as AWS documents) with
 * the real SDK, a task event of a Fargate task (requester-managed task ENI) is planned unmirrorable
 * from DescribeNetworkInterfaces, by the single-event handler and by the batching queue worker
 * alike, and CreateTrafficMirrorSession is never called (aws-local's request counters). Before, the
 * event path asked AWS once per task and only learned the refusal from its error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/core/types.js';
import { createQueueWorkerHandler } from '../../src/lambda/queue-worker-handler.js';
import { createTaskEventHandler } from '../../src/lambda/task-event-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import { silentLog } from '../../src/log.js';
import {
  allSessions,
  awsCli,
  createFargateService,
  createTargetAndFilter,
  type Env,
  type LiveTask,
  reconcilerFor,
  registerFargateFamily,
  requireAwsCli,
  startEnv,
  tasksOf,
  waitForRunning,
} from '../support/aws-local-env.js';
import { taskEvent } from '../support/events.js';

const OWNER = 'shop-prod';

/** What the event builder needs of a task, from ECS's answer. */
function view(t: LiveTask): TaskView {
  return {
    taskArn: t.taskArn,
    clusterArn: t.clusterArn,
    clusterName: 'shop',
    group: t.group,
    serviceName: t.group.replace(/^service:/, ''),
    family: 'web',
    launchType: 'FARGATE',
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    tags: {},
    network: { kind: 'task-eni', eniId: t.eniId, attachmentStatus: 'ATTACHED' },
  };
}

describe('task events: refused task ENIs are predicted before any create', () => {
  let env: Env;
  let ids: { target: string; filter: string };
  let tasks: LiveTask[];

  beforeAll(async () => {
    requireAwsCli();
    env = await startEnv({});
    ids = await createTargetAndFilter(env);
    await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    await createFargateService(env, 'shop', 'web', 3, 'web');
    await waitForRunning(env, 'shop', 3);
    tasks = await tasksOf(env, 'shop');
    // Set-up is a dozen AWS CLI runs: on a loaded machine (the shared CI host) it can pass the default.
  }, 300_000);

  afterAll(async () => {
    await env?.close();
  });

  const requests = (api: string) =>
    (env.aws.control.summary()['counters'] as { requests: Record<string, number> }).requests[api] ?? 0;
  const config = () => ({ owner: OWNER, target: ids.target, filter: ids.filter });

  it('the task-event handler: unmirrorable, predicted, one DescribeNetworkInterfaces, no create', async () => {
    const task = tasks[0] as LiveTask;
    const handle = createTaskEventHandler({
      reconciler: reconcilerFor(env, config()),
      metrics: new MemoryMetrics(),
      log: silentLog,
    });
    const enisRead = requests('DescribeNetworkInterfaces');
    const report = await handle(taskEvent(view(task), { lastStatus: 'RUNNING', version: 3 }));
    expect(report.status).toBe('reconciled');
    const [eni] = report.result?.enis ?? [];
    expect(eni?.outcome).toBe('unmirrorable');
    expect(eni?.unmirrorable?.reason).toMatch(
      /^AWS refuses eni-[0-9a-f]+ as a mirror source \(predicted from DescribeNetworkInterfaces; CreateTrafficMirrorSession not called\): eni-[0-9a-f]+ is requester-managed/,
    );
    expect(requests('DescribeNetworkInterfaces') - enisRead).toBe(1);
    expect(requests('CreateTrafficMirrorSession')).toBe(0);
  });

  it('the queue worker: a batch of every task event, one DescribeNetworkInterfaces, no create', async () => {
    const metrics = new MemoryMetrics();
    const worker = createQueueWorkerHandler({
      reconciler: reconcilerFor(env, config()),
      metrics,
      log: silentLog,
    });
    const bodies = tasks.flatMap((t) => [
      taskEvent(view(t), { lastStatus: 'PENDING', version: 2 }),
      taskEvent(view(t), { lastStatus: 'RUNNING', version: 3 }),
    ]);
    const enisRead = requests('DescribeNetworkInterfaces');
    const answer = await worker({
      Records: bodies.map((b, i) => ({
        messageId: `m${i}`,
        body: JSON.stringify(b),
        eventSource: 'aws:sqs',
      })),
    });
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(metrics.counters).toMatchObject({ unmirrorable: 3 });
    expect(metrics.counters['created'] ?? 0).toBe(0);
    expect(requests('DescribeNetworkInterfaces') - enisRead).toBe(1);
    expect(requests('CreateTrafficMirrorSession')).toBe(0);
    expect(await allSessions(env)).toEqual([]);
  });

  it('without prediction (predictRefusals: false) the same event asks AWS once and learns the refusal', async () => {
    const handle = createTaskEventHandler({
      reconciler: reconcilerFor(env, { ...config(), predictRefusals: false }),
      metrics: new MemoryMetrics(),
      log: silentLog,
    });
    const report = await handle(taskEvent(view(tasks[0] as LiveTask), { lastStatus: 'RUNNING', version: 3 }));
    expect(report.result?.enis[0]?.outcome).toBe('unmirrorable');
    expect(report.result?.enis[0]?.unmirrorable?.reason).toMatch(
      /^AWS refused a session on eni-[0-9a-f]+: NetworkInterfaceNotSupported/,
    );
    expect(requests('CreateTrafficMirrorSession')).toBe(1);
  });
});
