import { LinkType } from './capture/link-type.js';
import { DecodeStatus } from './decode-status.js';
import { FrameDecoder } from './frame-decoder.js';
import { GENEVE_PORT, GeneveLayer, GeneveProtocol } from './layers/geneve.js';
import { IpProtocol } from './layers/ip-protocol.js';
import { VXLAN_PORT, VxlanLayer } from './layers/vxlan.js';

export const Encapsulation = {
  NONE: 0,
  VXLAN: 1,
  /** What a Gateway Load Balancer endpoint delivers: GENEVE carrying the mirror's IP/UDP/VXLAN packet. */
  GENEVE_VXLAN: 2,
  /** GENEVE carrying an Ethernet frame directly (not AWS's format, accepted for completeness). */
  GENEVE_ETHERNET: 3,
} as const;

/** Where decoding stopped, for counters: the outer packet was not ours, or a mirror layer was bad. */
export const MirrorStage = {
  OUTER: 0,
  GENEVE: 1,
  VXLAN: 2,
  INNER: 3,
} as const;

export interface MirrorDecoderOptions {
  readonly vxlanPort?: number;
  readonly genevePort?: number;
}

/**
 * Decodes mirrored traffic: the outer packet (from a capture file) or the UDP payload (from a socket),
 * through VXLAN (and GENEVE for GWLB targets), to the inner frame. Reuses its layers for every packet.
 * After a successful decode, `inner` describes the mirrored packet, `vni` the session and
 * `mirrorSourceWords` the mirrored ENI's address (the source of the IP header around the VXLAN).
 */
export class MirrorDecoder {
  readonly outer = new FrameDecoder();
  readonly geneve = new GeneveLayer();
  /** The IP/UDP header inside GENEVE: the original mirror packet. */
  readonly tunnel = new FrameDecoder();
  readonly vxlan = new VxlanLayer();
  readonly inner = new FrameDecoder();

  readonly vxlanPort: number;
  readonly genevePort: number;

  status = 0;
  stage = 0;
  encapsulation = 0;
  vni = 0;
  /** 4 or 6: the family of the mirror source address. */
  mirrorSourceVersion = 0;
  /** The mirrored ENI's address as four words (IPv4 mapped as ::ffff:a.b.c.d). */
  readonly mirrorSourceWords = new Uint32Array(4);
  innerOffset = 0;
  innerEnd = 0;

  constructor(options: MirrorDecoderOptions = {}) {
    this.vxlanPort = options.vxlanPort ?? VXLAN_PORT;
    this.genevePort = options.genevePort ?? GENEVE_PORT;
  }

  /**
   * Decodes an outer packet as captured on the wire (link layer first). Returns OUTER_FRAGMENT for an
   * outer IP fragment: the caller reassembles it and calls again with the whole datagram (LinkType.RAW).
   */
  decodeCaptured(buf: Uint8Array, off: number, end: number, linkType: number): number {
    this.encapsulation = Encapsulation.NONE;
    this.stage = MirrorStage.OUTER;
    const outer = this.outer;
    const s = outer.decode(buf, off, end, linkType);
    if (outer.ipVersion !== 0 && outer.isFragment) return this.finish(DecodeStatus.OUTER_FRAGMENT);
    if (s !== DecodeStatus.OK) return this.finish(s);
    if (outer.protocol !== IpProtocol.UDP || !outer.udp.headerComplete)
      return this.finish(DecodeStatus.NOT_UDP);
    const udp = outer.udp;
    const payloadEnd = udp.payloadOffset + udp.capturedPayloadLength;
    if (udp.dstPort === this.vxlanPort) {
      this.copyMirrorSource(outer);
      return this.decodeVxlan(buf, udp.payloadOffset, payloadEnd);
    }
    if (udp.dstPort === this.genevePort) return this.decodeGeneve(buf, udp.payloadOffset, payloadEnd, outer);
    return this.finish(DecodeStatus.NOT_MIRROR_PORT);
  }

