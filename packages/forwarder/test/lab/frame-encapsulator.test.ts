// The encapsulator against hand-built frames, its output judged by tshark: super-frames split into
// segments a NIC could have sent (checksums valid, sequence numbers and IPv4 ids advancing, flags
// where they belong, the payload intact), Ethernet headers synthesised, truncation and drops counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '@fargate-mirror/testkit/require-tools';
import { LinkType, parseAddress } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForwarderStats } from '../../src/forwarder-stats.ts';
import { FrameEncapsulator } from '../../src/frame-encapsulator.ts';
import { MirrorFilter, type MirrorFilterRule } from '../../src/mirror-filter.ts';
import {
  CollectingSink,
  ethernetFrame,
  ipPacket,
  type PacketSpec,
  patternPayload,
  writePcap,
} from '../helpers/frames.ts';
import { tsharkRows } from '../helpers/tshark.ts';

const MAX_INNER = 1464; // 1500 - 20 outer IP - 8 UDP - 8 VXLAN
const TASK_MAC = Uint8Array.of(0x0a, 0x11, 0x22, 0x33, 0x44, 0x55);
const PEER_MAC = Uint8Array.of(0x02, 0x66, 0x6d, 0, 0, 0x02);
const TS_OPTIONS = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2); // NOP NOP timestamps
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const CWR = 0x80;

