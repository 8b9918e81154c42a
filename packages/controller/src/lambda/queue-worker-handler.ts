import { selectionNeedsTags, selectTask } from '../core/selection.js';
import { type ControllerErrorCode, isControllerError } from '../errors.js';
import type { LogPort } from '../log.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import { type WorkItem, workItemKey } from '../work-item.js';
import {
  ALARM_METRICS,
  countRetryableFailure,
  countTerminalError,
  keyReport,
  recordTallyOf,
  retryableFailure,
  terminalFailures,
} from './handler-support.js';
import { parseQueueRecord } from './queue-record.js';
import type { MetricsPort } from './telemetry.js';
import type { WorkQueue } from './work-queue.js';

export interface SqsRecordLike {
  readonly messageId: string;
  readonly body: string;
}

export interface SqsEventLike {
  readonly Records: readonly SqsRecordLike[];
}

/** Lambda's partial batch response: only these messages return to the queue. */
export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export interface QueueWorkerDeps {
  readonly reconciler: Reconciler;
  readonly metrics: MetricsPort;
  readonly log: LogPort;
  /**
   * Where a key that was throttled beyond the SDK's retries goes back as a new message, instead of
   * returning its message (whose receive count would end in the dead-letter queue: throttling is
   * never a reason to give up on a task). Without it, throttled keys are returned like other
   * retryable failures.
   */
  readonly requeue?: WorkQueue;
}

/**
 * Works a batch of the worker's queues: resync work items and ECS task events alike. Every message
 * is only a key; the batch is coalesced per key (a task's PENDING, RUNNING and duplicate events
 * become one reconcile) and reconciled with shared reads (`Reconciler.reconcileBatch`). A retryable
 * failure returns the key's messages (retried, then dead-lettered by the redrive policy), except
 * throttling, which is re-queued (see `requeue`); terminal ones are logged and counted; malformed
 * messages are dropped with a count, since retrying cannot fix them.
 */
export function createQueueWorkerHandler(
  deps: QueueWorkerDeps,
): (event: SqsEventLike) => Promise<BatchResponse> {
  const { reconciler, metrics, log } = deps;
  const selection = reconciler.config.selection;
  const eventPrecheck = !selectionNeedsTags(selection);
  return async (event) => {
    const failures: { itemIdentifier: string }[] = [];
    const byKey = new Map<string, { item: WorkItem; messageIds: string[] }>();
    for (const record of event.Records) {
      let parsed: ReturnType<typeof parseQueueRecord>;
      try {
        parsed = parseQueueRecord(record.body);
      } catch (error) {
        metrics.count('malformed');
        log.warn('malformed message dropped', { messageId: record.messageId, error: String(error) });
        continue;
      }
      if (parsed.kind === 'ignored') {
        metrics.count('ignored');
        continue;
      }
      if (parsed.hint && eventPrecheck && !selectTask(parsed.hint, selection).selected) {
        // Cluster, group, family and launch type never change for a task: the event's copy is good.
        metrics.count('notSelected');
        continue;
      }
      const key = workItemKey(parsed.item);
      const entry = byKey.get(key);
      if (entry) {
        entry.messageIds.push(record.messageId);
        metrics.count('coalesced');
      } else byKey.set(key, { item: parsed.item, messageIds: [record.messageId] });
    }
    const keys = [...byKey.values()];
    const entries = await reconciler.reconcileBatch(keys.map((k) => k.item));
    const throttled: { item: WorkItem; messageIds: string[] }[] = [];
    const retry = (k: { item: WorkItem; messageIds: string[] }, code: ControllerErrorCode | undefined) => {
      countRetryableFailure(metrics, code);
      if (code === 'AWS_THROTTLED' && deps.requeue) throttled.push(k);
      else for (const id of k.messageIds) failures.push({ itemIdentifier: id });
    };
    entries.forEach((entry, i) => {
      const k = keys[i] as { item: WorkItem; messageIds: string[] };
      const key = workItemKey(k.item);
      if (entry.result === undefined) {
        const error = entry.error;
        metrics.count('failed');
        if (isControllerError(error) && !error.retryable) {
          countTerminalError(metrics, error.code);
          log.error('work item failed (terminal, recorded)', { key, code: error.code, error: error.message });
          return;
        }
        log.warn('work item will be retried', { key, error: String(error) });
        retry(k, isControllerError(error) ? error.code : undefined);
        return;
      }
      const result = entry.result;
      recordTallyOf(metrics, [result]);
      const retryable = retryableFailure(result);
      if (retryable) {
        log.warn('work item will be retried', { key, ...retryable });
        retry(k, retryable.code);
        return;
      }
      const terminal = terminalFailures(result);
      if (terminal.length > 0) {
        metrics.count(ALARM_METRICS.terminalFailures, terminal.length);
        log.error('work item failed (terminal, recorded)', {
          key,
          failures: terminal,
          report: keyReport(result),
        });
        return;
      }
      log.info('work item reconciled', { key, messages: k.messageIds.length, report: keyReport(result) });
    });
    if (throttled.length > 0 && deps.requeue) {
      const { failed } = await deps.requeue.send(throttled.map((k) => k.item));
      metrics.count('requeued', throttled.length - failed.length);
      const failedKeys = new Set(failed.map(workItemKey));
      for (const k of throttled)
        if (failedKeys.has(workItemKey(k.item)))
          for (const id of k.messageIds) failures.push({ itemIdentifier: id });
    }
    metrics.flush();
    return { batchItemFailures: failures };
  };
}
