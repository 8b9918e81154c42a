/**
 * Orders the two endpoints of a packet: `words` holds source then destination address as four 32-bit
 * words each (FrameDecoder.addressWords); negative when the source (address, port) is the smaller,
 * positive when the destination is, 0 when equal. Flow keys, Community ID and symmetric hashes all
 * need the same canonical order, so it lives here once. Allocates nothing.
 */
export function compareEndpoints(words: ArrayLike<number>, srcPort: number, dstPort: number): number {
  for (let i = 0; i < 4; i++) {
    const a = words[i] >>> 0;
    const b = words[4 + i] >>> 0;
    if (a !== b) return a < b ? -1 : 1;
  }
  return srcPort - dstPort;
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