let dir: string;
beforeAll(() => {
  // tshark only, no root; a missing tool fails loudly, never skips.
  if (findTool('tshark') === undefined) throw new Error('missing tool tshark: apt-get install tshark');
  dir = mkdtempSync(join(tmpdir(), 'fwd-encap-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function words(addresses: string[]): Uint32Array[] {
  return addresses.map((a) => {
    const w = new Uint32Array(4);
    parseAddress(a, w);
    return w;
  });
}

function setUp(
  opts: {
    packetLength?: number;
    truncateSuperframes?: boolean;
    splitOversize?: boolean;
    rules?: MirrorFilterRule[];
    slots?: number;
    maxInner?: number;
  } = {},
) {
  const stats = new ForwarderStats();
  const maxInner = opts.maxInner ?? MAX_INNER;
  const sink = new CollectingSink(8 + maxInner, opts.slots);
  const encapsulator = new FrameEncapsulator(
    {
      vni: 0x123456,
      maxInnerFrame: maxInner,
      interfaceMtu: 1500,
      packetLength: opts.packetLength,
      truncateSuperframes: opts.truncateSuperframes ?? false,
      splitOversize: opts.splitOversize,
      filter: opts.rules ? new MirrorFilter(opts.rules) : MirrorFilter.acceptAll(),
      taskAddressWords: words(['10.79.0.2', 'fd00:79::2']),
      taskMac: TASK_MAC,
      peerMac: PEER_MAC,
    },
    sink,
    stats,
  );
  const feed = (frame: Uint8Array, linkType: number = LinkType.ETHERNET) =>
    encapsulator.process(frame, 0, frame.length, frame.length, linkType);
  return { stats, sink, feed };
}

/** Writes the inner frames (after the 8-byte VXLAN header) to a pcap and has tshark read them. */
async function innerRows(sink: CollectingSink, name: string, fields: string[]) {
  const file = join(dir, `${name}.pcap`);
  writePcap(
    file,
    sink.datagrams.map((d) => d.bytes.subarray(8)),
  );
  return tsharkRows(file, fields);
}

const TCP_FIELDS = [
  'frame.len',
  'ip.len',
  'ip.id',
  'ipv6.plen',
  'ip.checksum.status',
  'tcp.seq_raw',
  'tcp.len',
  'tcp.flags',
  'tcp.checksum.status',
  'tcp.options.timestamp.tsval',
  'tcp.payload',
];

describe('FrameEncapsulator: TCP super-frames', () => {
  for (const v6 of [false, true]) {
    it(`splits an IPv${v6 ? 6 : 4} TSO super-frame into valid MSS-sized segments`, async () => {
      const { stats, sink, feed } = setUp();
      const payload = patternPayload(60_000);
      const spec: PacketSpec = {
        v6,
        protocol: 'tcp',
        payload,
        seq: 0xffff_f000, // wraps during the frame
        flags: ACK | PSH | FIN | CWR,
        tcpOptions: TS_OPTIONS,
        ipId: 0xfffe,
      };
      feed(ethernetFrame(spec));

      const rows = await innerRows(sink, `tcp-v${v6 ? 6 : 4}`, TCP_FIELDS);
      const ipHeader = v6 ? 40 : 20;
      const mss = MAX_INNER - 14 - ipHeader - 32;
      expect(rows.length).toBe(Math.ceil(60_000 / mss));
      expect(stats).toMatchObject({
        superframes: 1,
        framesSegmentedTcp: 1,
        segmentsCreated: rows.length,
        framesEgress: 1,
      });
      let expectedSeq = 0xffff_f000;
      const rebuilt: Buffer[] = [];
      rows.forEach((r, i) => {
        const last = i === rows.length - 1;
        expect(Number(r['frame.len'])).toBeLessThanOrEqual(MAX_INNER);
        expect(r['tcp.checksum.status']).toBe('1');
        if (!v6) {
          expect(r['ip.checksum.status']).toBe('1');
          expect(Number(r['ip.id'])).toBe((0xfffe + i) & 0xffff);
        }
        expect(Number(r['tcp.seq_raw'])).toBe(expectedSeq);
        expectedSeq = (expectedSeq + Number(r['tcp.len'])) >>> 0;
        const flags = Number(r['tcp.flags']);
        expect(flags & ACK).toBe(ACK);
        expect(flags & (FIN | PSH)).toBe(last ? FIN | PSH : 0);
        expect(flags & CWR).toBe(i === 0 ? CWR : 0);
        expect(r['tcp.options.timestamp.tsval']).toBe('1');
        if (!last) expect(Number(r['tcp.len'])).toBe(mss);
        rebuilt.push(Buffer.from(r['tcp.payload'].replaceAll(':', ''), 'hex'));
      });
      expect(Buffer.concat(rebuilt).equals(Buffer.from(payload))).toBe(true);
      // One flow, one outer source port.
      expect(new Set(sink.datagrams.map((d) => d.flowHash)).size).toBe(1);
      // The VXLAN header: I flag and the VNI.
      for (const d of sink.datagrams)
        expect([...d.bytes.subarray(0, 8)]).toEqual([8, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
    });
  }

  it('cuts a frame within the interface MTU that only the encapsulation makes too large, as AWS does', async () => {
    const { stats, sink, feed } = setUp();
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(1460), flags: ACK }));
    const rows = await innerRows(sink, 'tcp-1500-cut', ['frame.len', 'ip.len']);
    expect(rows).toEqual([{ 'frame.len': String(MAX_INNER), 'ip.len': String(20 + 20 + 1460) }]);
    expect(stats).toMatchObject({ superframes: 0, framesSegmentedTcp: 0, oversizeTruncated: 1 });
  });

  it('segments such a frame instead with splitOversize', async () => {
    const { stats, sink, feed } = setUp({ splitOversize: true });
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(1460), flags: ACK }));
    const rows = await innerRows(sink, 'tcp-1500', TCP_FIELDS);
    expect(rows.map((r) => Number(r['tcp.len'])).reduce((a, b) => a + b, 0)).toBe(1460);
    expect(rows.length).toBe(2);
    expect(stats).toMatchObject({ superframes: 0, framesSegmentedTcp: 1, oversizeTruncated: 0 });
  });

  it('cuts super-frames instead with truncateSuperframes, and counts them', async () => {
    const { stats, sink, feed } = setUp({ truncateSuperframes: true });
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(30_000) }));
    const rows = await innerRows(sink, 'tcp-trunc', ['frame.len', 'ip.len']);
    expect(rows).toEqual([{ 'frame.len': String(MAX_INNER), 'ip.len': String(20 + 20 + 30_000) }]);
    expect(stats).toMatchObject({ superframes: 1, superframesTruncated: 1, framesSegmentedTcp: 0 });
  });

  it('cuts every segment to packetLength, keeping the real lengths in the headers', async () => {
    const { stats, sink, feed } = setUp({ packetLength: 100 });
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(5000) }));
    const rows = await innerRows(sink, 'tcp-plen', ['frame.len', 'ip.len', 'tcp.seq_raw']);
    expect(rows.length).toBe(Math.ceil(5000 / (MAX_INNER - 14 - 40)));
    for (const r of rows) expect(Number(r['frame.len'])).toBe(100);
    expect(rows.map((r) => Number(r['ip.len']) - 40).reduce((a, b) => a + b, 0)).toBe(5000);
    expect(stats.packetLengthTruncated).toBe(rows.length);
  });

  it('counts the segments it could not queue when the send queue is full', () => {
    const { stats, sink, feed } = setUp({ slots: 3 });
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(20_000) }));
    const segments = Math.ceil(20_000 / (MAX_INNER - 14 - 40));
    expect(sink.datagrams.length).toBe(3);
    expect(stats.droppedQueueFull).toBe(segments - 3);
  });
});

