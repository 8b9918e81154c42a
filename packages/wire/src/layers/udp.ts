import { DecodeStatus } from '../decode-status.js';

export const UDP_HEADER_LENGTH = 8;

export class UdpLayer {
  srcPort = 0;
  dstPort = 0;
  length = 0;
  checksum = 0;
  headerComplete = false;
  payloadOffset = 0;
  payloadLength = 0;
  capturedPayloadLength = 0;

  /** `segmentLength` is the L4 length from the IP header; the UDP length field must agree with it. */
  decode(buf: Uint8Array, off: number, end: number, segmentLength: number): number {
    this.headerComplete = end - off >= UDP_HEADER_LENGTH;
    if (end - off < 4) {
      this.payloadLength = 0;
      this.capturedPayloadLength = 0;
      this.payloadOffset = end;
      return DecodeStatus.OK;
    }
    this.srcPort = (buf[off] << 8) | buf[off + 1];
    this.dstPort = (buf[off + 2] << 8) | buf[off + 3];
    if (!this.headerComplete) {
      this.length = segmentLength;
      this.payloadLength = segmentLength > UDP_HEADER_LENGTH ? segmentLength - UDP_HEADER_LENGTH : 0;
      this.capturedPayloadLength = 0;
      this.payloadOffset = end;
      return DecodeStatus.OK;
    }
    this.length = (buf[off + 4] << 8) | buf[off + 5];
    this.checksum = (buf[off + 6] << 8) | buf[off + 7];
    // Length 0 is legal for IPv6 jumbograms only; otherwise the field must fit the IP payload.
    if (this.length < UDP_HEADER_LENGTH || this.length > segmentLength) return DecodeStatus.UDP_BAD_LENGTH;
    this.payloadOffset = off + UDP_HEADER_LENGTH;
    this.payloadLength = this.length - UDP_HEADER_LENGTH;
    const captured = end - this.payloadOffset;
    this.capturedPayloadLength = Math.min(captured, this.payloadLength);
    return DecodeStatus.OK;
  }
}

/** Writes a UDP header (checksum 0, as VXLAN over IPv4 allows); returns the offset after it. */
export function encodeUdpHeader(
  buf: Uint8Array,
  off: number,
  srcPort: number,
  dstPort: number,
  payloadLength: number,
): number {
  const length = payloadLength + UDP_HEADER_LENGTH;
  buf[off] = srcPort >>> 8;
  buf[off + 1] = srcPort & 0xff;
  buf[off + 2] = dstPort >>> 8;
  buf[off + 3] = dstPort & 0xff;
  buf[off + 4] = length >>> 8;
  buf[off + 5] = length & 0xff;
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  return off + UDP_HEADER_LENGTH;
}
