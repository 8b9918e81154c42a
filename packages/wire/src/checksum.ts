import { IpProtocol } from './layers/ip-protocol.js';

// Internet checksum (RFC 1071) pieces, written once for everything that builds or rewrites packets
// (the forwarder's segmenter, the demo's packets, replay's address rewriting, IP reassembly). Sums are kept unfolded in a plain number (53-bit safe: a 64 KB
// packet adds at most 2^32), folded once at the end. Chained sums must each start at an even offset
// into the logical byte stream, which every caller here guarantees (headers have even lengths).

/** Adds the 16-bit big-endian words of buf[start, end) to `sum`; an odd last byte is padded with 0. */
export function addWords(buf: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === last) sum += buf[i] << 8;
  return sum;
}

/** Folds a sum to 16 bits and complements it: the value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Recomputes the IPv4 header checksum in place. */
export function writeIpv4HeaderChecksum(buf: Uint8Array, ipOffset: number): void {
  const headerLength = (buf[ipOffset] & 0x0f) * 4;
  buf[ipOffset + 10] = 0;
  buf[ipOffset + 11] = 0;
  const c = finishChecksum(addWords(buf, ipOffset, ipOffset + headerLength, 0));
  buf[ipOffset + 10] = c >>> 8;
  buf[ipOffset + 11] = c & 0xff;
}

/** Sum of the TCP/UDP pseudo-header for the IP header at `ipOffset` (version from its first nibble). */
export function pseudoHeaderSum(
  buf: Uint8Array,
  ipOffset: number,
  protocol: number,
  l4Length: number,
): number {
  const v6 = buf[ipOffset] >>> 4 === 6;
  let sum = v6
    ? addWords(buf, ipOffset + 8, ipOffset + 40, 0)
    : addWords(buf, ipOffset + 12, ipOffset + 20, 0);
  // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three zero bytes, next header.
  sum += protocol + (l4Length & 0xffff) + Math.floor(l4Length / 0x10000);
  return sum;
}

/**
 * Writes the TCP or UDP checksum of a segment whose L4 header sits in `hdr` and whose payload may sit
 * elsewhere (`payload`), so a segment can be checksummed without copying all of its payload.
 */
export function writeL4Checksum(
  hdr: Uint8Array,
  ipOffset: number,
  l4Offset: number,
  l4HeaderLength: number,
  protocol: number,
  payload: Uint8Array,
  payloadStart: number,
  payloadLength: number,
): void {
  const field = l4Offset + (protocol === IpProtocol.TCP ? 16 : 6);
  hdr[field] = 0;
  hdr[field + 1] = 0;
  let sum = pseudoHeaderSum(hdr, ipOffset, protocol, l4HeaderLength + payloadLength);
  sum = addWords(hdr, l4Offset, l4Offset + l4HeaderLength, sum);
  sum = addWords(payload, payloadStart, payloadStart + payloadLength, sum);
  let c = finishChecksum(sum);
  // UDP sends a computed 0 as 0xffff: 0 means "no checksum" there.
  if (c === 0 && protocol === IpProtocol.UDP) c = 0xffff;
  hdr[field] = c >>> 8;
  hdr[field + 1] = c & 0xff;
}

/**
 * Updates the checksum at `buf[at]` for one 16-bit word of the data it covers changing from `old` to
 * `next`, without summing the data again (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
 */
export function adjustChecksum(buf: Uint8Array, at: number, old: number, next: number): void {
  let sum = (~((buf[at] << 8) | buf[at + 1]) & 0xffff) + (~old & 0xffff) + next;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const result = ~sum & 0xffff;
  buf[at] = result >>> 8;
  buf[at + 1] = result & 0xff;
}
