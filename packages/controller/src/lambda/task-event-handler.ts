import { selectionNeedsTags, selectTask } from '../core/selection.js';
import { ControllerError, isControllerError } from '../errors.js';
import type { LogPort } from '../log.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import {
  ALARM_METRICS,
  countRetryableFailure,
  countTerminalError,
  type KeyReport,
  keyReport,
  recordTallyOf,
  retryableFailure,
  terminalFailures,
} from './handler-support.js';
import { parseTaskEvent } from './task-event.js';
import type { MetricsPort } from './telemetry.js';
import { VersionMemory } from './version-memory.js';

/** `failed`: a terminal failure (e.g. CLUSTER_NOT_FOUND), recorded and not retried. */
export type TaskEventStatus =
  | 'reconciled'
  | 'failed'
  | 'not-selected'
  | 'duplicate'
  | 'stale'
  | 'ignored'
  | 'malformed';

export interface TaskEventReport {
  readonly status: TaskEventStatus;
  readonly taskArn: string | undefined;
  readonly version: number | undefined;
  readonly reason: string | undefined;
  readonly result: KeyReport | undefined;
}

export interface TaskEventHandlerDeps {
  readonly reconciler: Reconciler;
  readonly metrics: MetricsPort;
  readonly log: LogPort;
  readonly versions?: VersionMemory;
}

/**
 * Handles `ECS Task State Change` events. An event is only a key: the task is re-read and
 * reconciled, whatever the event says. Duplicates and late copies (by `detail.version`) are
 * skipped, events of unselected tasks dropped without AWS calls when the selection does not
 * depend on task tags, malformed events counted and explained. Retryable failures are thrown so
 * Lambda retries the event (then its dead-letter queue); terminal ones are recorded.
 */
export function createTaskEventHandler(
  deps: TaskEventHandlerDeps,
): (event: unknown) => Promise<TaskEventReport> {
  const versions = deps.versions ?? new VersionMemory();
  const { reconciler, metrics, log } = deps;
  const selection = reconciler.config.selection;
  return async (event) => {
    const none = { taskArn: undefined, version: undefined, result: undefined };
    let parsed: ReturnType<typeof parseTaskEvent>;
    try {
      parsed = parseTaskEvent(event);
    } catch (error) {
      const reason = isControllerError(error) ? `${error.code}: ${error.message}` : String(error);
      metrics.count('malformed');
      log.warn('malformed event', { reason });
      metrics.flush();
      return { status: 'malformed', reason, ...none };
    }
    if (parsed.kind === 'ignored') {
      metrics.count('ignored');
      log.info('event ignored', { reason: parsed.reason });
      metrics.flush();
      return { status: 'ignored', reason: parsed.reason, ...none };
    }
    const { taskArn, clusterArn, version, hint } = parsed.event;
    const seen = versions.classify(taskArn, version);
    if (seen !== 'new') {
      metrics.count(seen);
      log.debug('event skipped', { taskArn, version, seen });
      metrics.flush();
      return {
        status: seen,
        taskArn,
        version,
        reason: `version ${version} already handled`,
        result: undefined,
      };
    }
    if (!selectionNeedsTags(selection)) {
      // Cluster, group, family and launch type never change for a task: the event's copy is good.
      const decision = selectTask(hint, selection);
      if (!decision.selected) {
        metrics.count('notSelected');
        versions.remember(taskArn, version);
        metrics.flush();
        return { status: 'not-selected', taskArn, version, reason: decision.reason, result: undefined };
      }
    }
    let result: Awaited<ReturnType<Reconciler['reconcileTask']>>;
    try {
      result = await reconciler.reconcileTask(taskArn, clusterArn);
    } catch (error) {
      metrics.count('failed');
      const code = isControllerError(error) ? error.code : 'UNEXPECTED';
      if (isControllerError(error) && !error.retryable) countTerminalError(metrics, code);
      metrics.flush();
      if (isControllerError(error) && !error.retryable) {
        log.error('task reconcile failed (terminal, recorded)', {
          taskArn,
          version,
          code,
          error: error.message,
        });
        return {
          status: 'failed',
          taskArn,
          version,
          reason: `${code}: ${error.message}`,
          result: undefined,
        };
      }
      countRetryableFailure(metrics, code);
      metrics.flush();
      log.error('task reconcile failed; the event will be retried', {
        taskArn,
        version,
        code,
        error: String(error),
      });
      throw error;
    }
    const report = keyReport(result);
    recordTallyOf(metrics, [result]);
    const terminal = terminalFailures(result);
    if (terminal.length > 0) metrics.count(ALARM_METRICS.terminalFailures, terminal.length);
    metrics.flush();
    const retry = retryableFailure(result);
    if (retry) {
      countRetryableFailure(metrics, retry.code);
      metrics.flush();
      log.error('task reconcile failed; the event will be retried', { taskArn, version, ...retry });
      throw new ControllerError(retry.code, `${taskArn}: ${retry.message}`);
    }
    if (terminal.length > 0) {
      log.error('task reconcile failed (terminal, recorded)', {
        taskArn,
        version,
        failures: terminal,
        report,
      });
      versions.remember(taskArn, version);
      return {
        status: 'failed',
        taskArn,
        version,
        reason: terminal.map((f) => `${f.eniId}: ${f.code}: ${f.message}`).join('; '),
        result: report,
      };
    }
    log.info('task reconciled', { taskArn, version, lastStatus: hint.lastStatus, report });
    versions.remember(taskArn, version);
    return { status: 'reconciled', taskArn, version, reason: undefined, result: report };
  };
}
