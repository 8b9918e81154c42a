import type { Refusal } from './plan.js';

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
