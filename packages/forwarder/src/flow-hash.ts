// AWS picks the outer UDP source port from a hash of the inner flow (5-tuple for TCP, UDP and ICMP,
// 3-tuple otherwise), so one flow keeps one outer 5-tuple and an NLB keeps it on one receiver. Here
// the hash is symmetric - both directions of a conversation give the same value - so both halves of
// a flow also meet at one receiver.

import { compareEndpoints } from '@fargate-mirror/wire';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number, word: number): number {
  h = Math.imul(h ^ (word & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((word >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((word >>> 16) & 0xff), FNV_PRIME);
  return Math.imul(h ^ (word >>> 24), FNV_PRIME);
}

/** True when endpoint A (words 0-3, portA) orders before endpoint B (words 4-7, portB), or equals it. */
export function aFirst(words: Uint32Array, portA: number, portB: number): boolean {
  return compareEndpoints(words, portA, portB) <= 0;
}

/**
 * A 32-bit hash of the flow, identical for both directions. `words` holds source then destination
 * address as four 32-bit words each (FrameDecoder.addressWords); ports are ignored when `hasPorts`
 * is false (fragments, protocols without ports).
 */
export function symmetricFlowHash(
  words: Uint32Array,
  protocol: number,
  hasPorts: boolean,
  srcPort: number,
  dstPort: number,
): number {
  const sp = hasPorts ? srcPort : 0;
  const dp = hasPorts ? dstPort : 0;
  const first = aFirst(words, sp, dp);
  const a = first ? 0 : 4;
  const b = first ? 4 : 0;
  let h = mix(FNV_OFFSET, protocol);
  for (let i = 0; i < 4; i++) h = mix(h, words[a + i]);
  for (let i = 0; i < 4; i++) h = mix(h, words[b + i]);
  h = mix(h, ((first ? sp : dp) << 16) | (first ? dp : sp));
  return h >>> 0;
}
