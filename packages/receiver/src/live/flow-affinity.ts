import { type FrameDecoder, fmix32 as mix } from '@fargate-mirror/wire';

/**
 * The worker that owns an inner connection: a hash of its canonical 5-tuple (the same whichever
 * direction a packet travels) and address domain, modulo the worker count. Both directions of a
 * connection therefore meet in one worker's flow table whatever the kernel's SO_REUSEPORT hash did
 * with the outer header. Hashes exactly the fields the flow table keys on (ports only when decoded),
 * so every packet of one flow record has one owner. Allocates nothing.
 */
export function flowOwner(inner: FrameDecoder, domain: number, workers: number): number {
  const w = inner.addressWords;
  const srcPort = inner.hasPorts ? inner.srcPort : 0;
  const dstPort = inner.hasPorts ? inner.dstPort : 0;
  // Addition is commutative: the two endpoint hashes combine the same in both directions.
  const endpoints = (endpointHash(w, 0, srcPort) + endpointHash(w, 4, dstPort)) >>> 0;
  let h = mix(endpoints ^ Math.imul(inner.protocol | (inner.ipVersion << 8), 0x9e3779b1));
  h = mix(h ^ domain);
  return h % workers;
}

function endpointHash(w: Uint32Array, base: number, port: number): number {
  let h = mix(port + 0x165667b1);
  h = mix(h ^ w[base]);
  h = mix(h ^ w[base + 1]);
  h = mix(h ^ w[base + 2]);
  h = mix(h ^ w[base + 3]);
  return h;
}
