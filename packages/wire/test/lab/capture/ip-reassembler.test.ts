import { beforeAll, describe, expect, it } from 'vitest';
import { findIpv6FragmentHeader, isIpv4Fragment } from '../../../src/capture/ip-fragment.js';
import {
  IpReassembler,
  ReassemblyDropReason,
  ReassemblyStatus,
  reassemblyDropReasonNames,
} from '../../../src/capture/ip-reassembler.js';
import { requireTools, runPython, seededRandom } from './capture-tools.js';

// Fragments come from scapy's fragment() and fragment6(); the expected result is the datagram scapy
// built before fragmenting it (for IPv6, the same packet built without a Fragment header).

interface Case {
  name: string;
  family: 4 | 6;
  whole: Buffer;
  fragments: Buffer[];
  fragmentHeaderOffset: number;
}

let cases: Case[];
let overlaps: { name: string; fragments: Buffer[] }[];
const SECOND = 1_000_000;

beforeAll(() => {
  requireTools();
  const json = JSON.parse(runPython('make_fragments.py')) as {
    cases: {
      name: string;
      family: 4 | 6;
      whole: string;
      fragments: string[];
      fragmentHeaderOffset: number;
    }[];
    overlaps: { name: string; fragments: string[] }[];
  };
  cases = json.cases.map((c) => ({
    ...c,
    whole: Buffer.from(c.whole, 'hex'),
    fragments: c.fragments.map((f) => Buffer.from(f, 'hex')),
  }));
  overlaps = json.overlaps.map((c) => ({
    name: c.name,
    fragments: c.fragments.map((f) => Buffer.from(f, 'hex')),
  }));
});

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** The reassembled datagram, copied out (it is only valid until the next add). */
function output(reassembler: IpReassembler): Buffer {
  return Buffer.from(
    reassembler.out.subarray(reassembler.outOffset, reassembler.outOffset + reassembler.outLength),
  );
}

function add(reassembler: IpReassembler, packet: Buffer, now = 0): number {
  return reassembler.add(packet, 0, packet.length, now);
}

describe('fragment recognition', () => {
  it('tells fragments from whole datagrams and finds the IPv6 Fragment header behind extension headers', () => {
    for (const c of cases) {
      expect(c.fragments.length, c.name).toBeGreaterThan(1);
      for (const fragment of c.fragments) {
        if (c.family === 4) expect(isIpv4Fragment(fragment, 0), c.name).toBe(true);
        else
          expect(findIpv6FragmentHeader(fragment, 0, fragment.length), c.name).toBe(c.fragmentHeaderOffset);
      }
      if (c.family === 4) expect(isIpv4Fragment(c.whole, 0), c.name).toBe(false);
      else expect(findIpv6FragmentHeader(c.whole, 0, c.whole.length), c.name).toBe(-1);
    }
  });
});

