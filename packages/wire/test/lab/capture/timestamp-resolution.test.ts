import { describe, expect, it } from 'vitest';
import { TimestampResolution } from '../../../src/capture/timestamp-resolution.js';
import { seededRandom } from './capture-tools.js';

// The 64-bit pcapng timestamp is split with plain numbers; BigInt arithmetic is the reference.

function reference(tsresol: number, hi: number, lo: number): [number, number] {
  const units = (BigInt(hi) << 32n) | BigInt(lo);
  const perSecond = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
  const sec = units / perSecond;
  const nsec = ((units % perSecond) * 1_000_000_000n) / perSecond;
  return [Number(sec), Number(nsec)];
}

describe('TimestampResolution', () => {
  // Exact for every power of ten up to 10^-15 and powers of two up to 2^-32.
  const resolutions = [
    ...Array.from({ length: 16 }, (_, k) => k),
    ...Array.from({ length: 33 }, (_, p) => 0x80 | p),
  ];
  const random = seededRandom(20240601);
  const samples: [number, number][] = [
    [0, 0],
    [0xffffffff, 0xffffffff],
    [0x1fffff, 0xffffffff], // 2^53 - 1 units: the edge of the double fast path
    [0x200000, 0],
    [0x179f_7c3a, 0x5e4a_2f15], // ~1.7e18: nanoseconds since 1970 in 2023
  ];
  for (let i = 0; i < 200; i++)
    samples.push([Math.floor(random() * 2 ** 32), Math.floor(random() * 2 ** 32)]);

  for (const tsresol of resolutions) {
    it(`splits exactly at if_tsresol 0x${tsresol.toString(16)}`, () => {
      const resolution = new TimestampResolution(tsresol);
      for (const [hi, lo] of samples) {
        const [sec, nsec] = reference(tsresol, hi, lo);
        resolution.split(hi, lo);
        // Whole seconds beyond 2^53 cannot be exact as numbers; nobody stores such times.
        if (sec > Number.MAX_SAFE_INTEGER) continue;
        expect([resolution.sec, resolution.nsec], `hi=${hi} lo=${lo}`).toEqual([sec, nsec]);
      }
    });
  }
});
