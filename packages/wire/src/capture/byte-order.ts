// Unsigned reads in either byte order, straight from the bytes: capture headers are in the writer's
// byte order, and these small functions inline well on the per-packet path (no bounds-check throws).

export function readU16(b: Uint8Array, o: number, littleEndian: boolean): number {
  return littleEndian ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

export function readU32(b: Uint8Array, o: number, littleEndian: boolean): number {
  return littleEndian
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000
    : ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) + b[o] * 0x1000000;
}

export function writeU16LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

export function writeU32LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
