import { isControllerError } from '../errors.js';
import type { LogPort } from '../log.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import { mapLimit } from '../util/map-limit.js';
import { parseWorkItem } from '../work-item.js';
import {
  ALARM_METRICS,
  countTerminalError,
  keyReport,
  recordTallyOf,
  retryableFailure,
  terminalFailures,
} from './handler-support.js';
import type { MetricsPort } from './telemetry.js';

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
  /** Work items reconciled at once within one batch. @default 4 */
  readonly concurrency?: number;
}

/**
 * Works the resync queue. A retryable failure returns the message (retried, then dead-lettered by
 * the queue's redrive policy); terminal ones are logged and counted; malformed messages are
 * dropped with a count, since retrying cannot fix them.
 */
export function createQueueWorkerHandler(
  deps: QueueWorkerDeps,
): (event: SqsEventLike) => Promise<BatchResponse> {
  const { reconciler, metrics, log } = deps;
  return async (event) => {
    const failures: { itemIdentifier: string }[] = [];
    await mapLimit(event.Records, deps.concurrency ?? 4, async (record) => {
      let item: ReturnType<typeof parseWorkItem>;
      try {
        item = parseWorkItem(record.body);
      } catch (error) {
        metrics.count('malformed');
        log.warn('malformed work item dropped', { messageId: record.messageId, error: String(error) });
        return;
      }
      try {
        const result = await reconciler.reconcile(item);
        recordTallyOf(metrics, [result]);
        const retry = retryableFailure(result);
        if (retry) {
          failures.push({ itemIdentifier: record.messageId });
          log.warn('work item will be retried', { messageId: record.messageId, ...retry });
          return;
        }
        const terminal = terminalFailures(result);
        if (terminal.length > 0) {
          metrics.count(ALARM_METRICS.terminalFailures, terminal.length);
          log.error('work item failed (terminal, recorded)', {
            messageId: record.messageId,
            failures: terminal,
            report: keyReport(result),
          });
          return;
        }
        log.info('work item reconciled', { messageId: record.messageId, report: keyReport(result) });
      } catch (error) {
        metrics.count('failed');
        if (isControllerError(error) && !error.retryable) {
          countTerminalError(metrics, error.code);
          log.error('work item failed (terminal, recorded)', {
            messageId: record.messageId,
            code: error.code,
            error: error.message,
          });
          return;
        }
        failures.push({ itemIdentifier: record.messageId });
        log.warn('work item will be retried', { messageId: record.messageId, error: String(error) });
      }
    });
    metrics.flush();
    return { batchItemFailures: failures };
  };
}
