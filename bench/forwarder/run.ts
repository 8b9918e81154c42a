// Forwarder cost, side by side in one run (issue 15). Three network namespaces - client, task,
// collector - joined by veth pairs; UDP iperf3 (-u -l 200) from the client to a server in the task
// at each rate; on the task's interface, in turn:
//   - nothing (the traffic alone);
//   - `tcpdump -w /dev/null` (the capture floor's CPU);
//   - the forwarder with the tcpdump engine, with the native capture and the TypeScript send path
//     (native-capture, the previous engine), and with the native capture-to-send loop (native);
//   - kernel tc-mirred into a VXLAN device (the kernel's loss; its CPU is softirq, not measured).
// CPU is utime+stime from /proc/PID/stat of the mirror's process and all its descendants, over the
// iperf3 run, per packet the interface carried. Loss = interface packets minus VXLAN datagrams counted
// at the collector (bench/receive/vxsink.c, a recvmmsg loop; its own receive-buffer drops printed
// next to it). Then a single TCP stream (offloads on), unpaced and paced (--tcp-rates, iperf3 -b):
// Gbit/s (wall) without and with each forwarder (and native without UDP GSO), the mirror's CPU per
// wall second, and what it captured, sent and lost (kernel drops) meanwhile.
//
// Memory: peak RSS (VmHWM) of node and of its capture child, each and summed, and each one's RSS at
// the end split into anonymous, file-backed and shared (the capture ring). waitedForCPU: how long the
// mirror's processes were runnable but had no CPU (/proc/PID/schedstat), the machine's load as the
// mirror felt it; in the TCP rows kernelDrops against it, and the collector's own receive-buffer
// drops (sinkDrops, not the forwarder's loss); --image-flags gives node the image's V8 flags (IMAGE_NODE_FLAGS),
// --node-options others. The forwarder runs as in the image: the esbuild bundle, fm-capture next to
// it, a stand-in task metadata endpoint.
//
//   sudo node bench/forwarder/run.ts [--rates 10000,30000,100000] [--seconds 5] [--no-tcp]
//        [--tcp-rates max,2G] [--capture-buffer KiB] [--mirrors a,b,...] [--image-flags]
//        [--node-options="--max-old-space-size=24 ..."]   (needs npm run build first)
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IMAGE_NODE_FLAGS } from '../../packages/forwarder/dist/sidecar/container-definition.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
// The forwarder runs as the image runs it: the esbuild bundle (scripts/bundle-forwarder.mjs) with
// fm-capture next to it, where --capture-engine auto finds it.
const NATIVE = join(REPO, 'packages', 'forwarder', 'dist', 'native', 'fm-capture');
const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '10000,30000,100000' },
    seconds: { type: 'string', default: '5' },
    'no-tcp': { type: 'boolean', default: false },
    'capture-buffer': { type: 'string' },
    mirrors: { type: 'string' },
    'tcp-rates': { type: 'string', default: 'max,2G' },
    'node-options': { type: 'string' },
    'image-flags': { type: 'boolean', default: false },
  },
});
const RATES = values.rates.split(',').map(Number);
const SECONDS = Number(values.seconds);
const PAYLOAD = 200;
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const NS = {
  client: `fmb-client-${process.pid}`,
  task: `fmb-task-${process.pid}`,
  coll: `fmb-coll-${process.pid}`,
};
const ADDR = { client: '10.71.0.1', task: '10.71.0.2', taskOut: '10.72.0.1', coll: '10.72.0.2' };
const dir = mkdtempSync(join(tmpdir(), 'fm-bench-forwarder-'));
const FORWARD = join(dir, 'fwd', 'forward.mjs');
const started: ChildProcess[] = [];

function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
const inNs = (ns: string, cmd: string, args: readonly string[]) =>
  sh('ip', ['netns', 'exec', ns, cmd, ...args]);
