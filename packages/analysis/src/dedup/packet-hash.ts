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
  // Positions skipped (TTL/hop limit, IPv4 header checksum) and the byte whose ECN bits are masked.
  const ttlAt = v4 ? l3 + 8 : l3 + 7;
  const ipChecksumAt = v4 ? l3 + 10 : -10;
  const ecnAt = l3 + 1;
  const ecnMask = v4 ? 0xfc : 0xcf;
  // The length from the header goes in too: it tells apart packets that differ only past the prefix.
  let a = Math.imul(inner.ipLength ^ 0x9e3779b9, 0x85ebca6b);
  let b = Math.imul(inner.ipLength ^ 0x7f4a7c15, 0xc2b2ae35);
  for (let i = l3; i < end; i++) {
    if (
      i === ttlAt ||
      i === ipChecksumAt ||
      i === ipChecksumAt + 1 ||
      i === checksumAt ||
      i === checksumAt + 1
    )
      continue;
    const byte = i === ecnAt ? buf[i] & ecnMask : buf[i];
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul((b ^ byte) + i - l3, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out[0] = fmix(a);
  out[1] = fmix(b);
}
