// fargate-mirror's controller deployed as packages/cdk's TaskMirroring deploys it, in one process:
// the task-event function behind EventBridge (async invoke, 2 retries, 1-minute timeout, its own
// SDK clients and caches per container), and the scheduled resync that queues one work item per
// differing key on a FIFO queue drained by a worker function (batch 10, maximum concurrency 2, four
// items at once per batch, failed items back after the 12-minute visibility timeout, dead-lettered
// after 5 receives). SDK clients are the ones `createAwsClients` makes (adaptive retries, 8
// attempts), on the run's time scale.
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  createQueueWorkerHandler,
  createResyncHandler,
  createTaskEventHandler,
  DEFAULT_SHARE_HOLD_MS,
  Ec2Adapter,
  Ec2Pacing,
  type Ec2Port,
  EcsAdapter,
  ec2RateOf,
  type LogPort,
  MemoryMetrics,
  MemoryRefusalCache,
  MemoryWorkQueue,
  paceEc2Client,
  parseConfig,
  Reconciler,
  type ResyncSummary,
  type WorkItem,
} from '@fargate-mirror/controller';
import { AsyncLambda, type LambdaStats } from './lambda-model.ts';
import { QueueLambda } from './queue-model.ts';
import { type Meter, meterClient } from './sdk-meter.ts';
import { scaledAdaptiveRetry, scaledStandardRetry, type TimeScale } from './time-scale.ts';
import { CREDENTIALS, REGION, type World } from './world.ts';

export const OWNER = 'bench';
const SDK_MAX_ATTEMPTS = 8;
const WORKER_CONCURRENCY = 2;
const WORKER_BATCH = 10;
const VISIBILITY_TIMEOUT_MS = 12 * 60_000;
const MAX_RECEIVES = 5;

const quiet: LogPort = { debug() {}, info() {}, warn() {}, error() {} };

interface Container {
  readonly reconciler: Reconciler;
  work(
    records: { messageId: string; body: string }[],
  ): Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  handleEvent(event: unknown): Promise<void>;
  destroy(): void;
}

export interface ResyncRun {
  readonly summary: ResyncSummary;
  /** Emulated ms reading everything and queueing the differing keys. */
  readonly planMs: number;
  /** Emulated ms until the workers emptied the queue. */
  readonly drainMs: number;
  readonly workItems: number;
  readonly redelivered: number;
  readonly deadLettered: number;
}

/** How task events reach the controller: through the task-event queue (as packages/cdk deploys), or `direct` (one async invocation per event, the earlier deployment). */
export type EventPath = 'queue' | 'direct';

/** Event queue settings as packages/cdk's TaskMirroring sets them. */
export const EVENT_QUEUE = {
  batchSize: 100,
  windowMs: 5_000,
  concurrency: 2,
  timeoutMs: 5 * 60_000,
  visibilityTimeoutMs: 30 * 60_000,
  maxReceives: 5,
} as const;

export interface ControllerDeployment {
  readonly events: { idle(): Promise<void>; readonly stats: LambdaStats };
  /** The task-event queue's own counters (queue path only). */
  readonly queue: QueueLambda<Container> | undefined;
  readonly metrics: MemoryMetrics;
  /** Statuses the task-event handler answered, by status. */
  readonly statuses: Record<string, number>;
  /** Successful creates: ENI and emulated time. */
  readonly created: { eniId: string; at: number }[];
  onEvent(event: unknown): void;
  resync(): Promise<ResyncRun>;
  close(): void;
}

/** The adapter, recording when each create succeeded (the session exists from then on). */
function recordingEc2(inner: Ec2Port, created: { eniId: string; at: number }[], scale: TimeScale): Ec2Port {
  return {
    listSessions: (filter) => inner.listSessions(filter),
    async createSession(spec, token) {
      const answer = await inner.createSession(spec, token);
      created.push({ eniId: spec.eniId, at: scale.now() });
      return answer;
    },
    deleteSession: (id) => inner.deleteSession(id),
    primaryEnis: (ids) => inner.primaryEnis(ids),
  };
}