describe('FrameEncapsulator: UDP and ordinary frames', () => {
  it('splits a UDP GSO super-frame into datagrams with their own valid headers', async () => {
    const { stats, sink, feed } = setUp();
    const payload = patternPayload(10_000, 3);
    feed(ethernetFrame({ protocol: 'udp', payload, srcPort: 5353, dstPort: 53 }));
    const rows = await innerRows(sink, 'udp-gso', [
      'frame.len',
      'udp.length',
      'udp.checksum.status',
      'udp.payload',
      'data.data',
    ]);
    expect(rows.length).toBe(Math.ceil(10_000 / (MAX_INNER - 14 - 20 - 8)));
    const rebuilt = rows.map((r) =>
      Buffer.from((r['udp.payload'] || r['data.data']).replaceAll(':', ''), 'hex'),
    );
    expect(Buffer.concat(rebuilt).equals(Buffer.from(payload))).toBe(true);
    for (const r of rows) {
      expect(r['udp.checksum.status']).toBe('1');
      expect(Number(r['frame.len'])).toBeLessThanOrEqual(MAX_INNER);
    }
    expect(stats).toMatchObject({ superframes: 1, framesSplitUdp: 1 });
  });

  it('writes the real checksum into an ordinary packet captured with checksum offload', async () => {
    const { sink, feed } = setUp();
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(500) }));
    feed(ethernetFrame({ v6: true, protocol: 'udp', payload: patternPayload(300) }));
    const rows = await innerRows(sink, 'csum', ['tcp.checksum.status', 'udp.checksum.status']);
    expect(rows).toEqual([
      { 'tcp.checksum.status': '1', 'udp.checksum.status': '' },
      { 'tcp.checksum.status': '', 'udp.checksum.status': '1' },
    ]);
  });

  it('gives raw IP frames an Ethernet header with the task MAC on its side of the conversation', async () => {
    const { stats, sink, feed } = setUp();
    feed(ipPacket({ protocol: 'udp', payload: patternPayload(40) }), LinkType.RAW); // egress
    feed(
      ipPacket({
        v6: true,
        protocol: 'udp',
        src: 'fd00:79::1',
        dst: 'fd00:79::2',
        payload: patternPayload(40),
      }),
      LinkType.RAW,
    );
    const rows = await innerRows(sink, 'raw', ['eth.src', 'eth.dst', 'eth.type', 'ip.src', 'ipv6.src']);
    expect(rows).toEqual([
      {
        'eth.src': '0a:11:22:33:44:55',
        'eth.dst': '02:66:6d:00:00:02',
        'eth.type': '0x0800',
        'ip.src': '10.79.0.2',
        'ipv6.src': '',
      },
      {
        'eth.src': '02:66:6d:00:00:02',
        'eth.dst': '0a:11:22:33:44:55',
        'eth.type': '0x86dd',
        'ip.src': '',
        'ipv6.src': 'fd00:79::1',
      },
    ]);
    expect(stats).toMatchObject({ framesIngress: 1, framesEgress: 1 });
  });

  it('hashes both directions of a flow to the same outer source port', () => {
    const { sink, feed } = setUp();
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(10), srcPort: 40001, dstPort: 443 }));
    feed(
      ethernetFrame({
        protocol: 'tcp',
        payload: patternPayload(10),
        src: '10.79.0.1',
        dst: '10.79.0.2',
        srcPort: 443,
        dstPort: 40001,
      }),
    );
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(10), srcPort: 40002, dstPort: 443 }));
    const [a, b, c] = sink.datagrams.map((d) => d.flowHash);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('mirrors only what the filter accepts, and drops non-IP frames as AWS does', () => {
    const rules: MirrorFilterRule[] = [
      {
        ruleNumber: 10,
        direction: 'egress',
        action: 'reject',
        protocol: 17,
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
    ];
    const { stats, sink, feed } = setUp({ rules });
    feed(ethernetFrame({ protocol: 'udp', payload: patternPayload(10) })); // egress UDP: rejected by rule 10
    feed(ethernetFrame({ protocol: 'tcp', payload: patternPayload(10) })); // egress TCP: accepted by 20
    feed(ethernetFrame({ protocol: 'tcp', src: '10.79.0.1', dst: '10.79.0.2', payload: patternPayload(10) })); // ingress: no rule
    const arp = Buffer.alloc(42);
    arp.writeUInt16BE(0x0806, 12);
    feed(arp);
    expect(sink.datagrams.length).toBe(1);
    expect(stats).toMatchObject({ framesCaptured: 4, framesFilteredOut: 2, framesNotIp: 1, framesEgress: 1 });
  });
});

