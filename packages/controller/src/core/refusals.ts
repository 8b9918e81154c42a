import type { Refusal } from './plan.js';
import type { SourceEniFacts } from './types.js';

// AWS's Traffic Mirroring limitations: requester-managed ENIs are sources only when RDS or
// ElastiCache created them.
const MIRRORABLE_REQUESTERS: readonly string[] = ['amazon-rds', 'amazon-elasticache'];

/**
 * Why AWS will refuse this ENI as a mirror source, from what EC2 says about it, or `undefined` when
 * nothing predicts a refusal. A process that never tried (a new `status`) says so instead of
 * "missing" for an ENI that no reconcile can give a session.
 */
export function predictedRefusal(eni: SourceEniFacts): string | undefined {
  // ECS on EC2 with ENI trunking (awsvpcTrunking) gives each awsvpc task a branch ENI.
  if (eni.interfaceType === 'branch')
    return `${eni.eniId} is a branch ENI of ENI trunking (interface type branch): AWS accepts only interface type "interface" as a mirror source`;
  if (eni.interfaceType !== undefined && eni.interfaceType !== 'interface')
    return `${eni.eniId} has interface type ${eni.interfaceType}: AWS accepts only interface type "interface" as a mirror source`;
  if (eni.requesterManaged && !MIRRORABLE_REQUESTERS.includes(eni.requesterId ?? ''))
    return `${eni.eniId} is requester-managed (by ${eni.requesterId ?? 'an AWS service'}): AWS accepts requester-managed ENIs as mirror sources only when Amazon RDS or ElastiCache created them`;
  return undefined;
}

/**
 * Remembers AWS refusals (e.g. `NetworkInterfaceNotSupported`) per ENI, so a resync does not ask
 * AWS again for every task whose ENI was already refused. Entries expire after `ttlMs`, because a
 * refusal may be lifted (AWS's support for a source type changes over time).
 */
export interface RefusalCache {
  get(eniId: string): Refusal | undefined;
  set(eniId: string, refusal: Refusal): void;
  readonly size: number;
}

export class MemoryRefusalCache implements RefusalCache {
  readonly #entries = new Map<string, { refusal: Refusal; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: { ttlMs: number; now?: () => number; maxEntries?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(eniId: string): Refusal | undefined {
    const entry = this.#entries.get(eniId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(eniId);
      return undefined;
    }
    return entry.refusal;
  }

  set(eniId: string, refusal: Refusal): void {
    // Bounded: drop the oldest entry first (Map keeps insertion order).
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(eniId)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(eniId, { refusal, expiresAt: this.#now() + this.#ttlMs });
  }
}