function spawnIn(ns: string, cmd: string, args: readonly string[]): ChildProcess {
  const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  p.stdin?.end();
  let err = '';
  p.stderr?.on('data', (d) => {
    err = (err + d).slice(-8192);
  });
  (p as ChildProcess & { err: () => string }).err = () => err;
  started.push(p);
  return p;
}
// A stand-in ECS task metadata endpoint in the task namespace: the forwarder reads its identity as in
// a task (that code and its validation are part of the sidecar's memory).
const METADATA_URI = 'http://127.0.0.1:51679/v4/bench';
const METADATA_SERVER = `require('node:http').createServer((q, s) => s.end(JSON.stringify({
  TaskARN: 'arn:aws:ecs:eu-west-1:123456789012:task/bench/0123456789abcdef', Cluster: 'bench',
  LaunchType: 'FARGATE', AvailabilityZone: 'eu-west-1a',
  Containers: [{ Name: 'app', Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: ['${'10.71.0.2'}'] }] }],
}))).listen(51679, '127.0.0.1', () => console.error('metadata listening'));`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(p: ChildProcess, text: RegExp, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (text.test((p as ChildProcess & { err: () => string }).err())) return;
    if (p.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`${what} did not start: ${(p as ChildProcess & { err: () => string }).err()}`);
}
async function stop(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function setup(): void {
  for (const ns of Object.values(NS)) sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', 'c0', 'netns', NS.client, 'type', 'veth', 'peer', 'name', 't0', 'netns', NS.task]);
  sh('ip', ['link', 'add', 't1', 'netns', NS.task, 'type', 'veth', 'peer', 'name', 'k0', 'netns', NS.coll]);
  const up = (ns: string, dev: string, addr: string) => {
    inNs(ns, 'ip', ['addr', 'add', `${addr}/24`, 'dev', dev]);
    inNs(ns, 'ip', ['link', 'set', dev, 'up']);
    inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
  };
  up(NS.client, 'c0', ADDR.client);
  up(NS.task, 't0', ADDR.task);
  up(NS.task, 't1', ADDR.taskOut);
  up(NS.coll, 'k0', ADDR.coll);
  // The task's way out has no UDP segmentation offload, like an ENA: the native engine's UDP GSO
  // sends are cut into datagrams in the task's kernel (and paid for there), not passed on whole.
  inNs(NS.task, 'ethtool', ['-K', 't1', 'tx-udp-segmentation', 'off']);
}
function teardown(): void {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const ns of Object.values(NS)) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      // not created
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** utime and stime (us) of pid and every descendant alive now, by process name (node, fm-capture). */
function treeCpuByProcess(root: number): Map<string, { user: number; sys: number }> {
  const parent = new Map<number, number>();
  const cpu = new Map<number, { name: string; user: number; sys: number }>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(f[1]));
      cpu.set(Number(e), { name, user: Number(f[11]) * TICK_US, sys: Number(f[12]) * TICK_US });
    } catch {
      // exited
    }
  }
  const byName = new Map<string, { user: number; sys: number }>();
  for (const [pid, c] of cpu) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        const t = byName.get(c.name) ?? { user: 0, sys: 0 };
        t.user += c.user;
        t.sys += c.sys;
        byName.set(c.name, t);
        break;
      }
    }
  }
  return byName;
}
/** utime+stime (us) of pid and every descendant alive now. */
function treeCpuUs(root: number): number {
  let total = 0;
  for (const c of treeCpuByProcess(root).values()) total += c.user + c.sys;
  return total;
}
/** Per process name: user and system CPU between two readings, per packet (us). */
function cpuSplitText(
  a: Map<string, { user: number; sys: number }>,
  b: Map<string, { user: number; sys: number }>,
  packets: number,
): string {
  const parts: string[] = [];
  for (const [name, c] of b) {
    const before = a.get(name) ?? { user: 0, sys: 0 };
    const per = (us: number) => (us / Math.max(packets, 1)).toFixed(2);
    parts.push(`${name} user ${per(c.user - before.user)} + sys ${per(c.sys - before.sys)}`);
  }
  return parts.join(', ');
}
interface ProcMemory {
  pid: number;
  name: string;
  /** VmHWM, RssAnon, RssFile, RssShmem (KiB) */
  hwm: number;
  anon: number;
  file: number;
  shmem: number;
}
/** pid and its descendants (the capture child) with their memory from /proc/PID/status. */
function treeMemory(root: number): ProcMemory[] {
  const out: ProcMemory[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      let pid = Number(e);
      let isOurs = false;
      for (let i = 0; i < 10 && pid > 1; i++) {
        if (pid === root) {
          isOurs = true;
          break;
        }
        const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
        pid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      }
      if (!isOurs) continue;
      const status = readFileSync(`/proc/${e}/status`, 'utf8');
      const kib = (f: string) => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      out.push({
        pid: Number(e),
        // node names its main thread MainThread
        name:
          Number(e) === root && /MainThread/.test(status)
            ? 'node'
            : (/Name:\s+(\S+)/.exec(status)?.[1] ?? '?'),
        hwm: kib('VmHWM'),
        anon: kib('RssAnon'),
        file: kib('RssFile'),
        shmem: kib('RssShmem'),
      });
    } catch {
      // exited
    }
  }
  return out.sort((a, b) => (a.pid === root ? -1 : b.pid === root ? 1 : a.pid - b.pid));
}
const mib = (kib: number) => (kib / 1024).toFixed(1);
/** "node 54.5 + fm-capture 9.7 = 64.2 MiB peak (now node anon 12.7 + file 41.8, fm-capture ...)" */
function memoryText(procs: readonly ProcMemory[]): string {
  if (procs.length === 0) return '-';
  const peak = procs.map((p) => `${p.name} ${mib(p.hwm)}`).join(' + ');
  const now = procs
    .map(
      (p) =>
        `${p.name} anon ${mib(p.anon)} + file ${mib(p.file)}${p.shmem ? ` + shmem ${mib(p.shmem)}` : ''}`,
    )
    .join(', ');
  return `${mib(procs.reduce((n, p) => n + p.hwm, 0))} MiB (peak RSS, VmHWM: ${peak}; RSS now: ${now})`;
}
/** Run-queue wait and on-CPU time (ns, /proc/PID/schedstat) summed over pid's tree. */
function treeSched(root: number): { ranNs: number; waitNs: number } {
  let ranNs = 0;
  let waitNs = 0;
  for (const p of treeMemory(root)) {
    try {
      const [ran, wait] = readFileSync(`/proc/${p.pid}/schedstat`, 'utf8').split(' ').map(Number);
      ranNs += ran;
      waitNs += wait;
    } catch {
      // exited
    }
  }
  return { ranNs, waitNs };
}
const ifPackets = () =>
  ['rx_packets', 'tx_packets'].reduce(
    (n, c) => n + Number(inNs(NS.task, 'cat', [`/sys/class/net/t0/statistics/${c}`])),
    0,
  );
