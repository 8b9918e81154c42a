import type { ControllerConfig } from '../config.js';
import type { AppliedAction } from '../core/outcomes.js';
import type { Action, PlanSettings } from '../core/plan.js';
import type { TaskView } from '../core/types.js';
import type { WorkItem } from '../work-item.js';
import { type BatchEntry, reconcileBatch } from './batch.js';
import { contextOf, type ReconcileContext, type ReconcilerDeps } from './context.js';
import {
  cleanupFleet,
  planFleet,
  type ResyncOptions,
  type ResyncPlan,
  type ResyncReport,
  resyncFleet,
} from './fleet.js';
import { type KeyResult, reconcileEni, reconcileInstance, reconcileKey, reconcileTask } from './keys.js';
import type { ObserveProgress } from './observe.js';

/**
 * The level-triggered reconciler: a key in, real state re-read, exactly one session of ours on
 * every desired ENI and none elsewhere out. Safe to run concurrently for one key: creates share a
 * deterministic ClientToken per attempt, and a re-read after every write removes duplicates (the
 * lowest session number wins, in every concurrent run alike).
 *
 * A facade over `keys` (one key), `fleet` (everything) and, below both, `converge` (one ENI).
 */
export class Reconciler {
  readonly #ctx: ReconcileContext;
  readonly settings: PlanSettings;

  constructor(deps: ReconcilerDeps) {
    this.#ctx = contextOf(deps);
    this.settings = this.#ctx.settings;
  }

  get config(): ControllerConfig {
    return this.#ctx.config;
  }

  /** Reconciles one key. Throws a retryable ControllerError when the work should be retried. */
  reconcile(item: WorkItem): Promise<KeyResult> {
    return reconcileKey(this.#ctx, item);
  }

  /**
   * Reconciles many keys with shared, batched reads (reconcile/batch.ts): what the queue worker
   * does with a batch of task events and work items. Never throws for one key; each entry says.
   */
  reconcileBatch(items: readonly WorkItem[]): Promise<BatchEntry[]> {
    return reconcileBatch(this.#ctx, items);
  }

  reconcileTask(taskArn: string, clusterArn?: string): Promise<KeyResult> {
    return reconcileTask(this.#ctx, taskArn, clusterArn);
  }

  /**
   * Reconciles the shared ENI of a container instance: one session while at least one selected
   * bridge/host task runs on it, none after the last one leaves.
   */
  reconcileInstance(
    clusterArn: string,
    containerInstanceArn: string,
    forTask?: TaskView,
  ): Promise<KeyResult> {
    return reconcileInstance(this.#ctx, clusterArn, containerInstanceArn, forTask);
  }

  /** Reconciles an ENI that carries sessions of ours; their tags name the task or instance to check. */
  reconcileEni(eniId: string): Promise<KeyResult> {
    return reconcileEni(this.#ctx, eniId);
  }

  /**
   * Reads everything and plans, without writing: what `plan`, `status` and the resync start from.
   * `explain` also reads clusters outside the selection, to say why their tasks are not selected.
   */
  plan(progress?: ObserveProgress, options: { explain?: boolean } = {}): Promise<ResyncPlan> {
    return planFleet(this.#ctx, progress, options);
  }

  /**
   * Full resync in this process: plan, then converge every differing ENI (re-reading each before
   * its writes), `concurrency` ENIs at a time. Retryable failures are recorded per ENI, not thrown.
   */
  resync(options: ResyncOptions = {}): Promise<ResyncReport> {
    return resyncFleet(this.#ctx, options);
  }

  /** Deletes every session of this owner and nothing else (`dryRun`: only lists them). */
  cleanup(
    options: { dryRun?: boolean; concurrency?: number } = {},
  ): Promise<{ actions: Action[]; results: AppliedAction[] }> {
    return cleanupFleet(this.#ctx, options);
  }
}
