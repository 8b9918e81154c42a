// Issue 22: `-` means standard output for --pcap-out too (it used to create a file named `-`; pipes
// are tested in test/lab), and a reader that closes the pipe early (`read big.pcap | head`) ends the
// command quietly with exit 0.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@fargate-mirror/testkit/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine } from './support/expect-one-line.ts';
import { SAMPLE, writeRepeatedSample } from './support/sample.ts';
import { runCliBinary } from './support/spawn-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-stdout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('standard output', () => {
  it('--pcap-out - with stdout a socket (as Node gives a child) writes the same pcap as --pcap-out FILE', async () => {
    // Node gives a child's stdio as a socket pair; shells give pipes (tested in test/lab). A socket
    // cannot be reopened through /dev/stdout, so this proves descriptor 1 is written as it is.
    const file = join(dir, 'inner.pcap');
    const toFile = await runCliBinary([
      'read',
      SAMPLE,
      '--records',
      join(dir, 'a.jsonl'),
      '--pcap-out',
      file,
    ]);
    expect(toFile.code).toBe(0);
    const result = await runCliBinary(['read', SAMPLE, '--records', join(dir, 'b.jsonl'), '--pcap-out', '-']);
    expect(result.stderr).toMatch(/^read .*\n {2}packets read: 152\n/);
    expect(result.code).toBe(0);
    expect(result.stdout.readUInt32LE(0)).toBe(0xa1b23c4d);
    expect(result.stdout.length).toBeGreaterThan(24);
    expect(result.stdout.equals(readFileSync(file))).toBe(true);
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
  });

  it('--pcap-out - with --records - exits 2: the two would mix on one stream', async () => {
    const result = await runCli(['read', SAMPLE, '--pcap-out', '-', '--records', '-']);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, 'read', /--pcap-out - and --records - would mix/);
  });

  it('a reader that stops early ends read quietly with exit 0 (records on stdout)', async () => {
    // Prepare: far more output than a pipe buffers, so the writes meet the closed pipe.
    const big = writeRepeatedSample(join(dir, 'big.pcap'), 300);
    // Act
    const result = await runCliBinary(['read', big, '--no-dedup'], 4096);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.length).toBeGreaterThanOrEqual(4096);
  });
});
