// The native forward path (fm-capture -C) against the TypeScript one on the same frames: every
// datagram byte for byte, from the same socket (flow hash), with the same counters. fm-capture's test
// mode reads a pcap file instead of the ring and writes the datagrams to a file instead of sending;
// the frames it leaves to TypeScript come out on its stdout as pcap and go through a FrameEncapsulator,
// as in the forwarder. The corpus covers what the native path does (handshakes and their MSS, TSO and
// UDP GSO super-frames, mid-stream flows, RST, oversize frames cut or split, --packet-length, filter
// rules, task addresses, ICMP, UDP without checksum, VLAN tags) and what it hands over (ARP, IPv4
// fragments, IPv6 extension headers, a malformed UDP length).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType, parseAddress } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NATIVE_CAPTURE } from '../../src/capture-engine.ts';
import { ForwarderStats } from '../../src/forwarder-stats.ts';
import { FrameEncapsulator } from '../../src/frame-encapsulator.ts';
import { ACCEPT_ALL_RULES, MirrorFilter, type MirrorFilterRule } from '../../src/mirror-filter.ts';
import { nativeForwardConfigText, parseNativeStatsLine } from '../../src/native-forward-config.ts';
import { PcapStreamParser } from '../../src/pcap-stream-parser.ts';
import {
  CollectingSink,
  ethernetFrame,
  ipPacket,
  type PacketSpec,
  patternPayload,
  writePcap,
} from '../helpers/frames.ts';

// The test runs the built program (npm run build), from the TypeScript sources' side: dist/native.
const FM_CAPTURE = DEFAULT_NATIVE_CAPTURE.replace('/src/native/', '/dist/native/');
const SOCKETS = 16;
const TASK = ['10.79.0.2', 'fd00:79::2'];
const ACK = 0x10;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const FIN = 0x01;
const CWR = 0x80;
const TS = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2);
const mssOption = (mss: number) => Uint8Array.of(2, 4, mss >> 8, mss & 0xff, 1, 1, 4, 2);

