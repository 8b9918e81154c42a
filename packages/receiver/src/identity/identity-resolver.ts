import type { IdentitySource } from './aws-identity-source.js';
import {
  type IdentitySnapshot,
  type MirrorPointIdentity,
  mirrorPointKey,
  type Workload,
} from './workload.js';

export interface IdentityResolverOptions {
  /** Fixed identities (`--identity-map FILE`); they win over what the source says. */
  readonly static?: IdentitySnapshot;
  /** Background source (AWS). Without one, only the static map answers. */
  readonly source?: IdentitySource;
  /** Full re-read of the source this often. @default 60000 */
  readonly refreshMs?: number;
  /** An answer to a single look-up (a miss) is kept this long. @default 300000 */
  readonly ttlMs?: number;
  /** "Nothing there" is kept this long before asking again. @default 60000 */
  readonly negativeTtlMs?: number;
  /** Look-ups waiting at once; beyond this, misses are not queued (counted). @default 10000 */
  readonly maxPending?: number;
  /** Told about a failed refresh or look-up (the previous answers stay in use). */
  readonly onError?: (error: unknown, what: string) => void;
}

export interface IdentityStats {
  refreshes: number;
  refreshErrors: number;
  lookups: number;
  lookupErrors: number;
  /** Look-ups that found nothing (negative-cached). */
  notFound: number;
  /** Misses not queued because too many look-ups were waiting. */
  queueFull: number;
}

interface Cached<T> {
  readonly value: T | null;
  readonly expires: number;
}

/**
 * Answers "who is this address / mirror point" from memory, synchronously, so records are enriched
 * without waiting: a miss returns undefined at once and queues a background look-up whose answer
 * (or its absence, negative-cached) serves later records. A full refresh (every session, ENI and
 * task) runs in the background every `refreshMs`; a failed one keeps the previous picture.
 */
export class IdentityResolver {
  readonly stats: IdentityStats = {
    refreshes: 0,
    refreshErrors: 0,
    lookups: 0,
    lookupErrors: 0,
    notFound: 0,
    queueFull: 0,
  };
  private readonly options: IdentityResolverOptions;
  private snapshot: IdentitySnapshot = { mirrorPoints: new Map(), addresses: new Map() };
  private readonly points = new Map<string, Cached<MirrorPointIdentity>>();
  private readonly addresses = new Map<string, Cached<Workload>>();
  private readonly queue = new Map<string, () => Promise<void>>();
  private draining: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: IdentityResolverOptions) {
    this.options = options;
  }

  /** First full refresh (awaited, so the first records are enriched), then one every `refreshMs`. */
  async start(): Promise<void> {
    if (this.options.source === undefined) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-reads the whole source; on failure the previous snapshot stays. */
  refresh(): Promise<void> {
    const source = this.options.source;
    if (source === undefined) return Promise.resolve();
    this.refreshing ??= source
      .snapshot()
      .then((s) => {
        this.snapshot = s;
        this.stats.refreshes++;
        // A fresh picture beats old negative answers: ask again for what was missing.
        for (const [k, v] of this.points) if (v.value === null) this.points.delete(k);
        for (const [k, v] of this.addresses) if (v.value === null) this.addresses.delete(k);
      })
      .catch((error: unknown) => {
        this.stats.refreshErrors++;
        this.options.onError?.(error, 'identity refresh');
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Resolves once no look-up is waiting (tests, and `read` before it exits). */
  async idle(): Promise<void> {
    while (this.draining !== undefined || this.refreshing !== undefined) {
      await this.refreshing;
      await this.draining;
    }
  }

  /** The mirror point (vni, outer source IP), or undefined (not known yet, or nothing there). */
  mirrorPoint(vni: number, outerIp: string): MirrorPointIdentity | undefined {
    const key = mirrorPointKey(vni, outerIp);
    const fixed = this.options.static?.mirrorPoints.get(key) ?? this.snapshot.mirrorPoints.get(key);
    if (fixed !== undefined) return fixed;
    const source = this.options.source;
    const byEni = this.snapshot.enis?.get(outerIp);
    if (source === undefined) return byEni;
    // No session known for this VNI: ask in the background (a session created since the last
    // refresh); meanwhile the task ENI that owns the address (forwarder traffic) answers.
    return this.cached(this.points, 'point', key, () => source.lookupMirrorPoint(vni, outerIp)) ?? byEni;
  }

  /** The workload owning `ip` (canonical form), or undefined. */
  workload(ip: string): Workload | undefined {
    const fixed = this.options.static?.addresses.get(ip) ?? this.snapshot.addresses.get(ip);
    if (fixed !== undefined) return fixed;
    const source = this.options.source;
    if (source === undefined) return undefined;
    return this.cached(this.addresses, 'address', ip, () => source.lookupAddress(ip));
  }

  private cached<T>(
    cache: Map<string, Cached<T>>,
    kind: string,
    key: string,
    lookup: () => Promise<T | null>,
  ): T | undefined {
    const hit = cache.get(key);
    if (hit !== undefined && hit.expires > Date.now()) return hit.value ?? undefined;
    const queueKey = `${kind}:${key}`;
    if (this.queue.has(queueKey)) return hit?.value ?? undefined;
    if (this.queue.size >= (this.options.maxPending ?? 10_000)) {
      this.stats.queueFull++;
      return hit?.value ?? undefined;
    }
    this.queue.set(queueKey, async () => {
      this.stats.lookups++;
      try {
        const value = await lookup();
        if (value === null) this.stats.notFound++;
        const ttl = value === null ? (this.options.negativeTtlMs ?? 60_000) : (this.options.ttlMs ?? 300_000);
        cache.set(key, { value, expires: Date.now() + ttl });
      } catch (error) {
        this.stats.lookupErrors++;
        this.options.onError?.(error, `identity look-up of ${key}`);
        // Try again after the negative TTL rather than at every record.
        cache.set(key, {
          value: hit?.value ?? null,
          expires: Date.now() + (this.options.negativeTtlMs ?? 60_000),
        });
      }
    });
    this.drain();
    return hit?.value ?? undefined;
  }

  /** One look-up at a time: AWS Describe calls are rate-limited per account, and misses are few. */
  private drain(): void {
    this.draining ??= (async () => {
      // Let the caller finish its synchronous burst first: its misses are queued together.
      await new Promise((r) => setImmediate(r));
      while (this.queue.size > 0) {
        const [key, run] = this.queue.entries().next().value as [string, () => Promise<void>];
        await run();
        this.queue.delete(key);
      }
    })().finally(() => {
      this.draining = undefined;
    });
  }
}
