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
   * This process's share of the account's buckets, when several processes write at once (the
   * worker function's concurrency): each takes capacity and refill divided by `writers`. @default 1
   */
  readonly writers?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function ec2RateOf(action: string): BucketRate {
  return MUTATING_ACTIONS.has(action) ? EC2_MUTATING : EC2_NON_MUTATING;
}

/**
 * Client-side buckets for EC2 actions, one per action. One set is shared by every client of a
 * process (`sharedEc2Pacing`): a Lambda sandbox's invocations then pace together.
 */
export class Ec2Pacing {
  readonly #buckets = new Map<string, PacingBucket>();
  readonly #rateOf: (action: string) => BucketRate;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: Ec2PacingOptions = {}) {
    const rateOf = options.rateOf ?? ec2RateOf;
    const writers = Math.max(1, options.writers ?? 1);
    this.#rateOf = (action) => {
      const r = rateOf(action);
      return { capacity: Math.max(1, r.capacity / writers), refillPerSecond: r.refillPerSecond / writers };
    };
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  take(action: string): Promise<void> {
    return this.#bucket(action).take(this.#sleep);
  }

  /** EC2 throttled `action` anyway (another client spent the tokens): wait for a refill first. */
  throttled(action: string): void {
    this.#bucket(action).drain();
  }

  #bucket(action: string): PacingBucket {
    let bucket = this.#buckets.get(action);
    if (!bucket) {
      bucket = new PacingBucket(this.#rateOf(action), this.#now);
      this.#buckets.set(action, bucket);
    }
    return bucket;
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
