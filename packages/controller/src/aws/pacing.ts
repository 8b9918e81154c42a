import { type BucketRate, PacingBucket } from '../util/token-bucket.js';

/**
 * EC2's published throttling buckets (docs/aws-facts.md §6): the controller's writes are mutating
 * actions (50 tokens, 5/s), its reads non-mutating (100, 20/s). Each action has its own bucket.
 */
export const EC2_MUTATING: BucketRate = { capacity: 50, refillPerSecond: 5 };
export const EC2_NON_MUTATING: BucketRate = { capacity: 100, refillPerSecond: 20 };

const MUTATING_ACTIONS = new Set([
  'CreateTrafficMirrorSession',
  'DeleteTrafficMirrorSession',
  'ModifyTrafficMirrorSession',
]);

export interface Ec2PacingOptions {
  /** Bucket per action; @default EC2's published rate for the action's category */
  readonly rateOf?: (action: string) => BucketRate;
  /**
   * Processes that may write at once (the worker function's maximum concurrency). Each holds
   * `capacity / writers` tokens, so bursts together never exceed EC2's bucket, and refills at EC2's
   * whole rate while EC2 does not throttle it: a sandbox alone with work gets the whole rate. A
   * `RequestLimitExceeded` means another one is writing too: this one then refills at
   * `refill / writers` (its share; together at most EC2's rate) until `shareHoldMs` pass without
   * another throttle. @default 1 (the whole bucket, always)
   */
  readonly writers?: number;
  /** How long a throttled process keeps to its share after the last throttle. @default 20 000 */
  readonly shareHoldMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Long enough that two busy writers collide a few times a minute, short enough that one left alone soon has the whole rate. */
export const DEFAULT_SHARE_HOLD_MS = 20_000;

export function ec2RateOf(action: string): BucketRate {
  return MUTATING_ACTIONS.has(action) ? EC2_MUTATING : EC2_NON_MUTATING;
}

/** One action's bucket and whether it keeps to its share of EC2's refill now. */
interface ActionPace {
  readonly bucket: PacingBucket;
  readonly rate: BucketRate;
  /** Until when (this.#now()) the bucket refills at its share; 0 when at the whole rate. */
  sharedUntil: number;
}

/**
 * Client-side buckets for EC2 actions, one per action. One set is shared by every client of a
 * process (`sharedEc2Pacing`): a Lambda sandbox's invocations then pace together. With several
 * `writers`, the refill adapts to EC2's answers (see Ec2PacingOptions.writers).
 */
export class Ec2Pacing {
  readonly #paces = new Map<string, ActionPace>();
  readonly #rateOf: (action: string) => BucketRate;
  readonly #writers: number;
  readonly #shareHoldMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: Ec2PacingOptions = {}) {
    this.#rateOf = options.rateOf ?? ec2RateOf;
    this.#writers = Math.max(1, options.writers ?? 1);
    this.#shareHoldMs = options.shareHoldMs ?? DEFAULT_SHARE_HOLD_MS;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  take(action: string): Promise<void> {
    const pace = this.#pace(action);
    if (pace.sharedUntil !== 0 && this.#now() >= pace.sharedUntil) {
      // No throttle for shareHoldMs: the other writers are done (or idle); take the whole rate again.
      pace.sharedUntil = 0;
      pace.bucket.setRefill(pace.rate.refillPerSecond);
    }
    return pace.bucket.take(this.#sleep);
  }

  /**
   * EC2 throttled `action` anyway: another client spent EC2's tokens. Wait for a refill first, and
   * with several writers keep to this one's share for a while.
   */
  throttled(action: string): void {
    const pace = this.#pace(action);
    pace.bucket.drain();
    if (this.#writers === 1) return;
    if (pace.sharedUntil === 0) pace.bucket.setRefill(pace.rate.refillPerSecond / this.#writers);
    pace.sharedUntil = this.#now() + this.#shareHoldMs;
  }

  /** The refill rate `action` paces at now (tokens per second). */
  refillOf(action: string): number {
    const pace = this.#pace(action);
    const shared = pace.sharedUntil !== 0 && this.#now() < pace.sharedUntil;
    return shared ? pace.rate.refillPerSecond / this.#writers : pace.rate.refillPerSecond;
  }

  #pace(action: string): ActionPace {
    let pace = this.#paces.get(action);
    if (!pace) {
      const rate = this.#rateOf(action);
      const capacity = Math.max(1, rate.capacity / this.#writers);
      pace = {
        bucket: new PacingBucket({ capacity, refillPerSecond: rate.refillPerSecond }, this.#now),
        rate,
        sharedUntil: 0,
      };
      this.#paces.set(action, pace);
    }
    return pace;
  }
}

let shared: Ec2Pacing | undefined;

export function sharedEc2Pacing(): Ec2Pacing {
  shared ??= new Ec2Pacing();
  return shared;
}

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'finalizeRequest'; priority: 'low'; name: string },
    ): void;
  };
}

/**
 * Takes a token before every attempt the client sends (inside the SDK's retries, so a retry waits
 * for its token too).
 */
export function paceEc2Client(client: object, pacing: Ec2Pacing): void {
  (client as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const action = (context.commandName ?? 'unknown').replace(/Command$/, '');
      await pacing.take(action);
      try {
        return await next(args);
      } catch (error) {
        if ((error as { name?: string }).name === 'RequestLimitExceeded') pacing.throttled(action);
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'fargateMirrorEc2Pacing' },
  );
}
