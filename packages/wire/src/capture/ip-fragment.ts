// Recognising outer IP fragments, for the caller that decides what to hand to IpReassembler.

const IPV4_MF = 0x2000;
const IPV4_OFFSET_MASK = 0x1fff;
const IPV6_HEADER_BYTES = 40;
const NEXT_HEADER_HOP_BY_HOP = 0;
const NEXT_HEADER_ROUTING = 43;
const NEXT_HEADER_FRAGMENT = 44;
const NEXT_HEADER_DESTINATION = 60;
/** Extension headers allowed before the Fragment header (RFC 8200 §4.1): a handful at most. */
const MAX_UNFRAGMENTABLE_HEADERS = 8;

/** True if the IPv4 header at `l3Offset` is a fragment: more-fragments set or a non-zero offset. */
export function isIpv4Fragment(buf: Uint8Array, l3Offset: number): boolean {
  if (l3Offset + 8 > buf.length) return false;
  const flagsAndOffset = (buf[l3Offset + 6] << 8) | buf[l3Offset + 7];
  return (flagsAndOffset & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0;
}

/**
 * Offset of the IPv6 Fragment extension header in `buf`, or -1 when the packet has none (or is too
 * short to tell). Walks Hop-by-Hop, Routing and Destination Options headers, the only ones that may
 * precede it.
 */
export function findIpv6FragmentHeader(buf: Uint8Array, l3Offset: number, l3Length: number): number {
  return walkToIpv6FragmentHeader(buf, l3Offset, l3Length);
}

/**
 * Set by `walkToIpv6FragmentHeader` on success: offset of the Next Header byte that names the Fragment
 * header (in the IPv6 header or the last extension header before it). A module-level out-parameter,
 * so the per-fragment path allocates nothing.
 */
export const ipv6FragmentWalk = { nextHeaderField: -1 };

export function walkToIpv6FragmentHeader(buf: Uint8Array, l3Offset: number, l3Length: number): number {
  const end = Math.min(buf.length, l3Offset + l3Length);
  if (l3Offset + IPV6_HEADER_BYTES > end || buf[l3Offset] >> 4 !== 6) return -1;
  let nextHeaderField = l3Offset + 6;
  let p = l3Offset + IPV6_HEADER_BYTES;
  for (let i = 0; i <= MAX_UNFRAGMENTABLE_HEADERS; i++) {
    const nextHeader = buf[nextHeaderField];
    if (nextHeader === NEXT_HEADER_FRAGMENT) {
      if (p + 8 > end) return -1;
      ipv6FragmentWalk.nextHeaderField = nextHeaderField;
      return p;
    }
    if (
      nextHeader !== NEXT_HEADER_HOP_BY_HOP &&
      nextHeader !== NEXT_HEADER_ROUTING &&
      nextHeader !== NEXT_HEADER_DESTINATION
    ) {
      return -1;
    }
    if (p + 2 > end) return -1;
    nextHeaderField = p;
    p += (buf[p + 1] + 1) * 8;
  }
  return -1;
}
