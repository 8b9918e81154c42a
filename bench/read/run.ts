// Benchmark of `fargate-mirror read` side by side with tshark and tcpdump on the same file, in one run.
// Usage: node bench/read/run.ts [--packets N] [--seed FILE] [--workers N] [--baseline CHECKOUT]
// --workers: also `read --workers N` (default 2; 0 leaves it out), its wall and CPU time beside one
// pipeline's, and where its CPU goes by thread (the reading thread bounds it on any number of cores).
// --baseline: another built checkout of this repository (e.g. a worktree of an earlier commit), whose
// `read` runs in the same run on the same file: the before/after ratio of a change.
// Prints packets/s, MB/s and ratios; then the heap with 1M concurrent flows. Never a test: timings on
// shared machines drift, so only the ratios within one run mean something.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeReplicatedCapture } from './make-capture.ts';
import { threadCpu } from './thread-cpu.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const targetPackets = Number(option('--packets', '1000000'));
const seed = option('--seed', 'fixtures/sample-mirror.pcap');
const cli = 'packages/cli/dist/bin.js';
const baseline = option('--baseline', '');
const workers = Number(option('--workers', '2'));

const dir = mkdtempSync(join(tmpdir(), 'fm-bench-read-'));
try {
  const capture = join(dir, 'replicated.pcap');
  const packets = makeReplicatedCapture(seed, capture, targetPackets);
  const bytes = statSync(capture).size;
  console.log(`capture: ${packets} packets, ${(bytes / 1e6).toFixed(1)} MB (replicas of ${seed})`);

  // Wall time (best of three after a warm-up) and CPU time (user + sys from /usr/bin/time, best of the
  // same three): on a shared machine CPU time is the steadier of the two; both are printed.
  const cpuTimes = new Map<string, number>();
  const run = (label: string, cmd: string, cmdArgs: string[]) => {
    const timing = join(dir, 'time.txt');
    spawnSync(cmd, cmdArgs, { stdio: 'ignore' }); // warm-up: page cache
    let best = Number.POSITIVE_INFINITY;
    let bestCpu = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t = process.hrtime.bigint();
      const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timing, cmd, ...cmdArgs], {
        stdio: ['ignore', 'ignore', 'pipe'],
        maxBuffer: 1 << 26,
      });
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
      const [user, sys] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      best = Math.min(best, seconds);
      bestCpu = Math.min(bestCpu, user + sys);
    }
    cpuTimes.set(label, bestCpu);
    console.log(
      `${label.padEnd(44)} wall ${best.toFixed(2).padStart(6)} s ${(packets / best / 1e3).toFixed(0).padStart(5)} kpps ${(bytes / best / 1e6).toFixed(0).padStart(4)} MB/s | cpu ${bestCpu.toFixed(2).padStart(6)} s ${(packets / bestCpu / 1e3).toFixed(0).padStart(5)} kpps`,
    );
    return best;
  };

  const ours = run('fargate-mirror read (flows + records)', process.execPath, [
    cli,
    'read',
    capture,
    '--records',
    join(dir, 'records.jsonl'),
  ]);
  const oursPcap = run('fargate-mirror read (+ decapsulated pcap)', process.execPath, [
    cli,
    'read',
    capture,
    '--records',
    // Its own file: records written beside a pcap name their first packet in it (pcap_file,
    // pcap_offset), so only the run without one compares byte for byte with the baseline's.
    join(dir, 'records-with-pcap.jsonl'),
    '--pcap-out',
    join(dir, 'inner.pcap'),
  ]);
  const oursWorkers =
    workers > 0
      ? run(`fargate-mirror read --workers ${workers}`, process.execPath, [
          cli,
          'read',
          capture,
          '--records',
          join(dir, 'records-workers.jsonl'),
          '--workers',
          String(workers),
        ])
      : Number.NaN;
  if (baseline !== '') {
    // Alternating, five runs each: one block of runs after the other moved by 10-35 % with the
    // machine's other jobs, more than any change measured here.
    const sides = [
      { label: 'this checkout', args: [cli, 'read', capture, '--records', join(dir, 'records.jsonl')] },
      {
        label: `baseline (${baseline})`,
        args: [join(baseline, cli), 'read', capture, '--records', join(dir, 'baseline-records.jsonl')],
      },
    ].map((side) => ({ ...side, wall: [] as number[], cpu: [] as number[] }));
    const timing = join(dir, 'time.txt');
    for (let i = 0; i < 5; i++) {
      for (const side of sides) {
        const t = process.hrtime.bigint();
        const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timing, process.execPath, ...side.args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        if (r.status !== 0) throw new Error(`${side.label} read failed: ${r.stderr}`);
        side.wall.push(Number(process.hrtime.bigint() - t) / 1e9);
        const [user, sys] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
        side.cpu.push(user + sys);
      }
    }
    const best = (xs: number[]) => Math.min(...xs);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    for (const side of sides)
      console.log(
        `${side.label.slice(0, 44).padEnd(44)} cpu best ${best(side.cpu).toFixed(2)} s, median ${median(side.cpu).toFixed(2)} s | wall best ${best(side.wall).toFixed(2)} s, median ${median(side.wall).toFixed(2)} s (5 runs, alternating)`,
      );
    const [now, before] = sides;
    const same = readFileSync(join(dir, 'records.jsonl')).equals(
      readFileSync(join(dir, 'baseline-records.jsonl')),
    );
    console.log(
      `ratio: read takes ${(best(now.cpu) / best(before.cpu)).toFixed(2)}x the baseline's CPU time (best), ${(median(now.cpu) / median(before.cpu)).toFixed(2)}x (median); records ${same ? 'byte-identical' : 'DIFFER'}`,
    );
  }
  const tshark = run('tshark -r F -q -z conv,tcp', 'tshark', ['-r', capture, '-q', '-z', 'conv,tcp']);
  // -Z root: as root, tcpdump otherwise hands its output file to the tcpdump user, /dev/null included.
  const tcpdump = run('tcpdump -r F -w /dev/null', 'tcpdump', [
    '-Z',
    'root',
    '-r',
    capture,
    '-w',
    '/dev/null',
  ]);
  const cpu = (label: string) => cpuTimes.get(label) ?? Number.NaN;
  const oursCpu = cpu('fargate-mirror read (flows + records)');
  const tsharkCpu = cpu('tshark -r F -q -z conv,tcp');
  const tcpdumpCpu = cpu('tcpdump -r F -w /dev/null');
  console.log(
    `ratio: read is ${(tshark / ours).toFixed(1)}x faster than tshark by wall time, ${(tsharkCpu / oursCpu).toFixed(1)}x by CPU time (goal >= 10x)`,
  );
  console.log(
    `ratio: read takes ${(ours / tcpdump).toFixed(1)}x tcpdump's plain read time by wall, ${(oursCpu / tcpdumpCpu).toFixed(1)}x by CPU (goal <= 3x)`,
  );
  console.log(
    `ratio: with --pcap-out ${(tshark / oursPcap).toFixed(1)}x tshark, ${(oursPcap / tcpdump).toFixed(1)}x tcpdump`,
  );

  if (workers > 0) {
    const label = `fargate-mirror read --workers ${workers}`;
    const sorted = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n').sort().join('\n');
    const same = sorted('records.jsonl') === sorted('records-workers.jsonl');
    console.log(
      `ratio: --workers ${workers} takes ${(oursWorkers / ours).toFixed(2)}x one pipeline's wall time and ${(cpu(label) / oursCpu).toFixed(2)}x its CPU; ${(tshark / oursWorkers).toFixed(1)}x faster than tshark by wall; records ${same ? 'the same lines' : 'DIFFER'}`,
    );
    // One more run of each, its CPU split by thread: the reading thread's share bounds --workers on
    // any number of cores.
    const split = async (extra: string[]) => {
      const records = join(dir, 'split.jsonl');
      const t = await threadCpu(process.execPath, [cli, 'read', capture, '--records', records, ...extra]);
      return [...t.byName]
        .filter(([, seconds]) => seconds >= 0.005)
        .sort((a, b) => b[1] - a[1])
        .map(
          ([name, seconds]) =>
            `${name} ${seconds.toFixed(2)} s (${((seconds / packets) * 1e6).toFixed(2)} us/packet)`,
        )
        .join(', ');
    };
    console.log(`  one pipeline, CPU by thread: ${await split([])}`);
    console.log(`  --workers ${workers}, CPU by thread: ${await split(['--workers', String(workers)])}`);
  }

  // Heap with 1M concurrent flows: a flow table of capacity 1M fed 1M distinct flows.
  const heap = execFileSync(process.execPath, ['--expose-gc', 'bench/read/flow-memory.ts'], {
    encoding: 'utf8',
  });
  process.stdout.write(heap);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
