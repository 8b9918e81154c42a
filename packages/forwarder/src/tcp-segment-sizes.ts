// The real segment size of each TCP connection direction, so that a TSO/GRO super-frame is cut into
// the segments the wire carried (as native mirroring and the kernel's tunnel GSO show them) rather
// than into the largest pieces the path MTU would allow.
//
// Linux sizes a connection's segments (mss_cache) from the MSS the peer advertised in its SYN, capped
// by the sender's own path MTU, minus the TCP options each segment carries (timestamps: 12 bytes).
// The MSS a side advertises comes from its own device MTU, so the smaller of the two advertised values
// stands in for "peer's MSS capped by the sender's path". Without a handshake (capture started
// mid-stream) the largest ordinary segment seen in that direction is the estimate.
//
// Memory is fixed: a direct-mapped table indexed by the flow key's hash (wire's FlowKey). A SYN always claims its
// slot; other segments only claim a free slot or one that holds observations only, so a colliding
// mid-stream flow does not evict a handshake's MSS. RST frees the slot. A collision costs accuracy
// (today's path-MTU cut), never correctness.

/** Slots in the table (a power of two). */
export const TCP_SEGMENT_TABLE_SIZE = 4096;
/** Smallest segment payload trusted as an observation of the MSS (the IPv4 default MSS). */
const MIN_OBSERVED_MSS = 536;
const TCP_BASE_HEADER = 20;

export class TcpSegmentSizes {
  private readonly mask = TCP_SEGMENT_TABLE_SIZE - 1;
  private readonly tags = new Uint32Array(TCP_SEGMENT_TABLE_SIZE);
  private readonly used = new Uint8Array(TCP_SEGMENT_TABLE_SIZE);
  /** Per slot, per side (0 = the endpoint ordering first): the MSS that side advertised, 0 unknown. */
  private readonly advertised = new Uint16Array(TCP_SEGMENT_TABLE_SIZE * 2);
  /** Per slot, per sending side: the largest ordinary segment payload seen, 0 none. */
  private readonly observed = new Uint16Array(TCP_SEGMENT_TABLE_SIZE * 2);

  /** A SYN or SYN-ACK from `side` advertising `mss` (-1 when it carries no MSS option). */
  learnSyn(hash: number, side: number, isSynAck: boolean, mss: number): void {
    const slot = hash & this.mask;
    if (!isSynAck || !this.owns(slot, hash)) this.claim(slot, hash);
    if (mss > 0) this.advertised[slot * 2 + side] = Math.min(mss, 0xffff);
  }

  /** An ordinary (not super) segment from `side` carrying `payload` bytes. */
  observe(hash: number, side: number, payload: number): void {
    if (payload < MIN_OBSERVED_MSS) return;
    const slot = hash & this.mask;
    if (!this.owns(slot, hash)) {
      if (this.used[slot] === 1 && (this.advertised[slot * 2] | this.advertised[slot * 2 + 1]) !== 0) return;
      this.claim(slot, hash);
    }
    const i = slot * 2 + side;
    if (payload > this.observed[i]) this.observed[i] = Math.min(payload, 0xffff);
  }

  /** The connection was reset: its slot is free for the next one. */
  forget(hash: number): void {
    const slot = hash & this.mask;
    if (this.owns(slot, hash)) this.used[slot] = 0;
  }

  /**
   * Payload bytes per segment for data sent by `side`, whose segments carry `optionsLength` bytes of
   * TCP options; 0 when unknown.
   */
  segmentPayload(hash: number, side: number, optionsLength: number): number {
    const slot = hash & this.mask;
    if (!this.owns(slot, hash)) return 0;
    const mine = this.advertised[slot * 2 + side];
    const peers = this.advertised[slot * 2 + (side ^ 1)];
    const mss = mine === 0 ? peers : peers === 0 ? mine : Math.min(mine, peers);
    if (mss > 0) return Math.max(mss - optionsLength, 0);
    return this.observed[slot * 2 + side];
  }

  private owns(slot: number, hash: number): boolean {
    return this.used[slot] === 1 && this.tags[slot] === hash >>> 0;
  }

  private claim(slot: number, hash: number): void {
    this.used[slot] = 1;
    this.tags[slot] = hash >>> 0;
    this.advertised[slot * 2] = 0;
    this.advertised[slot * 2 + 1] = 0;
    this.observed[slot * 2] = 0;
    this.observed[slot * 2 + 1] = 0;
  }
}

/** Largest payload a segment with these headers can carry within `mtu` (the sender's own link). */
export function payloadWithinMtu(mtu: number, ipHeaderLength: number, tcpHeaderLength: number): number {
  return mtu - ipHeaderLength - Math.max(tcpHeaderLength, TCP_BASE_HEADER);
}
