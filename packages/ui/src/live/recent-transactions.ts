import type { UiTransaction, UiTransactionList, UiTransactionQuery } from '../api/ui-api.js';

/** A transaction as held: its sides still as keys, labelled when read (the cluster rule can change). */
export interface HeldTransaction extends Omit<UiTransaction, 'source' | 'destination'> {
  readonly sourceKey: string;
  readonly destinationKey: string;
}

const MAX_LIMIT = 500;

/**
 * The newest HTTP transactions in a fixed ring (oldest overwritten), so a receiver that runs for weeks
 * holds the same few hundred rows as one that just started.
 */
export class RecentTransactions {
  private readonly ring: (HeldTransaction | undefined)[];
  private next = 0;
  private count = 0;

  constructor(capacity: number) {
    this.ring = new Array(capacity).fill(undefined);
  }

  get held(): number {
    return this.count;
  }

  push(tx: HeldTransaction): void {
    this.ring[this.next] = tx;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
  }

  /** Newest first. */
  *newestFirst(): Generator<HeldTransaction> {
    for (let i = 1; i <= this.count; i++) {
      const tx = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (tx !== undefined) yield tx;
    }
  }

  /** Newest first, filtered; `label` turns a side's key into what the page shows. */
  query(q: UiTransactionQuery, label: (key: string) => string): UiTransactionList {
    const limit = Math.min(Math.max(1, q.limit ?? 200), MAX_LIMIT);
    const status = statusMatcher(q.status);
    const path = q.path?.trim() === '' ? undefined : q.path;
    const service = q.service === '' ? undefined : q.service;
    const out: UiTransaction[] = [];
    let matched = 0;
    for (const tx of this.newestFirst()) {
      const source = label(tx.sourceKey);
      const destination = label(tx.destinationKey);
      if (service !== undefined && source !== service && destination !== service) continue;
      if (!status(tx.status)) continue;
      if (path !== undefined && !(tx.path ?? '').includes(path)) continue;
      matched++;
      if (out.length < limit) {
        const { sourceKey: _s, destinationKey: _d, ...rest } = tx;
        out.push({ ...rest, source, destination });
      }
    }
    return { held: this.count, matched, transactions: out };
  }
}

/** `404` matches that code, `4xx` the class; anything else (or nothing) matches every status. */
function statusMatcher(filter: string | undefined): (status: number | null) => boolean {
  const f = filter?.trim().toLowerCase() ?? '';
  if (/^[1-5]xx$/.test(f)) {
    const cls = Number(f[0]);
    return (s) => s !== null && Math.floor(s / 100) === cls;
  }
  if (/^\d{3}$/.test(f)) {
    const code = Number(f);
    return (s) => s === code;
  }
  return () => true;
}
