import { IpProtocol } from './layers/ip-protocol.js';

// Community ID v1 treats ICMP type/code as ports, mapping request/response types to each other so both
// directions of an exchange share one flow. Tables from the Community ID specification.
const ICMP4_COUNTERPART = new Int16Array(256).fill(-1);
const ICMP6_COUNTERPART = new Int16Array(256).fill(-1);
for (const [a, b] of [
  [8, 0],
  [13, 14],
  [15, 16],
  [10, 9],
  [17, 18],
]) {
  ICMP4_COUNTERPART[a] = b;
  ICMP4_COUNTERPART[b] = a;
}
for (const [a, b] of [
  [128, 129],
  [133, 134],
  [135, 136],
  [130, 131],
  [144, 145],
]) {
  ICMP6_COUNTERPART[a] = b;
  ICMP6_COUNTERPART[b] = a;
}

/**
 * Port-equivalents for an ICMP message: returns `(srcPort << 16 | dstPort)` and whether the message is
 * one-way (has no counterpart), encoded as bit 32 via a separate out-parameter to avoid allocation.
 */
export function icmpPorts(protocol: number, type: number, code: number, out: Int32Array): void {
  const table = protocol === IpProtocol.ICMPV6 ? ICMP6_COUNTERPART : ICMP4_COUNTERPART;
  const counterpart = table[type];
  out[0] = type;
  if (counterpart >= 0) {
    out[1] = counterpart;
    out[2] = 0;
  } else {
    out[1] = code;
    out[2] = 1;
  }
}
