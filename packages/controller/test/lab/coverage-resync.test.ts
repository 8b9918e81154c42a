/**
 * Issue 16 item 4 and issue 14 item 5, against aws-local (taskEniSources reject, as AWS documents)
 * with the real SDK: the scheduled resync, started fresh every time as each Lambda invocation may
 * be, predicts the refusal of Fargate task ENIs from DescribeNetworkInterfaces, queues nothing for
 * them, calls CreateTrafficMirrorSession never, and publishes how many selected tasks are not
 * covered (no session, no running forwarder sidecar).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResyncHandler } from '../../src/lambda/resync-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import { MemoryWorkQueue } from '../../src/lambda/work-queue.js';
import type { LogPort } from '../../src/log.js';
import {
  allSessions,
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

describe('resync: refused task ENIs are predicted, not re-queued, and uncovered tasks are a metric', () => {
  let env: Env;
  let ids: { target: string; filter: string };

  beforeAll(async () => {
    requireAwsCli();
    env = await startEnv({});
    ids = await createTargetAndFilter(env);
    await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    await awsCli(env.aws.url, [
      'ecs',
      'register-task-definition',
      '--family',
      'api',
      '--network-mode',
      'awsvpc',
      '--requires-compatibilities',
      'FARGATE',
      '--cpu',
      '512',
      '--memory',
      '1024',
      '--container-definitions',
      JSON.stringify([
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true },
        {
          name: 'fargate-mirror-forwarder',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fargate-mirror-forwarder:0.1.0',
          essential: false,
        },
      ]),
    ]);
    await createFargateService(env, 'shop', 'web', 1, 'web');
    await createFargateService(env, 'shop', 'api', 2, 'api');
    await waitForRunning(env, 'shop', 3);
  });

  afterAll(async () => {
    await env?.close();
  });

  const requests = (api: string) =>
    (env.aws.control.summary()['counters'] as { requests: Record<string, number> }).requests[api] ?? 0;

  /** One resync as a cold Lambda runs it: a new reconciler (empty refusal cache) each time. */
  async function coldResync() {
    const queue = new MemoryWorkQueue();
    const metrics = new MemoryMetrics();
    const warnings: { message: string; extra: Record<string, unknown>[] }[] = [];
    const log: LogPort = {
      debug() {},
      info() {},
      warn(message, ...extra) {
        warnings.push({ message, extra });
      },
      error() {},
    };
    const reconciler = reconcilerFor(env, { owner: OWNER, target: ids.target, filter: ids.filter });
    const summary = await createResyncHandler({ reconciler, queue, metrics, log })();
    return { summary, queue, metrics, warnings };
  }

  it('queues nothing for the refused ENIs, run after run, never calls Create, and counts the task without a sidecar as uncovered', async () => {
    for (let run = 0; run < 3; run++) {
      const { summary, queue, metrics, warnings } = await coldResync();
      expect(queue.items).toEqual([]);
      expect(summary).toMatchObject({ differing: 0, unmirrorable: 3, covered: 2, sidecar: 2, uncovered: 1 });
      expect(metrics.gauges).toMatchObject({
        uncoveredTasks: 1,
        sidecarCoveredTasks: 2,
        unmirrorableSources: 3,
      });
      const warning = warnings.find((w) => w.message === 'selected tasks not covered');
      const tasks = (warning?.extra[0] as { tasks: { state: string; why: string }[] } | undefined)?.tasks;
      expect(tasks).toHaveLength(1);
      expect(tasks?.[0]?.state).toBe('unmirrorable');
      expect(tasks?.[0]?.why).toMatch(
        /^not covered: AWS refuses eni-[0-9a-f]+ as a mirror source \(predicted/,
      );
    }
    expect(requests('CreateTrafficMirrorSession')).toBe(0);
    expect(await allSessions(env)).toEqual([]);
  });

  it('a stopped sidecar makes its task uncovered, with the exit code and reason', async () => {
    const api = (await tasksOf(env, 'shop')).filter((t) => t.group === 'service:api');
    expect(api).toHaveLength(2);
    const victim = api[0]?.taskArn ?? '';
    env.aws.control.stopContainer({
      taskArn: victim,
      containerName: 'fargate-mirror-forwarder',
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
    });
    const { summary, metrics, warnings, queue } = await coldResync();
    expect(queue.items).toEqual([]);
    expect(summary).toMatchObject({ covered: 1, sidecar: 1, uncovered: 2 });
    expect(metrics.gauges).toMatchObject({ uncoveredTasks: 2, sidecarCoveredTasks: 1 });
    const tasks = (
      warnings.find((w) => w.message === 'selected tasks not covered')?.extra[0] as
        | { tasks: { taskArn: string; state: string; why: string }[] }
        | undefined
    )?.tasks;
    const stopped = tasks?.find((t) => t.taskArn === victim);
    expect(stopped?.state).toBe('sidecar-stopped');
    expect(stopped?.why).toContain(
      'forwarder sidecar container fargate-mirror-forwarder is STOPPED, exit code 137, reason: OutOfMemoryError: Container killed due to memory usage',
    );
    expect(requests('CreateTrafficMirrorSession')).toBe(0);
  });
});
