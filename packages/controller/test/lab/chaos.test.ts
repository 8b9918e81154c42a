/**
 * Chaos: a hundred tasks start and stop on aws-local while its events are duplicated, lost and
 * reordered, its API answers with injected 5xx and throttling (on top of EC2's token buckets),
 * and two independent handler "containers" work the events concurrently with Lambda-style
 * retries. After one resync the state must be exact: one owned session per running task, no
 * duplicate, no orphan, and the coverage report agrees.
 */
import { CreateServiceCommand, StopTaskCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { EcsEvent } from '@fargate-mirror/aws-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageOf } from '../../src/coverage.js';
import { createTaskEventHandler } from '../../src/lambda/task-event-handler.js';
import { MemoryMetrics } from '../../src/lambda/telemetry.js';
import type { Reconciler } from '../../src/reconcile/reconciler.js';
import {
  allSessions,
  awsCli,
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
} from '../support/aws-local-env.js';

const OWNER = 'shop-prod';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chaos: duplicated, lost, reordered events; 5xx and throttling; concurrent handlers', () => {
  let env: Env;

  beforeAll(async () => {
    requireAwsCli();
    env = await startEnv({ taskEniSources: 'accept', seed: 20240501 });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('converges to exactly one owned session per running task after the next resync', {
    timeout: 300_000,
  }, async () => {
    // Prepare: target, filter, cluster and task definition, made as a user would.
    const ids = await createTargetAndFilter(env);
    await awsCli(env.aws.url, ['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(env, 'web');
    const config = { owner: OWNER, target: ids.target, filter: ids.filter, select: { clusters: ['shop'] } };
    const containers: Reconciler[] = [reconcilerFor(env, config, true), reconcilerFor(env, config, true)];
    const metrics = new MemoryMetrics();
    const handlers = containers.map((reconciler) =>
      createTaskEventHandler({ reconciler, metrics, log: silent }),
    );
    const inflight = new Set<Promise<void>>();
    let deadLettered = 0;
    let delivered = 0;
    // At most 16 invocations at once (Lambda's reserved concurrency), the rest wait their turn.
    let busy = 0;
    const waiting: (() => void)[] = [];
    const slot = async () => {
      if (busy >= 16) await new Promise<void>((r) => waiting.push(r));
      busy++;
    };
    const release = () => {
      busy--;
      waiting.shift()?.();
    };
    // Lambda's async invoke: a throw is retried twice, then the event goes to the dead-letter queue.
    const invoke = (event: EcsEvent) => {
      delivered++;
      const p = (async () => {
        await slot();
        try {
          await attempts(event);
        } finally {
          release();
        }
      })();
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    };
    const attempts = async (event: EcsEvent) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const handler = handlers[Math.floor(Math.random() * handlers.length)];
        try {
          await handler?.(event);
          return;
        } catch {
          await sleep(50 * (attempt + 1));
        }
      }
      deadLettered++;
    };
    const unsubscribe = env.aws.onEvent(invoke);
    env.aws.setFaults({
      eventDuplicateRate: 0.2,
      eventLossRate: 0.15,
      eventReorderRate: 0.2,
      apiErrorRate: 0.03,
      apiThrottleRate: 0.02,
    });
    const subnets = env.subnetIds.slice(0, 2);
    const service = (name: string, desiredCount: number) =>
      env.clients.ecs.send(
        new CreateServiceCommand({
          cluster: 'shop',
          serviceName: name,
          taskDefinition: 'web',
          desiredCount,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets } },
        }),
      );

    // Act: a deploy storm, a scale-in, a scale-out, and tasks stopped by hand.
    await service('web', 60);
    await service('api', 40);
    await waitForRunning(env, 'shop', 100, 120_000);
    await env.clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'shop', service: 'web', desiredCount: 25 }),
    );
    await env.clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'shop', service: 'api', desiredCount: 55 }),
    );
    const api = (await tasksOf(env, 'shop')).filter(
      (t) => t.group === 'service:api' && t.lastStatus === 'RUNNING',
    );
    for (const t of api.slice(0, 5)) {
      await env.clients.ecs.send(new StopTaskCommand({ cluster: 'shop', task: t.taskArn, reason: 'chaos' }));
    }
    await waitForStopped(env, 'shop', 120_000);
    await waitForRunning(env, 'shop', 80, 120_000);
    await env.aws.control.flushEvents();
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
    // The event rule is down for a while: ten new tasks and three stops nobody hears about.
    unsubscribe();
    await env.clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'shop', service: 'api', desiredCount: 65 }),
    );
    const web = (await tasksOf(env, 'shop')).filter((t) => t.group === 'service:web');
    for (const t of web.slice(0, 3))
      await env.clients.ecs.send(new StopTaskCommand({ cluster: 'shop', task: t.taskArn }));
    await waitForStopped(env, 'shop', 120_000);
    const running = await waitForRunning(env, 'shop', 90, 120_000);

    // Events were lost, so sessions may be missing or left over; the scheduled resync fixes that.
    const eventCounters = env.aws.control.summary()['events'] as Record<string, number>;
    const resync = await containers[0]!.resync();
    const failed = resync.results.filter((r) => r.outcome === 'failed');

    // Assess: the end state, exactly.
    expect(failed, JSON.stringify(failed.map((f) => f.error))).toEqual([]);
    expect(resync.tally.created).toBeGreaterThanOrEqual(10);
    const sessions = owned(await allSessions(env), OWNER);
    const byEni = new Map<string, number>();
    for (const s of sessions) byEni.set(s.eniId, (byEni.get(s.eniId) ?? 0) + 1);
    for (const t of running) expect(byEni.get(t.eniId ?? ''), `task ${t.taskArn}`).toBe(1);
    expect(sessions).toHaveLength(running.length);
    for (const s of sessions) {
      const task = running.find((t) => t.eniId === s.eniId);
      expect(task, `orphan ${s.sessionId}`).toBeDefined();
      expect(s.tags['fargate-mirror:task-arn']).toBe(task?.taskArn);
    }
    const after = await containers[1]!.plan();
    expect(after.workItems).toEqual([]);
    const coverage = coverageOf(after, OWNER);
    expect(coverage.summary).toMatchObject({ selected: 90, mirrored: 90, missing: 0, leftoverSessions: 0 });
    // The chaos really happened (not a timing assertion: counts of what the emulator injected).
    expect(delivered).toBeGreaterThan(100);
    expect(Object.values(eventCounters).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const counters = env.aws.control.summary()['counters'] as {
      injectedErrors: number;
      injectedThrottles: number;
    };
    expect(counters.injectedErrors + counters.injectedThrottles).toBeGreaterThan(0);
    console.info(
      `chaos: ${delivered} deliveries, ${deadLettered} dead-lettered, events ${JSON.stringify(eventCounters)}, ` +
        `handler metrics ${JSON.stringify(metrics.counters)}, resync fixed ${JSON.stringify(resync.tally)}, ` +
        `injected ${JSON.stringify(counters)}`,
    );
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
