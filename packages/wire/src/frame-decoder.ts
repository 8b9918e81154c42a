import { LinkType } from './capture/link-type.js';
import { DecodeStatus } from './decode-status.js';
import { icmpPorts } from './icmp-ports.js';
import { EtherType } from './layers/ether-type.js';
import { EthernetLayer } from './layers/ethernet.js';
import { IcmpLayer } from './layers/icmp.js';
import { IpProtocol } from './layers/ip-protocol.js';
import { Ipv4Layer } from './layers/ipv4.js';
import { Ipv6Layer } from './layers/ipv6.js';
import { LinuxCookedLayer } from './layers/linux-cooked.js';
import { TcpLayer } from './layers/tcp.js';
import { UdpLayer } from './layers/udp.js';

/**
 * Decodes one frame from its link layer down to the transport header, gopacket-style: a fixed set of
 * layer objects is reused for every packet and fields are read in place from the buffer, so decoding
 * allocates nothing. After `decode`, the summary fields below describe the packet; layer objects hold
 * the detail. One instance per decoding context (outer, GENEVE payload, inner).
 */
export class FrameDecoder {
  readonly ethernet = new EthernetLayer();
  readonly cooked = new LinuxCookedLayer();
  readonly ipv4 = new Ipv4Layer();
  readonly ipv6 = new Ipv6Layer();
  readonly tcp = new TcpLayer();
  readonly udp = new UdpLayer();
  readonly icmp = new IcmpLayer();

  status = 0;
  /** EtherType of the network layer (0 when the link type carries raw IP). */
  etherType = 0;
  isArp = false;
  /** 4 or 6 when an IP header decoded, else 0. */
  ipVersion = 0;
  l3Offset = 0;
  /** IP-layer length as sent, from the headers: IPv4 total length, IPv6 payload length + 40. */
  ipLength = 0;
  protocol = 0;
  isFragment = false;
  /** True when the transport header (ports) was decoded. */
  hasPorts = false;
  srcPort = 0;
  dstPort = 0;
  /** ICMP type without a counterpart (Community ID "one-way"). */
  icmpOneWay = false;
  l4Offset = 0;
  /** Some bytes the headers announce were not captured. */
  truncated = false;
  /** Source then destination address as four 32-bit words each (IPv4 as ::ffff:a.b.c.d). */
  readonly addressWords = new Uint32Array(8);

  private readonly icmpScratch = new Int32Array(3);

  decode(buf: Uint8Array, off: number, end: number, linkType: number): number {
    this.reset();
    let etherType: number;
    let l3: number;
    switch (linkType) {
      case LinkType.ETHERNET: {
        const s = this.ethernet.decode(buf, off, end);
        if (s !== DecodeStatus.OK) return this.finish(s);
        etherType = this.ethernet.etherType;
        l3 = this.ethernet.payloadOffset;
        break;
      }
      case LinkType.LINUX_SLL:
      case LinkType.LINUX_SLL2: {
        const s =
          linkType === LinkType.LINUX_SLL
            ? this.cooked.decodeSll(buf, off, end)
            : this.cooked.decodeSll2(buf, off, end);
        if (s !== DecodeStatus.OK) return this.finish(s);
        etherType = this.cooked.etherType;
        l3 = this.cooked.payloadOffset;
        break;
      }
      case LinkType.RAW:
        if (end <= off) return this.finish(DecodeStatus.LINK_TOO_SHORT);
        etherType = buf[off] >>> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
        l3 = off;
        break;
      case LinkType.IPV4:
        etherType = EtherType.IPV4;
        l3 = off;
        break;
      case LinkType.IPV6:
        etherType = EtherType.IPV6;
        l3 = off;
        break;
      default:
        return this.finish(DecodeStatus.UNSUPPORTED_LINK_TYPE);
    }
    this.etherType = etherType;
    this.l3Offset = l3;
    if (etherType === EtherType.IPV4) return this.finish(this.decodeIpv4(buf, l3, end));
    if (etherType === EtherType.IPV6) return this.finish(this.decodeIpv6(buf, l3, end));
    if (etherType === EtherType.ARP) this.isArp = true;
    return this.finish(DecodeStatus.NOT_IP);
  }