/** MSS option (kind 2), then NOP NOP timestamps: what Linux puts in a SYN, padded to 16 bytes. */
function synOptions(mss: number): Uint8Array {
  return Uint8Array.of(2, 4, mss >> 8, mss & 0xff, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0);
}

describe("FrameEncapsulator: TCP super-frames cut at the connection's segment size", () => {
  // A 9000-byte path (jumbo, like a VPC's 9001) behind a 1500-byte task interface: the path would
  // take 8.9 KB pieces, the wire carried MSS-sized segments.
  const JUMBO_INNER = 9000 - 20 - 8 - 8;
  const TASK = { src: '10.79.0.2', dst: '10.79.0.1', srcPort: 8080, dstPort: 40000 };
  const PEER = { src: '10.79.0.1', dst: '10.79.0.2', srcPort: 40000, dstPort: 8080 };

  async function segmentsOf(sink: CollectingSink, name: string, payload: Uint8Array, seq: number) {
    const rows = await innerRows(sink, name, [
      'tcp.seq_raw',
      'tcp.len',
      'tcp.checksum.status',
      'tcp.payload',
    ]);
    let expectedSeq = seq;
    for (const r of rows) {
      expect(r['tcp.checksum.status']).toBe('1');
      expect(Number(r['tcp.seq_raw'])).toBe(expectedSeq);
      expectedSeq += Number(r['tcp.len']);
    }
    const rebuilt = Buffer.concat(rows.map((r) => Buffer.from(r['tcp.payload'].replaceAll(':', ''), 'hex')));
    expect(rebuilt.equals(Buffer.from(payload))).toBe(true);
    return rows.map((r) => Number(r['tcp.len']));
  }

  /** `count` segments of `size` bytes, then the rest. */
  function sizes(total: number, size: number): number[] {
    const out = Array<number>(Math.floor(total / size)).fill(size);
    if (total % size !== 0) out.push(total % size);
    return out;
  }

  it('learns the MSS from the handshake: the smaller advertised MSS less the options of each segment', async () => {
    const { stats, sink, feed } = setUp({ maxInner: JUMBO_INNER });
    // The peer advertises 1400, the task 1300 (its socket's TCP_MAXSEG): both directions use 1300.
    feed(
      ethernetFrame({
        protocol: 'tcp',
        ...PEER,
        payload: new Uint8Array(0),
        flags: SYN,
        tcpOptions: synOptions(1400),
      }),
    );
    feed(
      ethernetFrame({
        protocol: 'tcp',
        ...TASK,
        payload: new Uint8Array(0),
        flags: SYN | ACK,
        tcpOptions: synOptions(1300),
      }),
    );
    sink.datagrams.length = 0; // the handshake itself
    const egress = patternPayload(20_000, 1);
    feed(
      ethernetFrame({
        protocol: 'tcp',
        ...TASK,
        payload: egress,
        seq: 1000,
        flags: ACK | PSH,
        tcpOptions: TS_OPTIONS,
      }),
    );
    const egressSizes = await segmentsOf(sink, 'mss-egress', egress, 1000);
    expect(egressSizes).toEqual(sizes(20_000, 1300 - 12));

    sink.datagrams.length = 0;
    const ingress = patternPayload(7_000, 2);
    feed(ethernetFrame({ protocol: 'tcp', ...PEER, payload: ingress, seq: 5000, flags: ACK }));
    expect(await segmentsOf(sink, 'mss-ingress', ingress, 5000)).toEqual(sizes(7_000, 1300));
    expect(stats).toMatchObject({ superframes: 2, framesSegmentedTcp: 2, superframesCutAtConnectionMss: 2 });
  });

  it('never cuts above what the interface MTU allows, whatever the handshake said', async () => {
    const { sink, feed } = setUp({ maxInner: JUMBO_INNER });
    feed(
      ethernetFrame({
        protocol: 'tcp',
        ...PEER,
        payload: new Uint8Array(0),
        flags: SYN,
        tcpOptions: synOptions(8960),
      }),
    );
    feed(
      ethernetFrame({
        protocol: 'tcp',
        ...TASK,
        payload: new Uint8Array(0),
        flags: SYN | ACK,
        tcpOptions: synOptions(8960),
      }),
    );
    sink.datagrams.length = 0; // the handshake itself
    const egress = patternPayload(12_000, 3);
    feed(
      ethernetFrame({
        protocol: 'tcp',
        ...TASK,
        payload: egress,
        seq: 1,
        flags: ACK,
        tcpOptions: TS_OPTIONS,
      }),
    );
    expect(await segmentsOf(sink, 'mss-mtu', egress, 1)).toEqual(sizes(12_000, 1500 - 20 - 32));
  });

  it('mid-stream: the largest ordinary segment seen in that direction, else the path MTU; RST forgets', async () => {
    const { stats, sink, feed } = setUp({ maxInner: JUMBO_INNER });
    const payload = patternPayload(20_000, 4);
    feed(ethernetFrame({ protocol: 'tcp', ...TASK, payload, seq: 1, flags: ACK }));
    expect(await segmentsOf(sink, 'mid-unknown', payload, 1)).toEqual(sizes(20_000, JUMBO_INNER - 14 - 40));
    expect(stats.superframesCutAtConnectionMss).toBe(0);

    // Small segments say nothing about the MSS; a 1000-byte one says at least that much.
    feed(ethernetFrame({ protocol: 'tcp', ...TASK, payload: patternPayload(200), seq: 1, flags: ACK }));
    feed(ethernetFrame({ protocol: 'tcp', ...TASK, payload: patternPayload(1000), seq: 1, flags: ACK }));
    sink.datagrams.length = 0;
    feed(ethernetFrame({ protocol: 'tcp', ...TASK, payload, seq: 1, flags: ACK }));
    expect(await segmentsOf(sink, 'mid-observed', payload, 1)).toEqual(sizes(20_000, 1000));
    // The other direction has seen nothing.
    sink.datagrams.length = 0;
    feed(ethernetFrame({ protocol: 'tcp', ...PEER, payload, seq: 1, flags: ACK }));
    expect(await segmentsOf(sink, 'mid-other', payload, 1)).toEqual(sizes(20_000, JUMBO_INNER - 14 - 40));

    feed(ethernetFrame({ protocol: 'tcp', ...PEER, payload: new Uint8Array(0), seq: 1, flags: RST }));
    sink.datagrams.length = 0;
    feed(ethernetFrame({ protocol: 'tcp', ...TASK, payload, seq: 1, flags: ACK }));
    expect(await segmentsOf(sink, 'mid-reset', payload, 1)).toEqual(sizes(20_000, JUMBO_INNER - 14 - 40));
  });
});
