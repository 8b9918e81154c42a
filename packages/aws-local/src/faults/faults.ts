import { AwsLocalConfigError } from '../errors.js';

/**
 * Faults to inject. Rates are probabilities in [0, 1] applied per event or per API call;
 * delays are real milliseconds.
 */
export interface FaultConfig {
  /** Probability an event is delivered twice (ECS delivers at least once). */
  eventDuplicateRate: number;
  /** Probability an event is never delivered. */
  eventLossRate: number;
  /** Probability an event is held back and delivered after the next one. */
  eventReorderRate: number;
  /** Delay before each event delivery. */
  eventDelayMs: number;
  /** Probability an API call fails with a 5xx (EC2 InternalError / ECS ServerException) before it runs. */
  apiErrorRate: number;
  /** Probability an API call is throttled regardless of its token bucket. */
  apiThrottleRate: number;
  /** Delay before every API response. */
  latencyMs: number;
}

export const NO_FAULTS: Readonly<FaultConfig> = Object.freeze({
  eventDuplicateRate: 0,
  eventLossRate: 0,
  eventReorderRate: 0,
  eventDelayMs: 0,
  apiErrorRate: 0,
  apiThrottleRate: 0,
  latencyMs: 0,
});

const RATES = [
  'eventDuplicateRate',
  'eventLossRate',
  'eventReorderRate',
  'apiErrorRate',
  'apiThrottleRate',
] as const;
const DELAYS = ['eventDelayMs', 'latencyMs'] as const;

/** Checks a partial fault configuration (from options or the admin endpoint) and merges it. */
export function mergeFaults(base: FaultConfig, update: unknown): FaultConfig {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw new AwsLocalConfigError('faults must be a JSON object');
  }
  const merged: FaultConfig = { ...base };
  for (const [key, value] of Object.entries(update)) {
    if ((RATES as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new AwsLocalConfigError(
          `fault ${key} must be a number between 0 and 1, got ${JSON.stringify(value)}`,
        );
      }
    } else if ((DELAYS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !(value >= 0 && Number.isFinite(value))) {
        throw new AwsLocalConfigError(
          `fault ${key} must be a number of milliseconds >= 0, got ${JSON.stringify(value)}`,
        );
      }
    } else {
      throw new AwsLocalConfigError(
        `unknown fault '${key}'; known faults: ${[...RATES, ...DELAYS].join(', ')}`,
      );
    }
    merged[key as keyof FaultConfig] = value as number;
  }
  return merged;
}
