// `read --workers N` against one pipeline: on every fixture (VXLAN, GENEVE, truncated, outer IP
// fragments, an ordinary host capture), generated captures long and big enough for idle expiry, slot
// reuse and keep-alive HTTP, a capture where both ends are mirrored (de-duplication), and one whose
// directions come from an ENI MAC only some workers' flows could learn, the records are the same lines (each
// worker's in its own order) and the summary is the same. And the outputs only one pipeline can write
// are refused, naming the option.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT, runCli } from '@fargate-mirror/testkit/cli';
import { rewriteMirror, SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run as runProgram } from '@fargate-mirror/testkit/proc';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReplicatedCapture } from '../../../../bench/read/make-capture.ts';
import { makeHttpCapture } from '../../../../bench/transactions/make-http-capture.ts';

const FIXTURES = join(REPO_ROOT, 'fixtures');
const WORKERS = '3';

interface Read {
  lines: string[];
  summary: Record<string, unknown>;
}

describe('read --workers gives the records and summary of one pipeline', () => {
  let dir = '';
  let run = 0;
  beforeAll(() => {
    requireTools(['/usr/bin/python3', 'scapy']);
    dir = mkdtempSync(join(tmpdir(), 'fm-read-workers-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function read(capture: string, extra: readonly string[]): Promise<Read> {
    const out = join(dir, `records-${run++}.jsonl`);
    const r = await runCli(['read', capture, '--records', out, '--summary-json', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.stderr.split('\n').find((l) => l.startsWith('{'));
    expect(summary, r.stderr).toBeDefined();
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    return { lines, summary: JSON.parse(summary as string) as Record<string, unknown> };
  }

  async function expectSameAsOnePipeline(capture: string, extra: readonly string[] = []): Promise<void> {
    const one = await read(capture, extra);
    const many = await read(capture, [...extra, '--workers', WORKERS]);
    expect(one.lines.length).toBeGreaterThan(0);
    expect(many.summary).toEqual(one.summary);
    // Same lines, byte for byte; only their order may differ between workers.
    expect([...many.lines].sort()).toEqual([...one.lines].sort());
  }

  const fixtures: [string, string, string[]][] = [
    ['VXLAN (the shipped sample)', 'sample-mirror.pcap', []],
    ['flow records only, no de-duplication', 'sample-mirror.pcap', ['--no-transactions', '--no-dedup']],
    ['GENEVE from a Gateway Load Balancer endpoint', 'sample-mirror-geneve.pcap', []],
    ['inner frames truncated to 128 bytes', 'sample-mirror-trunc128.pcap', []],
    ['outer IP fragments, reassembled by the reading thread', 'sample-mirror-frag1500.pcap', []],
    ['an ordinary capture of the host (no encapsulation)', 'sample-task.pcap', []],
  ];
  for (const [what, file, extra] of fixtures) {
    it(what, async () => {
      await expectSameAsOnePipeline(join(FIXTURES, file), extra);
    });
  }

  it('20,000 packets of replicated sessions over minutes: idle expiry at the same instants', async () => {
    const file = join(dir, 'replicated.pcap');
    makeReplicatedCapture(SAMPLE_MIRROR, file, 20_000);
    await expectSameAsOnePipeline(file);
  });

  it('keep-alive HTTP: 2,000 transactions on 200 connections', async () => {
    const file = join(dir, 'http.pcap');
    makeHttpCapture(file, 200, 10);
    await expectSameAsOnePipeline(file);
  });

  it('both ends mirrored: duplicates removed and directions as one pipeline gives them', async () => {
    const file = join(dir, 'both-ends.pcap');
    await rewriteMirror(SAMPLE_MIRROR, file, {
      outerSrc: '10.77.2.3',
      vni: 43,
      hopDec: 1,
      delayUs: 20,
      withOriginal: true,
    });
    await expectSameAsOnePipeline(file);
    await expectSameAsOnePipeline(file, ['--address-domain', 'vni']);
  });

  it("directions from the mirrored ENI's MAC, which only some workers' flows could learn", async () => {
    // The mirror point's address is the task's own (as AWS sends it: the ENI's primary address), so
    // the first IPv4 frame of the task teaches the ENI's MAC, and every later frame of the point, IPv6
    // included, is placed by it: a worker that owns no such IPv4 flow learns it from the reading thread.
    const file = join(dir, 'eni-source.pcap');
    await rewriteMirror(SAMPLE_MIRROR, file, { outerSrc: '10.77.1.2' });
    const one = await read(file, []);
    expect(one.lines.every((l) => !l.includes('"direction":"unknown"'))).toBe(true);
    await expectSameAsOnePipeline(file);
    for (const workers of ['2', '4']) {
      const many = await read(file, ['--workers', workers]);
      expect([...many.lines].sort()).toEqual([...one.lines].sort());
    }
  });

  it('from standard input (read once, by one thread that hands each worker its packets)', async () => {
    const both = join(dir, 'stdin-both-ends.pcap');
    await rewriteMirror(SAMPLE_MIRROR, both, { outerSrc: '10.77.1.2', withOriginal: true, hopDec: 1 });
    const frag = join(FIXTURES, 'sample-mirror-frag1500.pcap');
    const task = join(FIXTURES, 'sample-task.pcap');
    for (const [file, extra] of [
      [SAMPLE_MIRROR, []],
      [frag, []],
      [both, []],
      [task, ['--encapsulation', 'none']],
    ] as const) {
      const one = await read(file, extra);
      const out = join(dir, `records-${run++}.jsonl`);
      const r = await runProgram('/bin/sh', [
        '-c',
        'node="$0" bin="$1" out="$2" in="$3"; shift 3; exec "$node" "$bin" read - --records "$out" --summary-json --workers 3 "$@" < "$in"',
        process.execPath,
        CLI_BIN,
        out,
        file,
        ...extra,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{')) ?? 'null');
      expect({ ...summary, file: 'same' }).toEqual({ ...one.summary, file: 'same' });
      const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
      expect(lines.sort()).toEqual([...one.lines].sort());
    }
  });

  it('from a pipe named as a file (<(...)): read once, by one pipeline and by workers alike', async () => {
    // Sniffing for `--encapsulation auto` once read the pipe's first packets and left the read an
    // empty stream ("not a capture (empty file)"); workers each opening it would split its packets.
    const one = await read(SAMPLE_MIRROR, []);
    for (const extra of [[], ['--workers', WORKERS]]) {
      const out = join(dir, `records-${run++}.jsonl`);
      const r = await runProgram('/bin/bash', [
        '-c',
        'node="$0" bin="$1" out="$2" in="$3"; shift 3; exec "$node" "$bin" read <(cat "$in") --records "$out" --summary-json "$@"',
        process.execPath,
        CLI_BIN,
        out,
        SAMPLE_MIRROR,
        ...extra,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
      expect(lines.sort()).toEqual([...one.lines].sort());
    }
  });

  it('writes the records to standard output too', async () => {
    const one = await read(SAMPLE_MIRROR, []);
    const r = await runCli(['read', SAMPLE_MIRROR, '--workers', WORKERS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([...one.lines].sort());
  });

  it('refuses, naming them, the outputs one pipeline writes in capture order', async () => {
    const r = await runCli([
      'read',
      SAMPLE_MIRROR,
      '--workers',
      '2',
      '--records',
      join(dir, 'refused.jsonl'),
      '--pcap-out',
      join(dir, 'refused.pcap'),
      '--ocsf-parquet',
      join(dir, 'refused-parquet'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers 2 cannot be combined with --pcap-out, --ocsf-parquet/);
    const zero = await runCli(['read', SAMPLE_MIRROR, '--workers', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--workers/);
  });
});
