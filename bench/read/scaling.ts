// How `read` scales with capture size: replicas of the sample at 1M, 5M and 20M packets (short flows,
// records of every kind), each read once by `fargate-mirror read --records` and by `tcpdump -r F -w
// /dev/null` in the same run. Prints wall and CPU time per packet: flat per-packet time means the flow
// table, caches and output do not slow down as the capture grows.
// Usage: node bench/read/scaling.ts [--sizes 1000000,5000000,20000000] [--seed FILE]
// Needs free disk for the largest capture and its records (about 6.3 GB + 3 GB at 20M packets); each
// capture is deleted before the next is made. Never a test: only ratios within one run mean anything.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeReplicatedCapture } from './make-capture.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const sizes = option('--sizes', '1000000,5000000,20000000').split(',').map(Number);
const seed = option('--seed', 'fixtures/sample-mirror.pcap');
const cli = 'packages/cli/dist/bin.js';

const dir = mkdtempSync(join(tmpdir(), 'fm-bench-scale-'));
/** Wall and CPU (user + sys) seconds of one run, from /usr/bin/time. */
const time = (cmd: string, cmdArgs: string[]) => {
  const timing = join(dir, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', timing, cmd, ...cmdArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [wall, user, sys] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  return { wall, cpu: user + sys };
};
const us = (seconds: number, packets: number) => ((seconds / packets) * 1e6).toFixed(2).padStart(6);
try {
  console.log(
    'packets      read wall us/pkt  read cpu us/pkt | tcpdump wall us/pkt  cpu us/pkt | read/tcpdump wall  cpu',
  );
  for (const size of sizes) {
    const capture = join(dir, 'replicated.pcap');
    const records = join(dir, 'records.jsonl');
    const packets = makeReplicatedCapture(seed, capture, size);
    spawnSync('tcpdump', ['-Z', 'root', '-r', capture, '-w', '/dev/null'], { stdio: 'ignore' }); // page cache
    const ours = time(process.execPath, [cli, 'read', capture, '--records', records]);
    // -Z root: as root, tcpdump otherwise hands its output file to the tcpdump user, /dev/null included.
    const peer = time('tcpdump', ['-Z', 'root', '-r', capture, '-w', '/dev/null']);
    const mb = statSync(capture).size / 1e6;
    console.log(
      `${String(packets).padEnd(10)} ${us(ours.wall, packets)}           ${us(ours.cpu, packets)}          |        ${us(peer.wall, packets)}       ${us(peer.cpu, packets)} |    ${(ours.wall / peer.wall).toFixed(1).padStart(5)}x ${(ours.cpu / peer.cpu).toFixed(1).padStart(5)}x  (${mb.toFixed(0)} MB)`,
    );
    rmSync(capture, { force: true });
    rmSync(records, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
