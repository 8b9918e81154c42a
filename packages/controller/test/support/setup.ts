import { type ConfigFile, parseConfig } from '../../src/config.js';
import { MemoryRefusalCache } from '../../src/core/refusals.js';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { FakeCloud } from './fake-cloud.js';

export const OWNER = 'shop-prod';
export const TARGET = 'tmt-0123456789abcdef0';
export const FILTER = 'tmf-0123456789abcdef0';

export function config(extra: Partial<ConfigFile> = {}) {
  return parseConfig({ owner: OWNER, target: TARGET, filter: FILTER, ...extra });
}

export function setup(extra: Partial<ConfigFile> = {}) {
  const cloud = new FakeCloud();
  cloud.targets.set(TARGET, 'network-interface');
  cloud.filters.add(FILTER);
  const refusals = new MemoryRefusalCache({ ttlMs: 3_600_000 });
  const reconciler = new Reconciler({
    ec2: cloud,
    ecs: cloud,
    config: config(extra),
    refusals,
    readAfterWriteDelayMs: 0,
  });
  return { cloud, refusals, reconciler };
}