describe('IpReassembler', () => {
  it('gives back each datagram exactly, fragments in order', () => {
    const reassembler = new IpReassembler();
    for (const c of cases) {
      const statuses = c.fragments.map((f) => add(reassembler, f));
      expect(statuses.at(-1), c.name).toBe(ReassemblyStatus.COMPLETE);
      expect(
        statuses.slice(0, -1).every((s) => s === ReassemblyStatus.NEED_MORE),
        c.name,
      ).toBe(true);
      expect(output(reassembler).toString('hex'), c.name).toBe(c.whole.toString('hex'));
    }
    expect(reassembler.stats).toMatchObject({
      fragments: cases.reduce((n, c) => n + c.fragments.length, 0),
      reassembled: cases.length,
      overlaps: 0,
      malformed: 0,
      duplicates: 0,
    });
    expect(reassembler.pendingDatagrams).toBe(0);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`reassembles shuffled, duplicated and interleaved fragments of every case (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const reassembler = new IpReassembler();
      // Each datagram's fragments shuffled, with duplicates of earlier ones before its last fragment.
      const streams = cases.map((c) => {
        const order = shuffled(c.fragments, random);
        const last = order.pop()!;
        const duplicates = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
          return order[Math.floor(random() * order.length)];
        });
        return {
          c,
          packets: [...shuffled([...order, ...duplicates], random), last],
          duplicates: duplicates.length,
        };
      });
      // Interleave the streams at random, keeping each one's order.
      const completed = new Map<string, Buffer>();
      const cursors = streams.map(() => 0);
      while (cursors.some((cursor, i) => cursor < streams[i].packets.length)) {
        const i = Math.floor(random() * streams.length);
        if (cursors[i] >= streams[i].packets.length) continue;
        const packet = streams[i].packets[cursors[i]++];
        // Each fragment sits inside a bigger buffer after a link header, with link padding after it.
        const framed = Buffer.concat([Buffer.alloc(14, 0xee), packet, Buffer.alloc(6, 0xaa)]);
        const status = reassembler.add(framed, 14, packet.length + 6, 0);
        if (status === ReassemblyStatus.COMPLETE) completed.set(streams[i].c.name, output(reassembler));
        else if (status === ReassemblyStatus.DROPPED)
          expect(reassembler.dropReason).toBe(ReassemblyDropReason.DUPLICATE);
      }
      for (const c of cases)
        expect(completed.get(c.name)?.toString('hex'), c.name).toBe(c.whole.toString('hex'));
      expect(reassembler.stats.duplicates).toBe(streams.reduce((n, s) => n + s.duplicates, 0));
      expect(reassembler.stats.reassembled).toBe(cases.length);
      expect(reassembler.pendingDatagrams).toBe(0);
    });
  }

  it('drops the whole datagram when fragments partly overlap, and counts it', () => {
    for (const { name, fragments } of overlaps) {
      const reassembler = new IpReassembler();
      expect(add(reassembler, fragments[0]), name).toBe(ReassemblyStatus.NEED_MORE);
      expect(add(reassembler, fragments[1]), name).toBe(ReassemblyStatus.DROPPED);
      expect(reassemblyDropReasonNames[reassembler.dropReason], name).toBe('overlap');
      expect(reassembler.stats.overlaps, name).toBe(1);
      expect(reassembler.pendingDatagrams, name).toBe(0);
      // The first fragment again starts a fresh datagram that never completes.
      expect(add(reassembler, fragments[0]), name).toBe(ReassemblyStatus.NEED_MORE);
    }
  });

  it('times datagrams out 30 s after their first fragment, on add and on expire', () => {
    const c = cases[0];
    const late = new IpReassembler();
    add(late, c.fragments[0], 0);
    const statuses = c.fragments.slice(1).map((f) => add(late, f, 30 * SECOND));
    expect(statuses.every((s) => s === ReassemblyStatus.NEED_MORE)).toBe(true);
    expect(late.stats.timedOut).toBe(1);
    expect(late.expire(60 * SECOND)).toBe(1);
    expect(late.stats.timedOut).toBe(2);
    expect(late.pendingDatagrams).toBe(0);

    const justInTime = new IpReassembler();
    add(justInTime, c.fragments[0], 0);
    const last = c.fragments
      .slice(1)
      .map((f) => add(justInTime, f, 30 * SECOND - 1))
      .at(-1);
    expect(last).toBe(ReassemblyStatus.COMPLETE);
    expect(justInTime.stats.timedOut).toBe(0);

    const custom = new IpReassembler({ timeoutMicros: 5 * SECOND });
    add(custom, c.fragments[0], 0);
    expect(custom.expire(5 * SECOND)).toBe(1);
  });

  it('evicts the oldest datagram when the datagram count or the memory limit is reached', () => {
    const byCount = new IpReassembler({ maxDatagrams: 2 });
    const [a, b, c] = cases;
    add(byCount, a.fragments[0]);
    add(byCount, b.fragments[0]);
    add(byCount, c.fragments[0]); // evicts a
    expect(byCount.stats.evicted).toBe(1);
    expect(byCount.pendingDatagrams).toBe(2);
    expect(
      a.fragments
        .slice(1)
        .map((f) => add(byCount, f))
        .at(-1),
    ).toBe(ReassemblyStatus.NEED_MORE);
    expect(
      c.fragments
        .slice(1)
        .map((f) => add(byCount, f))
        .at(-1),
    ).toBe(ReassemblyStatus.COMPLETE);
    expect(output(byCount).equals(c.whole)).toBe(true);

    const byBytes = new IpReassembler({ maxBytes: 12 * 1024 });
    for (const f of a.fragments.slice(0, -1)) add(byBytes, f); // holds ~8 KiB
    for (const f of cases[3].fragments.slice(0, -1)) add(byBytes, f); // needs ~8 KiB more: evicts a
    expect(byBytes.stats.evicted).toBeGreaterThanOrEqual(1);
    expect(byBytes.heldBytes).toBeLessThanOrEqual(12 * 1024);
    expect(add(byBytes, cases[3].fragments.at(-1)!)).toBe(ReassemblyStatus.COMPLETE);
    expect(output(byBytes).equals(cases[3].whole)).toBe(true);
  });

  it('stays within its memory bound under a flood of datagrams that never complete', () => {
    const reassembler = new IpReassembler({ maxDatagrams: 64, maxBytes: 256 * 1024 });
    const first = Buffer.from(cases[0].fragments[0]);
    for (let id = 0; id < 5000; id++) {
      first.writeUInt16BE(id, 4); // a new identification each time: a new datagram
      add(reassembler, first, id);
      expect(reassembler.heldBytes).toBeLessThanOrEqual(256 * 1024);
      expect(reassembler.pendingDatagrams).toBeLessThanOrEqual(64);
    }
    expect(reassembler.stats.evicted).toBeGreaterThan(4000);
  });

  it('drops oversized, malformed and inconsistent fragments, and counts them', () => {
    const reassembler = new IpReassembler();
    const [v4] = cases;
    const tooFar = Buffer.from(v4.fragments[1]);
    tooFar.writeUInt16BE(0x2000 | 8189, 6); // offset 65512 + 1480 bytes > 65535
    expect(add(reassembler, tooFar)).toBe(ReassemblyStatus.DROPPED);
    expect(reassembler.dropReason).toBe(ReassemblyDropReason.TOO_BIG);

    const misaligned = Buffer.from(v4.fragments[0].subarray(0, 1001)); // MF set, 981 data bytes
    misaligned.writeUInt16BE(1001, 2);
    expect(add(reassembler, misaligned)).toBe(ReassemblyStatus.DROPPED);
    expect(reassembler.dropReason).toBe(ReassemblyDropReason.MALFORMED);

    const cutShort = v4.fragments[0].subarray(0, 600); // total length says 1500: the capture cut it
    expect(add(reassembler, cutShort)).toBe(ReassemblyStatus.DROPPED);
    expect(reassembler.dropReason).toBe(ReassemblyDropReason.MALFORMED);

    const v6 = cases.find((c) => c.family === 6)!;
    const v6Short = Buffer.from(v6.fragments[0].subarray(0, 30));
    expect(add(reassembler, v6Short)).toBe(ReassemblyStatus.DROPPED);

    // A last fragment ending before data already received: the datagram is inconsistent, all dropped.
    expect(add(reassembler, v4.fragments[1])).toBe(ReassemblyStatus.NEED_MORE);
    const shortLast = Buffer.from(v4.fragments[0]);
    shortLast.writeUInt16BE(1, 6); // MF clear at offset 8: claims the datagram ends at 1488
    expect(add(reassembler, shortLast)).toBe(ReassemblyStatus.DROPPED);
    expect(reassembler.pendingDatagrams).toBe(0);
    expect(reassembler.stats).toMatchObject({ tooBig: 1, malformed: 4 });
  });

  it('passes a packet that is not a fragment through, and handles an IPv6 atomic fragment', () => {
    const reassembler = new IpReassembler();
    const v4 = cases[0].whole;
    expect(add(reassembler, v4)).toBe(ReassemblyStatus.COMPLETE);
    expect(reassembler.out).toBe(v4);
    expect(reassembler.outLength).toBe(v4.length);

    // Atomic fragment (RFC 6946): Fragment header with offset 0 and M clear around a whole payload.
    const v6 = cases.find((c) => c.name === 'ipv6-udp')!;
    const atomic = Buffer.concat([
      v6.whole.subarray(0, 40),
      Buffer.from('1100000000000001', 'hex'),
      v6.whole.subarray(40),
    ]);
    atomic[6] = 44;
    atomic.writeUInt16BE(v6.whole.length - 40 + 8, 4);
    expect(add(reassembler, atomic)).toBe(ReassemblyStatus.COMPLETE);
    expect(output(reassembler).equals(v6.whole)).toBe(true);
  });
});
