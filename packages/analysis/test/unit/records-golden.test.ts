// Records stay byte-identical across speed work: every golden case (test/golden/cases.ts: the
// fixtures of real mirrored traffic and two generated captures that reuse flow slots) is read by the
// current source and compared byte for byte with the records the code wrote when the golden files
// were made. A change meant to change records regenerates them (test/golden/regenerate.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/offline/read-capture.js';
import { GOLDEN_CASES, goldenFile, recordsOf } from '../golden/cases.ts';

/** The first line where two JSON Lines texts differ, for a message a person can act on. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}:\n  now:    ${a[i]}\n  golden: ${e[i]}`;
  }
  return 'no line differs';
}

describe('records are byte-identical to the golden records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-golden-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of GOLDEN_CASES) {
    it(c.name, () => {
      const golden = gunzipSync(readFileSync(goldenFile(c)));
      const now = recordsOf(c, dir, (o) => readCapture(o as Parameters<typeof readCapture>[0]));
      expect(golden.length).toBeGreaterThan(0);
      if (!now.equals(golden)) {
        expect.fail(
          `records of ${c.name} differ from ${goldenFile(c)} (if the change is meant to change records, ` +
            `npm run build && node packages/analysis/test/golden/regenerate.ts): ${firstDifference(now.toString('utf8'), golden.toString('utf8'))}`,
        );
      }
    });
  }
});
