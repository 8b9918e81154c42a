import type { IdentitySource } from './aws-identity-source.js';
import { ErrorThrottle, errorCode } from './error-throttle.js';
import { GraceMap } from './grace-map.js';
import {
  type IdentitySnapshot,
  type MirrorPointIdentity,
  mirrorPointKey,
  type Workload,
} from './workload.js';

/** What `onError` is told besides the error: its code and how many reports of it were held back. */
export interface IdentityErrorReport {
  readonly code: string;
  /** Failures with this code since the previous report, not reported on their own. */
  readonly suppressed: number;
}

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
  /**
   * A task, ENI or session that disappeared (stopped, deleted) keeps answering this long, so records of
   * its flows that end after it (up to a flow timeout after their last packet) still name it. Keep it
   * above the longest flow timeout (flows.tcpIdleSeconds, 300 s by default). An address re-assigned to
   * a new task answers with the new task at once. @default 600000
   */
  readonly graceMs?: number;
  /** `start` waits this long at most for the first refresh (a source that does not answer). @default 15000 */
  readonly firstRefreshTimeoutMs?: number;
  /** Look-ups waiting at once; beyond this, misses are not queued (counted). @default 10000 */
  readonly maxPending?: number;
  /** `onError` hears of each error code at most once this often (every failure is counted). @default 60000 */
  readonly errorReportIntervalMs?: number;
  /**
   * Told about a failed refresh or look-up (the previous answers stay in use), at most once per
   * `errorReportIntervalMs` for each error code.
   */
  readonly onError?: (error: unknown, what: string, report: IdentityErrorReport) => void;
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
  /** Questions (an address, a mirror point) answered from memory... */
  hits: number;
  /** ...and not answered (unknown yet, or nothing there). */
  misses: number;
  /** Hits answered by a task, ENI or session that had disappeared, within the grace period. */
  graceHits: number;
  /** Errors the AWS SDK raised outside any call of ours (caught by the worker, not fatal). */
  strayErrors: number;
}

/** Entries held in memory, by where they came from. */
export interface IdentityCacheSizes {
  /** From the last full refresh (and the static map). */
  readonly snapshot: number;
  /** Answers (and "nothing there") of single look-ups. */
  readonly lookups: number;
  /** Identities that disappeared, kept for the grace period. */
  readonly grace: number;
}

interface Cached<T> {
  readonly value: T | null;
  readonly expires: number;
}

/**
 * Answers "who is this address / mirror point" from memory, synchronously, so records are enriched
 * without waiting: a miss returns undefined at once and queues a background look-up whose answer
 * (or its absence, negative-cached) serves later records. A full refresh (every session, ENI and
 * task) runs in the background every `refreshMs`; a failed one keeps the previous picture. What a
 * refresh no longer lists is kept for `graceMs` (records of flows that outlive their task).
 */
