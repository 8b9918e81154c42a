import {
  FrameDecoder,
  HandoffKind,
  IpProtocol,
  IpReassembler,
  LinkType,
  ReassemblyStatus,
} from '@fargate-mirror/wire';
import { RING_ROW_WORDS } from './packet-ring.js';

/**
 * The afpacket intake's outer IP fragments. A UDP socket gets a fragmented VXLAN datagram whole (the
 * kernel reassembles it for the socket); the packet ring sees each fragment as it was captured, so
 * the worker reassembles them here, as `read` does for a capture, and then takes the datagram as
 * the socket intake would have: counted, checked against --allow-sources, and handed to the worker
 * that owns its inner connection.
 */
export class OuterFragments {
  /** After `add` returned true: the datagram's UDP payload in `buf`, its kind and its sender. */
  buf: Buffer = Buffer.alloc(0);
  offset = 0;
  length = 0;
  kind: number = HandoffKind.VXLAN;
  /** The sender as a ring row holds it: word 1 its family, words 2..5 its address (IPv4 mapped). */
  readonly senderRow = new Int32Array(RING_ROW_WORDS);

  private readonly frame = new FrameDecoder();
  private readonly reassembler = new IpReassembler();

  constructor(
    private readonly vxlanPort: number,
    private readonly genevePort: number,
  ) {}

  /** What the reassembler counted (fragments, reassembled, timed out, overlaps...). */
  get stats(): Readonly<Record<string, number>> {
    return this.reassembler.stats as unknown as Record<string, number>;
  }

  /**
   * Adds the Ethernet frame of one fragment; true when it completed a UDP datagram to a mirror port
   * (then `buf`, `offset`, `length`, `kind` and the sender describe it until the next call).
   */
  add(buf: Buffer, offset: number, length: number, nowMicros: number): boolean {
    const frame = this.frame;
    frame.decode(buf, offset, offset + length, LinkType.ETHERNET);
    if (frame.ipVersion === 0 || !frame.isFragment) return false;
    const r = this.reassembler;
    const l3 = frame.l3Offset;
    if (r.add(buf, l3, offset + length - l3, nowMicros) !== ReassemblyStatus.COMPLETE) return false;
    frame.decode(r.out, r.outOffset, r.outOffset + r.outLength, LinkType.RAW);
    if (frame.protocol !== IpProtocol.UDP || !frame.udp.headerComplete) return false;
    const port = frame.udp.dstPort;
    if (port === this.vxlanPort) this.kind = HandoffKind.VXLAN;
    else if (this.genevePort !== 0 && port === this.genevePort) this.kind = HandoffKind.GENEVE;
    else return false;
    this.buf = r.out;
    this.offset = frame.udp.payloadOffset;
    this.length = frame.udp.capturedPayloadLength;
    const row = this.senderRow;
    row[1] = frame.ipVersion;
    for (let i = 0; i < 4; i++) row[2 + i] = frame.addressWords[i];
    return true;
  }

  /** Datagrams that never completed: timed out, overlapping, too big, evicted, or malformed. */
  get datagramsDropped(): number {
    const s = this.reassembler.stats;
    return s.timedOut + s.overlaps + s.evicted + s.tooBig + s.malformed;
  }

  /** Drops datagrams still waiting for fragments after the reassembler's timeout. */
  expire(nowMicros: number): void {
    this.reassembler.expire(nowMicros);
  }
}
