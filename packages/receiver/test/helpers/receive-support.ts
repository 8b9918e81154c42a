// Helpers for the receive/replay tests: the built CLI, the receiver's ready line, HTTP, metrics,
// records, and hand-made mirror datagrams. Everything a test starts is killed by PID.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run, type Started, start } from '@fargate-mirror/testkit/proc';
import { parseReady, RECEIVE_READY, type ReadyLine } from '@fargate-mirror/testkit/receive';
import { onTestFinished } from 'vitest';

export const REPO = resolve(import.meta.dirname, '../../../..');
export const CLI = join(REPO, 'packages/cli/dist/bin.js');

export {
  EPHEMERAL_RECEIVE,
  EPHEMERAL_SIDE_PORTS,
  LOOPBACK_RECEIVE,
  parseReady,
  type ReadyLine,
  replayToReceiver,
} from '@fargate-mirror/testkit/receive';

/**
 * FARGATE_MIRROR_TEST_INTAKE=native|js runs every receiver started here with that intake (a later
 * --intake in a test's own arguments wins), so the suite can be run once with each; unset: auto.
 */
const TEST_INTAKE: readonly string[] =
  process.env.FARGATE_MIRROR_TEST_INTAKE === undefined
    ? []
    : ['--intake', process.env.FARGATE_MIRROR_TEST_INTAKE];

/** The tests drive the built CLI: fail clearly when it has not been built. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first with npx tsc -b packages/cli`);
}

export interface RunningReceiver extends ReadyLine {
  readonly proc: Started;
}

/** Starts `receive` (on the host, or through `spawn`, e.g. lab.spawn in a namespace) and waits until ready. */
export async function startReceive(
  args: readonly string[],
  spawn: (cmd: string, args: readonly string[]) => Started = (cmd, a) => start(cmd, a),
): Promise<RunningReceiver> {
  const proc = spawn(process.execPath, [CLI, 'receive', ...TEST_INTAKE, ...args]);
  stopWhenTheTestEnds(proc);
  await proc.waitForOutput(RECEIVE_READY, 30_000);
  return { proc, ...parseReady(proc.stderr()) };
}

/**
 * A receiver a failed or timed-out test left running is stopped when that test ends. Started from a
 * hook (outside any test), the hook's own teardown stops it.
 */
function stopWhenTheTestEnds(proc: Started): void {
  try {
    onTestFinished(async () => {
      await proc.stop('SIGKILL');
    });
  } catch {
    // not inside a test
  }
}

/**
 * The environment of a receiver and of the AWS CLI in the S3 labs: the task's own long-term keys and
 * region, no config or credentials files of the machine's.
 */
export function awsTaskEnv(region: string, accessKeyId = 'AKIDEXAMPLE'): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_REGION: region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
  };
}

/** startReceive's spawn for a receiver on the host with only `env` as its environment. */
export const withEnv =
  (env: Record<string, string>) =>
  (cmd: string, args: readonly string[]): Started =>
    start(cmd, args, { env });

/** Stops the receiver with `signal` and checks it exited 0 after its summary line. */
export async function stopReceive(r: RunningReceiver, signal: NodeJS.Signals = 'SIGTERM'): Promise<string> {
  const code = await r.proc.stop(signal, 60_000);
  const stderr = r.proc.stderr();
  if (code !== 0) throw new Error(`receive exited with ${code}:\n${stderr}`);
  if (!/receive: stopped: /.test(stderr)) throw new Error(`receive printed no summary:\n${stderr}`);
  return stderr;
}

/** GET over HTTP from the host, or with curl inside a namespace. */
export async function httpGet(
  port: number,
  path: string,
  ns?: string,
): Promise<{ status: number; body: string }> {
  if (ns === undefined) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  }
  const r = await run('ip', [
    'netns',
    'exec',
    ns,
    'curl',
    '-sS',
    '-w',
    '\n%{http_code}',
    `http://127.0.0.1:${port}${path}`,
  ]);
  const at = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) };
}

/** Prometheus text to `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

export async function metrics(port: number, ns?: string): Promise<Map<string, number>> {
  const r = await httpGet(port, '/metrics', ns);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
  return parseMetrics(r.body);
}

export function metric(m: Map<string, number>, key: string): number {
  const v = m.get(`fargate_mirror_receiver_${key}`);
  if (v === undefined) throw new Error(`metric fargate_mirror_receiver_${key} is missing`);
  return v;
}

/** Polls until `check` returns true (fails with `what` after `timeoutMs`). No timing is asserted. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type JsonRecord = Record<string, unknown>;

export function readJsonLines(path: string): JsonRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as JsonRecord);
}

// Timing, and where the flow's first packet is in the pcap: each run writes its own files, or none.
const TIMING_FIELDS = ['time', 'start_time', 'end_time', 'duration', 'pcap_file', 'pcap_offset'];

/**
 * A flow record without its timing fields and pcap position, as a canonical string (for multiset
 * comparison of one run's records with another's).
 */
export function withoutTiming(record: JsonRecord): string {
  const copy: JsonRecord = {};
  for (const key of Object.keys(record).sort()) if (!TIMING_FIELDS.includes(key)) copy[key] = record[key];
  return JSON.stringify(copy);
}