let dir: string;
beforeAll(() => {
  if (!existsSync(FM_CAPTURE)) throw new Error(`${FM_CAPTURE} is missing: npm run build`);
  dir = mkdtempSync(join(tmpdir(), 'fwd-native-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Options {
  maxInner: number;
  interfaceMtu: number;
  packetLength?: number;
  truncateSuperframes?: boolean;
  splitOversize?: boolean;
  rules?: readonly MirrorFilterRule[];
}

function taskWords(): Uint32Array[] {
  return TASK.map((a) => {
    const w = new Uint32Array(4);
    parseAddress(a, w);
    return w;
  });
}

function encapsulator(o: Options) {
  const stats = new ForwarderStats();
  const sink = new CollectingSink(8 + o.maxInner);
  const e = new FrameEncapsulator(
    {
      vni: 0x123456,
      maxInnerFrame: o.maxInner,
      interfaceMtu: o.interfaceMtu,
      packetLength: o.packetLength,
      truncateSuperframes: o.truncateSuperframes ?? false,
      splitOversize: o.splitOversize,
      filter: new MirrorFilter(o.rules ?? ACCEPT_ALL_RULES),
      taskAddressWords: taskWords(),
      taskMac: Uint8Array.of(0x0a, 0x11, 0x22, 0x33, 0x44, 0x55),
      peerMac: Uint8Array.of(0x02, 0x66, 0x6d, 0, 0, 0x02),
    },
    sink,
    stats,
  );
  return { stats, sink, e };
}

type Datagram = { socket: number; hex: string };

/** The TypeScript path alone. */
function viaTypeScript(frames: readonly Buffer[], o: Options) {
  const { stats, sink, e } = encapsulator(o);
  for (const f of frames) e.process(f, 0, f.length, f.length, LinkType.ETHERNET);
  const datagrams = sink.datagrams.map((d) => ({
    socket: d.flowHash % SOCKETS,
    hex: d.bytes.toString('hex'),
  }));
  return { stats, datagrams };
}

/** fm-capture's forward path, then the TypeScript path for what it handed over. */
function viaNative(name: string, frames: readonly Buffer[], o: Options) {
  const pcap = join(dir, `${name}.pcap`);
  const config = join(dir, `${name}.conf`);
  const out = join(dir, `${name}.datagrams`);
  writePcap(pcap, frames);
  writeFileSync(
    config,
    nativeForwardConfigText({
      vni: 0x123456,
      maxInnerFrame: o.maxInner,
      interfaceMtu: o.interfaceMtu,
      packetLength: o.packetLength,
      truncateSuperframes: o.truncateSuperframes ?? false,
      splitOversize: o.splitOversize ?? false,
      rules: o.rules ?? ACCEPT_ALL_RULES,
      taskAddressWords: taskWords(),
      to: { family: 4, address: '127.0.0.1', port: 4789 },
      sourcePorts: Array.from({ length: SOCKETS }, (_, i) => 40_000 + i),
    }),
  );
  const run = spawnSync(FM_CAPTURE, ['-C', config, '-r', pcap, '-o', out]);
  if (run.status !== 0) throw new Error(`fm-capture exited ${run.status}: ${run.stderr}`);
  const result = run.stdout;
  const stderr = run.stderr.toString('utf8');
  const bytes = readFileSync(out);
  const datagrams: Datagram[] = [];
  for (let at = 0; at < bytes.length; ) {
    const socket = bytes.readUInt32LE(at);
    const length = bytes.readUInt32LE(at + 4);
    datagrams.push({ socket, hex: bytes.subarray(at + 8, at + 8 + length).toString('hex') });
    at += 8 + length;
  }
  const native = parseNativeStatsLine(stderr.trim().split('\n').at(-1) ?? '');
  if (native === undefined) throw new Error(`no fm-stats line from fm-capture: ${stderr}`);
  const handed = encapsulator(o);
  const handedFrames: Buffer[] = [];
  new PcapStreamParser((buf, off, captured, original, linkType) => {
    handedFrames.push(Buffer.from(buf.subarray(off, off + captured)));
    handed.e.process(buf, off, captured, original, linkType);
  }).push(result);
  for (const d of handed.sink.datagrams)
    datagrams.push({ socket: d.flowHash % SOCKETS, hex: d.bytes.toString('hex') });
  return {
    datagrams,
    native,
    handed: handed.stats,
    handedFrames,
    nativeCount: datagrams.length - handed.sink.datagrams.length,
  };
}

const SHARED_COUNTERS = [
  'framesCaptured',
  'bytesCaptured',
  'framesFilteredOut',
  'framesIngress',
  'framesEgress',
  'superframes',
  'framesSegmentedTcp',
  'framesSplitUdp',
  'superframesCutAtConnectionMss',
  'segmentsCreated',
  'superframesTruncated',
  'oversizeTruncated',
  'packetLengthTruncated',
  'checksumsWritten',
  'datagramsQueued',
] as const;

const sorted = (d: readonly Datagram[]) => d.map((x) => `${x.socket}:${x.hex}`).sort();
const perSocket = (d: readonly Datagram[]) => {
  const m = new Map<number, string[]>();
  for (const x of d) m.set(x.socket, [...(m.get(x.socket) ?? []), x.hex]);
  return m;
};

function compare(name: string, frames: readonly Buffer[], o: Options, expectedHandoffs: number) {
  const ts = viaTypeScript(frames, o);
  const nat = viaNative(name, frames, o);
  expect(nat.native.framesToTypeScript).toBe(expectedHandoffs);
  expect(nat.handedFrames.length).toBe(expectedHandoffs);
  expect(nat.datagrams.length).toBe(ts.datagrams.length);
  expect(sorted(nat.datagrams)).toEqual(sorted(ts.datagrams));
  if (expectedHandoffs === 0) expect(perSocket(nat.datagrams)).toEqual(perSocket(ts.datagrams));
  for (const c of SHARED_COUNTERS) {
    expect({ [c]: (nat.native[c] ?? Number.NaN) + nat.handed[c] }).toEqual({ [c]: ts.stats[c] });
  }
  expect(nat.native.datagramsSent).toBe(nat.nativeCount);
  return { ts, nat };
}

// ---- the corpus ----------------------------------------------------------------------------------

function tcpConversation(v6: boolean, mss: number, superPayload: number, port: number): Buffer[] {
  const c = v6 ? 'fd00:79::1' : '10.79.0.1';
  const t = v6 ? 'fd00:79::2' : '10.79.0.2';
  const out = (spec: Partial<PacketSpec>) =>
    ethernetFrame({
      v6,
      protocol: 'tcp',
      src: t,
      dst: c,
      srcPort: 80,
      dstPort: port,
      payload: new Uint8Array(0),
      ...spec,
    });
  const inn = (spec: Partial<PacketSpec>) =>
    ethernetFrame({
      v6,
      protocol: 'tcp',
      src: c,
      dst: t,
      srcPort: port,
      dstPort: 80,
      payload: new Uint8Array(0),
      ...spec,
    });
  return [
    inn({ flags: SYN, seq: 100, tcpOptions: mssOption(mss) }),
    out({ flags: SYN | ACK, seq: 9000, tcpOptions: mssOption(mss + 40) }),
    inn({ flags: ACK, seq: 101, payload: patternPayload(300, 1), tcpOptions: TS }),
    // TSO out, GRO in: cut at the connection's MSS less the timestamps
    out({
      flags: ACK | PSH | CWR,
      seq: 0xffff_ff00,
      payload: patternPayload(superPayload, 2),
      tcpOptions: TS,
      ipId: 0xfffe,
    }),
    inn({ flags: ACK | PSH | FIN, seq: 401, payload: patternPayload(superPayload / 2, 3), tcpOptions: TS }),
    // a super-frame that fits the path whole still goes out as the wire's segments
    out({ flags: ACK, seq: 5, payload: patternPayload(mss * 2, 4), tcpOptions: TS }),
    inn({ flags: RST, seq: 9 }),
    // after the RST the flow is unknown: the path-MTU cut
    out({ flags: ACK, seq: 77, payload: patternPayload(superPayload, 5), tcpOptions: TS }),
  ];
}

function midStream(v6: boolean): Buffer[] {
  const spec = { v6, protocol: 'tcp' as const, srcPort: 443, dstPort: 50_000, tcpOptions: TS };
  return [
    ethernetFrame({ ...spec, flags: ACK, seq: 1, payload: patternPayload(1200, 6) }),
    ethernetFrame({ ...spec, flags: ACK, seq: 2000, payload: patternPayload(20_000, 7) }),
    ethernetFrame({ ...spec, flags: ACK, seq: 30_000, payload: patternPayload(100, 8) }),
    // odd lengths: the checksum's last byte
    ethernetFrame({ ...spec, flags: ACK, seq: 40_000, payload: patternPayload(777, 20) }),
    ethernetFrame({ ...spec, flags: ACK, seq: 50_000, payload: patternPayload(4001, 21) }),
  ];
}

function udpFrames(v6: boolean): Buffer[] {
  const withChecksum = (f: Buffer) => {
    // a non-zero (unfinished) checksum: the forwarder writes the real one; 0 on IPv4 stays 0
    const l4 = 14 + (v6 ? 40 : 20);
    f.writeUInt16BE(0xbeef, l4 + 6);
    return f;
  };
  return [
    ethernetFrame({ v6, protocol: 'udp', srcPort: 5353, dstPort: 53, payload: patternPayload(60, 9) }),
    withChecksum(
      ethernetFrame({ v6, protocol: 'udp', srcPort: 5000, dstPort: 5001, payload: patternPayload(200, 10) }),
    ),
    withChecksum(
      ethernetFrame({ v6, protocol: 'udp', srcPort: 5002, dstPort: 5003, payload: patternPayload(201, 19) }),
    ),
    // UDP GSO super-frame: one datagram per segment
    withChecksum(
      ethernetFrame({ v6, protocol: 'udp', srcPort: 6000, dstPort: 6001, payload: patternPayload(5000, 11) }),
    ),
    // a full-size frame that does not fit the path once encapsulated: cut, as AWS does
    withChecksum(
      ethernetFrame({
        v6,
        protocol: 'udp',
        srcPort: 7000,
        dstPort: 7001,
        payload: patternPayload(1500 - (v6 ? 48 : 28), 12),
      }),
    ),
  ];
}

function fullSizeTcp(v6: boolean): Buffer {
  return ethernetFrame({
    v6,
    protocol: 'tcp',
    srcPort: 8080,
    dstPort: 40_001,
    flags: ACK | PSH,
    seq: 7,
    payload: patternPayload(1500 - (v6 ? 60 : 40), 13),
  });
}

function icmpEcho(request: boolean): Buffer {
  const f = ethernetFrame({ protocol: 'udp', payload: patternPayload(56, 14) });
  f[14 + 9] = 1; // ICMP
  f[14 + 20] = request ? 8 : 0;
  f[14 + 21] = 0;
  if (!request) {
    f.copy(f, 14 + 12, 14 + 16, 14 + 20); // a reply from the peer: swap the addresses
    Buffer.from([10, 79, 0, 2]).copy(f, 14 + 16);
  }
  return f;
}

function vlanTagged(): Buffer {
  const f = ethernetFrame({
    protocol: 'tcp',
    srcPort: 22,
    dstPort: 50_022,
    flags: ACK,
    payload: patternPayload(90, 15),
  });
  return Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64]), f.subarray(12)]);
}

