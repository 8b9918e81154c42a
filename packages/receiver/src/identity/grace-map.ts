interface Kept<T> {
  readonly value: T;
  readonly until: number;
}

/**
 * Identities that disappeared (a task stopped, its ENI or session was deleted), kept for a grace
 * period: a flow ends, and its record is written, up to a flow timeout after its last packet, by
 * which time the next refresh no longer lists the task. Within the grace period such records still
 * name it. Entries expire by time; `forget` drops one whose key now belongs to something else.
 */
export class GraceMap<T> {
  private readonly entries = new Map<string, Kept<T>>();

  constructor(private readonly graceMs: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): T | undefined {
    const kept = this.entries.get(key);
    if (kept === undefined) return undefined;
    if (kept.until > now) return kept.value;
    this.entries.delete(key);
    return undefined;
  }

  keep(key: string, value: T, now: number): void {
    if (this.graceMs > 0) this.entries.set(key, { value, until: now + this.graceMs });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /**
   * After a refresh: what `before` had and `after` lacks is kept; what `after` has is current again,
   * so a kept entry for that key is dropped (an address re-assigned to a new task: the new one wins).
   */
  retireMissing(
    before: ReadonlyMap<string, T> | undefined,
    after: ReadonlyMap<string, T> | undefined,
    now: number,
  ): void {
    for (const key of after?.keys() ?? []) this.entries.delete(key);
    for (const [key, value] of before ?? []) if (!after?.has(key)) this.keep(key, value, now);
    for (const [key, kept] of this.entries) if (kept.until <= now) this.entries.delete(key);
  }
}
