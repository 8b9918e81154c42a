import { DecodeStatus } from '../decode-status.js';
import { IpProtocol } from './ip-protocol.js';

export const IPV6_HEADER_LENGTH = 40;
const MAX_EXTENSION_HEADERS = 16;

/**
 * IPv6 header with its extension headers walked (hop-by-hop, routing, fragment, destination options,
 * AH, mobility, HIP, shim6). `protocol` is the upper-layer protocol after the chain. If the chain runs
 * past the captured bytes of a truncated packet, decoding stops there with `protocol` set to the last
 * next-header seen and `extensionsComplete` false.
 */
export class Ipv6Layer {
  trafficClass = 0;
  flowLabel = 0;
  payloadLength = 0;
  nextHeader = 0;
  hopLimit = 0;
  srcOffset = 0;
  dstOffset = 0;
  protocol = 0;
  payloadOffset = 0;
  extensionsComplete = true;
  hasFragmentHeader = false;
  fragmentOffset = 0;
  moreFragments = false;
  fragmentIdentification = 0;
  capturedEnd = 0;
  truncated = false;

  get isFragment(): boolean {
    return this.hasFragmentHeader && (this.moreFragments || this.fragmentOffset !== 0);
  }

  /** IP-layer length as sent: payload length plus the fixed header. */
  get totalLength(): number {
    return this.payloadLength + IPV6_HEADER_LENGTH;
  }

  decode(buf: Uint8Array, off: number, end: number): number {
    if (end - off < IPV6_HEADER_LENGTH) return DecodeStatus.IPV6_TOO_SHORT;
    const b0 = buf[off];
    if (b0 >>> 4 !== 6) return DecodeStatus.IPV6_BAD_VERSION;
    this.trafficClass = ((b0 & 0x0f) << 4) | (buf[off + 1] >>> 4);
    this.flowLabel = ((buf[off + 1] & 0x0f) << 16) | (buf[off + 2] << 8) | buf[off + 3];
    this.payloadLength = (buf[off + 4] << 8) | buf[off + 5];
    this.nextHeader = buf[off + 6];
    this.hopLimit = buf[off + 7];
    this.srcOffset = off + 8;
    this.dstOffset = off + 24;
    const datagramEnd = off + IPV6_HEADER_LENGTH + this.payloadLength;
    this.truncated = datagramEnd > end;
    this.capturedEnd = this.truncated ? end : datagramEnd;
    this.hasFragmentHeader = false;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentIdentification = 0;
    return this.walkExtensions(buf, off + IPV6_HEADER_LENGTH, datagramEnd);
  }

  private walkExtensions(buf: Uint8Array, p: number, datagramEnd: number): number {
    let next = this.nextHeader;
    const end = this.capturedEnd;
    this.extensionsComplete = true;
    for (let i = 0; i < MAX_EXTENSION_HEADERS; i++) {
      let length: number;
      switch (next) {
        case IpProtocol.HOP_BY_HOP:
        case IpProtocol.ROUTING:
        case IpProtocol.DESTINATION_OPTIONS:
        case IpProtocol.MOBILITY:
        case IpProtocol.HIP:
        case IpProtocol.SHIM6:
          if (p + 2 > end) return this.stopTruncated(next, p);
          length = (buf[p + 1] + 1) * 8;
          break;
        case IpProtocol.AH:
          if (p + 2 > end) return this.stopTruncated(next, p);
          length = (buf[p + 1] + 2) * 4;
          break;
        case IpProtocol.FRAGMENT:
          if (p + 8 > end) return this.stopTruncated(next, p);
          length = 8;
          this.hasFragmentHeader = true;
          this.fragmentOffset = ((buf[p + 2] << 8) | buf[p + 3]) & 0xfff8;
          this.moreFragments = (buf[p + 3] & 1) !== 0;
          this.fragmentIdentification =
            ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
          break;
        default:
          this.protocol = next;
          this.payloadOffset = p;
          return DecodeStatus.OK;
      }
      if (p + length > datagramEnd) return DecodeStatus.IPV6_EXTENSION_OVERRUN;
      next = buf[p];
      p += length;
      // A non-first fragment carries no upper-layer header: stop at the fragment header.
      if (this.fragmentOffset !== 0) {
        this.protocol = next;
        this.payloadOffset = p;
        return DecodeStatus.OK;
      }
    }
    return DecodeStatus.IPV6_EXTENSION_OVERRUN;
  }

  private stopTruncated(next: number, p: number): number {
    this.extensionsComplete = false;
    this.protocol = next;
    this.payloadOffset = p;
    return DecodeStatus.OK;
  }
}
