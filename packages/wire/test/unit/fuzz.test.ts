import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/link-type.js';
import { DECODE_STATUS_COUNT } from '../../src/decode-status.js';
import { MirrorDecoder } from '../../src/mirror-decoder.js';
import { innerTcpSyn, outerUdp4, vxlan } from './frames.js';
import { hex } from './hex.js';

/** xorshift32: reproducible randomness, so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const geneveWrapped = outerUdp4(
  Buffer.concat([
    hex('02 00 08 00 00 00 00 00 01 08 01 01 00 00 00 2a'),
    outerUdp4(vxlan(5, innerTcpSyn)).subarray(14),
  ]),
  6081,
);
const ipv6Inner = hex(`
  0a 00 00 00 00 02 0a 00 00 00 00 01 86 dd
  60 00 00 00 00 28 00 40
  fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01
  fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02
  3c 00 01 04 00 00 00 00  2c 00 01 04 00 00 00 00  11 00 00 00 00 00 00 2a
  c0 00 00 35 00 10 00 00  01 02 03 04 05 06 07 08
`);
const seeds = [outerUdp4(vxlan(1, innerTcpSyn)), geneveWrapped, outerUdp4(vxlan(2, ipv6Inner))];

// Regression seeds: add any seed that ever found a problem.
const SEEDS = [1, 2, 3, 0xdeadbeef, 20261121];

describe('decoder robustness', () => {
  for (const seed of SEEDS) {
    it(`never throws on mutated, cut and random packets (seed ${seed})`, () => {
      const rnd = prng(seed);
      const d = new MirrorDecoder();
      const statuses = new Set<number>();
      for (let i = 0; i < 20_000; i++) {
        const base = seeds[rnd() % seeds.length];
        const pkt = Buffer.from(base);
        const mode = rnd() % 4;
        if (mode === 0) {
          // flip a few bytes, including length fields
          for (let k = 0; k < 1 + (rnd() % 6); k++) pkt[rnd() % pkt.length] = rnd() & 0xff;
        } else if (mode === 1) {
          // lie in the header lengths specifically (outer IP total length, UDP length, inner IP length)
          for (const at of [16, 17, 38, 39, 14 + 20 + 8 + 8 + 14 + 2])
            if (rnd() & 1) pkt[at % pkt.length] = rnd() & 0xff;
        } else if (mode === 2) {
          for (let k = 0; k < pkt.length; k++) pkt[k] = rnd() & 0xff;
        }
        const cut = mode === 3 ? rnd() % (pkt.length + 1) : pkt.length;
        const linkType = rnd() % 8 === 0 ? LinkType.RAW : LinkType.ETHERNET;
        const status = d.decodeCaptured(pkt, 0, cut, linkType);
        expect(status).toBeGreaterThanOrEqual(0);
        expect(status).toBeLessThan(DECODE_STATUS_COUNT);
        statuses.add(status);
        d.decodeVxlanPayload(pkt, 42, Math.max(42, cut));
        d.decodeGenevePayload(pkt, 42, Math.max(42, cut));
      }
      // The mutations reach deep enough to produce several different outcomes.
      expect(statuses.size).toBeGreaterThan(4);
    });
  }
});
