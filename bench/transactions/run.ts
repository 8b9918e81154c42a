// Benchmark of HTTP transaction records, side by side with tshark on the same file, in one run.
// Usage: node bench/transactions/run.ts [--connections N] [--per-connection K] [--baseline CHECKOUT]
// --baseline: another built checkout of this repository, timed in the same run on the same file.
// Prints transactions/s of `fargate-mirror read --records` and of `tshark -Y http -T fields -e
// http.request.uri`, and their ratio; then the memory of 100k concurrent reassembling flows. Never a
// test: timings on shared machines drift, so only the ratio within one run means something.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHttpCapture } from './make-http-capture.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const connections = Number(option('--connections', '2000'));
const perConnection = Number(option('--per-connection', '25'));
const cli = 'packages/cli/dist/bin.js';
const baseline = option('--baseline', '');

const dir = mkdtempSync(join(tmpdir(), 'fm-bench-tx-'));
try {
  const capture = join(dir, 'http-heavy.pcap');
  const made = makeHttpCapture(capture, connections, perConnection);
  const mb = statSync(capture).size / 1e6;
  console.log(
    `capture: ${made.packets} packets, ${mb.toFixed(1)} MB, ${made.connections} connections x ${perConnection} = ${made.transactions} HTTP transactions`,
  );

  // Wall time and CPU time (user + sys, from /usr/bin/time): on a shared machine CPU time is the
  // steadier measure; both are reported.
  const time = (label: string, cmd: string, cmdArgs: string[], runs: number) => {
    const timing = join(dir, 'time.txt');
    spawnSync(cmd, cmdArgs, { stdio: 'ignore' }); // warm-up: page cache
    let best = { wall: Number.POSITIVE_INFINITY, cpu: Number.POSITIVE_INFINITY };
    let stdout = '';
    for (let i = 0; i < runs; i++) {
      const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', timing, cmd, ...cmdArgs], {
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 1 << 30,
      });
      if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
      stdout = r.stdout.toString();
      const [wall, user, sys] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
      if (user + sys < best.cpu) best = { wall, cpu: user + sys };
    }
    return { ...best, stdout };
  };

  const row = (label: string, t: { wall: number; cpu: number }, tx: number) =>
    console.log(
      `${label.padEnd(56)} cpu ${t.cpu.toFixed(2).padStart(6)} s ${(tx / t.cpu / 1e3).toFixed(1).padStart(6)} k tx/s | wall ${t.wall.toFixed(2).padStart(6)} s ${(tx / t.wall / 1e3).toFixed(1).padStart(6)} k tx/s  (${tx} found)`,
    );
  const recordsFile = join(dir, 'records.jsonl');
  const ours = time(
    'fargate-mirror read',
    process.execPath,
    [cli, 'read', capture, '--records', recordsFile],
    3,
  );
  const records = readFileSync(recordsFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"http"'));
  if (baseline !== '') {
    const baselineFile = join(dir, 'baseline-records.jsonl');
    const before = time(
      'baseline read',
      process.execPath,
      [join(baseline, cli), 'read', capture, '--records', baselineFile],
      3,
    );
    row(`baseline ${baseline} read F --records R`.slice(0, 56), before, records.length);
    const same = readFileSync(baselineFile, 'utf8') === readFileSync(recordsFile, 'utf8');
    console.log(
      `ratio (this/baseline time): cpu ${(ours.cpu / before.cpu).toFixed(2)}x, wall ${(ours.wall / before.wall).toFixed(2)}x; records ${same ? 'byte-identical' : 'DIFFER'}`,
    );
  }
  const tshark = time(
    'tshark',
    'tshark',
    ['-r', capture, '-n', '-Y', 'http', '-T', 'fields', '-e', 'http.request.uri'],
    1,
  );
  const tsharkUris = tshark.stdout.split('\n').filter((l) => l.trim() !== '').length;
  row(`node ${cli} read F --records R`, ours, records.length);
  row('tshark -r F -n -Y http -T fields -e http.request.uri', tshark, tsharkUris);
  const ratio = (a: number, b: number) => (records.length / a / (tsharkUris / b)).toFixed(1);
  console.log(
    `ratio (transactions/s): ${ratio(ours.cpu, tshark.cpu)}x tshark by CPU time, ${ratio(ours.wall, tshark.wall)}x by wall time (goal >= 20x)`,
  );
  if (records.length !== made.transactions)
    console.log(`WARNING: expected ${made.transactions} HTTP records`);

  const memory = execFileSync(process.execPath, ['--expose-gc', 'bench/transactions/reassembly-memory.ts'], {
    encoding: 'utf8',
  });
  process.stdout.write(memory);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
