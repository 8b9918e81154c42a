import type { ResolvedOptions } from './emulator.js';
import { AwsLocalConfigError } from './errors.js';
import { mergeFaults, NO_FAULTS } from './faults/faults.js';
import {
  type AwsLocalOptions,
  DEFAULT_LIFECYCLE_TIMINGS,
  DEFAULT_QUOTAS,
  type LifecycleTimings,
  type Quotas,
} from './options.js';
import type { BucketConfig } from './throttle/limits.js';

function positiveIntegers<T extends object>(
  what: string,
  base: T,
  update: Partial<T> | undefined,
  allowZero: boolean,
): T {
  const merged = { ...base };
  for (const [key, value] of Object.entries(update ?? {})) {
    if (!(key in base))
      throw new AwsLocalConfigError(`unknown ${what} '${key}'; known: ${Object.keys(base).join(', ')}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
      throw new AwsLocalConfigError(
        `${what} ${key} must be an integer >= ${allowZero ? 0 : 1}, got ${String(value)}`,
      );
    }
    (merged as Record<string, number>)[key] = value;
  }
  return merged;
}

function throttleOverrides(value: AwsLocalOptions['throttling']): Record<string, BucketConfig> {
  if (typeof value !== 'object' || value === null) return {};
  for (const [action, bucket] of Object.entries(value)) {
    if (!(bucket.capacity >= 1) || !(bucket.refillPerSecond >= 0)) {
      throw new AwsLocalConfigError(`throttling.${action} needs capacity >= 1 and refillPerSecond >= 0`);
    }
  }
  return { ...value };
}

/** Applies defaults and checks every option, so a bad one fails at start with a clear message. */
export function resolveOptions(options: AwsLocalOptions): ResolvedOptions & { port: number; host: string } {
  const port = options.port ?? 4566;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AwsLocalConfigError(`port must be an integer 0-65535, got ${String(options.port)}`);
  }
  const speed = options.speed ?? 1;
  if (typeof speed !== 'number' || !(speed > 0) || !Number.isFinite(speed)) {
    throw new AwsLocalConfigError(`speed must be a number > 0, got ${String(options.speed)}`);
  }
  const taskEniSources = options.taskEniSources ?? 'reject';
  if (taskEniSources !== 'reject' && taskEniSources !== 'accept') {
    throw new AwsLocalConfigError(
      `taskEniSources must be 'reject' or 'accept', got '${String(taskEniSources)}'`,
    );
  }
  if (options.awsvpcTrunking !== undefined && typeof options.awsvpcTrunking !== 'boolean') {
    throw new AwsLocalConfigError(
      `awsvpcTrunking must be true or false, got ${String(options.awsvpcTrunking)}`,
    );
  }
  const clientTokenAfterDelete = options.clientTokenAfterDelete ?? 'original';
  if (clientTokenAfterDelete !== 'original' && clientTokenAfterDelete !== 'mismatch') {
    throw new AwsLocalConfigError(
      `clientTokenAfterDelete must be 'original' or 'mismatch', got '${String(clientTokenAfterDelete)}'`,
    );
  }
  const clientTokenTtlMs = options.clientTokenTtlMs ?? 86_400_000;
  if (typeof clientTokenTtlMs !== 'number' || !Number.isInteger(clientTokenTtlMs) || clientTokenTtlMs < 1) {
    throw new AwsLocalConfigError(
      `clientTokenTtlMs must be an integer >= 1, got ${String(options.clientTokenTtlMs)}`,
    );
  }
  const describeLagMs = options.describeLagMs ?? 0;
  if (typeof describeLagMs !== 'number' || !Number.isInteger(describeLagMs) || describeLagMs < 0) {
    throw new AwsLocalConfigError(
      `describeLagMs must be an integer >= 0, got ${String(options.describeLagMs)}`,
    );
  }
  const clock = options.clock ?? 'real';
  if (clock !== 'real' && clock !== 'manual') {
    throw new AwsLocalConfigError(`clock must be 'real' or 'manual', got '${String(clock)}'`);
  }
  const accountId = options.accountId ?? '123456789012';
  if (!/^\d{12}$/.test(accountId))
    throw new AwsLocalConfigError(`accountId must be 12 digits, got '${accountId}'`);
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(defaultRegion)) {
    throw new AwsLocalConfigError(`defaultRegion '${defaultRegion}' is not a region name`);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new AwsLocalConfigError(`seed must be an integer, got ${String(options.seed)}`);
  }
  return {
    port,
    host: options.host ?? '127.0.0.1',
    accountId,
    defaultRegion,
    speed,
    clock,
    taskEniSources,
    awsvpcTrunking: options.awsvpcTrunking === true,
    clientTokenAfterDelete,
    describeLagMs,
    clientTokenTtlMs,
    quotas: positiveIntegers<Quotas>('quota', { ...DEFAULT_QUOTAS }, options.quotas, false),
    timings: positiveIntegers<LifecycleTimings>(
      'lifecycle timing',
      { ...DEFAULT_LIFECYCLE_TIMINGS },
      options.lifecycleTimings,
      true,
    ),
    throttling: options.throttling !== false,
    throttleOverrides: throttleOverrides(options.throttling),
    faults: mergeFaults({ ...NO_FAULTS }, options.faults ?? {}),
    seed: options.seed,
  };
}
