// Benchmark of `fargate-mirror receive` (pcap and records on) side by side with the peers users have
// today, in one run: a kernel VXLAN device with `tcpdump -w` on it, and a bare C recvmmsg loop. VXLAN
// is offered on loopback by a C sendmmsg generator at rising rates; for 100- and 1500-byte inner
// frames it finds the highest rate each peer takes with < 0.1% loss, and prints the ratios.
//
// usage (root): node bench/receive/run.ts [--sizes 100,1500] [--trial-seconds 0.5] [--intakes afpacket,native,js]
//   [--profile] [--workers N] [--cpu-rate R [--cpu-count N]] [--profile-rate R] [--perf-rate R]
//
// --cpu-rate R: instead of searching the zero-loss rate, offers R datagrams/s (default count 5 s of
// them) once to each peer and prints the CPU time (every thread, /proc/PID/task/*/schedstat) each
// spent per datagram. On a machine too loaded for the generator to reach the peers' limits this
// still compares their cost; tcpdump's figure is its own process only (the kernel's VXLAN decap
// runs in the sender's softirq and is not in it).
//
// --perf-rate R: offers R datagrams/s for 3 s (the first size) to receive (the first intake) and to the
// kernel VXLAN + tcpdump peer, each under `perf record` of CPU 0 (where both run: every thread,
// kernel included, JavaScript named through --perf-basic-prof), and prints each one's CPU 0 time per
// datagram split by thread and code (JIT, node, kernel) and its top symbols. --cpu-prof sees only
// JavaScript, and counts the native intake's blocking poll as the busy function that called it.
//
// Runs in a network namespace of its own; raises net.core.rmem_max to 64 MiB for the run (every peer
// gets a 32 MiB receive buffer) and restores it. Receiver and peers are pinned to CPU 0, the generator
// to CPU 1 (loopback delivery runs in the sender's softirq, so CPU 1 also carries the kernel's receive
// path). Two cores cannot show worker scaling: `receive` runs with one worker. Never a test.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const CLI = join(REPO, 'packages/cli/dist/bin.js');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const sizes = option('--sizes', '100,1500').split(',').map(Number);
const trialSeconds = Number(option('--trial-seconds', '0.5'));
const profile = args.includes('--profile');
// --workers N: one more peer, receive with N workers pinned to CPUs 0..N-1 (on a 2-core machine the
// second worker shares CPU 1 with the generator and the kernel's loopback delivery).
const workers = Number(option('--workers', '1'));
// --receive-cpus LIST: the CPUs one-worker receive runs on (taskset -c), default 0 as every receiver.
// 0-1 lets the native intake's receive thread run beside the worker, on the CPU where the kernel's
// loopback delivery and the kernel peer's VXLAN decapsulation already run (the generator's).
const receiveCpus = option('--receive-cpus', '0');
// --intakes: receive once per intake (native: the recvmmsg addon; js: dgram; afpacket: the addon's
// packet ring on lo); the first one is the intake of --workers and --profile.
const intakes = option('--intakes', 'afpacket,native,js').split(',');
const receiveName = (intake: string, n = 1) => `receive --intake ${intake}${n > 1 ? `, ${n} workers` : ''}`;
const cpuRate = Number(option('--cpu-rate', '0'));
const cpuCount = Number(option('--cpu-count', String(cpuRate * 5)));
// --profile-rate R: only the --cpu-prof trial of receive, at R datagrams/s and the first size (no search).
const profileRate = Number(option('--profile-rate', '0'));
const perfRate = Number(option('--perf-rate', '0'));
const PERF_SECONDS = 3;
const PERF_HZ = 2000;
const FLOWS = 1024;
const RECV_BUFFER = 32 * 1024 * 1024;
/**
 * How long after a peer stops the next one starts. These virtual machines give memory the kernel
 * freed back to the host within about 2 s (free page reporting), and a page that went back costs
 * about 10x more to write again (1 GiB written: 0.29 s of CPU right after the previous one was
 * deleted, 1.52 s after 2 s): a peer started at once would write the page cache the previous peer's
 * deleted files freed, cheaply, and the one before it had not.
 */