  /** Decodes a packet that starts at its IP header. */
  decodeIp(buf: Uint8Array, off: number, end: number): number {
    return this.decode(buf, off, end, LinkType.RAW);
  }

  private decodeIpv4(buf: Uint8Array, off: number, end: number): number {
    const ip = this.ipv4;
    const s = ip.decode(buf, off, end);
    if (s !== DecodeStatus.OK) return s;
    this.ipVersion = 4;
    this.ipLength = ip.totalLength;
    this.protocol = ip.protocol;
    this.isFragment = ip.isFragment;
    this.truncated = ip.truncated;
    const w = this.addressWords;
    w[0] = 0;
    w[1] = 0;
    w[2] = 0xffff;
    w[3] = ip.src;
    w[4] = 0;
    w[5] = 0;
    w[6] = 0xffff;
    w[7] = ip.dst;
    if (ip.fragmentOffset !== 0) return DecodeStatus.OK; // no transport header in later fragments
    return this.decodeTransport(buf, ip.payloadOffset, ip.capturedEnd, ip.payloadLength);
  }

  private decodeIpv6(buf: Uint8Array, off: number, end: number): number {
    const ip = this.ipv6;
    const s = ip.decode(buf, off, end);
    if (s !== DecodeStatus.OK) return s;
    this.ipVersion = 6;
    this.ipLength = ip.totalLength;
    this.protocol = ip.protocol;
    this.isFragment = ip.isFragment;
    this.truncated = ip.truncated;
    const w = this.addressWords;
    for (let i = 0; i < 4; i++) {
      const a = ip.srcOffset + i * 4;
      const b = ip.dstOffset + i * 4;
      w[i] = ((buf[a] << 24) | (buf[a + 1] << 16) | (buf[a + 2] << 8) | buf[a + 3]) >>> 0;
      w[4 + i] = ((buf[b] << 24) | (buf[b + 1] << 16) | (buf[b + 2] << 8) | buf[b + 3]) >>> 0;
    }
    if (!ip.extensionsComplete || ip.fragmentOffset !== 0) return DecodeStatus.OK;
    const l4Length = off + 40 + ip.payloadLength - ip.payloadOffset;
    return this.decodeTransport(buf, ip.payloadOffset, ip.capturedEnd, l4Length);
  }

  private decodeTransport(buf: Uint8Array, off: number, end: number, segmentLength: number): number {
    this.l4Offset = off;
    switch (this.protocol) {
      case IpProtocol.TCP: {
        const s = this.tcp.decode(buf, off, end, segmentLength);
        if (s !== DecodeStatus.OK) return s;
        if (end - off >= 4) this.setPorts(this.tcp.srcPort, this.tcp.dstPort);
        return s;
      }
      case IpProtocol.UDP: {
        // A first fragment carries the header of the whole datagram: its length field exceeds the
        // fragment, which is normal, so the check against the IP payload is skipped.
        const s = this.udp.decode(buf, off, end, this.isFragment ? 0xffff : segmentLength);
        if (s !== DecodeStatus.OK) return s;
        if (end - off >= 4) this.setPorts(this.udp.srcPort, this.udp.dstPort);
        return s;
      }
      case IpProtocol.ICMP:
      case IpProtocol.ICMPV6: {
        this.icmp.decode(buf, off, end);
        if (end - off >= 2) {
          const scratch = this.icmpScratch;
          icmpPorts(this.protocol, this.icmp.type, this.icmp.code, scratch);
          this.setPorts(scratch[0], scratch[1]);
          this.icmpOneWay = scratch[2] === 1;
        }
        return DecodeStatus.OK;
      }
      default:
        return DecodeStatus.OK;
    }
  }

  private setPorts(src: number, dst: number): void {
    this.hasPorts = true;
    this.srcPort = src;
    this.dstPort = dst;
  }

  private reset(): void {
    this.etherType = 0;
    this.isArp = false;
    this.ipVersion = 0;
    this.ipLength = 0;
    this.protocol = 0;
    this.isFragment = false;
    this.hasPorts = false;
    this.srcPort = 0;
    this.dstPort = 0;
    this.icmpOneWay = false;
    this.truncated = false;
  }

  private finish(status: number): number {
    this.status = status;
    return status;
  }
}