export class IdentityResolver {
  readonly stats: IdentityStats = {
    refreshes: 0,
    refreshErrors: 0,
    lookups: 0,
    lookupErrors: 0,
    notFound: 0,
    queueFull: 0,
    hits: 0,
    misses: 0,
    graceHits: 0,
    strayErrors: 0,
  };
  private readonly options: IdentityResolverOptions;
  private snapshot: IdentitySnapshot = { mirrorPoints: new Map(), addresses: new Map() };
  private readonly points = new Map<string, Cached<MirrorPointIdentity>>();
  private readonly addresses = new Map<string, Cached<Workload>>();
  private readonly gonePoints: GraceMap<MirrorPointIdentity>;
  private readonly goneAddresses: GraceMap<Workload>;
  private readonly goneEnis: GraceMap<MirrorPointIdentity>;
  private readonly throttle: ErrorThrottle;
  private readonly queue = new Map<string, () => Promise<void>>();
  private draining: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: IdentityResolverOptions) {
    this.options = options;
    const graceMs = options.graceMs ?? 600_000;
    this.gonePoints = new GraceMap(graceMs);
    this.goneAddresses = new GraceMap(graceMs);
    this.goneEnis = new GraceMap(graceMs);
    this.throttle = new ErrorThrottle(options.errorReportIntervalMs ?? 60_000);
  }

  /**
   * First full refresh (awaited up to `firstRefreshTimeoutMs`, so the first records are enriched),
   * then one every `refreshMs`.
   */
  async start(): Promise<void> {
    if (this.options.source === undefined) return;
    const first = this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 60_000);
    this.timer.unref();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      first,
      new Promise((r) => {
        timeout = setTimeout(r, this.options.firstRefreshTimeoutMs ?? 15_000);
      }),
    ]);
    clearTimeout(timeout);
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
        const now = Date.now();
        const before = this.snapshot;
        this.gonePoints.retireMissing(before.mirrorPoints, s.mirrorPoints, now);
        this.goneAddresses.retireMissing(before.addresses, s.addresses, now);
        this.goneEnis.retireMissing(before.enis, s.enis, now);
        this.snapshot = s;
        this.stats.refreshes++;
        // A fresh picture beats old negative answers: ask again for what was missing.
        for (const [k, v] of this.points) if (v.value === null) this.points.delete(k);
        for (const [k, v] of this.addresses) if (v.value === null) this.addresses.delete(k);
      })
      .catch((error: unknown) => {
        this.stats.refreshErrors++;
        this.report(error, 'identity refresh');
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /**
   * An error of the identity source that no call of ours received (the AWS SDK leaves some of its
   * configuration promises unawaited): counted and reported like the others, never fatal.
   */
  noteStrayError(error: unknown): void {
    this.stats.strayErrors++;
    this.report(error, 'AWS SDK (outside any identity call)');
  }

  /** Resolves once no look-up is waiting (tests, and `read` before it exits). */
  async idle(): Promise<void> {
    while (this.draining !== undefined || this.refreshing !== undefined) {
      await this.refreshing;
      await this.draining;
    }
  }

  get cacheSizes(): IdentityCacheSizes {
    const s = this.snapshot;
    const fixed = this.options.static;
    return {
      snapshot:
        s.mirrorPoints.size +
        s.addresses.size +
        (s.enis?.size ?? 0) +
        (fixed === undefined ? 0 : fixed.mirrorPoints.size + fixed.addresses.size + (fixed.enis?.size ?? 0)),
      lookups: this.points.size + this.addresses.size,
      grace: this.gonePoints.size + this.goneAddresses.size + this.goneEnis.size,
    };
  }

  /** The mirror point (vni, outer source IP), or undefined (not known yet, or nothing there). */
  mirrorPoint(vni: number, outerIp: string): MirrorPointIdentity | undefined {
    const key = mirrorPointKey(vni, outerIp);
    const fixed = this.options.static?.mirrorPoints.get(key) ?? this.snapshot.mirrorPoints.get(key);
    if (fixed !== undefined) return this.hit(fixed);
    const source = this.options.source;
    const byEni = this.snapshot.enis?.get(outerIp);
    if (source === undefined) return byEni === undefined ? this.miss() : this.hit(byEni);
    // No session known for this VNI: ask in the background (a session created since the last
    // refresh); meanwhile the task ENI that owns the address (forwarder traffic) answers.
    const found = this.cached(this.points, this.gonePoints, 'point', key, () =>
      source.lookupMirrorPoint(vni, outerIp),
    );
    if (found !== undefined) return this.hit(found);
    const now = Date.now();
    // A session that ended: its VNI still names it, even once its ENI's address went to a new task.
    const gone = this.gonePoints.get(key, now);
    if (gone !== undefined) return this.graceHit(gone);
    if (byEni !== undefined) return this.hit(byEni);
    const goneEni = this.goneEnis.get(outerIp, now);
    return goneEni === undefined ? this.miss() : this.graceHit(goneEni);
  }

  /** The workload owning `ip` (canonical form), or undefined. */
  workload(ip: string): Workload | undefined {
    const fixed = this.options.static?.addresses.get(ip) ?? this.snapshot.addresses.get(ip);
    if (fixed !== undefined) return this.hit(fixed);
    const source = this.options.source;
    if (source === undefined) return this.miss();
    // A task started since the last refresh is asked for (and wins over one that had the address).
    const found = this.cached(this.addresses, this.goneAddresses, 'address', ip, () =>
      source.lookupAddress(ip),
    );
    if (found !== undefined) return this.hit(found);
    const gone = this.goneAddresses.get(ip, Date.now());
    return gone === undefined ? this.miss() : this.graceHit(gone);
  }

  private hit<T>(value: T): T {
    this.stats.hits++;
    return value;
  }

  private graceHit<T>(value: T): T {
    this.stats.graceHits++;
    return this.hit(value);
  }

  private miss(): undefined {
    this.stats.misses++;
    return undefined;
  }

  private report(error: unknown, what: string): void {
    const code = errorCode(error);
    const suppressed = this.throttle.admit(code);
    if (suppressed !== undefined) this.options.onError?.(error, what, { code, suppressed });
  }

  private cached<T>(
    cache: Map<string, Cached<T>>,
    gone: GraceMap<T>,
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
        if (value === null) {
          this.stats.notFound++;
          // It was there and is gone now (task stopped): keep answering for the grace period.
          if (hit?.value != null) gone.keep(key, hit.value, Date.now());
        }
        const ttl = value === null ? (this.options.negativeTtlMs ?? 60_000) : (this.options.ttlMs ?? 300_000);
        cache.set(key, { value, expires: Date.now() + ttl });
      } catch (error) {
        this.stats.lookupErrors++;
        this.report(error, `identity look-up of ${key}`);
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
