import { DecodeStatus } from '../decode-status.js';

export const GENEVE_PORT = 6081;
export const GENEVE_BASE_LENGTH = 8;

/** Protocol types a Geneve header may carry (RFC 8926 uses EtherType values). */
export const GeneveProtocol = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  TRANSPARENT_ETHERNET: 0x6558,
} as const;

/**
 * Geneve header (RFC 8926): Ver(2) OptLen(6) O(1) C(1) Rsvd(6) ProtocolType(16) VNI(24) Rsvd(8), then
 * OptLen*4 bytes of TLV options. A Gateway Load Balancer endpoint sends Geneve whose payload is the
 * mirror's own IP/UDP/VXLAN packet (protocol 0x0800 or 0x86DD).
 */
export class GeneveLayer {
  version = 0;
  optionsLength = 0;
  oam = false;
  critical = false;
  protocolType = 0;
  vni = 0;
  optionsOffset = 0;
  payloadOffset = 0;

  decode(buf: Uint8Array, off: number, end: number): number {
    if (end - off < GENEVE_BASE_LENGTH) return DecodeStatus.GENEVE_TOO_SHORT;
    const b0 = buf[off];
    this.version = b0 >>> 6;
    if (this.version !== 0) return DecodeStatus.GENEVE_BAD_VERSION;
    this.optionsLength = (b0 & 0x3f) * 4;
    this.oam = (buf[off + 1] & 0x80) !== 0;
    this.critical = (buf[off + 1] & 0x40) !== 0;
    this.protocolType = (buf[off + 2] << 8) | buf[off + 3];
    this.vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
    this.optionsOffset = off + GENEVE_BASE_LENGTH;
    this.payloadOffset = this.optionsOffset + this.optionsLength;
    if (this.payloadOffset > end) return DecodeStatus.GENEVE_OPTIONS_OVERRUN;
    return DecodeStatus.OK;
  }

  /**
   * Calls `visit(optionClass, type, dataOffset, dataLength)` for each TLV option. Not on the hot path:
   * options are walked only by callers that want them (e.g. the GWLB flow cookie).
   */
  forEachOption(
    buf: Uint8Array,
    visit: (optionClass: number, type: number, dataOffset: number, dataLength: number) => void,
  ): void {
    let p = this.optionsOffset;
    const end = this.payloadOffset;
    while (p + 4 <= end) {
      const optionClass = (buf[p] << 8) | buf[p + 1];
      const type = buf[p + 2];
      const dataLength = (buf[p + 3] & 0x1f) * 4;
      if (p + 4 + dataLength > end) return;
      visit(optionClass, type, p + 4, dataLength);
      p += 4 + dataLength;
    }
  }
}
