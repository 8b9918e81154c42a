// Issue 22: a missing input file is a one-line input error naming the file (exit 2); Node's own
// errors (ENOENT, EACCES from a path nobody checked) are runtime failures, never usage errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@fargate-mirror/testkit/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine } from './support/expect-one-line.ts';
import { SAMPLE } from './support/sample.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('input files named on the command line', () => {
  it.each([
    ['read', ['read', join(dir, 'missing.pcap')]],
    ['replay', ['replay', join(dir, 'missing.pcap'), '--to', '127.0.0.1:9']],
    ['read', ['read', SAMPLE, '--identity-map', join(dir, 'missing.pcap')]],
    ['receive', ['receive', '--config', join(dir, 'missing.pcap')]],
  ])('%s: a missing file exits 2 with one line naming it', async (command, args) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, command, /no such file: .*missing\.pcap/);
  });

  it('a directory given as the capture exits 2 and says so', async () => {
    const result = await runCli(['read', dir]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, 'read', /is a directory, not a file/);
  });

  it("Node's ENOENT for an output in a missing directory is a runtime failure (1), named, not a usage error", async () => {
    const records = join(dir, 'no-such-dir', 'records.jsonl');
    const result = await runCli(['read', SAMPLE, '--records', records]);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, 'read', /ENOENT.*no-such-dir/);
  });

  it('a file that is not a capture is still an input error of ours (2), with its code', async () => {
    const text = join(dir, 'text.pcap');
    writeFileSync(text, 'not a capture at all\n');
    const result = await runCli(['read', text, '--records', join(dir, 'r.jsonl')]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, 'read', /not a pcap or pcapng capture .*\(CAPTURE_NOT_A_CAPTURE\)$/);
  });
});
