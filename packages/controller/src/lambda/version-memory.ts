/**
 * The highest `detail.version` handled successfully per task, bounded, so duplicate and late
 * copies of an event skip the AWS calls. It only saves work: correctness never depends on it,
 * since every handled event re-reads the real state, and a cold start simply forgets.
 */
export class VersionMemory {
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(maxEntries = 50_000) {
    this.#max = maxEntries;
  }

  /** `duplicate` (same version seen), `stale` (a newer one seen), or `new`. */
  classify(taskArn: string, version: number | undefined): 'new' | 'duplicate' | 'stale' {
    if (version === undefined) return 'new';
    const seen = this.#seen.get(taskArn);
    if (seen === undefined || version > seen) return 'new';
    return version === seen ? 'duplicate' : 'stale';
  }

  remember(taskArn: string, version: number | undefined): void {
    if (version === undefined) return;
    const seen = this.#seen.get(taskArn);
    if (seen !== undefined && seen >= version) return;
    this.#seen.delete(taskArn);
    if (this.#seen.size >= this.#max) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(taskArn, version);
  }
}