function sinkErrors(): number {
  const lines = inNs(NS.coll, 'cat', ['/proc/net/snmp'])
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  const vals = lines[1].split(/\s+/);
  return Number(vals[names.indexOf('RcvbufErrors')]);
}

const ALL_MIRRORS = [
  'none',
  'tcpdump -w /dev/null',
  'forwarder (tcpdump engine)',
  'forwarder (native-capture)',
  'forwarder (native)',
  'forwarder (native, no GSO)',
  'forwarder (native, egress drop)',
  'tc-mirred vxlan',
] as const;
type Mirror = (typeof ALL_MIRRORS)[number];
const MIRRORS: Mirror[] =
  values.mirrors === undefined
    ? [...ALL_MIRRORS]
    : ALL_MIRRORS.filter((m) => (values.mirrors as string).split(',').some((w) => m.includes(w)));
const ENGINE: Record<string, string> = {
  'forwarder (tcpdump engine)': 'tcpdump',
  'forwarder (native-capture)': 'native-capture',
  'forwarder (native)': 'native',
  'forwarder (native, no GSO)': 'native',
  'forwarder (native, egress drop)': 'native',
};
// The bench's way out of the task is a veth: its transmit runs the collector namespace's whole receive
// path (IP, UDP, the socket queue) in softirq on the sending CPU, and this kernel has no IRQ time
// accounting, so that time lands in the forwarder's stime. On Fargate the datagrams leave through the
// ENI for another host and that work is not the task's. 'egress drop' runs the same native forwarder
// with a tc filter on the task's way out (t1 egress) that counts and drops the VXLAN datagrams after
// the task's whole send path (socket, UDP, IP, routing, neighbour, the device queue), before the veth:
// the sidecar's own cost. Both rows are printed; the goal is judged on the sidecar's own cost.
const EGRESS_DROP: Mirror = 'forwarder (native, egress drop)';
function egressDropped(): number {
  const out = inNs(NS.task, 'tc', ['-s', 'filter', 'show', 'dev', 't1', 'egress']);
  const m = /Sent \d+ bytes (\d+) pkt/.exec(out);
  if (m === null) throw new Error(`no counter in tc filter show: ${out}`);
  return Number(m[1]);
}
// The V8 flags the image's entrypoint gives node (sidecar/container-definition.ts), when asked.
const NODE_FLAGS = [
  ...(values['image-flags'] ? IMAGE_NODE_FLAGS : []),
  ...(values['node-options']?.split(' ').filter((f) => f !== '') ?? []),
];

