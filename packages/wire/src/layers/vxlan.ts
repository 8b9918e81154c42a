import { DecodeStatus } from '../decode-status.js';

export const VXLAN_HEADER_LENGTH = 8;
export const VXLAN_PORT = 4789;
const FLAG_I = 0x08;

/**
 * VXLAN header (RFC 7348): flags(1) reserved(3) VNI(3) reserved(1). The I flag must be set for the VNI
 * to be valid; every other bit is reserved and tolerated (some senders set them, Suricata learned this).
 */
export class VxlanLayer {
  flags = 0;
  vni = 0;
  payloadOffset = 0;

  decode(buf: Uint8Array, off: number, end: number): number {
    if (end - off < VXLAN_HEADER_LENGTH) return DecodeStatus.VXLAN_TOO_SHORT;
    this.flags = buf[off];
    if ((this.flags & FLAG_I) === 0) return DecodeStatus.VXLAN_NO_VNI_FLAG;
    this.vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
    this.payloadOffset = off + VXLAN_HEADER_LENGTH;
    return DecodeStatus.OK;
  }
}

/** Writes a VXLAN header with the I flag and `vni` at `off`; returns the offset after it. */
export function encodeVxlanHeader(buf: Uint8Array, off: number, vni: number): number {
  buf[off] = FLAG_I;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = (vni >>> 16) & 0xff;
  buf[off + 5] = (vni >>> 8) & 0xff;
  buf[off + 6] = vni & 0xff;
  buf[off + 7] = 0;
  return off + VXLAN_HEADER_LENGTH;
}
