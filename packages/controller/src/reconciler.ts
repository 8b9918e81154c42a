import type { Ec2Port, EcsPort } from './aws/ports.js';
import type { ControllerConfig } from './config.js';
import { clientToken, tokenBucket } from './core/client-token.js';
import { computeDesiredState, type DesiredState, type TaskDisposition } from './core/desired-state.js';
import {
  type AppliedAction,
  addToTally,
  type EniResult,
  emptyTally,
  outcomeOf,
  type Tally,
} from './core/outcomes.js';
import {
  type Action,
  type EniPlan,
  isOwnedBy,
  type PlanSettings,
  planAll,
  planCleanup,
  planEni,
} from './core/plan.js';
import type { RefusalCache } from './core/refusals.js';
import {
  type DesiredSource,
  type InstanceView,
  type SessionView,
  TAG_CONTAINER_INSTANCE,
  TAG_TASK_ARN,
  type TaskView,
} from './core/types.js';
import { ControllerError, type ControllerErrorCode, isControllerError } from './errors.js';
import { type ObservedWorld, type ObserveProgress, observeWorld, resolveInstances } from './observe.js';
import { mapLimit } from './util/map-limit.js';
import { type WorkItem, workItemForPlan, workItemKey } from './work-item.js';

/** Structured logging, shaped like Powertools Logger (which satisfies it). */
export interface LogPort {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export const silentLog: LogPort = { debug() {}, info() {}, warn() {}, error() {} };

export interface ReconcilerDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly config: ControllerConfig;
  readonly refusals: RefusalCache;
  readonly log?: LogPort;
  readonly now?: () => number;
  /** ClientToken time bucket: concurrent attempts within one bucket share a token. @default 300000 */
  readonly tokenWindowMs?: number;
  /** Wait before deciding a just-created session is really absent (EC2 reads are eventually consistent). @default 1000 */
  readonly readAfterWriteDelayMs?: number;
  /** Plan-apply-reread rounds per ENI before giving up as NOT_CONVERGED (retryable). @default 4 */
  readonly maxRounds?: number;
}

/** The result of reconciling one key (task, container instance or ENI). */
export interface KeyResult {
  readonly item: WorkItem;
  readonly key: string;
  /** The task, when the key is a task and ECS still knows it. */
  readonly task: TaskView | undefined;
  readonly disposition: TaskDisposition | undefined;
  /** `missing`: ECS no longer knows the task (stopped over an hour ago, or never existed). */
  readonly detail: string;
  readonly enis: readonly EniResult[];
}

export interface ResyncPlan {
  readonly world: ObservedWorld;
  readonly desired: DesiredState;
  readonly plans: readonly EniPlan[];
  /** One key per differing ENI (deduplicated): what the scheduled resync queues. */
  readonly workItems: readonly WorkItem[];
}

export interface ResyncReport extends ResyncPlan {
  readonly results: readonly EniResult[];
  readonly tally: Tally;
}

