import { fmix32 } from './endpoint-order.js';
import { FlowKey } from './flow-key.js';
import type { FrameDecoder } from './frame-decoder.js';

const key = new FlowKey();

/**
 * The worker that owns an inner connection: the hash of its flow key (wire's FlowKey: canonical, so the
 * same whichever direction a packet travels) and address domain, modulo the worker count. Both
 * directions of a connection therefore meet in one worker's flow table whatever the kernel's
 * SO_REUSEPORT hash did with the outer header, and since it is the flow table's own key, every packet
 * of one flow record has one owner. Allocates nothing.
 */
export function flowOwner(inner: FrameDecoder, domain: number, workers: number): number {
  // Mixed again before the modulo: the flow table picks its bucket from the low bits of the same hash,
  // and a worker must not see only the buckets of one residue.
  return fmix32(key.set(inner).hash(domain) ^ 0x5bd1e995) % workers;
}
