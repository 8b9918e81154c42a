// Compressed time, applied consistently. aws-local's real clock divides lifecycle steps by `speed`
// but its token buckets refill in real seconds, and the SDK's retry back-off, its adaptive rate
// limiter and the controller's own waits are real milliseconds too. To compress time by S without
// changing who wins, every rate is multiplied by S and every wait divided by S:
//   - EC2 token buckets: same capacity (a burst is a number of tokens), refill x S;
//   - SDK retries: the standard back-off (50 ms, 1 s for throttling, x2 per retry, capped at 20 s,
//     full jitter) divided by S; the adaptive rate limiter reads an emulated clock (real x S) and
//     sleeps emulated-ms / S;
//   - the controller's read-after-write wait, ClientToken window, Lambda's retry delays and the
//     resync schedule divided by S.
// So one real second is S emulated (AWS) seconds, and every duration printed is emulated.

import { MUTATING, NON_MUTATING } from '@fargate-mirror/aws-local';
import { AdaptiveRetryStrategy, DefaultRateLimiter, StandardRetryStrategy } from '@smithy/core/retry';

export interface TimeScale {
  readonly speed: number;
  /** Emulated (AWS-equivalent) milliseconds since the epoch. */
  now(): number;
  /** The emulated instant of a real-clock timestamp (aws-local stamps tasks with the real clock). */
  fromReal(realEpochMs: number): number;
  /** Real milliseconds for an emulated duration. */
  real(emulatedMs: number): number;
  /** Emulated milliseconds for a real duration. */
  emulated(realMs: number): number;
  sleep(emulatedMs: number): Promise<void>;
}

export function timeScale(speed: number): TimeScale {
  const origin = Date.now();
  return {
    speed,
    now: () => origin + (Date.now() - origin) * speed,
    fromReal: (t) => origin + (t - origin) * speed,
    real: (ms) => ms / speed,
    emulated: (ms) => ms * speed,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / speed)),
  };
}

/** The EC2 actions either design calls, with AWS's bucket (aws-local's defaults) refilled S times faster. */
export function scaledBuckets(speed: number): Record<string, { capacity: number; refillPerSecond: number }> {
  const scale = (b: { capacity: number; refillPerSecond: number }) => ({
    capacity: b.capacity,
    refillPerSecond: b.refillPerSecond * speed,
  });
  return {
    CreateTrafficMirrorSession: scale(MUTATING),
    DeleteTrafficMirrorSession: scale(MUTATING),
    DescribeTrafficMirrorSessions: scale(NON_MUTATING),
    DescribeInstances: scale(NON_MUTATING),
  };
}

/**
 * The SDK's adaptive limiter on the emulated clock: it measures rates in emulated seconds. Its clock
 * is a private method, so the instance gets its own; the clocks the constructor started are reset.
 */
function emulatedRateLimiter(speed: number): DefaultRateLimiter {
  const limiter = new DefaultRateLimiter();
  const now = () => (Date.now() * speed) / 1000;
  Object.assign(limiter, {
    getCurrentTimeInSeconds: now,
    lastThrottleTime: now(),
    lastTxRateBucket: Math.floor(now()),
  });
  return limiter;
}

/** Client-side waiting of every scaled SDK client, in emulated call-milliseconds (summed over calls). */
export const sdkWaits = { backoffMs: 0, backoffs: 0, rateLimiterMs: 0, rateLimiterWaits: 0 };

/** The standard back-off with full jitter (smithy's DefaultRetryBackoffStrategy), divided by S. */
function scaledBackoff(speed: number) {
  let base = 50;
  return {
    computeNextBackoffDelay(retries: number): number {
      const emulated = Math.floor(Math.random() * Math.min(base * 2 ** retries, 20_000));
      sdkWaits.backoffMs += emulated;
      sdkWaits.backoffs++;
      return emulated / speed;
    },
    setDelayBase(delay: number): void {
      base = delay;
    },
  };
}

let limiterSleepScaled = false;

/**
 * The retry strategy `createAwsClients` gets from `retryMode: 'adaptive'`, with its waits scaled.
 * At speed 1 it behaves as the SDK's own.
 */
export function scaledAdaptiveRetry(speed: number, maxAttempts: number): AdaptiveRetryStrategy {
  if (!limiterSleepScaled) {
    // The limiter sleeps through this static hook, in emulated ms; every limiter here is emulated.
    (DefaultRateLimiter as unknown as { setTimeoutFn: typeof setTimeout }).setTimeoutFn = ((
      fn: () => void,
      delay: number,
    ) => {
      sdkWaits.rateLimiterMs += delay;
      sdkWaits.rateLimiterWaits++;
      return setTimeout(fn, delay / speed);
    }) as typeof setTimeout;
    limiterSleepScaled = true;
  }
  return new AdaptiveRetryStrategy(maxAttempts, {
    rateLimiter: emulatedRateLimiter(speed),
    backoff: scaledBackoff(speed),
    maxAttempts,
  });
}

/** The `standard` strategy (the batch worker's: it paces itself), with its back-off scaled. */
export function scaledStandardRetry(speed: number, maxAttempts: number): StandardRetryStrategy {
  return new StandardRetryStrategy({ maxAttempts, backoff: scaledBackoff(speed) });
}
