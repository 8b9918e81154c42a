// Regenerates the golden records from the built packages: `npm run build && node
// packages/analysis/test/golden/regenerate.ts`. Run it only when a change is meant to change records
// (a new field, a fix) and say so in the commit; a speed change must leave these files as they are.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCapture } from '@fargate-mirror/analysis';
import { GOLDEN_CASES, goldenFile, recordsOf } from './cases.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-golden-'));
try {
  for (const c of GOLDEN_CASES) {
    const bytes = recordsOf(c, dir, (o) => readCapture(o as Parameters<typeof readCapture>[0]));
    // mtime 0 in the gzip header (level 9, fixed): the same records give the same file.
    writeFileSync(goldenFile(c), gzipSync(bytes, { level: 9 }));
    console.log(`${c.name}: ${bytes.toString('utf8').split('\n').length - 1} records`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