const BETWEEN_PEERS_MS = 5000;
/** What receive keeps of its pcap files (pcapMaxTotal), and tcpdump's files the same. */
const PCAP_MAX_TOTAL = 2 * 1024 * 1024 * 1024;
const LOSS_LIMIT = 0.001;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!args.includes('--in-netns')) await outside();
else await inside(option('--dir', ''));

/** Checks tools, builds the C programs, sets rmem_max, and re-runs itself inside a fresh namespace. */
async function outside(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('bench/receive needs root (network namespace, rmem_max, tcpdump)');
  for (const tool of ['gcc', 'tcpdump', 'taskset', 'ip', ...(perfRate > 0 ? ['perf'] : [])]) {
    if (spawnSync('which', [tool]).status !== 0)
      throw new Error(
        `bench/receive needs ${tool}${tool === 'perf' ? ' (Debian: apt-get install linux-perf)' : ''}`,
      );
  }
  try {
    statSync(CLI);
  } catch {
    throw new Error(`${CLI} is missing: npx tsc -b packages/cli first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fm-bench-receive-'));
  const ns = `fmbench${process.pid}`;
  const rmemBefore = readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim();
  const wmemBefore = readFileSync('/proc/sys/net/core/wmem_max', 'utf8').trim();
  const restore = () => {
    writeFileSync('/proc/sys/net/core/rmem_max', rmemBefore);
    writeFileSync('/proc/sys/net/core/wmem_max', wmemBefore);
    // Whatever a stopped run left running in the namespace (receive, tcpdump, the generator).
    const left = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of left.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const prog of ['vxgen', 'vxsink']) {
      execFileSync('gcc', ['-O2', '-o', join(dir, prog), join(HERE, `${prog}.c`)]);
    }
    writeFileSync('/proc/sys/net/core/rmem_max', String(2 * RECV_BUFFER));
    writeFileSync('/proc/sys/net/core/wmem_max', String(16 * 1024 * 1024));
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        fileURLToPath(import.meta.url),
        ...args,
        '--in-netns',
        '--dir',
        dir,
      ],
      {
        stdio: 'inherit',
      },
    );
    // A run stopped from outside (Ctrl-C, `timeout`) still restores the machine below: the signal
    // goes on to the run in the namespace, whose end ends this one. Two runs killed before this was
    // here left rmem_max at 64 MiB and their namespaces behind.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    if (status !== 0) process.exitCode = status ?? 1;
  } finally {
    restore();
  }
}

interface Peer {
  readonly name: string;
  readonly port: number;
  /** The peer's own process, when one runs for the whole size (receive). */
  readonly pid?: number;
  /** Starts whatever runs for the whole size (or per trial) and returns a counter of received datagrams. */
  trial(run: () => Promise<{ sent: number; seconds: number }>): Promise<{
    sent: number;
    received: number;
    seconds: number;
    cpuNs: number;
    /** CPU ns by thread name (receive only): where the per-datagram time goes. */
    threads?: Record<string, number>;
  }>;
  stop(): Promise<void>;
}

async function inside(dir: string): Promise<void> {
  const gen = join(dir, 'vxgen');
  console.log(
    `receive benchmark: loopback in a private namespace, ${FLOWS} inner flows, < ${LOSS_LIMIT * 100}% loss, trials of ${trialSeconds} s`,
  );
  console.log('generator pinned to CPU 1, every receiver to CPU 0; receive buffers 32 MiB\n');
  if (cpuRate > 0) return cpuCost(dir, gen);
  if (profileRate > 0) return profileReceive(dir, gen, profileRate, sizes[0]);
  if (perfRate > 0) return perfPeers(dir, gen, perfRate, sizes[0]);
  const results: Record<string, Record<number, number>> = {};
  for (const size of sizes) {
    const peers = [...intakes.map((i) => (d: string) => makeReceive(d, i)), makeTcpdump, makeCSink];
    if (workers > 1) peers.push((d: string) => makeReceive(d, intakes[0], [], workers));
    for (const make of peers) {
      const peer = await make(dir);
      try {
        const best = await search(peer, gen, size);
        results[peer.name] = { ...results[peer.name], [size]: best };
      } finally {
        await stopPeer(peer);
      }
    }
  }
  console.log('\nhighest rate with < 0.1% loss (datagrams/s):');
  console.log(`${'peer'.padEnd(34)}${sizes.map((s) => `${s}-byte inner`.padStart(18)).join('')}`);
  for (const [name, bySize] of Object.entries(results)) {
    console.log(
      `${name.padEnd(34)}${sizes.map((s) => `${Math.round(bySize[s] / 1000)} k`.padStart(18)).join('')}`,
    );
  }
  const ratio = (label: string, a: Record<number, number>, b: Record<number, number>) =>
    console.log(`${label.padEnd(34)}${sizes.map((s) => (a[s] / b[s]).toFixed(2).padStart(18)).join('')}`);
  for (const intake of intakes) {
    const ours = results[receiveName(intake)];
    ratio(`${intake} / (vxlan + tcpdump)`, ours, results['kernel vxlan + tcpdump -w']);
    ratio(`${intake} / C recvmmsg`, ours, results['C recvmmsg loop']);
  }
  const ours = results[receiveName(intakes[0])];
  if (workers > 1)
    ratio(`${intakes[0]} ${workers} workers / 1 worker`, results[receiveName(intakes[0], workers)], ours);
  console.log(
    '\nNote: with --intake js Node allocates a Buffer (and a RemoteInfo object) per datagram inside dgram and\n' +
      'calls JavaScript once per datagram; --intake native takes up to 64 datagrams per recvmmsg into a reused\n' +
      'buffer. fargate-mirror itself allocates nothing per datagram (decode in place, cached sender, shared handoff).',
  );
  if (profile)
    await profileReceive(
      dir,
      gen,
      Math.round((ours[1500] ?? ours[sizes[0]]) * 0.8),
      sizes.includes(1500) ? 1500 : sizes[0],
    );
}

/** Doubles the rate until a trial loses more than the limit, then bisects four times. */
async function search(peer: Peer, gen: string, size: number): Promise<number> {
  let good = 0;
  let bad = Number.POSITIVE_INFINITY;
  let rate = 50_000;
  // A busy shared machine makes false failures (a stall loses packets), never false passes: a failed
  // trial is repeated once before the rate counts as too high.
  const attempt = async (r: number): Promise<boolean> => (await once(r)) || (await once(r));
  const once = async (r: number): Promise<boolean> => {
    const count = Math.max(20_000, Math.round(r * trialSeconds));
    const t = await peer.trial(() => generate(gen, peer.port, size, r, count));
    const loss = 1 - t.received / t.sent;
    const achieved = t.sent / t.seconds;
    const generatorBound = achieved < r * 0.9;
    const ok = loss < LOSS_LIMIT && !generatorBound;
    const verdict = loss >= LOSS_LIMIT ? 'LOSS' : generatorBound ? 'generator too slow: ceiling' : 'ok';
    console.log(
      `  ${peer.name.padEnd(30)} ${String(size).padStart(5)} B  offered ${Math.round(r / 1000)
        .toString()
        .padStart(5)} k/s  ` +
        `sent ${Math.round(achieved / 1000)
          .toString()
          .padStart(5)} k/s  loss ${(loss * 100).toFixed(3).padStart(7)}%  ${verdict}`,
    );
    return ok;
  };
  while (bad === Number.POSITIVE_INFINITY && rate <= 4_000_000) {
    if (await attempt(rate)) {
      good = rate;
      rate *= 2;
    } else {
      bad = rate;
    }
  }
  for (let i = 0; i < 4 && bad !== Number.POSITIVE_INFINITY; i++) {
    const mid = Math.round((good + bad) / 2);
    if (await attempt(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

function generate(
  gen: string,
  port: number,
  size: number,
  rate: number,
  count: number,
): Promise<{ sent: number; seconds: number }> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn('taskset', [
      '-c',
      '1',
      gen,
      '127.0.0.1',
      String(port),
      String(size),
      String(rate),
      String(count),
      String(FLOWS),
    ]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => process.stderr.write(d));
    p.on('close', (code) => {
      const m = /sent (\d+) seconds ([\d.]+)/.exec(out);
      if (code !== 0 || !m) reject(new Error(`vxgen failed (${code}): ${out}`));
      else resolvePromise({ sent: Number(m[1]), seconds: Number(m[2]) });
    });
  });
}

/** Waits until `count()` stops changing (the receiver has drained its buffer). */
async function settle(count: () => Promise<number>): Promise<number> {
  let last = await count();
  let stableSince = Date.now();
  const deadline = Date.now() + 10_000;
  while (Date.now() - stableSince < 400 && Date.now() < deadline) {
    await sleep(100);
    const now = await count();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
  }
  return last;
}

function waitForText(p: ReturnType<typeof spawn>, text: RegExp): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let all = '';
    const on = (d: Buffer) => {
      all += d;
      if (text.test(all)) resolvePromise(all);
    };
    p.stdout?.on('data', on);
    p.stderr?.on('data', on);
    p.on('close', (code) => reject(new Error(`exited (${code}) before ${text}: ${all}`)));
  });
}

async function makeReceive(
  dir: string,
  intake: string,
  extraNodeArgs: string[] = [],
  workerCount = 1,
): Promise<Peer> {
  const out = join(dir, 'receive');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const config = join(out, 'bench.yaml');
  writeFileSync(
    config,
    ['statsIntervalMs: 100', 'rotateMb: 256', 'pcapMaxTotal: 2GiB', 'flows:', '  udpIdleSeconds: 5', ''].join(
      '\n',
    ),
  );
  const p = spawn('taskset', [
    '-c',
    workerCount > 1 ? `0-${workerCount - 1}` : receiveCpus,
    process.execPath,
    ...extraNodeArgs,
    CLI,
    'receive',
    '--workers',
    String(workerCount),
    '--intake',
    intake,
    // The packet ring captures where the generator's datagrams arrive.
    ...(intake === 'afpacket' ? ['--capture-interface', 'lo'] : []),
    '--config',
    config,
    '--port',
    '5789',
    '--geneve-port',
    '0',
    '--health-port',
    '9180',
    '--drain-seconds',
    '0',
    '--recv-buffer',
    String(RECV_BUFFER),
    '--pcap-dir',
    join(out, 'pcap'),
    '--records',
    join(out, 'records.jsonl'),
  ]);
  await waitForText(p, new RegExp(`ready: .*intake ${intake}`));
  const count = async () => {
    const text = await (await fetch('http://127.0.0.1:9180/metrics')).text();
    return Number(/^fargate_mirror_receiver_datagrams_received_total (\d+)/m.exec(text)?.[1] ?? 0);
  };
  return {
    name: receiveName(intake, workerCount),
    port: 5789,
    pid: p.pid,
    async trial(run) {
      const before = await count();
      const threadsBefore = cpuNsByThread(p.pid);
      const g = await run();
      const received = (await settle(count)) - before;
      const threads = cpuNsByThread(p.pid);
      for (const [name, ns] of Object.entries(threadsBefore)) threads[name] = (threads[name] ?? 0) - ns;
      return { ...g, received, cpuNs: sumValues(threads), threads };
    },
    async stop() {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('close', r));
      rmSync(join(out, 'pcap'), { recursive: true, force: true });
    },
  };
}

async function makeTcpdump(dir: string): Promise<Peer> {
  // The DIY peer: a kernel VXLAN device receiving on 4789, tcpdump writing what it decapsulates.
  execFileSync('ip', [
    'link',
    'add',
    'vx0',
    'type',
    'vxlan',
    'id',
    '42',
    'dstport',
    '4789',
    'local',
    '127.0.0.1',
    'nolearning',
  ]);
  // No IPv6 address: the device then sends nothing of its own that tcpdump would count.
  execFileSync('ip', ['link', 'set', 'vx0', 'addrgenmode', 'none', 'up']);
  // One new file a trial, kept as receive keeps its pcap files (the oldest removed past the same 2 GiB
  // total, all at the end): on these virtual machines a page the kernel freed a while ago costs
  // about 10x more to write again than one freed a moment before (its memory went back to the
  // host), so a file deleted after every trial had made tcpdump's writes, and only tcpdump's, cheap.
  const files: string[] = [];
  let trials = 0;
  return {
    name: 'kernel vxlan + tcpdump -w',
    port: 4789,
    async trial(run) {
      const file = join(dir, `tcpdump-${trials++}.pcap`);
      files.push(file);
      const p = spawn('taskset', [
        '-c',
        '0',
        'tcpdump',
        '-i',
        'vx0',
        '-n',
        '-B',
        String(RECV_BUFFER / 1024),
        '-w',
        file,
      ]);
      await waitForText(p, /listening on/);
      const g = await run();
      await sleep(500);
      const cpu = cpuNs(p.pid);
      p.kill('SIGINT');
      const stats = await new Promise<string>((r) => {
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('close', () => r(err));
      });
      const captured = Number(/(\d+) packets? captured/.exec(stats)?.[1] ?? 0);
      let total = files.reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
      while (total > PCAP_MAX_TOTAL && files.length > 1) {
        const oldest = files.shift() as string;
        total -= statSync(oldest).size;
        rmSync(oldest, { force: true });
      }
      return { ...g, received: captured, cpuNs: cpu };
    },
    async stop() {
      for (const f of files.splice(0)) rmSync(f, { force: true });
      execFileSync('ip', ['link', 'del', 'vx0']);
    },
  };
}

async function makeCSink(dir: string): Promise<Peer> {
  const countFile = join(dir, 'vxsink.count');
  const p = spawn('taskset', ['-c', '0', join(dir, 'vxsink'), '6789', String(RECV_BUFFER), countFile]);
  await waitForText(p, /listening/);
  const count = async () => {
    try {
      return Number(readFileSync(countFile, 'utf8').split(' ')[0]) || 0;
    } catch {
      return 0;
    }
  };
  return {
    name: 'C recvmmsg loop',
    port: 6789,
    async trial(run) {
      const before = await count();
      const cpuBefore = cpuNs(p.pid);
      const g = await run();
      const received = (await settle(count)) - before;
      return { ...g, received, cpuNs: cpuNs(p.pid) - cpuBefore };
    },
    async stop() {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('close', r));
    },
  };
}

/** CPU time of every thread of `pid` so far, in nanoseconds (0 once it has exited). */
function cpuNs(pid: number | undefined): number {
  return sumValues(cpuNsByThread(pid));
}

function sumValues(byName: Record<string, number>): number {
  return Object.values(byName).reduce((n, v) => n + v, 0);
}

async function stopPeer(peer: Peer): Promise<void> {
  await peer.stop();
  await sleep(BETWEEN_PEERS_MS);
}

/** CPU ns of each of a process's threads, summed by thread name (threads that ended are not in it). */
function cpuNsByThread(pid: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (pid === undefined) return out;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]) || 0;
      out[name] = (out[name] ?? 0) + ns;
    }
  } catch {
    // exited
  }
  return out;
}

/** --cpu-rate: one trial per peer at a fixed rate; CPU per datagram and the ratios. */
async function cpuCost(dir: string, gen: string): Promise<void> {
  console.log(`CPU per datagram at ${cpuRate} datagrams/s offered, ${cpuCount} datagrams per trial\n`);
  const perDatagram: Record<string, Record<number, number>> = {};
  for (const size of sizes) {
    const peers = [...intakes.map((i) => (d: string) => makeReceive(d, i)), makeTcpdump, makeCSink];
    for (const make of peers) {
      const peer = await make(dir);
      try {
        const t = await peer.trial(() => generate(gen, peer.port, size, cpuRate, cpuCount));
        const us = t.cpuNs / 1000 / Math.max(1, t.received);
        perDatagram[peer.name] = { ...perDatagram[peer.name], [size]: us };
        console.log(
          `  ${peer.name.padEnd(30)} ${String(size).padStart(5)} B  sent ${Math.round(t.sent / t.seconds / 1000)} k/s  ` +
            `loss ${((1 - t.received / t.sent) * 100).toFixed(3)}%  CPU ${(t.cpuNs / 1e6).toFixed(0)} ms  ${us.toFixed(2)} µs/datagram`,
        );
        if (t.threads !== undefined) {
          const parts = Object.entries(t.threads)
            .filter(([, ns]) => ns > 0)
            .sort((a, b) => b[1] - a[1])
            .map(([name, ns]) => `${name} ${(ns / 1000 / Math.max(1, t.received)).toFixed(2)}`);
          console.log(`    by thread (µs/datagram): ${parts.join(', ')}`);
        }
      } finally {
        await stopPeer(peer);
      }
    }
  }
  console.log('\nCPU µs per datagram (and the one-core rate it implies):');
  console.log(`${'peer'.padEnd(34)}${sizes.map((s) => `${s}-byte inner`.padStart(22)).join('')}`);
  for (const [name, bySize] of Object.entries(perDatagram))
    console.log(
      `${name.padEnd(34)}${sizes.map((s) => `${bySize[s].toFixed(2)} (${Math.round(1000 / bySize[s])} k/s)`.padStart(22)).join('')}`,
    );
  for (const intake of intakes)
    console.log(
      `${`${intake} CPU / C recvmmsg CPU`.padEnd(34)}${sizes.map((s) => (perDatagram[receiveName(intake)][s] / perDatagram['C recvmmsg loop'][s]).toFixed(2).padStart(22)).join('')}`,
    );
  if (intakes.includes('native') && intakes.includes('js'))
    console.log(
      `${'js CPU / native CPU'.padEnd(34)}${sizes.map((s) => (perDatagram[receiveName('js')][s] / perDatagram[receiveName('native')][s]).toFixed(2).padStart(22)).join('')}`,
    );
}

/** Runs `receive` under --cpu-prof at `rate` and prints where the worker's time goes. */
async function profileReceive(dir: string, gen: string, rate: number, size: number): Promise<void> {
  const profDir = join(dir, 'prof');
  const peer = await makeReceive(dir, intakes[0], ['--cpu-prof', '--cpu-prof-dir', profDir]);
  const t = await peer.trial(() => generate(gen, peer.port, size, rate, rate * 3));
  await stopPeer(peer);
  console.log(
    `\nprofile of receive at ${Math.round(rate / 1000)} k/s, ${size}-byte inner (loss ${((1 - t.received / t.sent) * 100).toFixed(3)}%):`,
  );
  // The worker's profile is the one with the most busy (not idle) time.
  let best: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } | undefined;
  let bestBusy = -1;
  for (const f of readdirSync(profDir)) {
    const p = JSON.parse(readFileSync(join(profDir, f), 'utf8')) as {
      nodes: ProfileNode[];
      samples: number[];
      timeDeltas: number[];
    };
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    const busy = p.samples.filter((id) => !idle.has(id)).length;
    if (busy > bestBusy) {
      best = p;
      bestBusy = busy;
    }
  }
  if (!best) return;
  const self = new Map<number, number>();
  for (let i = 0; i < best.samples.length; i++) {
    const id = best.samples[i];
    self.set(id, (self.get(id) ?? 0) + best.timeDeltas[i]);
  }
  const byName = new Map<string, number>();
  let total = 0;
  for (const n of best.nodes) {
    const us = self.get(n.id) ?? 0;
    total += us;
    const where = n.callFrame.url ? n.callFrame.url.replace(/^.*\/(packages|node:)/, '$1') : '';
    const key = `${n.callFrame.functionName || '(anonymous)'} ${where}`.trim();
    byName.set(key, (byName.get(key) ?? 0) + us);
  }
  for (const [name, us] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}

/**
 * Each of receive and kernel VXLAN + tcpdump at `rate` under `perf record -a -C 0`: CPU 0 holds the
 * peer and all its threads, so its samples are what the peer costs there (the loopback delivery and
 * the kernel's VXLAN decapsulation run in the sender's softirq on CPU 1, for both peers alike).
 */
async function perfPeers(dir: string, gen: string, rate: number, size: number): Promise<void> {
  const count = rate * PERF_SECONDS;
  for (const make of [(d: string) => makeReceive(d, intakes[0], ['--perf-basic-prof']), makeTcpdump]) {
    const peer = await make(dir);
    const data = join(dir, 'perf.data');
    let t: { sent: number; received: number };
    try {
      t = await peer.trial(async () => {
        // perf attaches in the time the generator takes to start: the trial is inside its window.
        const perf = spawn(
          'perf',
          [
            'record',
            '-q',
            '-a',
            '-C',
            '0',
            '-e',
            'cpu-clock',
            '-F',
            String(PERF_HZ),
            '-o',
            data,
            '--',
            'sleep',
            String(PERF_SECONDS + 1),
          ],
          { stdio: 'ignore' },
        );
        await sleep(300);
        const g = await generate(gen, peer.port, size, rate, count);
        await new Promise((r) => perf.once('close', r));
        return g;
      });
    } finally {
      await stopPeer(peer);
    }
    const report = (sort: string) => {
      const text = execFileSync(
        'perf',
        ['report', '-i', data, '--stdio', '--no-children', '-g', 'none', '--sort', sort],
        { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      // cpu-clock counts nanoseconds: the event count is CPU 0's time in the window, idle included.
      const total = Number(/Event count \(approx\.\): (\d+)/.exec(text)?.[1] ?? 0);
      const rows = [...text.matchAll(/^\s*([\d.]+)%\s+(.*\S)\s*$/gm)]
        .map((m) => ({ share: Number(m[1]) / 100, what: m[2].replace(/\s+/g, ' ') }))
        .filter((r) => !r.what.startsWith('swapper'));
      return { total, rows };
    };
    const byThread = report('comm,dso');
    const total = byThread.total;
    const busy = byThread.rows.reduce((n, r) => n + r.share, 0);
    const perDatagramUs = (share: number) => ((share * total) / 1e3 / t.received).toFixed(2);
    console.log(
      `\n${peer.name} at ${Math.round(rate / 1000)} k/s, ${size}-byte inner: ${t.received} of ${t.sent} received; CPU 0 busy ${perDatagramUs(busy)} us per datagram received`,
    );
    for (const r of byThread.rows.slice(0, 8))
      console.log(
        `  ${perDatagramUs(r.share).padStart(6)} us  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.what}`,
      );
    console.log('  top symbols:');
    for (const r of report('comm,sym').rows.slice(0, 14))
      console.log(
        `  ${perDatagramUs(r.share).padStart(6)} us  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.what.replace(/file:\/\/\/\S*\/packages\//, '')}`,
      );
    rmSync(data, { force: true });
    // The receiver's --perf-basic-prof symbol map, once perf has read it: nothing of the run stays.
    if (peer.pid !== undefined) rmSync(`/tmp/perf-${peer.pid}.map`, { force: true });
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
