/**
 * A token bucket that waits for its token instead of failing: EC2 meters each API action with a
 * bucket per account and Region (docs/aws-facts.md §6), and a client that takes its tokens here
 * first sends at the rate EC2 answers instead of retrying into RequestLimitExceeded.
 */
export interface BucketRate {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export class PacingBucket {
  readonly #capacity: number;
  #refillPerSecond: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;
  /** Waiters in arrival order, so a burst is served first come, first served. */
  #queue: Promise<void> = Promise.resolve();

  constructor(rate: BucketRate, now: () => number = Date.now) {
    this.#capacity = rate.capacity;
    this.#refillPerSecond = rate.refillPerSecond;
    this.#now = now;
    this.#tokens = rate.capacity;
    this.#at = now();
  }

  /** Resolves when a token is taken; `sleep` waits real milliseconds. */
  take(sleep: (ms: number) => Promise<void>): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (;;) {
        this.#refill();
        if (this.#tokens >= 1) {
          this.#tokens -= 1;
          return;
        }
        await sleep(((1 - this.#tokens) / this.#refillPerSecond) * 1000);
      }
    });
    this.#queue = turn;
    return turn;
  }

  /**
   * Empties the bucket: the server answered RequestLimitExceeded, so its bucket is empty whatever
   * this one counted (another client of the account spent the tokens).
   */
  drain(): void {
    this.#refill();
    this.#tokens = Math.min(this.#tokens, 0);
  }

  /** Changes the refill rate from now on (the tokens earned so far at the old rate are kept). */
  setRefill(refillPerSecond: number): void {
    this.#refill();
    this.#refillPerSecond = refillPerSecond;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) / 1000) * this.#refillPerSecond);
    this.#at = now;
  }
}
