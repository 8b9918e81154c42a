import { DecodeStatus } from '../decode-status.js';

export const TCP_MIN_HEADER_LENGTH = 20;

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/**
 * TCP header. Options are located but parsed only on request (`parseOptions`), since the flow path
 * needs ports, sequence numbers and flags only. A header cut by truncation decodes what is there:
 * ports and flags need 14 bytes; `headerComplete` says whether the whole header was captured.
 */
export class TcpLayer {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  headerLength = 0;
  flags = 0;
  window = 0;
  checksum = 0;
  urgentPointer = 0;
  optionsOffset = 0;
  optionsLength = 0;
  headerComplete = false;
  payloadOffset = 0;
  /** Payload bytes according to the IP header. */
  payloadLength = 0;
  /** Payload bytes actually captured (less than `payloadLength` when truncated). */
  capturedPayloadLength = 0;

  // Parsed options (valid after parseOptions(); -1 when absent).
  mss = -1;
  windowScale = -1;
  sackPermitted = false;
  timestampValue = -1;
  timestampEcho = -1;

  /** `segmentLength` is the L4 length from the IP header (IP payload length). */
  decode(buf: Uint8Array, off: number, end: number, segmentLength: number): number {
    this.headerComplete = false;
    if (end - off < 14) {
      // Too little for even ports and flags: the caller treats the packet as truncated at L4.
      if (end - off >= 4) {
        this.srcPort = (buf[off] << 8) | buf[off + 1];
        this.dstPort = (buf[off + 2] << 8) | buf[off + 3];
      }
      this.flags = 0;
      this.headerLength = 0;
      this.payloadLength = 0;
      this.capturedPayloadLength = 0;
      this.payloadOffset = end;
      return DecodeStatus.OK;
    }
    this.srcPort = (buf[off] << 8) | buf[off + 1];
    this.dstPort = (buf[off + 2] << 8) | buf[off + 3];
    this.seq = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    this.ack = ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0;
    const headerLength = (buf[off + 12] >>> 4) * 4;
    if (headerLength < TCP_MIN_HEADER_LENGTH) return DecodeStatus.TCP_BAD_DATA_OFFSET;
    this.headerLength = headerLength;
    this.flags = buf[off + 13];
    if (end - off >= 20) {
      this.window = (buf[off + 14] << 8) | buf[off + 15];
      this.checksum = (buf[off + 16] << 8) | buf[off + 17];
      this.urgentPointer = (buf[off + 18] << 8) | buf[off + 19];
    }
    this.optionsOffset = off + TCP_MIN_HEADER_LENGTH;
    this.optionsLength = headerLength - TCP_MIN_HEADER_LENGTH;
    this.headerComplete = off + headerLength <= end;
    this.payloadOffset = off + headerLength;
    this.payloadLength = segmentLength > headerLength ? segmentLength - headerLength : 0;
    const captured = end - this.payloadOffset;
    this.capturedPayloadLength = captured <= 0 ? 0 : Math.min(captured, this.payloadLength);
    return DecodeStatus.OK;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  /** Parses MSS, window scale, SACK-permitted and timestamps from the captured option bytes. */
  parseOptions(buf: Uint8Array): void {
    this.mss = -1;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.timestampValue = -1;
    this.timestampEcho = -1;
    let p = this.optionsOffset;
    const end = Math.min(this.optionsOffset + this.optionsLength, buf.length);
    while (p < end) {
      const kind = buf[p];
      if (kind === 0) return; // end of option list
      if (kind === 1) {
        p++; // no-op
        continue;
      }
      if (p + 1 >= end) return;
      const length = buf[p + 1];
      if (length < 2 || p + length > end) return;
      if (kind === 2 && length === 4) this.mss = (buf[p + 2] << 8) | buf[p + 3];
      else if (kind === 3 && length === 3) this.windowScale = buf[p + 2];
      else if (kind === 4) this.sackPermitted = true;
      else if (kind === 8 && length === 10) {
        this.timestampValue =
          ((buf[p + 2] << 24) | (buf[p + 3] << 16) | (buf[p + 4] << 8) | buf[p + 5]) >>> 0;
        this.timestampEcho = ((buf[p + 6] << 24) | (buf[p + 7] << 16) | (buf[p + 8] << 8) | buf[p + 9]) >>> 0;
      }
      p += length;
    }
  }
}
