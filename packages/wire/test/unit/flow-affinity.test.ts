import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/link-type.js';
import { flowOwner } from '../../src/flow-affinity.js';
import { FrameDecoder } from '../../src/frame-decoder.js';

/** An IPv4 or IPv6 TCP/UDP packet (raw IP) from src:sport to dst:dport. */
function packet(v6: boolean, src: number, dst: number, sport: number, dport: number, proto: 6 | 17): Buffer {
  const l4 = proto === 6 ? 20 : 8;
  const ipHeader = v6 ? 40 : 20;
  const b = Buffer.alloc(ipHeader + l4);
  if (v6) {
    b[0] = 0x60;
    b.writeUInt16BE(l4, 4);
    b[6] = proto;
    b[7] = 64;
    b.writeUInt32BE(0xfd000077, 8);
    b.writeUInt32BE(src, 20);
    b.writeUInt32BE(0xfd000077, 24);
    b.writeUInt32BE(dst, 36);
  } else {
    b[0] = 0x45;
    b.writeUInt16BE(b.length, 2);
    b[8] = 64;
    b[9] = proto;
    b.writeUInt32BE(src, 12);
    b.writeUInt32BE(dst, 16);
  }
  b.writeUInt16BE(sport, ipHeader);
  b.writeUInt16BE(dport, ipHeader + 2);
  if (proto === 6) b[ipHeader + 12] = 0x50;
  else b.writeUInt16BE(8, ipHeader + 4);
  return b;
}

function ownerOf(buf: Buffer, domain: number, workers: number): number {
  const d = new FrameDecoder();
  d.decode(buf, 0, buf.length, LinkType.RAW);
  return flowOwner(d, domain, workers);
}

describe('flowOwner', () => {
  it('gives both directions of every connection the same owner, and spreads connections over workers', () => {
    for (const workers of [2, 3, 8]) {
      const counts = new Array<number>(workers).fill(0);
      for (let i = 0; i < 2000; i++) {
        const v6 = i % 3 === 0;
        const proto = i % 2 === 0 ? 6 : 17;
        const client = 0x0a4d0100 + (i % 250);
        const server = 0x0a4d0900 + (i % 7);
        const port = 1024 + ((i * 7919) % 60000);
        const forward = ownerOf(packet(v6, client, server, port, 443, proto), 0, workers);
        const reverse = ownerOf(packet(v6, server, client, 443, port, proto), 0, workers);
        expect(reverse).toBe(forward);
        counts[forward]++;
      }
      // Every worker owns a fair share (a uniform hash puts 2000/N +- a few percent in each).
      for (const c of counts) expect(c).toBeGreaterThan((2000 / workers) * 0.7);
    }
  });

  it('takes the address domain into account (the same 5-tuple in two VNIs may have two owners)', () => {
    const p = packet(false, 0x0a000001, 0x0a000002, 40000, 80, 6);
    const owners = new Set<number>();
    for (let vni = 1; vni <= 64; vni++) owners.add(ownerOf(p, vni, 4));
    expect(owners.size).toBeGreaterThan(1);
  });
});
