import { FrameDecoder, LinkType } from '@fargate-mirror/wire';
import { describe, expect, it } from 'vitest';
import { addMirrorPointToFlow } from '../../src/dedup/flow-mirror-point.js';
import { FlowEndReason } from '../../src/flows/flow-end-reason.js';
import { FlowTable } from '../../src/flows/flow-table.js';

/** Builds an IPv4 TCP or UDP packet (no link layer) with the given addresses, ports and TCP flags. */
function ipPacket(
  src: number,
  dst: number,
  sport: number,
  dport: number,
  flags: number,
  payload = 0,
  udp = false,
): Buffer {
  const l4 = udp ? 8 : 20;
  const total = 20 + l4 + payload;
  const b = Buffer.alloc(total);
  b[0] = 0x45;
  b.writeUInt16BE(total, 2);
  b[8] = 64;
  b[9] = udp ? 17 : 6;
  b.writeUInt32BE(src, 12);
  b.writeUInt32BE(dst, 16);
  b.writeUInt16BE(sport, 20);
  b.writeUInt16BE(dport, 22);
  if (udp) b.writeUInt16BE(8 + payload, 24);
  else {
    b[32] = 0x50;
    b[33] = flags;
  }
  return b;
}

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const RST = 0x04;
const A = 0x0a000001;
const B = 0x0a000002;

function collector() {
  const ended: { reason: number; out: number; in: number; bytesOut: number; initiatorIsA: number }[] = [];
  const table = new FlowTable(
    (t, slot, reason) => {
      const outDir = t.initiatorIsA[slot] === 1 ? 0 : 1;
      ended.push({
        reason,
        out: t.packets[slot * 2 + outDir],
        in: t.packets[slot * 2 + 1 - outDir],
        bytesOut: t.bytes[slot * 2 + outDir],
        initiatorIsA: t.initiatorIsA[slot],
      });
    },
    { capacity: 4, closeLingerSeconds: 1, tcpIdleSeconds: 10, udpIdleSeconds: 5 },
  );
  const d = new FrameDecoder();
  const feed = (pkt: Buffer, t: number) => {
    d.decode(pkt, 0, pkt.length, LinkType.RAW);
    return table.update(d, 0, t * 1e6, 1, 0);
  };
  return { table, ended, feed };
}

