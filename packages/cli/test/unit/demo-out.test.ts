// Issue 22: `demo --out` pointing at a file, below a file, or at a place this user cannot write fails
// at once with one line that says what is in the way (it used to print mkdir's EEXIST).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@fargate-mirror/testkit/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine } from './support/expect-one-line.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-demo-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'a-file');
writeFileSync(file, 'not a directory\n');

describe('demo --out', () => {
  it('a file exits 2: it is a file, not a directory', async () => {
    const result = await runCli(['demo', '--out', file]);
    expect(result.code).toBe(2);
    expectOneLine(
      result.stderr,
      'demo',
      /--out .*a-file: .*a-file is a file, not a directory \(OUTPUT_UNUSABLE\)$/,
    );
  });

  it('a path below a file exits 2 naming the file in the way', async () => {
    const result = await runCli(['demo', '--out', join(file, 'sub')]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, 'demo', /a-file \(in .*a-file\/sub\) is a file, not a directory/);
  });

  it('a place nobody may create directories in (sysfs, even for root) exits 2 naming it', async () => {
    const result = await runCli(['demo', '--out', '/sys/fargate-mirror-test/out']);
    expect(result.code).toBe(2);
    expectOneLine(
      result.stderr,
      'demo',
      /cannot create \/sys\/fargate-mirror-test \((not permitted|permission denied)\): choose a directory you can write/,
    );
  });
});
