import { type FrameDecoder, fmix32 as fmix, IpProtocol } from '@fargate-mirror/wire';

/**
 * Bytes of transport payload hashed after the transport header's start. Two copies of one packet must
 * hash the same even when their sessions truncate differently (`PacketLength`), so only a prefix that
 * survives any sensible truncation counts; the headers (IPv4 identification, TCP sequence numbers,
 * lengths) already make different packets differ.
 */
const TRANSPORT_PREFIX = 64;
/** Without a decoded transport header (later fragments, other protocols): this much of the IP packet. */
const IP_PREFIX = 128;

/**
 * Fills `out[0]`, `out[1]` with two independent 32-bit hashes of the inner IP packet that `inner`
 * decoded from `buf`, ignoring what changes between two mirror points of one packet: the TTL / hop
 * limit, the IPv4 header checksum, the ECN bits and the TCP/UDP/ICMP checksum. Allocates nothing.
 */
/** Start and length of each run of skipped bytes. */
const skips = new Int32Array(8);

export function hashInnerPacket(buf: Uint8Array, inner: FrameDecoder, out: Uint32Array): void {
  const l3 = inner.l3Offset;
  const v4 = inner.ipVersion === 4;
  const capturedEnd = v4 ? inner.ipv4.capturedEnd : inner.ipv6.capturedEnd;
  let end: number;
  let checksumAt = -1;
  if (inner.hasPorts) {
    const l4 = inner.l4Offset;
    end = l4 + TRANSPORT_PREFIX;
    const p = inner.protocol;
    checksumAt = p === IpProtocol.TCP ? l4 + 16 : p === IpProtocol.UDP ? l4 + 6 : l4 + 2; // else ICMP/ICMPv6
  } else {
    end = l3 + IP_PREFIX;
  }
  if (end > capturedEnd) end = capturedEnd;
  // Positions skipped (TTL/hop limit, IPv4 header checksum, transport checksum) and the byte whose ECN
  // bits are masked. The bytes are hashed run by run between the skipped positions, so the inner loop
  // does no position tests (it runs for every packet).
  const ttlAt = v4 ? l3 + 8 : l3 + 7;
  const ecnAt = l3 + 1;
  const ecnMask = v4 ? 0xfc : 0xcf;
  // The length from the header goes in too: it tells apart packets that differ only past the prefix.
  let a = Math.imul(inner.ipLength ^ 0x9e3779b9, 0x85ebca6b);
  let b = Math.imul(inner.ipLength ^ 0x7f4a7c15, 0xc2b2ae35);
  // Up to four skipped runs, in ascending order: TTL, IPv4 checksum (2), transport checksum (2).
  skips[0] = ttlAt;
  skips[1] = 1;
  let runs = 1;
  if (v4) {
    skips[2] = l3 + 10;
    skips[3] = 2;
    runs = 2;
  }
  if (checksumAt >= 0) {
    // The transport header follows the IP header, so its checksum comes after the other two; when
    // it does not (a header shorter than it should be), it is merged in order.
    let at = runs;
    while (at > 0 && skips[(at - 1) * 2] > checksumAt) {
      skips[at * 2] = skips[(at - 1) * 2];
      skips[at * 2 + 1] = skips[(at - 1) * 2 + 1];
      at--;
    }
    skips[at * 2] = checksumAt;
    skips[at * 2 + 1] = 2;
    runs++;
  }
  // The first two bytes by hand: the second holds the ECN bits.
  let i = l3;
  for (; i < l3 + 2 && i < end; i++) {
    const byte = i === ecnAt ? buf[i] & ecnMask : buf[i];
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul((b ^ byte) + i - l3, 0x5bd1e995);
    b ^= b >>> 15;
  }
  for (let r = 0; r <= runs; r++) {
    const runEnd = r < runs ? Math.min(skips[r * 2], end) : end;
    // Four bytes a step: each step is a chain of dependent multiplies, and byte by byte the chain was
    // most of the hash's time (every step is a bijection of the state, so packets that differ in
    // one word never collide).
    for (; i + 4 <= runEnd; i += 4) {
      const word = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
      a = Math.imul(a ^ word, 0x01000193);
      b = Math.imul((b ^ word) + i - l3, 0x5bd1e995);
      b ^= b >>> 15;
    }
    for (; i < runEnd; i++) {
      const byte = buf[i];
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul((b ^ byte) + i - l3, 0x5bd1e995);
      b ^= b >>> 15;
    }
    if (r < runs) {
      const skipEnd = skips[r * 2] + skips[r * 2 + 1];
      if (i < skipEnd) i = skipEnd;
    }
  }
  out[0] = fmix(a);
  out[1] = fmix(b);
}
