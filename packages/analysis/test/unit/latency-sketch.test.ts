// The live page's latency sketch: every percentile within its stated relative error of the exact
// nearest-rank figure, memory fixed by its options however many durations it has seen (sizes, not
// timings), and merging two sketches is the sketch of both sets.
import { describe, expect, it } from 'vitest';
import { isAnalysisError, LatencySketch, nearestRank, TrafficSummary } from '../../src/index.ts';

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Durations spread over six decades (10 µs to 10 s), rounded to microseconds as records are. */
function durations(n: number, seed: number): number[] {
  const next = random(seed);
  return Array.from({ length: n }, () => Math.round(10 ** (-2 + 6 * next()) * 1000) / 1000);
}

const QUANTILES = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe('LatencySketch', () => {
  for (const alpha of [0.01, 0.002]) {
    it(`answers every percentile within ${alpha * 100} % of the exact nearest rank`, () => {
      const values = durations(50_000, 7);
      const sketch = new LatencySketch({ relativeError: alpha, maxBuckets: 8192 });
      for (const v of values) sketch.add(v);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of QUANTILES) {
        const exact = nearestRank(sorted, q) as number;
        const approx = sketch.quantile(q) as number;
        expect(Math.abs(approx - exact), `q=${q}: ${approx} vs ${exact}`).toBeLessThanOrEqual(
          alpha * exact + 1e-12,
        );
      }
    });
  }

  it('holds the same buckets after a thousand durations as after a million over the same range', () => {
    const a = new LatencySketch();
    const b = new LatencySketch();
    const next = random(11);
    // Both see the range's two ends first, then a and b differ only in how many values follow.
    for (const s of [a, b]) {
      s.add(0.01);
      s.add(10_000);
    }
    for (let i = 0; i < 1000; i++) a.add(10 ** (-2 + 6 * next()));
    const bytesAfterThousand = a.bytes;
    for (let i = 0; i < 1_000_000; i++) b.add(10 ** (-2 + 6 * next()));
    expect(b.count).toBe(1_000_002);
    expect(b.bytes).toBe(bytesAfterThousand);
    expect(b.buckets).toBeLessThanOrEqual(b.maxBuckets);
  });

  it('never holds more than maxBuckets, however wide the durations (the lowest merge)', () => {
    const s = new LatencySketch({ relativeError: 0.01, maxBuckets: 64 });
    for (let e = -3; e <= 9; e += 0.01) s.add(10 ** e);
    expect(s.buckets).toBe(64);
    expect(s.bytes).toBe(64 * 8);
    // The top keeps its accuracy; the merged low end answers high, never outside what was seen.
    const top = s.quantile(1) as number;
    expect(Math.abs(top - 1e9) / 1e9).toBeLessThanOrEqual(0.01);
    expect(s.quantile(0) as number).toBeGreaterThanOrEqual(1e-3);
    // A new low below the kept range goes into the lowest bucket, not into a bigger array.
    s.add(1e-3);
    expect(s.buckets).toBe(64);
  });

  it('merges: the sketch of two halves is the sketch of the whole', () => {
    const values = durations(20_000, 3);
    const whole = new LatencySketch();
    const left = new LatencySketch();
    const right = new LatencySketch();
    values.forEach((v, i) => {
      whole.add(v);
      (i % 2 === 0 ? left : right).add(v);
    });
    left.merge(right);
    expect(left.count).toBe(whole.count);
    for (const q of QUANTILES) expect(left.quantile(q)).toBe(whole.quantile(q));
    expect(() => left.merge(new LatencySketch({ relativeError: 0.05 }))).toThrow(/same relativeError/);
  });

  it('counts zero durations as 0, and answers null when empty', () => {
    const s = new LatencySketch();
    expect(s.quantile(0.5)).toBeNull();
    s.add(0);
    s.add(0);
    s.add(5);
    expect(s.quantile(0.5)).toBe(0);
    expect(Math.abs((s.quantile(0.99) as number) - 5)).toBeLessThanOrEqual(0.05);
    s.add(Number.NaN);
    s.add(-1);
    expect(s.count).toBe(3);
  });

  it('refuses options it cannot honour, with a stable code', () => {
    for (const options of [
      { relativeError: 0 },
      { relativeError: 1 },
      { maxBuckets: 4 },
      { maxBuckets: 1.5 },
    ]) {
      let caught: unknown;
      try {
        new LatencySketch(options);
      } catch (error) {
        caught = error;
      }
      expect(isAnalysisError(caught) && caught.code).toBe('SUMMARY_OPTIONS_INVALID');
    }
  });
});

describe('TrafficSummary latency modes', () => {
  const http = (ms: number) => ({
    type: 'http',
    src_ecs_service: 'web',
    dest_ecs_service: 'api',
    status: 200,
    duration_ms: ms,
  });

  it('exact (files) grows with the transactions; a sketch (live page) stays the same size', () => {
    const exact = new TrafficSummary();
    const sketched = new TrafficSummary({ latency: { sketch: {} } });
    const next = random(5);
    const feed = (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = http(Math.round((1 + 999 * next()) * 1000) / 1000);
        exact.add(r);
        sketched.add(r);
      }
    };
    sketched.add(http(1));
    sketched.add(http(1000));
    feed(10_000);
    const sketchBytes = sketched.latencyBytes;
    expect(exact.latencyBytes).toBe(10_000 * 8);
    feed(90_000);
    expect(exact.latencyBytes).toBe(100_000 * 8);
    expect(sketched.latencyBytes).toBe(sketchBytes);
    expect(sketchBytes).toBeLessThanOrEqual(1024 * 8);
    const e = exact.report();
    const s = sketched.report();
    expect(e.latencyRelativeError).toBe(0);
    expect(s.latencyRelativeError).toBe(0.01);
    for (const p of ['p50', 'p95', 'p99'] as const) {
      const x = e.edges[0]?.latencyMs[p] as number;
      const y = s.edges[0]?.latencyMs[p] as number;
      expect(Math.abs(y - x)).toBeLessThanOrEqual(0.01 * x);
    }
  });
});
