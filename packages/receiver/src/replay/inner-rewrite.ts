import { adjustChecksum, DecodeStatus, IpProtocol, MirrorDecoder, MirrorStage } from '@fargate-mirror/wire';
import { ReplayKind } from './replay-source.js';

export interface InnerRewrite {
  /** Replace the VNI of every datagram. */
  readonly vni?: number;
  /**
   * XOR this into every inner IP address (IPv4: the first two octets; IPv6: the second 16-bit group),
   * both source and destination, so both directions of a connection map to one new connection and
   * each value gives distinct flows. 0 leaves addresses alone.
   */
  readonly addressXor?: number;
}

/**
 * Rewrites mirror datagrams in place: the VNI, and inner addresses so that replicas of a capture look
 * like distinct flows. IP, TCP, UDP and ICMPv6 checksums are updated incrementally (RFC 1624) where
 * they were captured, so tshark finds them valid. One instance reuses its decoder for every datagram.
 */
export class InnerRewriter {
  private readonly decoder: MirrorDecoder;

  constructor(options: { vxlanPort?: number; genevePort?: number } = {}) {
    this.decoder = new MirrorDecoder(options);
  }

  /** Returns false (datagram untouched) when it does not decode down to VXLAN. */
  rewrite(buf: Buffer, offset: number, length: number, kind: number, rewrite: InnerRewrite): boolean {
    const d = this.decoder;
    const end = offset + length;
    if (kind === ReplayKind.VXLAN) d.decodeVxlanPayload(buf, offset, end);
    else d.decodeGenevePayload(buf, offset, end);
    if (d.stage !== MirrorStage.INNER) return false;
    if (rewrite.vni !== undefined && rewrite.vni !== d.vni) {
      const header = d.vxlan.payloadOffset - 8;
      const old1 = (buf[header + 4] << 8) | buf[header + 5];
      const old2 = (buf[header + 6] << 8) | buf[header + 7];
      buf[header + 4] = (rewrite.vni >>> 16) & 0xff;
      buf[header + 5] = (rewrite.vni >>> 8) & 0xff;
      buf[header + 6] = rewrite.vni & 0xff;
      if (kind === ReplayKind.GENEVE) {
        // The VXLAN header is inside the tunnel's UDP datagram: keep that checksum right too.
        const udpChecksum = d.tunnel.l4Offset + 6;
        if (readU16(buf, udpChecksum) !== 0) {
          adjustChecksum(buf, udpChecksum, old1, (buf[header + 4] << 8) | buf[header + 5]);
          adjustChecksum(buf, udpChecksum, old2, (buf[header + 6] << 8) | buf[header + 7]);
        }
      }
    }
    const xor = (rewrite.addressXor ?? 0) & 0xffff;
    if (xor !== 0 && d.inner.ipVersion !== 0 && d.status !== DecodeStatus.IPV4_TOO_SHORT)
      this.xorAddresses(buf, end, xor);
    return true;
  }

  private xorAddresses(buf: Buffer, end: number, xor: number): void {
    const inner = this.decoder.inner;
    const l3 = inner.l3Offset;
    const v4 = inner.ipVersion === 4;
    // The word changed in each address, and where each checksum covering the addresses sits.
    const words = v4 ? [l3 + 12, l3 + 16] : [l3 + 8 + 2, l3 + 24 + 2];
    const checksums: number[] = [];
    if (v4) checksums.push(l3 + 10);
    const firstFragment = v4 ? inner.ipv4.fragmentOffset === 0 : inner.ipv6.fragmentOffset === 0;
    if (inner.hasPorts && firstFragment) {
      const l4 = inner.l4Offset;
      if (inner.protocol === IpProtocol.TCP) checksums.push(l4 + 16);
      else if (inner.protocol === IpProtocol.UDP && (!v4 || readU16(buf, l4 + 6) !== 0))
        checksums.push(l4 + 6);
      else if (inner.protocol === IpProtocol.ICMPV6) checksums.push(l4 + 2);
    }
    for (const at of words) {
      if (at + 2 > end) continue;
      const old = readU16(buf, at);
      const next = old ^ xor;
      buf[at] = next >>> 8;
      buf[at + 1] = next & 0xff;
      for (const c of checksums) if (c + 2 <= end) adjustChecksum(buf, c, old, next);
    }
  }
}

function readU16(buf: Buffer, at: number): number {
  return (buf[at] << 8) | buf[at + 1];
}