describe('FlowTable', () => {
  it('keeps both directions of a connection in one flow, src = SYN sender', () => {
    const { table, ended, feed } = collector();
    // The server (B:80) has the smaller endpoint? No: B > A, so A:50000 is endpoint A; initiate from B.
    const s1 = feed(ipPacket(B, A, 40000, 80, SYN), 1);
    const s2 = feed(ipPacket(A, B, 80, 40000, SYN | ACK), 1.1);
    feed(ipPacket(B, A, 40000, 80, ACK, 100), 1.2);
    expect(s1).toBe(s2);
    expect(table.size).toBe(1);
    feed(ipPacket(B, A, 40000, 80, FIN | ACK), 2);
    feed(ipPacket(A, B, 80, 40000, FIN | ACK), 2.1);
    feed(ipPacket(B, A, 40000, 80, ACK), 2.2); // last ACK still lands in the flow (linger)
    table.expire(2.5e6);
    expect(ended).toHaveLength(0);
    table.expire(4e6);
    expect(ended).toEqual([
      { reason: FlowEndReason.FIN, out: 4, in: 2, bytesOut: 40 + 140 + 40 + 40, initiatorIsA: 0 },
    ]);
    expect(table.size).toBe(0);
  });

  it('ends a flow on RST after the linger and idles out UDP', () => {
    const { table, ended, feed } = collector();
    feed(ipPacket(A, B, 1000, 2000, SYN), 0);
    feed(ipPacket(B, A, 2000, 1000, RST | ACK), 0.1);
    feed(ipPacket(A, B, 5353, 53, 0, 30, true), 0.2);
    table.expire(2e6);
    expect(ended.map((e) => e.reason)).toEqual([FlowEndReason.RST]);
    table.expire(6e6);
    expect(ended.map((e) => e.reason)).toEqual([FlowEndReason.RST, FlowEndReason.IDLE]);
  });

  it('a SYN on a closing 5-tuple starts a new flow', () => {
    const { table, ended, feed } = collector();
    feed(ipPacket(A, B, 1000, 80, SYN), 0);
    feed(ipPacket(B, A, 80, 1000, RST | ACK), 0.1);
    feed(ipPacket(A, B, 1000, 80, SYN), 0.2);
    expect(ended).toHaveLength(1);
    expect(table.size).toBe(1);
  });

  it('evicts the least recently seen flow when full, counting it, with memory fixed', () => {
    const { table, ended, feed } = collector();
    for (let i = 0; i < 100; i++) feed(ipPacket(A, B, 10000 + i, 53, 0, 10, true), i / 100);
    expect(table.size).toBe(4);
    expect(table.stats.evicted).toBe(96);
    expect(ended.every((e) => e.reason === FlowEndReason.EVICTED)).toBe(true);
    table.flush();
    expect(table.size).toBe(0);
    expect(table.stats.created).toBe(100);
    expect(table.stats.ended).toBe(100);
  });

  it('numbers slots in order, reuses the last freed first, and finds flows across chains', () => {
    // Slot numbers reach the de-duplicator and the reassembler, so they must not depend on how the
    // table keeps its free slots: never-used slots in order, a freed slot before any of them.
    const ended: number[] = [];
    const table = new FlowTable((_t, slot) => ended.push(slot), { capacity: 4, tcpIdleSeconds: 10 });
    const d = new FrameDecoder();
    const update = (sport: number, flags: number, now: number) => {
      const pkt = ipPacket(A, B, sport, 80, flags);
      d.decode(pkt, 0, pkt.length, LinkType.RAW);
      return table.update(d, 0, now, 1, -1);
    };
    expect([update(1, SYN, 0), update(2, SYN, 0), update(3, SYN, 0)]).toEqual([0, 1, 2]);
    expect(update(2, RST, 1)).toBe(1);
    table.expire(6e6); // the reset flow's linger ran out
    expect(ended).toEqual([1]);
    expect(table.size).toBe(2);
    expect([update(4, SYN, 7e6), update(5, SYN, 7e6)]).toEqual([1, 3]);
    // Full: the next new flow evicts the least recently seen one (slot 0) and takes its slot.
    expect(update(6, SYN, 8e6)).toBe(0);
    expect(ended).toEqual([1, 0]);
    // Every remaining flow is still found where it was.
    expect([update(3, ACK, 9e6), update(4, ACK, 9e6), update(5, ACK, 9e6), update(6, ACK, 9e6)]).toEqual([
      2, 1, 3, 0,
    ]);
    expect(table.size).toBe(4);
  });

  it('emits interim records at the active timeout without ending the flow', () => {
    const ended: number[] = [];
    const table = new FlowTable((t, slot, reason) => ended.push(reason, t.packets[slot * 2]), {
      activeTimeoutSeconds: 10,
    });
    const d = new FrameDecoder();
    const pkt = ipPacket(A, B, 1, 2, 0, 0, true);
    d.decode(pkt, 0, pkt.length, LinkType.RAW);
    for (let t = 0; t <= 25; t++) table.update(d, 0, t * 1e6, 1, -1);
    expect(ended).toEqual([FlowEndReason.ACTIVE_TIMEOUT, 10, FlowEndReason.ACTIVE_TIMEOUT, 10]);
    expect(table.size).toBe(1);
  });

  it('keeps address domains apart', () => {
    const table = new FlowTable(() => {});
    const d = new FrameDecoder();
    const pkt = ipPacket(A, B, 1, 2, 0, 0, true);
    d.decode(pkt, 0, pkt.length, LinkType.RAW);
    const s1 = table.update(d, 1, 0, 1, -1);
    const s2 = table.update(d, 2, 0, 2, -1);
    expect(s1).not.toBe(s2);
    expect(table.size).toBe(2);
  });

  it("adds a copy's mirror point only to the flow of the very same 5-tuple", () => {
    // The de-duplicator remembers the slot of a packet's first copy; by the time a second copy comes,
    // that slot may hold another connection between the same two hosts (other ports): it must not
    // collect this copy's mirror point.
    const { table, feed } = collector();
    const slot = feed(ipPacket(A, B, 40000, 80, SYN), 1);
    const other = new FrameDecoder();
    const copyOf = (pkt: Buffer) => {
      other.decode(pkt, 0, pkt.length, LinkType.RAW);
      return other;
    };
    expect(addMirrorPointToFlow(table, slot, copyOf(ipPacket(A, B, 40001, 80, SYN)), 0, 7)).toBe(false);
    expect(addMirrorPointToFlow(table, slot, copyOf(ipPacket(A, B, 40000, 81, SYN)), 0, 7)).toBe(false);
    expect(addMirrorPointToFlow(table, slot, copyOf(ipPacket(A, B, 40000, 80, 0, 0, true)), 0, 7)).toBe(
      false,
    );
    expect(addMirrorPointToFlow(table, slot, copyOf(ipPacket(A, B, 40000, 80, SYN)), 1, 7)).toBe(false);
    expect([...table.mirrorPoints.subarray(slot * 3, slot * 3 + 3)]).toEqual([0, -1, -1]);
    // The same connection, either direction: noted once.
    expect(addMirrorPointToFlow(table, slot, copyOf(ipPacket(B, A, 80, 40000, SYN | ACK)), 0, 7)).toBe(true);
    expect(addMirrorPointToFlow(table, slot, copyOf(ipPacket(A, B, 40000, 80, ACK)), 0, 7)).toBe(true);
    expect([...table.mirrorPoints.subarray(slot * 3, slot * 3 + 3)]).toEqual([0, 7, -1]);
  });

  it('makes the sender of a neighbour or router advertisement the src: its solicitation was another flow', () => {
    const { table, ended, feed } = collector();
    // fe80::1 -> ff02::1, ICMPv6 type 136 (neighbour advertisement) then 134 (router advertisement).
    const advert = (type: number) => {
      const b = Buffer.alloc(40 + 8);
      b[0] = 0x60;
      b.writeUInt16BE(8, 4);
      b[6] = 58;
      b[7] = 255;
      b.writeUInt16BE(0xfe80, 8);
      b[23] = 1;
      b.writeUInt16BE(0xff02, 24);
      b[39] = 1;
      b[40] = type;
      return b;
    };
    feed(advert(136), 0);
    feed(advert(134), 0.1);
    table.flush();
    expect(ended.map((e) => [e.out, e.in])).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });
});
