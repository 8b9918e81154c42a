import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { communityIdV1 } from '../../src/community-id.js';
import { parseAddress } from '../../src/ip-format.js';

function words(src: string, dst: string): Uint32Array {
  const w = new Uint32Array(8);
  const v = parseAddress(src, w, 0);
  parseAddress(dst, w, 4);
  return Object.assign(w, { version: v });
}

// Vectors from Zeek's community_id_v1 test suite (testing/btest/bifs/community_id).
describe('communityIdV1', () => {
  it('matches the published TCP and UDP vectors', () => {
    expect(communityIdV1(words('1.2.3.4', '5.6.7.8'), 4, 6, 1122, 3344)).toBe(
      '1:wCb3OG7yAFWelaUydu0D+125CLM=',
    );
    expect(communityIdV1(words('1.2.3.4', '5.6.7.8'), 4, 17, 1122, 3344)).toBe(
      '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=',
    );
  });

  it('is the same for both directions', () => {
    const a = communityIdV1(words('10.0.0.1', '127.0.0.1'), 4, 6, 1234, 80);
    const b = communityIdV1(words('127.0.0.1', '10.0.0.1'), 4, 6, 80, 1234);
    expect(a).toBe(b);
  });

  it('gives the SHA-1 of the spec input for every flow, in and out of its cache of recent ids', () => {
    // 40,000 flows (more than the cache holds, so entries collide and are replaced), each asked for
    // three times at different distances, against the hash of the spec's input computed here.
    // The spec's input for TCP over IPv4: seed 0, lower endpoint's address, the other's, protocol, a
    // zero byte, then the two ports in the same order.
    const reference = (src: number, dst: number, sport: number, dport: number) => {
      const [a, b, pa, pb] = src < dst ? [src, dst, sport, dport] : [dst, src, dport, sport];
      const input = Buffer.alloc(16);
      input.writeUInt32BE(a, 2);
      input.writeUInt32BE(b, 6);
      input[10] = 6;
      input.writeUInt16BE(pa, 12);
      input.writeUInt16BE(pb, 14);
      return `1:${createHash('sha1').update(input).digest('base64')}`;
    };
    const flows = 40_000;
    const w = new Uint32Array(8);
    const ask = (i: number) => {
      const src = (0x0a000000 + i * 7) >>> 0;
      const dst = 0x0a640001;
      w.set([0, 0, 0xffff, src, 0, 0, 0xffff, dst]);
      return communityIdV1(w, 4, 6, 30000 + (i % 30000), 8080);
    };
    let wrong = 0;
    for (const distance of [0, 1, 20_000]) {
      for (let i = 0; i < flows; i++) {
        const j = (i + distance) % flows;
        if (ask(j) !== reference((0x0a000000 + j * 7) >>> 0, 0x0a640001, 30000 + (j % 30000), 8080)) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });
});
