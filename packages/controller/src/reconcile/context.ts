import type { Ec2Port, EcsPort, MirrorTargetType } from '../aws/ports.js';
import type { ControllerConfig } from '../config.js';
import { computeDesiredState, type DesiredState } from '../core/desired-state.js';
import type { PlanSettings } from '../core/plan.js';
import type { RefusalCache } from '../core/refusals.js';
import type { InstanceView, TaskView } from '../core/types.js';
import { type LogPort, silentLog } from '../log.js';

export interface ReconcilerDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly config: ControllerConfig;
  readonly refusals: RefusalCache;
  readonly log?: LogPort;
  readonly now?: () => number;
  /** ClientToken time bucket: concurrent attempts within one bucket share a token. @default 300000 */
  readonly tokenWindowMs?: number;
  /**
   * First wait of the re-read backoff after a write whose result a read does not show yet (EC2
   * reads are eventually consistent); each further wait doubles, up to 4 s. 0: one immediate re-read.
   * @default 250
   */
  readonly readAfterWriteDelayMs?: number;
  /** Longest the backoff waits for a created session to be listed before taking its token as spent. @default 10000 */
  readonly visibilityWaitMs?: number;
  /** Plan-apply-reread rounds per ENI before giving up as NOT_CONVERGED (retryable). @default 4 */
  readonly maxRounds?: number;
  /** How long a found target and filter are trusted before they are checked again. @default 60000 */
  readonly mirrorCheckTtlMs?: number;
}

/**
 * What every reconcile step reads: the deps with their defaults filled in once, so keys, converge
 * and fleet agree on them.
 */
export interface ReconcileContext {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly config: ControllerConfig;
  readonly settings: PlanSettings;
  readonly refusals: RefusalCache;
  readonly log: LogPort;
  readonly now: () => number;
  readonly tokenWindowMs: number;
  readonly readAfterWriteDelayMs: number;
  readonly visibilityWaitMs: number;
  readonly maxRounds: number;
  readonly mirrorCheckTtlMs: number;
  /**
   * ClientTokens this process knows are spent (EC2 answered IdempotentParameterMismatch, or the
   * session the token made is gone): never sent again, in this pass or a later one of the same
   * token window (mutable, shared by every key; oldest forgotten past SPENT_TOKENS_KEPT).
   */
  readonly spentTokens: Map<string, number>;
  /** The last successful target/filter check (mutable: shared by every key of this reconciler). */
  readonly mirrorCheck: { value: { at: number; targetType: MirrorTargetType | undefined } | undefined };
}

export function contextOf(deps: ReconcilerDeps): ReconcileContext {
  const c = deps.config;
  return {
    ec2: deps.ec2,
    ecs: deps.ecs,
    config: c,
    settings: {
      owner: c.owner,
      targetId: c.targetId,
      filterId: c.filterId,
      vni: c.vni,
      sessionNumber: c.sessionNumber,
      packetLength: c.packetLength,
      takeTrafficFromOthers: c.takeTrafficFromOthers,
    },
    refusals: deps.refusals,
    log: deps.log ?? silentLog,
    now: deps.now ?? Date.now,
    tokenWindowMs: deps.tokenWindowMs ?? 300_000,
    readAfterWriteDelayMs: deps.readAfterWriteDelayMs ?? 250,
    visibilityWaitMs: deps.visibilityWaitMs ?? 10_000,
    maxRounds: deps.maxRounds ?? 4,
    mirrorCheckTtlMs: deps.mirrorCheckTtlMs ?? 60_000,
    mirrorCheck: { value: undefined },
    spentTokens: new Map(),
  };
}

/** More than a token window's creates of a busy deployment; older entries can no longer matter. */
const SPENT_TOKENS_KEPT = 10_000;

/** Remembers a spent ClientToken (see `ReconcileContext.spentTokens`). */
export function markTokenSpent(ctx: ReconcileContext, token: string | undefined): void {
  if (token === undefined) return;
  ctx.spentTokens.delete(token);
  ctx.spentTokens.set(token, ctx.now());
  for (const oldest of ctx.spentTokens.keys()) {
    if (ctx.spentTokens.size <= SPENT_TOKENS_KEPT) break;
    ctx.spentTokens.delete(oldest);
  }
}

/** The desired state of some tasks under the configured selection (every key and the fleet alike). */
export function desiredOf(
  ctx: ReconcileContext,
  tasks: readonly TaskView[],
  instances: ReadonlyMap<string, InstanceView>,
): DesiredState {
  return computeDesiredState({
    tasks,
    instances,
    selection: ctx.config.selection,
    mirrorInstances: ctx.config.mirrorContainerInstances,
  });
}
