// Benchmark of HTTP transaction records, side by side with tshark on the same file, in one run.
// Usage: node bench/transactions/run.ts [--connections N] [--per-connection K]
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

const dir = mkdtempSync(join(tmpdir(), 'fm-bench-tx-'));
try {
  const capture = join(dir, 'http-heavy.pcap');
  const made = makeHttpCapture(capture, connections, perConnection);
  const mb = statSync(capture).size / 1e6;
  console.log(
    `capture: ${made.packets} packets, ${mb.toFixed(1)} MB, ${made.connections} connections x ${perConnection} = ${made.transactions} HTTP transactions`,
  );

  const time = (label: string, cmd: string, cmdArgs: string[], runs: number) => {
    spawnSync(cmd, cmdArgs, { stdio: 'ignore' }); // warm-up (page cache, JIT of nothing: a new process)
    let best = Number.POSITIVE_INFINITY;
    let stdout = '';
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      const r = spawnSync(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
      stdout = r.stdout.toString();
      best = Math.min(best, seconds);
    }
    return { seconds: best, stdout };
  };

  const recordsFile = join(dir, 'records.jsonl');
  const ours = time('fargate-mirror read', process.execPath, [cli, 'read', capture, '--records', recordsFile], 3);
  const records = readFileSync(recordsFile, 'utf8').split('\n').filter((l) => l.includes('"type":"http"'));
  const tshark = time('tshark', 'tshark', ['-r', capture, '-n', '-Y', 'http', '-T', 'fields', '-e', 'http.request.uri'], 1);
  const tsharkUris = tshark.stdout.split('\n').filter((l) => l.trim() !== '').length;
  const row = (label: string, seconds: number, tx: number) =>
    console.log(`${label.padEnd(58)} ${seconds.toFixed(2).padStart(7)} s  ${(tx / seconds / 1e3).toFixed(1).padStart(7)} k transactions/s  (${tx} found)`);
  row(`node ${cli} read F --records R`, ours.seconds, records.length);
  row('tshark -r F -n -Y http -T fields -e http.request.uri', tshark.seconds, tsharkUris);
  const ratio = (records.length / ours.seconds) / (tsharkUris / tshark.seconds);
  console.log(`ratio: fargate-mirror is ${ratio.toFixed(1)}x tshark in transactions/s (goal >= 20x)`);
  if (records.length !== made.transactions) console.log(`WARNING: expected ${made.transactions} HTTP records`);

  const memory = execFileSync(process.execPath, ['--expose-gc', 'bench/transactions/reassembly-memory.ts'], {
    encoding: 'utf8',
  });
  process.stdout.write(memory);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
