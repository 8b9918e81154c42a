import { randomInt } from 'node:crypto';
import { type IpHeaderSpec, TcpFlag, tcpSegment } from '@fargate-mirror/wire';

export interface TcpEndpoint {
  readonly ip: string;
  readonly port: number;
}

/** Where finished IP packets go; the mirror tap decides which mirror points see them. */
export type IpPacketSink = (packet: Buffer) => void;

/** Gives each sending host its own IPv4 identification counter. */
export type IpIdSource = (ip: string) => number;

const WINDOW = 65_535;
/** What Linux announces on a 9001-byte MTU VPC interface (9001 - 40). */
const VPC_MSS = 8961;
/** Segment size the demo cuts streams into: a 1500-byte path, as to the internet or across peering. */
const SEGMENT = 1448;

/**
 * The packets of one TCP connection, derived from what a proxy sees of its byte streams: the
 * three-way handshake, data cut into segments with the right sequence and acknowledgement numbers
 * (each burst acknowledged by the peer), FIN from each side, or RST on an abort. The handshake is
 * synthesised when the connection is accepted, so its packets precede every data segment.
 */
export class TcpConversation {
  private clientNext: number;
  private serverNext: number;
  private clientFinSent = false;
  private serverFinSent = false;
  private closed = false;

  constructor(
    private readonly client: TcpEndpoint,
    private readonly server: TcpEndpoint,
    private readonly sink: IpPacketSink,
    private readonly ipId: IpIdSource,
  ) {
    this.clientNext = randomInt(0, 2 ** 32);
    this.serverNext = randomInt(0, 2 ** 32);
  }

  /** SYN, SYN-ACK, ACK. */
  open(): void {
    const clientIsn = this.clientNext;
    const serverIsn = this.serverNext;
    this.segment(true, clientIsn, 0, TcpFlag.SYN, undefined, VPC_MSS);
    this.segment(false, serverIsn, clientIsn + 1, TcpFlag.SYN | TcpFlag.ACK, undefined, VPC_MSS);
    this.clientNext = (clientIsn + 1) >>> 0;
    this.serverNext = (serverIsn + 1) >>> 0;
    this.segment(true, this.clientNext, this.serverNext, TcpFlag.ACK);
  }

  /** Bytes one side wrote: data segments, then the peer's acknowledgement. */
  data(fromClient: boolean, bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    for (let off = 0; off < bytes.length; off += SEGMENT) {
      const chunk = bytes.subarray(off, Math.min(bytes.length, off + SEGMENT));
      const last = off + SEGMENT >= bytes.length;
      const flags = TcpFlag.ACK | (last ? TcpFlag.PSH : 0);
      this.segment(fromClient, this.next(fromClient), this.next(!fromClient), flags, chunk);
      this.advance(fromClient, chunk.length);
    }
    this.segment(!fromClient, this.next(!fromClient), this.next(fromClient), TcpFlag.ACK);
  }

  /** One side closed its half: FIN, and the peer's acknowledgement. */
  fin(fromClient: boolean): void {
    if (this.closed || (fromClient ? this.clientFinSent : this.serverFinSent)) return;
    if (fromClient) this.clientFinSent = true;
    else this.serverFinSent = true;
    this.segment(fromClient, this.next(fromClient), this.next(!fromClient), TcpFlag.FIN | TcpFlag.ACK);
    this.advance(fromClient, 1);
    this.segment(!fromClient, this.next(!fromClient), this.next(fromClient), TcpFlag.ACK);
    if (this.clientFinSent && this.serverFinSent) this.closed = true;
  }

  /** An abort (a socket error): RST from that side, nothing after it. */
  reset(fromClient: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.segment(fromClient, this.next(fromClient), this.next(!fromClient), TcpFlag.RST | TcpFlag.ACK);
  }

  private next(fromClient: boolean): number {
    return fromClient ? this.clientNext : this.serverNext;
  }

  private advance(fromClient: boolean, by: number): void {
    if (fromClient) this.clientNext = (this.clientNext + by) >>> 0;
    else this.serverNext = (this.serverNext + by) >>> 0;
  }

  private segment(
    fromClient: boolean,
    seq: number,
    ack: number,
    flags: number,
    payload?: Uint8Array,
    mss?: number,
  ): void {
    const from = fromClient ? this.client : this.server;
    const to = fromClient ? this.server : this.client;
    const ip: IpHeaderSpec = { srcIp: from.ip, dstIp: to.ip, id: this.ipId(from.ip) };
    this.sink(
      tcpSegment(ip, { srcPort: from.port, dstPort: to.port, seq, ack, flags, window: WINDOW, mss }, payload),
    );
  }
}
