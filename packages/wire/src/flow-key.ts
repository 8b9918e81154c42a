import { compareEndpoints } from './endpoint-order.js';
import type { FrameDecoder } from './frame-decoder.js';

/**
 * Words of a flow key: endpoint A's address (4 words), endpoint B's address (4), the ports
 * (`portA << 16 | portB`) and the meta word (`protocol | ipVersion << 8 | oneWay << 12`).
 */
export const FLOW_KEY_WORDS = 10;
/** Index of the ports word in a flow key. */
export const FLOW_KEY_PORTS = 8;
/** Index of the meta word in a flow key. */
export const FLOW_KEY_META = 9;

/** The protocol number in a key's meta word. */
export function flowKeyProtocol(meta: number): number {
  return meta & 0xff;
}

/** The IP version (4 or 6) in a key's meta word. */
export function flowKeyIpVersion(meta: number): number {
  return (meta >>> 8) & 0xf;
}

/**
 * What a flow is, written once: the canonical 5-tuple of a packet (endpoint A is the numerically
 * smaller (address, port), so both directions give the same key), with the IP version and, for ICMP,
 * whether the message is one-way (it has no reply to pair with, so it is its own flow). Ports count
 * only where the decoder found them (not for later fragments or portless protocols).
 *
 * The flow table, the receive workers' flow affinity, the de-duplicator's slot check and the
 * forwarder's outer source port all use this one key, so every place agrees on which packets make one
 * flow. One instance is reused for every packet: setting and hashing allocate nothing.
 */
export class FlowKey {
  readonly words = new Uint32Array(FLOW_KEY_WORDS);
  /** Whether the packet the key was set from travelled A -> B. */
  srcIsA = true;

  /** Sets the key from a decoded IP packet (`d.ipVersion !== 0`); returns this. */
  set(d: FrameDecoder): this {
    const key = this.words;
    const w = d.addressWords;
    const srcPort = d.hasPorts ? d.srcPort : 0;
    const dstPort = d.hasPorts ? d.dstPort : 0;
    const srcIsA = compareEndpoints(w, srcPort, dstPort) <= 0;
    const a = srcIsA ? 0 : 4;
    const b = srcIsA ? 4 : 0;
    key[0] = w[a];
    key[1] = w[a + 1];
    key[2] = w[a + 2];
    key[3] = w[a + 3];
    key[4] = w[b];
    key[5] = w[b + 1];
    key[6] = w[b + 2];
    key[7] = w[b + 3];
    key[FLOW_KEY_PORTS] = srcIsA ? ((srcPort << 16) | dstPort) >>> 0 : ((dstPort << 16) | srcPort) >>> 0;
    key[FLOW_KEY_META] = (d.protocol | (d.ipVersion << 8) | (d.icmpOneWay ? 1 << 12 : 0)) >>> 0;
    this.srcIsA = srcIsA;
    return this;
  }

  /** A 32-bit hash of the key within address domain `domain`; the same for both directions. */
  hash(domain: number): number {
    return hashFlowKey(this.words, 0, domain);
  }

  /** Whether the key equals the one stored at `store[offset .. offset + FLOW_KEY_WORDS)`. */
  equalsAt(store: Uint32Array, offset: number): boolean {
    const k = this.words;
    // Ports and the last address words first: they differ most often between flows.
    return (
      store[offset + FLOW_KEY_PORTS] === k[FLOW_KEY_PORTS] &&
      store[offset + 3] === k[3] &&
      store[offset + 7] === k[7] &&
      store[offset + FLOW_KEY_META] === k[FLOW_KEY_META] &&
      store[offset] === k[0] &&
      store[offset + 1] === k[1] &&
      store[offset + 2] === k[2] &&
      store[offset + 4] === k[4] &&
      store[offset + 5] === k[5] &&
      store[offset + 6] === k[6]
    );
  }

  /** Copies the key into `store` at `offset`. */
  copyTo(store: Uint32Array, offset: number): void {
    store.set(this.words, offset);
  }
}

/**
 * The hash of the flow key stored at `store[offset ..]` within `domain` (murmur3-style mixing of all
 * ten words). Equal keys hash equal, so a key read back from a table finds its own bucket.
 */
export function hashFlowKey(store: Uint32Array, offset: number, domain: number): number {
  let h = Math.imul(domain ^ 0x9e3779b9, 0x85ebca6b);
  for (let i = 0; i < FLOW_KEY_WORDS; i++) {
    h = Math.imul(h ^ store[offset + i], 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