function handedOver(): Buffer[] {
  const arp = Buffer.concat([
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]),
    Buffer.alloc(28, 1),
  ]);
  const fragment = ethernetFrame({ protocol: 'udp', payload: patternPayload(400, 16) });
  fragment[14 + 6] = 0x20; // more fragments
  const v6 = ipPacket({
    v6: true,
    protocol: 'udp',
    srcPort: 9000,
    dstPort: 9001,
    payload: patternPayload(80, 17),
  });
  const hopByHop = Buffer.concat([
    v6.subarray(0, 40),
    Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]),
    v6.subarray(40),
  ]);
  hopByHop[6] = 0;
  hopByHop.writeUInt16BE(hopByHop.length - 40, 4);
  const eth = Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd]);
  const badUdp = ethernetFrame({ protocol: 'udp', payload: patternPayload(40, 18) });
  badUdp.writeUInt16BE(4000, 14 + 20 + 4); // longer than the IP payload
  return [arp, fragment, Buffer.concat([eth, hopByHop]), badUdp];
}

function corpus(): Buffer[] {
  return [
    ...tcpConversation(false, 1460, 60_000, 41_000), // above the path (1398 with timestamps): the path cut
    ...tcpConversation(true, 1200, 40_000, 41_001), // below the path: cut at the MSS
    ...midStream(false),
    ...midStream(true),
    ...udpFrames(false),
    ...udpFrames(true),
    fullSizeTcp(false),
    fullSizeTcp(true),
    icmpEcho(true),
    icmpEcho(false),
    vlanTagged(),
  ];
}