/** Write failures after which a re-read and re-plan can succeed (another writer got there first). */
const REPLAN_CODES: ReadonlySet<string> = new Set([
  'SOURCE_NOT_SUPPORTED',
  'ENI_SESSION_LIMIT',
  'IDEMPOTENCY_MISMATCH',
  'SESSION_NUMBER_TAKEN',
]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function clusterOfTaskArn(taskArn: string): string | undefined {
  // arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID (the old format, task/ID, names no cluster).
  const parts = taskArn.split(':task/')[1]?.split('/');
  return parts && parts.length >= 2 ? parts[0] : undefined;
}

/**
 * The level-triggered reconciler: a key in, real state re-read, exactly one session of ours on
 * every desired ENI and none elsewhere out. Safe to run concurrently for one key: creates share a
 * deterministic ClientToken per attempt, and a re-read after every write removes duplicates (the
 * lowest session number wins, in every concurrent run alike).
 */
export class Reconciler {
  readonly #ec2: Ec2Port;
  readonly #ecs: EcsPort;
  readonly #config: ControllerConfig;
  readonly #refusals: RefusalCache;
  readonly #log: LogPort;
  readonly #now: () => number;
  readonly #tokenWindowMs: number;
  readonly #readAfterWriteDelayMs: number;
  readonly #maxRounds: number;
  readonly settings: PlanSettings;

  constructor(deps: ReconcilerDeps) {
    this.#ec2 = deps.ec2;
    this.#ecs = deps.ecs;
    this.#config = deps.config;
    this.#refusals = deps.refusals;
    this.#log = deps.log ?? silentLog;
    this.#now = deps.now ?? Date.now;
    this.#tokenWindowMs = deps.tokenWindowMs ?? 300_000;
    this.#readAfterWriteDelayMs = deps.readAfterWriteDelayMs ?? 1000;
    this.#maxRounds = deps.maxRounds ?? 4;
    const c = deps.config;
    this.settings = {
      owner: c.owner,
      targetId: c.targetId,
      filterId: c.filterId,
      vni: c.vni,
      sessionNumber: c.sessionNumber,
      packetLength: c.packetLength,
    };
  }

  get config(): ControllerConfig {
    return this.#config;
  }

  /** Reconciles one key. Throws a retryable ControllerError when the work should be retried. */
  reconcile(item: WorkItem): Promise<KeyResult> {
    switch (item.kind) {
      case 'task':
        return this.reconcileTask(item.taskArn, item.clusterArn);
      case 'instance':
        return this.reconcileInstance(item.clusterArn, item.containerInstanceArn);
      case 'eni':
        return this.reconcileEni(item.eniId);
    }
  }

  async reconcileTask(taskArn: string, clusterArn?: string): Promise<KeyResult> {
    const item: WorkItem = { kind: 'task', clusterArn, taskArn };
    const cluster = clusterArn ?? clusterOfTaskArn(taskArn) ?? 'default';
    const { tasks } = await this.#ecs.describeTasks(cluster, [taskArn]);
    const task = tasks.find((t) => t.taskArn === taskArn);
    if (!task) {
      // ECS forgets stopped tasks after about an hour; our sessions name the task in a tag.
      const all = await this.#ec2.listSessions();
      const leftovers = all.filter(
        (s) => isOwnedBy(s, this.settings.owner) && s.tags[TAG_TASK_ARN] === taskArn,
      );
      const enis = await this.#convergeMany(
        [...new Set(leftovers.map((s) => s.eniId))].map((eniId) => ({
          eniId,
          source: undefined,
          sessions: all,
        })),
      );
      return { item, key: taskArn, task: undefined, disposition: undefined, detail: 'missing', enis };
    }
    if (task.network.kind === 'instance') {
      const result = await this.reconcileInstance(task.clusterArn, task.network.containerInstanceArn, task);
      const disposition = result.disposition;
      return { ...result, item, key: taskArn, task, detail: disposition?.detail ?? result.detail };
    }
    const desired = computeDesiredState({
      tasks: [task],
      instances: new Map(),
      selection: this.#config.selection,
      mirrorInstances: this.#config.mirrorContainerInstances,
    });
    const disposition = desired.tasks[0];
    const eniId = task.network.kind === 'task-eni' ? task.network.eniId : undefined;
    if (eniId === undefined) {
      return { item, key: taskArn, task, disposition, detail: disposition?.detail ?? 'no ENI', enis: [] };
    }
    const eni = await this.#converge(eniId, desired.sources.get(eniId), undefined);
    return { item, key: taskArn, task, disposition, detail: disposition?.detail ?? '', enis: [eni] };
  }

  /**
   * Reconciles the shared ENI of a container instance: one session while at least one selected
   * bridge/host task runs on it, none after the last one leaves.
   */
  async reconcileInstance(
    clusterArn: string,
    containerInstanceArn: string,
    forTask?: TaskView,
  ): Promise<KeyResult> {
    const item: WorkItem = { kind: 'instance', clusterArn, containerInstanceArn };
    const arns = await this.#ecs.listTasks(clusterArn, {
      containerInstance: containerInstanceArn,
      desiredStatus: 'RUNNING',
    });
    const { tasks } =
      arns.length > 0 ? await this.#ecs.describeTasks(clusterArn, arns) : { tasks: [] as TaskView[] };
    const [ref] = await this.#ecs.describeContainerInstances(clusterArn, [containerInstanceArn]);
    const ec2InstanceId = ref?.ec2InstanceId;
    const eniId = ec2InstanceId
      ? (await this.#ec2.primaryEnis([ec2InstanceId])).get(ec2InstanceId)
      : undefined;
    const instance: InstanceView = { containerInstanceArn, clusterArn, ec2InstanceId, eniId };
    const all = forTask && !tasks.some((t) => t.taskArn === forTask.taskArn) ? [...tasks, forTask] : tasks;
    const desired = computeDesiredState({
      tasks: all,
      instances: new Map([[containerInstanceArn, instance]]),
      selection: this.#config.selection,
      mirrorInstances: this.#config.mirrorContainerInstances,
    });
    const disposition = forTask ? desired.tasks.find((d) => d.task.taskArn === forTask.taskArn) : undefined;
    if (eniId === undefined) {
      // The instance is gone: its sessions went with its ENI, unless AWS has not caught up yet.
      const sessions = await this.#ec2.listSessions();
      const leftovers = sessions.filter(
        (s) => isOwnedBy(s, this.settings.owner) && s.tags[TAG_CONTAINER_INSTANCE] === containerInstanceArn,
      );
      const enis = await this.#convergeMany(
        [...new Set(leftovers.map((s) => s.eniId))].map((e) => ({ eniId: e, source: undefined, sessions })),
      );
      return {
        item,
        key: containerInstanceArn,
        task: forTask,
        disposition,
        detail: 'container instance not found',
        enis,
      };
    }
    const eni = await this.#converge(eniId, desired.sources.get(eniId), undefined);
    const detail = `${desired.sources.get(eniId)?.taskArns.length ?? 0} selected task(s) on ${ec2InstanceId}`;
    return { item, key: containerInstanceArn, task: forTask, disposition, detail, enis: [eni] };
  }

  /** Reconciles an ENI that carries sessions of ours; their tags name the task or instance to check. */
  async reconcileEni(eniId: string): Promise<KeyResult> {
    const item: WorkItem = { kind: 'eni', eniId };
    const sessions = await this.#ec2.listSessions({ eniIds: [eniId] });
    const owned = sessions.filter((s) => isOwnedBy(s, this.settings.owner));
    const source = await this.#sourceFromTags(eniId, owned);
    const eni = await this.#converge(eniId, source, sessions);
    return {
      item,
      key: eniId,
      task: undefined,
      disposition: undefined,
      detail: source ? 'still wanted' : 'leftover',
      enis: [eni],
    };
  }

  async #sourceFromTags(eniId: string, owned: readonly SessionView[]): Promise<DesiredSource | undefined> {
    const tasks: TaskView[] = [];
    let instances = new Map<string, InstanceView>();
    for (const s of owned) {
      const cluster = s.tags['fargate-mirror:cluster'];
      const taskArn = s.tags[TAG_TASK_ARN];
      const ci = s.tags[TAG_CONTAINER_INSTANCE];
      if (taskArn) {
        tasks.push(
          ...(await this.#ecs.describeTasks(cluster ?? clusterOfTaskArn(taskArn) ?? 'default', [taskArn]))
            .tasks,
        );
      } else if (ci && cluster) {
        const arns = await this.#ecs.listTasks(cluster, { containerInstance: ci, desiredStatus: 'RUNNING' });
        if (arns.length > 0) tasks.push(...(await this.#ecs.describeTasks(cluster, arns)).tasks);
      }
    }
    if (tasks.some((t) => t.network.kind === 'instance'))
      instances = await resolveInstances(this.#ec2, this.#ecs, tasks);
    const desired = computeDesiredState({
      tasks,
      instances,
      selection: this.#config.selection,
      mirrorInstances: this.#config.mirrorContainerInstances,
    });
    return desired.sources.get(eniId);
  }

  /**
   * Reads everything and plans, without writing: what `plan`, `status` and the resync start from.
   * `explain` also reads clusters outside the selection, to say why their tasks are not selected.
   */
  async plan(progress?: ObserveProgress, options: { explain?: boolean } = {}): Promise<ResyncPlan> {
    const world = await observeWorld(this.#ec2, this.#ecs, this.#config.selection, progress, options.explain);
    const desired = computeDesiredState({
      tasks: world.tasks,
      instances: world.instances,
      selection: this.#config.selection,
      mirrorInstances: this.#config.mirrorContainerInstances,
    });
    const plans = planAll({
      sources: desired.sources,
      sessions: world.sessions,
      settings: this.settings,
      refusalFor: (eniId) => this.#refusals.get(eniId),
    });
    const items = new Map<string, WorkItem>();
    for (const p of plans) {
      if (p.actions.length === 0) continue;
      const w = workItemForPlan(p);
      items.set(workItemKey(w), w);
    }
    return { world, desired, plans, workItems: [...items.values()] };
  }

  /**
   * Full resync in this process: plan, then converge every differing ENI (re-reading each before
   * its writes), `concurrency` ENIs at a time. Retryable failures are recorded per ENI, not thrown.
   */
  async resync(
    options: { concurrency?: number; progress?: ObserveProgress; apply?: boolean } = {},
  ): Promise<ResyncReport> {
    const planned = await this.plan(options.progress);
    const differing = planned.plans.filter((p) => p.actions.length > 0);
    const tally = emptyTally();
    if (options.apply === false) return { ...planned, results: [], tally };
    let done = 0;
    const results = await mapLimit(differing, options.concurrency ?? 4, async (p) => {
      const result = await this.#convergeCatching(p.eniId, p.source, planned.world.sessions);
      options.progress?.('apply', ++done, differing.length);
      return result;
    });
    const differingIds = new Set(differing.map((p) => p.eniId));
    for (const p of planned.plans) {
      if (!differingIds.has(p.eniId)) addToTally(tally, unchangedResult(p));
    }
    for (const r of results) addToTally(tally, r);
    return { ...planned, results, tally };
  }

  /** Deletes every session of this owner and nothing else (`dryRun`: only lists them). */
  async cleanup(
    options: { dryRun?: boolean; concurrency?: number } = {},
  ): Promise<{ actions: Action[]; results: AppliedAction[] }> {
    const sessions = await this.#ec2.listSessions();
    const actions = planCleanup(sessions, this.settings.owner);
    if (options.dryRun) return { actions, results: [] };
    const results = await mapLimit(actions, options.concurrency ?? 4, (a) => this.#applyCatching(a));
    return { actions, results };
  }

  async #convergeMany(
    targets: readonly {
      eniId: string;
      source: DesiredSource | undefined;
      sessions: readonly SessionView[];
    }[],
  ): Promise<EniResult[]> {
    const out: EniResult[] = [];
    for (const t of targets) out.push(await this.#converge(t.eniId, t.source, t.sessions));
    return out;
  }

  async #convergeCatching(
    eniId: string,
    source: DesiredSource | undefined,
    sessions: readonly SessionView[],
  ): Promise<EniResult> {
    try {
      return await this.#converge(eniId, source, sessions);
    } catch (error) {
      const e = isControllerError(error)
        ? error
        : new ControllerError('AWS_REQUEST_FAILED', String(error), { cause: error });
      this.#log.warn('reconcile failed', { eniId, code: e.code, error: e.message });
      return failedResult(eniId, [], e);
    }
  }

  /**
   * Plan, apply, re-read, until the ENI needs nothing more. `snapshot` (sessions read earlier) saves
   * the first read; every later round reads fresh, which is also the re-read after a create.
   */
  async #converge(
    eniId: string,
    source: DesiredSource | undefined,
    snapshot: readonly SessionView[] | undefined,
  ): Promise<EniResult> {
    const applied: AppliedAction[] = [];
    let salt = 0;
    let lastCreated: string | undefined;
    let plan: EniPlan | undefined;
    for (let round = 0; round <= this.#maxRounds; round++) {
      let sessions =
        round === 0 && snapshot
          ? snapshot.filter((s) => s.eniId === eniId)
          : await this.#ec2.listSessions({ eniIds: [eniId] });
      if (lastCreated !== undefined && !sessions.some((s) => s.sessionId === lastCreated)) {
        // Not there: either EC2 has not caught up yet, or the token named a session that was
        // deleted since (EC2 answers a repeated token with the original result). Look once more,
        // then treat the token as spent.
        if (this.#readAfterWriteDelayMs > 0) await sleep(this.#readAfterWriteDelayMs);
        sessions = await this.#ec2.listSessions({ eniIds: [eniId] });
        if (!sessions.some((s) => s.sessionId === lastCreated)) {
          salt++;
          this.#log.warn('created session is not there: new ClientToken', { eniId, sessionId: lastCreated });
        }
      }
      lastCreated = undefined;
      plan = planEni({
        eniId,
        source,
        sessions,
        settings: this.settings,
        refusal: this.#refusals.get(eniId),
      });
      if (plan.actions.length === 0) return finalResult(plan, applied);
      if (round === this.#maxRounds) break;
      for (const action of plan.actions) {
        const r = await this.#apply(action, salt);
        applied.push(r);
        if (r.result === 'done' && action.kind === 'create') lastCreated = r.sessionId;
        if (r.result !== 'failed') continue;
        if (r.errorCode === 'ENI_NOT_FOUND') {
          // The ENI is gone (task stopped meanwhile): AWS removed its sessions with it.
          return {
            ...finalResult(
              { ...plan, actions: [], keep: undefined, hiddenBy: [], unmirrorable: undefined },
              applied,
            ),
            outcome: 'unchanged',
          };
        }
        if (r.errorCode === 'IDEMPOTENCY_MISMATCH') salt++;
        if (REPLAN_CODES.has(r.errorCode ?? '')) {
          break; // re-read and re-plan: the refusal is cached now, or another writer got there first
        }
        return failedResult(
          eniId,
          applied,
          new ControllerError(r.errorCode as ControllerErrorCode, r.message ?? 'failed'),
          plan,
        );
      }
    }
    throw new ControllerError(
      'NOT_CONVERGED',
      `${eniId}: still ${plan?.actions.length ?? 0} action(s) to do after ${this.#maxRounds} rounds`,
    );
  }

  async #applyCatching(action: Action): Promise<AppliedAction> {
    try {
      return await this.#apply(action, 0);
    } catch (error) {
      const e = isControllerError(error)
        ? error
        : new ControllerError('AWS_REQUEST_FAILED', String(error), { cause: error });
      return { action, result: 'failed', sessionId: undefined, errorCode: e.code, message: e.message };
    }
  }

  /**
   * One write. Terminal AWS errors come back as a `failed` record; retryable ones (throttling
   * beyond the SDK's retries, 5xx) are thrown, so the work item fails and is retried later.
   */
  async #apply(action: Action, salt: number): Promise<AppliedAction> {
    try {
      if (action.kind === 'delete') {
        const r = await this.#ec2.deleteSession(action.sessionId);
        this.#log.info('deleted session', {
          eniId: action.eniId,
          sessionId: action.sessionId,
          reason: action.reason,
          result: r,
        });
        return {
          action,
          result: r === 'deleted' ? 'done' : 'already-gone',
          sessionId: action.sessionId,
          errorCode: undefined,
          message: undefined,
        };
      }
      const bucket = tokenBucket(this.#now(), this.#tokenWindowMs);
      const token = clientToken(this.settings.owner, action.spec, bucket, salt === 0 ? '' : String(salt));
      const { sessionId } = await this.#ec2.createSession(action.spec, token);
      this.#log.info('created session', {
        eniId: action.eniId,
        sessionId,
        sessionNumber: action.spec.sessionNumber,
      });
      return { action, result: 'done', sessionId, errorCode: undefined, message: undefined };
    } catch (error) {
      if (!isControllerError(error) || error.retryable) throw error;
      if (error.code === 'SOURCE_NOT_SUPPORTED') {
        this.#refusals.set(action.eniId, {
          code: error.code,
          awsCode: error.awsCode,
          message: error.message,
        });
        this.#log.warn('source not mirrorable', {
          eniId: action.eniId,
          awsCode: error.awsCode,
          error: error.message,
        });
      } else {
        this.#log.warn('write failed', { eniId: action.eniId, code: error.code, error: error.message });
      }
      return {
        action,
        result: 'failed',
        sessionId: undefined,
        errorCode: error.code,
        message: error.message,
      };
    }
  }
}

function finalResult(plan: EniPlan, applied: readonly AppliedAction[]): EniResult {
  return {
    eniId: plan.eniId,
    outcome: outcomeOf(applied, plan, false),
    applied,
    sessionId: plan.keep?.sessionId,
    sessionNumber: plan.keep?.sessionNumber,
    vni: plan.keep?.vni,
    hiddenBy: plan.hiddenBy.map((s) => s.sessionId),
    unmirrorable: plan.keep ? undefined : plan.unmirrorable,
    error: undefined,
  };
}

function unchangedResult(plan: EniPlan): EniResult {
  return finalResult(plan, []);
}

function failedResult(
  eniId: string,
  applied: readonly AppliedAction[],
  error: ControllerError,
  plan?: EniPlan,
): EniResult {
  return {
    eniId,
    outcome: 'failed',
    applied,
    sessionId: plan?.keep?.sessionId,
    sessionNumber: plan?.keep?.sessionNumber,
    vni: plan?.keep?.vni,
    hiddenBy: plan?.hiddenBy.map((s) => s.sessionId) ?? [],
    unmirrorable: undefined,
    error: { code: error.code, message: error.message, retryable: error.retryable },
  };
}