export function flowRecords(records: JsonRecord[]): JsonRecord[] {
  return records.filter((r) => r.type === 'flow');
}

export function pcapFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.pcap'))
    .sort()
    .map((n) => join(dir, n));
}

/** Checks tshark reads a pcap without complaint (a cut-short file makes it print an error). */
export async function tsharkReadsCleanly(file: string): Promise<number> {
  const r = await run('tshark', ['-r', file, '-n', '-T', 'fields', '-e', 'frame.number'], {
    allowFailure: true,
  });
  if (r.code !== 0 || /cut short|appears to be damaged|isn't a capture file/i.test(r.stderr)) {
    throw new Error(`tshark cannot read ${file} cleanly (exit ${r.code}):\n${r.stderr}`);
  }
  return r.stdout.split('\n').filter((l) => l.length > 0).length;
}

/** Frames of `file` that tshark's display filter `filter` matches (IP fragments reassembled, as tshark does). */
export async function tsharkFrames(file: string, filter: string): Promise<number> {
  const r = await run('tshark', ['-r', file, '-n', '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
  return r.stdout.split('\n').filter((l) => l.length > 0).length;
}

/** Outer VXLAN datagrams in `file` sent from `source` (fragmented ones once: tshark reassembles them). */
export function vxlanDatagramsFrom(file: string, source: string): Promise<number> {
  return tsharkFrames(file, `ip.src==${source} && udp.dstport==4789`);
}

/** What `read --summary-json` printed about a capture, the counts the receive tests compare with. */
export interface ReadSummary {
  readonly mirroredPackets: number;
  readonly outerFragments: number;
  readonly reassembled: number;
}

/** `read FILE --records RECORDS --summary-json ...extra` with the built CLI; fails naming its stderr. */
export async function readCapture(
  file: string,
  records: string,
  extra: readonly string[] = [],
): Promise<ReadSummary> {
  const r = await run(
    process.execPath,
    [CLI, 'read', file, '--records', records, ...extra, '--summary-json'],
    {
      allowFailure: true,
      timeoutMs: 300_000,
    },
  );
  if (r.code !== 0) throw new Error(`read ${file} exited with ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stderr.trim().split('\n').pop() as string) as ReadSummary;
}

/** Hex of every frame of the pcap files (the multiset the receiver wrote). */
export async function framesHex(files: readonly string[]): Promise<string[]> {
  const all: string[] = [];
  for (const f of files) {
    const r = await run('tshark', ['-r', f, '-n', '-T', 'ek', '-x', '-J', 'frame']);
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{"timestamp"')) continue;
      const raw = (JSON.parse(line) as { layers: { frame_raw: string | string[] } }).layers.frame_raw;
      all.push(Array.isArray(raw) ? raw[0] : raw);
    }
  }
  return all;
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

export interface InnerSpec {
  vni: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** 'udp' (default) or 'tcp' with `flags`. */
  proto?: 'udp' | 'tcp';
  flags?: number;
  payloadBytes?: number;
}

function ipv4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

/**
 * A VXLAN datagram payload (what a socket on 4789 reads): VXLAN header, inner Ethernet, IPv4, UDP or
 * TCP, and `payloadBytes` of payload; the IPv4 header checksum is valid.
 */
export function vxlanDatagram(spec: InnerSpec): Buffer {
  const tcp = spec.proto === 'tcp';
  const l4 = tcp ? 20 : 8;
  const payload = spec.payloadBytes ?? 10;
  const ipLength = 20 + l4 + payload;
  const b = Buffer.alloc(8 + 14 + ipLength);
  b[0] = 0x08;
  b.writeUIntBE(spec.vni, 4, 3);
  let o = 8;
  Buffer.from([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]).copy(b, o);
  b.writeUInt16BE(0x0800, o + 12);
  o += 14;
  b[o] = 0x45;
  b.writeUInt16BE(ipLength, o + 2);
  b[o + 8] = 64;
  b[o + 9] = tcp ? 6 : 17;
  ipv4(spec.src).copy(b, o + 12);
  ipv4(spec.dst).copy(b, o + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += b.readUInt16BE(o + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, o + 10);
  o += 20;
  b.writeUInt16BE(spec.sport, o);
  b.writeUInt16BE(spec.dport, o + 2);
  if (tcp) {
    b[o + 12] = 0x50;
    b[o + 13] = spec.flags ?? 0x10;
    b.writeUInt16BE(65535, o + 14);
  } else {
    b.writeUInt16BE(8 + payload, o + 4);
  }
  return b;
}

/** Sends datagrams to 127.0.0.1:port in paced batches (so a test never overflows the receive buffer). */
export async function sendDatagrams(port: number, datagrams: readonly Buffer[], batch = 200): Promise<void> {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket('udp4');
  try {
    for (let i = 0; i < datagrams.length; i += batch) {
      await Promise.all(
        datagrams
          .slice(i, i + batch)
          .map(
            (d) => new Promise<void>((r, j) => socket.send(d, port, '127.0.0.1', (e) => (e ? j(e) : r()))),
          ),
      );
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    socket.close();
  }
}
