import { DecodeStatus } from '../decode-status.js';

export const IPV4_MIN_HEADER_LENGTH = 20;

/**
 * IPv4 header with options. Lengths come from the header, never from the captured size: a mirrored
 * packet cut short by PacketLength keeps its real `totalLength`, and `truncated` says bytes are missing.
 */
export class Ipv4Layer {
  headerLength = 0;
  tos = 0;
  totalLength = 0;
  identification = 0;
  dontFragment = false;
  moreFragments = false;
  /** Fragment offset in bytes. */
  fragmentOffset = 0;
  ttl = 0;
  protocol = 0;
  checksum = 0;
  /** Addresses as unsigned 32-bit numbers. */
  src = 0;
  dst = 0;
  srcOffset = 0;
  payloadOffset = 0;
  /** End of the IP datagram within the captured bytes (Ethernet padding excluded). */
  capturedEnd = 0;
  truncated = false;

  get isFragment(): boolean {
    return this.moreFragments || this.fragmentOffset !== 0;
  }

  /** Payload bytes the header says there are. */
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }

  decode(buf: Uint8Array, off: number, end: number): number {
    if (end - off < IPV4_MIN_HEADER_LENGTH) return DecodeStatus.IPV4_TOO_SHORT;
    const b0 = buf[off];
    if (b0 >>> 4 !== 4) return DecodeStatus.IPV4_BAD_VERSION;
    const headerLength = (b0 & 0x0f) * 4;
    if (headerLength < IPV4_MIN_HEADER_LENGTH) return DecodeStatus.IPV4_BAD_HEADER_LENGTH;
    if (end - off < headerLength) return DecodeStatus.IPV4_TOO_SHORT;
    const totalLength = (buf[off + 2] << 8) | buf[off + 3];
    if (totalLength < headerLength) return DecodeStatus.IPV4_BAD_TOTAL_LENGTH;
    this.headerLength = headerLength;
    this.tos = buf[off + 1];
    this.totalLength = totalLength;
    this.identification = (buf[off + 4] << 8) | buf[off + 5];
    const flagsFrag = (buf[off + 6] << 8) | buf[off + 7];
    this.dontFragment = (flagsFrag & 0x4000) !== 0;
    this.moreFragments = (flagsFrag & 0x2000) !== 0;
    this.fragmentOffset = (flagsFrag & 0x1fff) * 8;
    this.ttl = buf[off + 8];
    this.protocol = buf[off + 9];
    this.checksum = (buf[off + 10] << 8) | buf[off + 11];
    this.srcOffset = off + 12;
    this.src = ((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0;
    this.dst = ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0;
    this.payloadOffset = off + headerLength;
    const datagramEnd = off + totalLength;
    this.truncated = datagramEnd > end;
    this.capturedEnd = this.truncated ? end : datagramEnd;
    return DecodeStatus.OK;
  }
}
