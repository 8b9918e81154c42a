import { randomBytes, randomUUID } from 'node:crypto';

/** A source of numbers in [0, 1). Seeded for reproducible fault injection, crypto otherwise. */
export type RandomSource = () => number;

/** mulberry32: small, fast and good enough for deciding which events to drop or duplicate. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function cryptoRandom(): number {
  return randomBytes(4).readUInt32BE(0) / 4294967296;
}

export function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

export function uuid(): string {
  return randomUUID();
}