async function startMirror(
  m: Mirror,
): Promise<{ pid?: number; stop: () => Promise<unknown>; delivered?: () => number }> {
  if (m === 'none') return { stop: async () => {} };
  if (m === 'tcpdump -w /dev/null') {
    const p = spawnIn(NS.task, 'tcpdump', [
      '-i',
      't0',
      '-n',
      '-s',
      '0',
      '-B',
      values['capture-buffer'] ?? '8192',
      // -Z root: as root, tcpdump hands its output file to the user it drops to, and that file is
      // the machine's /dev/null
      '-Z',
      'root',
      '-w',
      '/dev/null',
    ]);
    await waitFor(p, /listening on/, 'tcpdump');
    return { pid: p.pid, stop: () => stop(p, 'SIGINT') };
  }
  if (m === 'tc-mirred vxlan') {
    inNs(NS.task, 'ip', [
      'link',
      'add',
      'vxm',
      'type',
      'vxlan',
      'id',
      '99',
      'remote',
      ADDR.coll,
      'local',
      ADDR.taskOut,
      'dstport',
      '4789',
      'dev',
      't1',
    ]);
    inNs(NS.task, 'ip', ['link', 'set', 'vxm', 'up']);
    inNs(NS.task, 'tc', ['qdisc', 'add', 'dev', 't0', 'clsact']);
    for (const dir of ['ingress', 'egress']) {
      inNs(NS.task, 'tc', [
        'filter',
        'add',
        'dev',
        't0',
        dir,
        'protocol',
        'all',
        'u32',
        'match',
        'u32',
        '0',
        '0',
        'action',
        'mirred',
        'egress',
        'mirror',
        'dev',
        'vxm',
      ]);
    }
    return {
      stop: async () => {
        inNs(NS.task, 'tc', ['qdisc', 'del', 'dev', 't0', 'clsact']);
        inNs(NS.task, 'ip', ['link', 'del', 'vxm']);
      },
    };
  }
  const engine = ENGINE[m];
  if (m === EGRESS_DROP) {
    // No gact (tc drop) module here: the datagrams are redirected to another veth pair, whose peer
    // drops them as the first thing its receive path does (their Ethernet destination is the
    // collector's, not the peer's: PACKET_OTHERHOST, dropped on entry to IP); the filter's counter
    // counts them. That start of a receive path stands in for the ENA driver's transmit (an
    // overestimate, if anything).
    inNs(NS.task, 'ip', ['link', 'add', 'fmdrop0', 'type', 'veth', 'peer', 'name', 'fmdrop1']);
    inNs(NS.task, 'ip', ['link', 'set', 'fmdrop1', 'up']);
    inNs(NS.task, 'ip', ['link', 'set', 'fmdrop0', 'up']);
    // as on t1 (an ENA): UDP GSO messages are cut into datagrams in software before the drop, and
    // that is paid for in this row
    inNs(NS.task, 'ethtool', ['-K', 'fmdrop0', 'tx-udp-segmentation', 'off']);
    inNs(NS.task, 'tc', ['qdisc', 'add', 'dev', 't1', 'clsact']);
    inNs(NS.task, 'tc', [
      ...[
        'filter',
        'add',
        'dev',
        't1',
        'egress',
        'protocol',
        'ip',
        'u32',
        'match',
        'ip',
        'protocol',
        '17',
        '0xff',
      ],
      ...[
        'match',
        'ip',
        'dport',
        '4789',
        '0xffff',
        'action',
        'mirred',
        'egress',
        'redirect',
        'dev',
        'fmdrop0',
      ],
    ]);
  }
  // --jitless suits the native engine (JavaScript once a second) only: the TypeScript engines, which
  // run JavaScript per packet, are measured with the compilers, as they would be deployed.
  const flags = engine === 'native' ? NODE_FLAGS : NODE_FLAGS.filter((f) => f !== '--jitless');
  const p = spawnIn(NS.task, process.execPath, [
    ...flags,
    FORWARD,
    ...['--to', `${ADDR.coll}:4789`, '--interface', 't0', '--vni', '7', '--capture-engine', engine],
    ...['--log-level', 'info', '--metadata-uri', METADATA_URI],
    ...(values['capture-buffer'] !== undefined ? ['--capture-buffer', values['capture-buffer']] : []),
    ...(m === 'forwarder (native, no GSO)' ? ['--no-udp-gso'] : []),
  ]);
  await waitFor(p, /"msg":"capturing"/, `forwarder (${engine})`);
  return {
    pid: p.pid,
    delivered: m === EGRESS_DROP ? egressDropped : undefined,
    stop: async () => {
      await stop(p);
      if (m === EGRESS_DROP) {
        inNs(NS.task, 'tc', ['qdisc', 'del', 'dev', 't1', 'clsact']);
        inNs(NS.task, 'ip', ['link', 'del', 'fmdrop0']);
      }
      const err = (p as ChildProcess & { err: () => string }).err();
      const stats = err
        .split('\n')
        .filter((l) => l.includes('"forwarder_stats"'))
        .pop();
      if (stats === undefined) return undefined;
      return { ...JSON.parse(stats), lossLogged: err.includes('the capture is losing packets') };
    },
  };
}