/**
 * `eventConcurrency`: the task-event function's reserved concurrency; packages/cdk reserves none,
 * so Lambda's account limit (1,000) applies.
 */
/** A port whose calls fail once its sandbox was killed (Lambda ends a timed-out invocation). */
function killable<T extends object>(port: T, killed: () => boolean): T {
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        killed() ? Promise.reject(new Error('sandbox killed')) : value.apply(target, args);
    },
  });
}

export function deployController(
  world: World,
  scale: TimeScale,
  meter: Meter,
  eventConcurrency = 1000,
  pacing: 'container' | 'shared' | 'off' = 'container',
  eventPath: EventPath = 'queue',
  /** The event source mapping's batch size, when not packages/cdk's (experiments). */
  eventBatch?: number,
): ControllerDeployment {
  const config = parseConfig({
    owner: OWNER,
    target: world.targetId,
    filter: world.filterId,
    // This world's aws-local accepts task ENIs as sources (the storm measures sessions), so nothing is predicted refused.
    predictRefusals: false,
  });
  const metrics = new MemoryMetrics();
  const created: { eniId: string; at: number }[] = [];
  const statuses: Record<string, number> = {};
  const all: Container[] = [];

  // EC2's published buckets with the refill scaled as aws-local's (time-scale.ts).
  // On the queue path each worker sandbox holds its share of the buckets' capacity and refills at the
  // whole rate until throttled, then at its share (FARGATE_MIRROR_EC2_WRITERS, pacing.ts).
  const writers = eventPath === 'queue' ? EVENT_QUEUE.concurrency : 1;
  const scaledPacing = () =>
    new Ec2Pacing({
      writers,
      shareHoldMs: scale.real(DEFAULT_SHARE_HOLD_MS),
      rateOf: (action) => {
        const r = ec2RateOf(action);
        return { capacity: r.capacity, refillPerSecond: r.refillPerSecond * scale.speed };
      },
    });
  const processPacing = scaledPacing();
  const makeContainer = (): Container => {
    const common = { endpoint: world.url, region: REGION, credentials: CREDENTIALS };
    // As runtime.ts: the queue worker paces itself and retries `standard`; per-event sandboxes `adaptive`.
    const retry = () =>
      eventPath === 'queue'
        ? scaledStandardRetry(scale.speed, SDK_MAX_ATTEMPTS)
        : scaledAdaptiveRetry(scale.speed, SDK_MAX_ATTEMPTS);
    const ec2 = new EC2Client({ ...common, retryStrategy: retry() });
    const ecs = new ECSClient({ ...common, retryStrategy: retry() });
    // A Lambda sandbox is a process: 'container' gives each its own buckets, as createAwsClients does.
    if (pacing !== 'off') paceEc2Client(ec2, pacing === 'shared' ? processPacing : scaledPacing());
    meterClient(ec2, meter, scale);
    meterClient(ecs, meter, scale);
    let killed = false;
    const isKilled = () => killed;
    const reconciler = new Reconciler({
      ec2: killable(recordingEc2(new Ec2Adapter(ec2), created, scale), isKilled),
      ecs: killable(new EcsAdapter(ecs), isKilled),
      config,
      refusals: new MemoryRefusalCache({ ttlMs: config.refusalCacheTtlMs }),
      log: quiet,
      now: scale.now,
      readAfterWriteDelayMs: scale.real(250),
      visibilityWaitMs: scale.real(10_000),
    });
    const handler = createTaskEventHandler({ reconciler, metrics, log: quiet });
    const worker = createQueueWorkerHandler({
      reconciler,
      metrics,
      log: quiet,
      requeue: {
        async send(items) {
          for (const item of items) queue?.send(JSON.stringify(item));
          return { sent: items.length, failed: [] };
        },
      },
    });
    const container = {
      reconciler,
      work: (records: { messageId: string; body: string }[]) => worker({ Records: records }),
      async handleEvent(event: unknown) {
        const report = await handler(event);
        statuses[report.status] = (statuses[report.status] ?? 0) + 1;
      },
      destroy() {
        killed = true;
        ec2.destroy();
        ecs.destroy();
      },
    };
    all.push(container);
    return container;
  };

  let queue: QueueLambda<Container> | undefined;
  const direct = new AsyncLambda<Container, unknown>({
    makeContainer,
    dispose: (c) => c.destroy(),
    run: (c, event) => c.handleEvent(event),
    scale,
    timeoutMs: 60_000,
    retryAttempts: 2,
    maxConcurrency: eventConcurrency,
  });
  if (eventPath === 'queue') {
    queue = new QueueLambda<Container>({
      ...EVENT_QUEUE,
      ...(eventBatch !== undefined ? { batchSize: eventBatch } : {}),
      makeContainer,
      dispose: (c) => c.destroy(),
      run: (c, records) => c.work(records),
      scale,
    });
  }
  const q = queue;
  const events = q
    ? {
        idle: () => q.idle(),
        get stats(): LambdaStats {
          const s = q.stats;
          return {
            invocations: s.invocations,
            containers: s.containers,
            peakConcurrency: EVENT_QUEUE.concurrency,
            failedInvocations: s.timeouts,
            timeouts: s.timeouts,
            retries: s.redelivered,
            deadLettered: s.deadLettered,
          };
        },
      }
    : direct;
  const workers = Array.from({ length: WORKER_CONCURRENCY }, makeContainer);

  async function drain(items: readonly WorkItem[]): Promise<{ redelivered: number; deadLettered: number }> {
    let seq = 0;
    const ready = items.map((item) => ({ id: `m-${seq++}`, item, receives: 0 }));
    let delayed = 0;
    let redelivered = 0;
    let deadLettered = 0;
    const handlers = workers.map((w) =>
      createQueueWorkerHandler({ reconciler: w.reconciler, metrics, log: quiet }),
    );
    await Promise.all(
      handlers.map(async (handle) => {
        for (;;) {
          const batch = ready.splice(0, WORKER_BATCH);
          if (batch.length === 0) {
            if (delayed === 0) return;
            await scale.sleep(1000);
            continue;
          }
          for (const m of batch) m.receives++;
          const answer = await handle({
            Records: batch.map((m) => ({ messageId: m.id, body: JSON.stringify(m.item) })),
          });
          for (const f of answer.batchItemFailures) {
            const m = batch.find((b) => b.id === f.itemIdentifier);
            if (!m) continue;
            if (m.receives >= MAX_RECEIVES) {
              deadLettered++;
              continue;
            }
            redelivered++;
            delayed++;
            void scale.sleep(VISIBILITY_TIMEOUT_MS).then(() => {
              delayed--;
              ready.push(m);
            });
          }
        }
      }),
    );
    return { redelivered, deadLettered };
  }

  return {
    events,
    queue,
    metrics,
    statuses,
    created,
    onEvent: (event) => (q ? q.send(JSON.stringify(event)) : direct.invoke(event)),
    async resync() {
      const container = makeContainer();
      const queue = new MemoryWorkQueue();
      const started = scale.now();
      const summary = await createResyncHandler({
        reconciler: container.reconciler,
        queue,
        metrics,
        log: quiet,
      })();
      const planned = scale.now();
      const { redelivered, deadLettered } = await drain(queue.items);
      container.destroy();
      return {
        summary,
        planMs: planned - started,
        drainMs: scale.now() - planned,
        workItems: queue.items.length,
        redelivered,
        deadLettered,
      };
    },
    close() {
      queue?.stop();
      for (const c of all) c.destroy();
    },
  };
}
