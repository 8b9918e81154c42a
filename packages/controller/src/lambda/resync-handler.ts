import { isOwnedBy } from '../core/plan.js';
import { coverageOf } from '../coverage.js';
import { isControllerError } from '../errors.js';
import type { LogPort } from '../log.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import { ALARM_METRICS, countTerminalError } from './handler-support.js';
import type { MetricsPort } from './telemetry.js';
import type { WorkQueue } from './work-queue.js';

export interface ResyncSummary {
  readonly tasksSeen: number;
  readonly desiredSources: number;
  readonly differing: number;
  readonly queued: number;
  readonly queueFailures: number;
  readonly unmirrorable: number;
  /** Selected running tasks mirrored by a session or covered by a running forwarder sidecar. */
  readonly covered: number;
  /** Selected running tasks whose traffic reaches nobody (refused and no sidecar, sidecar stopped, ...). */
  readonly uncovered: number;
  /** Of `covered`, the tasks covered by their forwarder sidecar. */
  readonly sidecar: number;
  readonly hidden: number;
  readonly sessionsOwned: number;
  readonly sessionsInAccount: number;
  readonly sessionQuota: number;
  /** Clusters of `select.clusters` ECS does not know; the others were read. */
  readonly missingClusters: readonly string[];
}

export interface ResyncHandlerDeps {
  readonly reconciler: Reconciler;
  readonly queue: WorkQueue;
  readonly metrics: MetricsPort;
  readonly log: LogPort;
}

/**
 * The scheduled resync: read everything, diff, queue one work item per differing key. It writes
 * nothing to EC2 itself, so it never has to finish the work within one invocation; the queue
 * workers do the writes, paced by the SDK's adaptive retries and the queue's concurrency.
 */
export function createResyncHandler(deps: ResyncHandlerDeps): (event?: unknown) => Promise<ResyncSummary> {
  return async () => {
    const { reconciler, queue, metrics, log } = deps;
    let plan: Awaited<ReturnType<Reconciler['plan']>>;
    try {
      plan = await reconciler.plan();
    } catch (error) {
      // A missing target or filter: nothing was planned or queued. Count it for the alarm and fail.
      if (isControllerError(error) && !error.retryable) {
        countTerminalError(metrics, error.code);
        metrics.flush();
        log.error('resync failed (terminal)', { code: error.code, error: error.message });
      }
      throw error;
    }
    const { failed, sent } = await queue.send(plan.workItems);
    const owned = plan.world.sessions.filter((s) => isOwnedBy(s, reconciler.settings.owner)).length;
    const coverage = coverageOf(plan, reconciler.settings.owner, reconciler.config.accountSessionQuota);
    const summary: ResyncSummary = {
      tasksSeen: plan.world.tasks.length,
      desiredSources: plan.desired.sources.size,
      differing: plan.workItems.length,
      queued: sent,
      queueFailures: failed.length,
      unmirrorable: plan.plans.filter((p) => p.unmirrorable && !p.keep).length,
      covered: coverage.summary.covered,
      uncovered: coverage.summary.uncovered,
      sidecar: coverage.summary.sidecar,
      hidden: plan.plans.filter((p) => p.hiddenBy.length > 0).length,
      sessionsOwned: owned,
      sessionsInAccount: plan.world.sessions.length,
      sessionQuota: reconciler.config.accountSessionQuota,
      missingClusters: plan.world.missingClusters,
    };
    if (summary.missingClusters.length > 0) {
      metrics.gauge(ALARM_METRICS.clustersNotFound, summary.missingClusters.length);
      log.warn('clusters not found; the others were resynced', { clusters: summary.missingClusters });
    }
    metrics.gauge('drift', summary.differing);
    metrics.gauge('sessionsInUse', summary.sessionsOwned);
    metrics.gauge('sessionsInAccount', summary.sessionsInAccount);
    metrics.gauge('sessionQuota', summary.sessionQuota);
    metrics.gauge(
      'sessionQuotaUsedPercent',
      Math.round((100 * summary.sessionsInAccount) / summary.sessionQuota),
    );
    if (summary.unmirrorable > 0) metrics.gauge('unmirrorableSources', summary.unmirrorable);
    // Always published, 0 included, so the uncovered-tasks alarm returns to OK once all are covered.
    metrics.gauge(ALARM_METRICS.uncoveredTasks, summary.uncovered);
    metrics.gauge('sidecarCoveredTasks', summary.sidecar);
    const uncovered = coverage.rows.filter((r) => r.covered === false);
    if (uncovered.length > 0)
      log.warn('selected tasks not covered', {
        count: uncovered.length,
        // The first few with their reasons; `fargate-mirror-controller status` lists them all.
        tasks: uncovered.slice(0, 20).map((r) => ({ taskArn: r.taskArn, state: r.state, why: r.note })),
      });
    if (summary.hidden > 0) metrics.gauge('hiddenSources', summary.hidden);
    if (failed.length > 0) metrics.count('queueFailures', failed.length);
    metrics.flush();
    log.info('resync planned', { summary });
    if (failed.length > 0) {
      // The next scheduled resync finds the same drift again; fail loudly so the alarm sees it.
      throw new Error(`resync: ${failed.length} work item(s) could not be queued`);
    }
    return summary;
  };
}
