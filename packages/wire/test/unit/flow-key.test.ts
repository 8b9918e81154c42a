import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/link-type.ts';
import { FLOW_KEY_WORDS, FlowKey, hashFlowKey } from '../../src/flow-key.ts';
import { FrameDecoder } from '../../src/frame-decoder.ts';

/** A raw IPv4 (or IPv6) packet: TCP/UDP with ports, or ICMP echo request (type 8) / reply (0). */
function packet(o: {
  v6?: boolean;
  src: number;
  dst: number;
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
}): Buffer {
  const ipHeader = o.v6 ? 40 : 20;
  const l4 = o.proto === 6 ? 20 : 8;
  const b = Buffer.alloc(ipHeader + l4);
  if (o.v6) {
    b[0] = 0x60;
    b.writeUInt16BE(l4, 4);
    b[6] = o.proto;
    b[7] = 64;
    b.writeUInt32BE(0xfd000000, 8);
    b.writeUInt32BE(o.src, 20);
    b.writeUInt32BE(0xfd000000, 24);
    b.writeUInt32BE(o.dst, 36);
  } else {
    b[0] = 0x45;
    b.writeUInt16BE(b.length, 2);
    b[8] = 64;
    b[9] = o.proto;
    b.writeUInt32BE(o.src, 12);
    b.writeUInt32BE(o.dst, 16);
  }
  if (o.proto === 1 || o.proto === 58) b[ipHeader] = o.icmpType ?? 8;
  else {
    b.writeUInt16BE(o.sport ?? 0, ipHeader);
    b.writeUInt16BE(o.dport ?? 0, ipHeader + 2);
    if (o.proto === 6) b[ipHeader + 12] = 0x50;
    else b.writeUInt16BE(8, ipHeader + 4);
  }
  return b;
}

function keyOf(buf: Buffer): FlowKey {
  const d = new FrameDecoder();
  d.decode(buf, 0, buf.length, LinkType.RAW);
  return new FlowKey().set(d);
}

describe('FlowKey', () => {
  it('is the same key and hash in both directions, and tells which way the packet went', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const v6 = i % 2 === 0;
      const proto = i % 3 === 0 ? 17 : 6;
      const a = 0x0a000000 + i;
      const b = 0x0a100000 + ((i * 7919) % 1000);
      const sport = 1024 + i;
      const out = keyOf(packet({ v6, src: a, dst: b, proto, sport, dport: 443 }));
      const back = keyOf(packet({ v6, src: b, dst: a, proto, sport: 443, dport: sport }));
      expect([...back.words]).toEqual([...out.words]);
      expect(back.hash(3)).toBe(out.hash(3));
      expect(back.srcIsA).toBe(!out.srcIsA);
      expect(out.equalsAt(back.words, 0)).toBe(true);
      seen.add(out.hash(0));
    }
    expect(seen.size).toBeGreaterThan(495);
  });

  it('differs in ports, protocol, IP version and address domain', () => {
    const base = keyOf(packet({ src: 1, dst: 2, proto: 6, sport: 1000, dport: 80 }));
    const others = [
      packet({ src: 1, dst: 2, proto: 6, sport: 1001, dport: 80 }),
      packet({ src: 1, dst: 2, proto: 6, sport: 1000, dport: 81 }),
      packet({ src: 1, dst: 2, proto: 17, sport: 1000, dport: 80 }),
      packet({ v6: true, src: 1, dst: 2, proto: 6, sport: 1000, dport: 80 }),
    ];
    for (const p of others) expect(keyOf(p).equalsAt(base.words, 0)).toBe(false);
    expect(base.hash(1)).not.toBe(base.hash(0));
  });

  it('keeps a one-way ICMP message apart from the request/reply flow of the same hosts', () => {
    const request = keyOf(packet({ src: 1, dst: 2, proto: 1, icmpType: 8 }));
    const reply = keyOf(packet({ src: 2, dst: 1, proto: 1, icmpType: 0 }));
    const unreachable = keyOf(packet({ src: 2, dst: 1, proto: 1, icmpType: 3 }));
    expect(reply.equalsAt(request.words, 0)).toBe(true);
    expect(unreachable.equalsAt(request.words, 0)).toBe(false);
  });

  it('hashes a stored key as it hashed the live one', () => {
    const key = keyOf(packet({ src: 9, dst: 3, proto: 6, sport: 5, dport: 6 }));
    const store = new Uint32Array(FLOW_KEY_WORDS * 3);
    key.copyTo(store, FLOW_KEY_WORDS * 2);
    expect(hashFlowKey(store, FLOW_KEY_WORDS * 2, 7)).toBe(key.hash(7));
    expect(key.equalsAt(store, FLOW_KEY_WORDS * 2)).toBe(true);
  });
});
