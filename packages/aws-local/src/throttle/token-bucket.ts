import type { Clock } from '../util/clock.js';
import type { BucketConfig } from './limits.js';

/** A token bucket that refills continuously from the clock. */
export class TokenBucket {
  readonly #config: BucketConfig;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;

  constructor(config: BucketConfig, clock: Clock) {
    this.#config = config;
    this.#clock = clock;
    this.#tokens = config.capacity;
    this.#updatedAt = clock.now();
  }

  /** Takes one token; false when the bucket is empty (the call is throttled). */
  take(): boolean {
    const now = this.#clock.now();
    const elapsedSeconds = Math.max(0, now - this.#updatedAt) / 1000;
    this.#tokens = Math.min(
      this.#config.capacity,
      this.#tokens + elapsedSeconds * this.#config.refillPerSecond,
    );
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** All buckets of the emulator, created lazily per region and bucket key. */
export class Throttler {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #clock: Clock;
  constructor(clock: Clock) {
    this.#clock = clock;
  }
  take(region: string, key: string, config: BucketConfig): boolean {
    const id = `${region}/${key}`;
    let bucket = this.#buckets.get(id);
    if (!bucket) {
      bucket = new TokenBucket(config, this.#clock);
      this.#buckets.set(id, bucket);
    }
    return bucket.take();
  }
}