interface UdpRow {
  mirror: Mirror;
  rate: number;
  packets: number;
  received: number;
  sinkDrops: number;
  cpuUs: number;
  /** CPU per packet by process, user and system. */
  cpuSplit: string;
  memory: ProcMemory[];
  /** Time the mirror's processes were runnable but waited for a CPU (schedstat), us. */
  waitUs: number;
  fwdStats?: Record<string, unknown>;
}

async function udpRun(m: Mirror, rate: number): Promise<UdpRow> {
  const server = spawnIn(NS.task, 'iperf3', ['-s', '-1', '-B', ADDR.task]);
  await sleep(300);
  const countFile = join(dir, `count-${process.hrtime.bigint()}`);
  const sink = spawnIn(NS.coll, join(dir, 'vxsink'), ['4789', String(4 << 20), countFile]);
  await sleep(200);
  const mirror = await startMirror(m);
  await sleep(500);
  const count = () => {
    if (mirror.delivered !== undefined) return mirror.delivered();
    try {
      return Number(readFileSync(countFile, 'utf8').trim().split(' ')[0] || 0);
    } catch {
      return 0;
    }
  };
  const count0 = count();
  const drops0 = sinkErrors();
  const pk0 = ifPackets();
  const split0 = mirror.pid ? treeCpuByProcess(mirror.pid) : new Map();
  const cpu0 = mirror.pid ? treeCpuUs(mirror.pid) : 0;
  const sched0 = mirror.pid ? treeSched(mirror.pid) : { ranNs: 0, waitNs: 0 };
  inNs(NS.client, 'iperf3', [
    '-c',
    ADDR.task,
    '-u',
    '-l',
    String(PAYLOAD),
    '-b',
    String(rate * PAYLOAD * 8),
    '-t',
    String(SECONDS),
  ]);
  await sleep(1000); // the last blocks and datagrams in flight
  const cpu1 = mirror.pid ? treeCpuUs(mirror.pid) : 0;
  const split1 = mirror.pid ? treeCpuByProcess(mirror.pid) : new Map();
  const received = count() - count0;
  // each process's peak and current resident memory, anonymous (heap, buffers: what node's flags
  // bound), file-backed (the pages of the node binary it has touched: shared, clean, reclaimable) and
  // shared (fm-capture's ring)
  const memory = mirror.pid ? treeMemory(mirror.pid) : [];
  const sched1 = mirror.pid ? treeSched(mirror.pid) : { ranNs: 0, waitNs: 0 };
  const pk1 = ifPackets();
  const fwdStats = (await mirror.stop()) as Record<string, unknown> | undefined;
  await sleep(200);
  const row: UdpRow = {
    mirror: m,
    rate,
    packets: pk1 - pk0,
    received,
    cpuSplit: cpuSplitText(split0, split1, m.startsWith('forwarder') ? received : pk1 - pk0),
    sinkDrops: sinkErrors() - drops0,
    cpuUs: cpu1 - cpu0,
    memory,
    waitUs: (sched1.waitNs - sched0.waitNs) / 1000,
    fwdStats,
  };
  await stop(sink);
  await stop(server);
  return row;
}