  /**
   * Decodes a frame of an ordinary capture (not mirror traffic: taken on the host itself) as if it were
   * the inner frame of a mirror with no session: `vni` 0, mirror source unknown (version 0).
   */
  decodeUnencapsulated(buf: Uint8Array, off: number, end: number, linkType: number): number {
    this.encapsulation = Encapsulation.NONE;
    this.vni = 0;
    this.mirrorSourceWords.fill(0);
    this.mirrorSourceVersion = 0;
    this.stage = MirrorStage.INNER;
    this.innerOffset = off;
    this.innerEnd = end;
    return this.finish(this.inner.decode(buf, off, end, linkType));
  }

  /**
   * Decodes the payload of a UDP datagram received on the VXLAN port. `sender` (four address words,
   * IPv4 mapped as ::ffff:a.b.c.d) and `senderVersion` (4 or 6) are the datagram's source: the mirrored
   * ENI. Omitted (replaying a payload whose sender does not matter), the mirror source is unknown (0).
   */
  decodeVxlanPayload(
    buf: Uint8Array,
    off: number,
    end: number,
    sender?: Uint32Array,
    senderVersion = 0,
  ): number {
    const w = this.mirrorSourceWords;
    if (sender === undefined) w.fill(0);
    else w.set(sender);
    this.mirrorSourceVersion = sender === undefined ? 0 : senderVersion;
    this.encapsulation = Encapsulation.NONE;
    this.stage = MirrorStage.VXLAN;
    return this.decodeVxlan(buf, off, end);
  }

  /** Decodes the payload of a UDP datagram received on the GENEVE port. */
  decodeGenevePayload(buf: Uint8Array, off: number, end: number): number {
    return this.decodeGeneve(buf, off, end, null);
  }

  private decodeGeneve(buf: Uint8Array, off: number, end: number, outer: FrameDecoder | null): number {
    this.stage = MirrorStage.GENEVE;
    const g = this.geneve;
    const s = g.decode(buf, off, end);
    if (s !== DecodeStatus.OK) return this.finish(s);
    if (g.protocolType === GeneveProtocol.TRANSPARENT_ETHERNET) {
      if (outer !== null) this.copyMirrorSource(outer);
      this.encapsulation = Encapsulation.GENEVE_ETHERNET;
      this.vni = g.vni;
      return this.decodeInner(buf, g.payloadOffset, end);
    }
    if (g.protocolType !== GeneveProtocol.IPV4 && g.protocolType !== GeneveProtocol.IPV6) {
      return this.finish(DecodeStatus.GENEVE_UNSUPPORTED_PROTOCOL);
    }
    const tunnel = this.tunnel;
    const ts = tunnel.decodeIp(buf, g.payloadOffset, end);
    if (ts !== DecodeStatus.OK) return this.finish(ts);
    if (
      tunnel.protocol !== IpProtocol.UDP ||
      !tunnel.udp.headerComplete ||
      tunnel.udp.dstPort !== this.vxlanPort
    ) {
      return this.finish(DecodeStatus.NOT_MIRROR_PORT);
    }
    this.copyMirrorSource(tunnel);
    const udp = tunnel.udp;
    const s2 = this.decodeVxlan(buf, udp.payloadOffset, udp.payloadOffset + udp.capturedPayloadLength);
    if (this.encapsulation === Encapsulation.VXLAN) this.encapsulation = Encapsulation.GENEVE_VXLAN;
    return s2;
  }

  private decodeVxlan(buf: Uint8Array, off: number, end: number): number {
    this.stage = MirrorStage.VXLAN;
    const v = this.vxlan;
    const s = v.decode(buf, off, end);
    if (s !== DecodeStatus.OK) return this.finish(s);
    this.encapsulation = Encapsulation.VXLAN;
    this.vni = v.vni;
    return this.decodeInner(buf, v.payloadOffset, end);
  }

  private decodeInner(buf: Uint8Array, off: number, end: number): number {
    this.stage = MirrorStage.INNER;
    this.innerOffset = off;
    this.innerEnd = end;
    return this.finish(this.inner.decode(buf, off, end, LinkType.ETHERNET));
  }

  private copyMirrorSource(from: FrameDecoder): void {
    const w = this.mirrorSourceWords;
    const a = from.addressWords;
    w[0] = a[0];
    w[1] = a[1];
    w[2] = a[2];
    w[3] = a[3];
    this.mirrorSourceVersion = from.ipVersion;
  }

  private finish(status: number): number {
    this.status = status;
    return status;
  }
}
