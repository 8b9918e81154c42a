// Issue 2: a file that is not a capture gets a one-line error on stderr and exit code 2, never a
// stack trace.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@fargate-mirror/testkit/cli';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'fm-bad-input-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const notCaptures: [string, string | Buffer][] = [
  ['a text file', 'GET / HTTP/1.1\nHost: example.test\n\nthis is not a capture\n'],
  ['random bytes', randomBytes(4096)],
  ['an empty file', ''],
];

describe('fargate-mirror read on a file that is not a capture', () => {
  it.each(notCaptures)('rejects %s with exit code 2 and one line on stderr', async (name, content) => {
    // Prepare
    const file = join(dir, `${name.replace(/\W+/g, '-')}.bin`);
    writeFileSync(file, content);
    // Act
    const result = await runCli([
      'read',
      file,
      '--records',
      join(dir, 'out.jsonl'),
      '--pcap-out',
      join(dir, 'o.pcap'),
    ]);
    // Assess
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].length).toBeGreaterThan(10);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toMatch(/node:internal|\.js:\d+/);
  });
});