interface TcpRow {
  mirror: Mirror;
  gbps: number;
  cpuUs: number;
  wallUs: number;
  received: number;
  /** The collector's receive-buffer drops (not the forwarder's loss). */
  sinkDrops: number;
  waitUs: number;
  fwdStats?: Record<string, unknown>;
}

async function tcpRun(m: Mirror, rate: string): Promise<TcpRow> {
  const server = spawnIn(NS.task, 'iperf3', ['-s', '-1', '-B', ADDR.task]);
  await sleep(300);
  const countFile = join(dir, `tcount-${process.hrtime.bigint()}`);
  const sink = spawnIn(NS.coll, join(dir, 'vxsink'), ['4789', String(4 << 20), countFile]);
  const mirror = await startMirror(m);
  await sleep(500);
  const cpu0 = mirror.pid ? treeCpuUs(mirror.pid) : 0;
  const sched0 = mirror.pid ? treeSched(mirror.pid) : { ranNs: 0, waitNs: 0 };
  const drops0 = sinkErrors();
  const t0 = process.hrtime.bigint();
  const paced = rate === 'max' ? [] : ['-b', rate];
  const out = JSON.parse(inNs(NS.client, 'iperf3', ['-c', ADDR.task, '-t', String(SECONDS), '-J', ...paced]));
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu1 = mirror.pid ? treeCpuUs(mirror.pid) : 0;
  const sched1 = mirror.pid ? treeSched(mirror.pid) : { ranNs: 0, waitNs: 0 };
  await sleep(1000); // the last blocks and datagrams in flight
  const fwdStats = (await mirror.stop()) as Record<string, unknown> | undefined;
  await sleep(200);
  const sinkDrops = sinkErrors() - drops0;
  let received = 0;
  try {
    received = Number(readFileSync(countFile, 'utf8').trim().split(' ')[0] || 0);
  } catch {
    // nothing arrived
  }
  await stop(sink);
  await stop(server);
  const gbps = out.end.sum_received.bits_per_second / 1e9;
  const waitUs = (sched1.waitNs - sched0.waitNs) / 1000;
  return { mirror: m, gbps, cpuUs: cpu1 - cpu0, wallUs, received, sinkDrops, waitUs, fwdStats };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('needs root (network namespaces): sudo node bench/forwarder/run.ts');
  sh('gcc', ['-O2', '-o', join(dir, 'vxsink'), join(REPO, 'bench', 'receive', 'vxsink.c')]);
  mkdirSync(join(dir, 'fwd', 'native'), { recursive: true });
  sh(process.execPath, [join(REPO, 'scripts', 'bundle-forwarder.mjs'), FORWARD]);
  copyFileSync(NATIVE, join(dir, 'fwd', 'native', 'fm-capture'));
  chmodSync(join(dir, 'fwd', 'native', 'fm-capture'), 0o755);
  setup();
  await waitFor(
    spawnIn(NS.task, process.execPath, ['-e', METADATA_SERVER]),
    /metadata listening/,
    'metadata stand-in',
  );
  console.log(
    `forwarder bench: UDP iperf3 -u -l ${PAYLOAD}, ${SECONDS} s per run, rates ${RATES.join(', ')} pps; CPU = utime+stime of the mirror's process tree (CPU time), per forwarded packet (forwarders: collector count) or per interface packet (tcpdump)`,
  );
  const rows: UdpRow[] = [];
  console.log(
    `node flags for the forwarder: ${NODE_FLAGS.join(' ') || '(none)'}${NODE_FLAGS.includes('--jitless') ? ' (the tcpdump and native-capture engines without --jitless)' : ''}`,
  );
  for (const rate of RATES) {
    for (const m of MIRRORS) {
      if (m === 'forwarder (native, no GSO)') continue; // small datagrams: GSO never applies
      const r = await udpRun(m, rate);
      rows.push(r);
      const forwards = m.startsWith('forwarder') || m.startsWith('tc-');
      const loss = forwards ? `${(((r.packets - r.received) / r.packets) * 100).toFixed(3)}%` : '-';
      // Per forwarded packet (collector count) for the forwarders, per captured one for tcpdump.
      const per = m.startsWith('forwarder') ? r.received : r.packets;
      const cpu = m === 'none' || m.startsWith('tc-') ? '-' : `${(r.cpuUs / per).toFixed(2)} us`;
      const kd = r.fwdStats
        ? ` kernelDrops=${r.fwdStats.captureKernelDrops} queueFull=${r.fwdStats.droppedQueueFull} lossLogged=${r.fwdStats.lossLogged}${m.startsWith('forwarder (native') && m !== 'forwarder (native-capture)' ? ` gsoSends=${r.fwdStats.gsoSends} perSendmmsg=${(Number(r.fwdStats.datagramsSent) / Math.max(Number(r.fwdStats.sendBatches), 1)).toFixed(1)} toTypeScript=${r.fwdStats.framesToTypeScript}` : ''}`
        : '';
      console.log(
        `${String(rate).padStart(6)} pps  ${m.padEnd(31)} packets=${r.packets} collector=${r.received} sinkDrops=${r.sinkDrops} loss=${loss}  CPU/packet=${cpu}${r.memory.length ? ` waitedForCPU=${(r.waitUs / 1000).toFixed(0)} ms` : ''}${kd}\n${''.padStart(48)}memory=${memoryText(r.memory)}${r.cpuSplit ? `\n${''.padStart(48)}CPU/packet by process: ${r.cpuSplit}` : ''}`,
      );
    }
    const by = (m: Mirror) => rows.find((r) => r.rate === rate && r.mirror === m);
    const cpp = (m: Mirror) => {
      const r = by(m);
      if (r === undefined) return Number.NaN;
      return r.cpuUs / (m.startsWith('forwarder') ? r.received : r.packets);
    };
    const floor = by('tcpdump -w /dev/null');
    const floorCpp = floor ? Math.max(cpp('tcpdump -w /dev/null'), TICK_US / floor.packets) : Number.NaN;
    const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-');
    console.log(
      `${String(rate).padStart(6)} pps  ratios (CPU/packet): tcpdump engine / native = ${ratio(cpp('forwarder (tcpdump engine)'), cpp('forwarder (native)'))}, native-capture (JS send) / native = ${ratio(cpp('forwarder (native-capture)'), cpp('forwarder (native)'))}, native / tcpdump -w /dev/null = ${ratio(cpp('forwarder (native)'), floorCpp)}, native egress drop / native = ${ratio(cpp(EGRESS_DROP), cpp('forwarder (native)'))} (goal: native <= 3 us CPU per forwarded packet, the sidecar's own cost: the egress-drop row, the native row adding what the veth charges it; loss < 0.1% at 100k, RSS < 64 MiB)`,
    );
  }
  if (!values['no-tcp']) {
    for (const rate of values['tcp-rates'].split(',')) {
      console.log(
        `single TCP stream (iperf3 -t ${SECONDS}${rate === 'max' ? '' : ` -b ${rate}`}, offloads on; Gbit/s is wall-clock throughput, mirror CPU is CPU time per wall second):`,
      );
      const base = await tcpRun('none', rate);
      const tcpMirrors = [
        'none',
        ...MIRRORS.filter((m) => m.startsWith('forwarder') && m !== EGRESS_DROP),
      ] as Mirror[];
      for (const m of tcpMirrors) {
        const r = m === 'none' ? base : await tcpRun(m, rate);
        console.log(
          `  ${m.padEnd(27)} ${r.gbps.toFixed(2)} Gbit/s (wall) = ${(r.gbps / base.gbps).toFixed(2)}x of none   mirror CPU ${m === 'none' ? '-' : `${((r.cpuUs / r.wallUs) * 100).toFixed(0)}% of a core`}${r.fwdStats ? `   captured=${r.fwdStats.framesCaptured} (super-frames ${r.fwdStats.superframes}) datagramsSent=${r.fwdStats.datagramsSent} collector=${r.received} sinkDrops=${r.sinkDrops} kernelDrops=${r.fwdStats.captureKernelDrops} (${((Number(r.fwdStats.captureKernelDrops) / (Number(r.fwdStats.framesCaptured) + Number(r.fwdStats.captureKernelDrops))) * 100).toFixed(1)}% of the frames) waitedForCPU=${(r.waitUs / 1000).toFixed(0)} ms of ${(r.wallUs / 1000).toFixed(0)}` : ''}`,
        );
      }
    }
  }
}

try {
  await main();
} finally {
  teardown();
}