const BASE: Options = { maxInner: 1464, interfaceMtu: 1500 };
const FILTER: MirrorFilterRule[] = [
  {
    ruleNumber: 10,
    direction: 'egress',
    action: 'reject',
    protocol: 17,
    destinationPortRange: { fromPort: 53, toPort: 53 },
    sourceCidrBlock: '0.0.0.0/0',
    destinationCidrBlock: '0.0.0.0/0',
  },
  {
    ruleNumber: 20,
    direction: 'egress',
    action: 'accept',
    sourceCidrBlock: '0.0.0.0/0',
    destinationCidrBlock: '0.0.0.0/0',
  },
  {
    ruleNumber: 30,
    direction: 'egress',
    action: 'accept',
    protocol: 6,
    sourceCidrBlock: '::/0',
    destinationCidrBlock: 'fd00:79::/64',
  },
  {
    ruleNumber: 5,
    direction: 'ingress',
    action: 'accept',
    protocol: 6,
    sourcePortRange: { fromPort: 41_000, toPort: 41_000 },
    sourceCidrBlock: '10.0.0.0/8',
    destinationCidrBlock: '10.79.0.2/32',
  },
];

describe('native forward path = TypeScript path, byte for byte', () => {
  const cases: [string, Options][] = [
    ['defaults', BASE],
    ['split-oversize', { ...BASE, splitOversize: true }],
    ['truncate-superframes', { ...BASE, truncateSuperframes: true }],
    ['packet-length 100', { ...BASE, packetLength: 100 }],
    ['packet-length 10 (inside the link header)', { ...BASE, packetLength: 10 }],
    ['filter rules', { ...BASE, rules: FILTER }],
    ['9001-byte interface, 8000-byte path', { maxInner: 7964, interfaceMtu: 9001 }],
  ];
  for (const [name, o] of cases) {
    it(`${name}: the same datagrams from the same sockets, the same counters`, () => {
      const { nat } = compare(name.replace(/\W+/g, '-'), corpus(), o, 0);
      // the native path did the work: nothing was left to TypeScript
      expect(nat.nativeCount).toBe(nat.datagrams.length);
    });
  }

  it('hands non-IP, fragments, IPv6 extension headers and malformed frames to TypeScript, with the same result', () => {
    const frames = [...corpus().slice(0, 10), ...handedOver(), ...corpus().slice(10)];
    const { nat, ts } = compare('handed-over', frames, BASE, 4);
    expect(ts.stats.framesNotIp).toBe(1);
    expect(nat.handed.framesNotIp).toBe(1);
    expect(nat.handed.framesMalformed).toBe(ts.stats.framesMalformed);
  });

  it('the corpus exercises what it claims (super-frames cut at the MSS, UDP splits, cuts, checksums)', () => {
    const { stats } = viaTypeScript(corpus(), BASE);
    expect(stats.superframesCutAtConnectionMss).toBeGreaterThanOrEqual(3);
    expect(stats.framesSplitUdp).toBeGreaterThanOrEqual(2);
    expect(stats.oversizeTruncated).toBeGreaterThanOrEqual(2);
    expect(stats.checksumsWritten).toBeGreaterThan(20);
    expect(stats.framesIngress).toBeGreaterThan(0);
    expect(stats.framesEgress).toBeGreaterThan(0);
    const filtered = viaTypeScript(corpus(), { ...BASE, rules: FILTER }).stats;
    expect(filtered.framesFilteredOut).toBeGreaterThan(0);
  });
});
