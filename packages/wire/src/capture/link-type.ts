/**
 * LINKTYPE_* values (tcpdump.org/linktypes.html) that captures of mirrored traffic use. The same numbers
 * appear in the pcap header and in a pcapng Interface Description Block.
 */
export const LinkType = {
  /** BSD loopback: 4-byte address family in host byte order, then the IP packet. */
  NULL: 0,
  ETHERNET: 1,
  /** Raw IP, version from the first nibble. */
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export type LinkTypeValue = (typeof LinkType)[keyof typeof LinkType];
