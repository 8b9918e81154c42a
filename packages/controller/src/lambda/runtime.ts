import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAwsClients } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { EcsAdapter } from '../aws/ecs-adapter.js';
import { Ec2Pacing } from '../aws/pacing.js';
import { loadConfigFromEnv } from '../config.js';
import { MemoryRefusalCache } from '../core/refusals.js';
import { ConfigUnreadableError } from '../errors.js';
import { Reconciler } from '../reconcile/reconciler.js';
import { createQueueWorkerHandler, type SqsEventLike } from './queue-worker-handler.js';
import { createResyncHandler } from './resync-handler.js';
import { createTaskEventHandler } from './task-event-handler.js';
import { powertoolsMetrics } from './telemetry.js';
import { SqsWorkQueue } from './work-queue.js';

/**
 * Lambda entry points. Everything is built on the first invocation and kept for warm ones, so the
 * refusal cache and the event version memory live as long as the container. Deploy one function
 * with `handler` (it dispatches by event shape) to let the three paths share those caches.
 */
interface Runtime {
  taskEvent: (event: unknown) => Promise<unknown>;
  resync: (event?: unknown) => Promise<unknown>;
  worker: (event: SqsEventLike) => Promise<unknown>;
}

let runtime: Promise<Runtime> | undefined;

async function build(): Promise<Runtime> {
  const config = await loadConfigFromEnv(process.env);
  const logger = new Logger({ serviceName: 'fargate-mirror-controller' });
  const metrics = powertoolsMetrics(new Metrics({ namespace: 'FargateMirror', serviceName: 'controller' }));
  // The worker function runs up to FARGATE_MIRROR_EC2_WRITERS sandboxes at once (its event source's
  // maximum concurrency): each paces at that share of EC2's buckets, so together they stay under them.
  const writersEnv = process.env['FARGATE_MIRROR_EC2_WRITERS'];
  const writers = Number(writersEnv ?? '1');
  const clients = createAwsClients({
    region: config.region,
    // The batch worker paces itself; per-event sandboxes (no writer share) keep adaptive retries.
    retryMode: writersEnv === undefined ? 'adaptive' : 'standard',
    ec2Pacing: new Ec2Pacing({ writers: Number.isFinite(writers) && writers >= 1 ? writers : 1 }),
  });
  const reconciler = new Reconciler({
    ec2: new Ec2Adapter(clients.ec2),
    ecs: new EcsAdapter(clients.ecs),
    config,
    refusals: new MemoryRefusalCache({ ttlMs: config.refusalCacheTtlMs }),
    log: logger,
  });
  const queueUrl = config.queueUrl;
  const requeueUrl = process.env['FARGATE_MIRROR_EVENT_QUEUE_URL'] ?? queueUrl;
  return {
    taskEvent: createTaskEventHandler({ reconciler, metrics, log: logger }),
    resync: async (event) => {
      if (!queueUrl)
        throw new ConfigUnreadableError('the resync needs queueUrl (or FARGATE_MIRROR_QUEUE_URL)');
      return createResyncHandler({
        reconciler,
        queue: new SqsWorkQueue(clients.sqs, queueUrl),
        metrics,
        log: logger,
      })(event);
    },
    worker: createQueueWorkerHandler({
      reconciler,
      metrics,
      log: logger,
      // Throttled keys go back as new messages (never towards the dead-letter queue).
      ...(requeueUrl
        ? { requeue: new SqsWorkQueue(clients.sqs, requeueUrl, Date.now, { requeue: true }) }
        : {}),
    }),
  };
}

function get(): Promise<Runtime> {
  runtime ??= build().catch((error) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
}

/** Task events one per invocation, or a batch of them from the task-event queue (SQS). */
export const taskEventHandler = async (event: unknown) => {
  const rt = await get();
  const e = event as { Records?: { eventSource?: string }[] } | null;
  if (e?.Records?.[0]?.eventSource === 'aws:sqs') return rt.worker(event as SqsEventLike);
  return rt.taskEvent(event);
};
export const resyncHandler = async (event: unknown) => (await get()).resync(event);
export const queueWorkerHandler = async (event: SqsEventLike) => (await get()).worker(event);

/** One function for all three: SQS batches, scheduled events (or `{"action":"resync"}`), task events. */
export const handler = async (event: unknown): Promise<unknown> => {
  const rt = await get();
  const e = event as { Records?: { eventSource?: string }[]; 'detail-type'?: string; action?: string } | null;
  if (e?.Records?.[0]?.eventSource === 'aws:sqs') return rt.worker(event as SqsEventLike);
  if (e?.['detail-type'] === 'Scheduled Event' || e?.action === 'resync') return rt.resync(event);
  return rt.taskEvent(event);
};
