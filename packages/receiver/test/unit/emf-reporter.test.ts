// The EMF file is bounded: past maxFileBytes it starts over (the CloudWatch agent follows a
// truncated file), so a receiver that runs for years never fills its disk with its own metrics.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmfReporter } from '../../src/metrics/emf-reporter.js';

const dir = mkdtempSync(join(tmpdir(), 'fm-emf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('EmfReporter', () => {
  it('keeps its file under maxFileBytes plus one line, whole lines only, and reports deltas', () => {
    const path = join(dir, 'sub', 'emf.jsonl');
    let datagrams = 0;
    let now = 1_000_000;
    const emf = new EmfReporter({
      path,
      namespace: 'FargateMirror/Receiver',
      fleet: 'f',
      instance: 'i-0123456789abcdef0',
      intervalMs: 60_000,
      maxFileBytes: 2000,
      now: () => now,
      source: {
        kernelDrops: 0,
        get datagrams() {
          return datagrams;
        },
        recordsWritten: 0,
        recordsDropped: 0,
        hecSpoolUsedPercent: 0,
        diskUsedPercent: 12.345,
        healthy: true,
      },
    });
    emf.start();
    let longest = 0;
    for (let i = 0; i < 30; i++) {
      datagrams += 600;
      now += 60_000;
      emf.report();
      const text = readFileSync(path, 'utf8');
      longest = Math.max(longest, ...text.split('\n').map((l) => l.length + 1));
      expect(statSync(path).size).toBeLessThanOrEqual(2000 + longest);
      for (const line of text.trim().split('\n')) {
        const m = JSON.parse(line) as Record<string, number>;
        expect(m.DatagramsPerSecond).toBe(10);
        expect(m.DiskUsedPercent).toBe(12.35);
      }
    }
    emf.stop();
    expect(emf.linesWritten).toBe(31);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
  });
});
