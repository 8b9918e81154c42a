import { AnalysisError } from '../errors.js';
import type { LatencyPercentiles } from './summary-report.js';

export interface LatencySketchOptions {
  /**
   * Largest relative error of a percentile (0.01: a reported 200 ms is within 198–202 ms of the
   * nearest-rank value of the exact durations). @default 0.01
   */
  readonly relativeError?: number;
  /**
   * Most buckets one sketch holds (8 bytes each). 1024 buckets at 1 % span 1 µs to 15 min; beyond that
   * the lowest buckets are merged, so only the lowest percentiles lose accuracy. @default 1024
   */
  readonly maxBuckets?: number;
}

/** Durations under half a microsecond (records have microsecond timestamps) count as 0. */
const ZERO_BELOW_MS = 0.0005;

/**
 * Durations as a logarithmic histogram (DDSketch, Masson et al., VLDB 2019): bucket `i` counts the
 * values in (γ^(i-1), γ^i] with γ = (1+α)/(1-α), and answers with 2γ^i/(γ+1), which is within α of
 * every value in the bucket. Its memory is fixed by `maxBuckets`, whatever the number of durations
 * added, and two sketches with the same options merge exactly (bucket counts add up), so the live
 * page's memory is set by configuration, not traffic. The files `summary` reads keep exact durations.
 */
export class LatencySketch {
  readonly relativeError: number;
  readonly maxBuckets: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  /** counts[k] is bucket `offset + k`; grown on demand up to maxBuckets. */
  private counts = new Float64Array(0);
  private offset = 0;
  private zeros = 0;
  private total = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  constructor(options: LatencySketchOptions = {}) {
    const alpha = options.relativeError ?? 0.01;
    const maxBuckets = options.maxBuckets ?? 1024;
    if (!(alpha > 0 && alpha < 1)) {
      throw new AnalysisError(
        'SUMMARY_OPTIONS_INVALID',
        `relativeError must be between 0 and 1, got ${alpha}`,
      );
    }
    if (!Number.isInteger(maxBuckets) || maxBuckets < 16 || maxBuckets > 65_536) {
      throw new AnalysisError(
        'SUMMARY_OPTIONS_INVALID',
        `maxBuckets must be a whole number from 16 to 65536, got ${maxBuckets}`,
      );
    }
    this.relativeError = alpha;
    this.maxBuckets = maxBuckets;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  /** Durations added. */
  get count(): number {
    return this.total;
  }

  /** Buckets allocated now (never more than maxBuckets). */
  get buckets(): number {
    return this.counts.length;
  }

  /** Memory of the buckets: 8 bytes each. */
  get bytes(): number {
    return this.counts.byteLength;
  }

  add(ms: number, times = 1): void {
    if (!Number.isFinite(ms) || ms < 0 || times <= 0) return;
    this.total += times;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (ms < ZERO_BELOW_MS) {
      this.zeros += times;
      return;
    }
    // slot() may replace the array: take the index first (`this.counts[slot()]` would read the old one).
    const k = this.slot(Math.ceil(Math.log(ms) / this.logGamma));
    this.counts[k] = (this.counts[k] as number) + times;
  }

  /** Adds another sketch's counts (same options): the sketch of both sets of durations. */
  merge(other: LatencySketch): void {
    if (other.gamma !== this.gamma) {
      throw new AnalysisError('SUMMARY_OPTIONS_INVALID', 'only sketches with the same relativeError merge');
    }
    if (other.total === 0) return;
    this.total += other.total;
    this.zeros += other.zeros;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    for (let i = 0; i < other.counts.length; i++) {
      const n = other.counts[i] as number;
      if (n === 0) continue;
      const at = this.slot(other.offset + i);
      this.counts[at] = (this.counts[at] as number) + n;
    }
  }

  /** Nearest-rank percentile (as `nearestRank` on the exact durations), within relativeError of it. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = this.zeros;
    if (seen >= rank) return 0;
    for (let k = 0; k < this.counts.length; k++) {
      seen += this.counts[k] as number;
      if (seen >= rank) {
        const value = (2 * this.gamma ** (this.offset + k)) / (this.gamma + 1);
        // The exact extremes are known: a bucket's answer never lies outside what was seen.
        return Math.min(Math.max(value, this.min), this.max);
      }
    }
    return this.max;
  }

  percentiles(): LatencyPercentiles {
    return { p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99) };
  }

  /** Where bucket `index` counts, growing the array (doubling, capped) or merging the lowest buckets. */
  private slot(index: number): number {
    const length = this.counts.length;
    if (length === 0) {
      this.counts = new Float64Array(Math.min(16, this.maxBuckets));
      this.offset = index - (this.counts.length >> 1);
      return index - this.offset;
    }
    if (index >= this.offset && index < this.offset + length) return index - this.offset;
    const low = Math.min(index, this.offset);
    const high = Math.max(index, this.offset + length - 1);
    const span = high - low + 1;
    if (span <= this.maxBuckets) {
      // Room to grow: double (so a run of new highs does not copy every time), keep the old counts.
      const size = Math.min(this.maxBuckets, Math.max(span, length * 2));
      const grown = new Float64Array(size);
      const newOffset = index < this.offset ? high - size + 1 : low;
      grown.set(this.counts, this.offset - newOffset);
      this.counts = grown;
      this.offset = newOffset;
      return index - this.offset;
    }
    if (index < this.offset) {
      // Below the range the sketch can span: the lowest bucket takes it (once grown to full size).
      if (length < this.maxBuckets) {
        const grown = new Float64Array(this.maxBuckets);
        const newOffset = this.offset + length - this.maxBuckets;
        grown.set(this.counts, this.offset - newOffset);
        this.counts = grown;
        this.offset = newOffset;
      }
      return 0;
    }
    // A new high beyond the span: the lowest buckets fold into the lowest kept one.
    const grown = new Float64Array(this.maxBuckets);
    const newOffset = index - this.maxBuckets + 1;
    for (let k = 0; k < length; k++) {
      const target = Math.max(0, this.offset + k - newOffset);
      grown[target] = (grown[target] as number) + (this.counts[k] as number);
    }
    this.counts = grown;
    this.offset = newOffset;
    return index - this.offset;
  }
}
