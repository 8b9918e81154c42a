/**
 * Outcome of decoding one packet. The decoder never throws on bad input: it returns one of these and
 * the caller counts it. `OK` means every layer present in the captured bytes decoded; a packet cut
 * short by the mirror (PacketLength, target MTU) is still `OK`, with the decoder's `truncated` flag set.
 */
export const DecodeStatus = {
  OK: 0,
  VXLAN_TOO_SHORT: 1,
  VXLAN_NO_VNI_FLAG: 2,
  GENEVE_TOO_SHORT: 3,
  GENEVE_BAD_VERSION: 4,
  GENEVE_OPTIONS_OVERRUN: 5,
  GENEVE_UNSUPPORTED_PROTOCOL: 6,
  LINK_TOO_SHORT: 7,
  VLAN_TOO_SHORT: 8,
  UNSUPPORTED_LINK_TYPE: 9,
  NOT_IP: 10,
  IPV4_TOO_SHORT: 11,
  IPV4_BAD_VERSION: 12,
  IPV4_BAD_HEADER_LENGTH: 13,
  IPV4_BAD_TOTAL_LENGTH: 14,
  IPV6_TOO_SHORT: 15,
  IPV6_BAD_VERSION: 16,
  IPV6_EXTENSION_OVERRUN: 17,
  TCP_BAD_DATA_OFFSET: 18,
  UDP_BAD_LENGTH: 19,
  NOT_UDP: 20,
  NOT_MIRROR_PORT: 21,
  OUTER_FRAGMENT: 22,
  INNER_NOT_IP: 23,
} as const;

export type DecodeStatusCode = (typeof DecodeStatus)[keyof typeof DecodeStatus];

/** Stable snake_case names, used as metric labels and in summaries. */
export const decodeStatusNames: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(DecodeStatus)) names[code] = name.toLowerCase();
  return names;
})();

export const DECODE_STATUS_COUNT = decodeStatusNames.length;
