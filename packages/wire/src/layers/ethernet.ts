import { DecodeStatus } from '../decode-status.js';
import { isVlanTag } from './ether-type.js';

export const ETHERNET_HEADER_LENGTH = 14;
const MAX_VLAN_TAGS = 4;

/**
 * Ethernet II with any number (up to four) of 802.1Q / 802.1ad (QinQ) tags walked. `etherType` is the
 * type after the last tag; `outerVlanId`/`innerVlanId` keep the first two VLAN ids (-1 when absent).
 */
export class EthernetLayer {
  dstOffset = 0;
  srcOffset = 0;
  etherType = 0;
  vlanCount = 0;
  outerVlanId = -1;
  innerVlanId = -1;
  payloadOffset = 0;

  decode(buf: Uint8Array, off: number, end: number): number {
    if (end - off < ETHERNET_HEADER_LENGTH) return DecodeStatus.LINK_TOO_SHORT;
    this.dstOffset = off;
    this.srcOffset = off + 6;
    let p = off + 12;
    let type = (buf[p] << 8) | buf[p + 1];
    this.vlanCount = 0;
    this.outerVlanId = -1;
    this.innerVlanId = -1;
    while (isVlanTag(type)) {
      if (p + 6 > end || this.vlanCount === MAX_VLAN_TAGS) return DecodeStatus.VLAN_TOO_SHORT;
      const vid = ((buf[p + 2] << 8) | buf[p + 3]) & 0x0fff;
      if (this.vlanCount === 0) this.outerVlanId = vid;
      else if (this.vlanCount === 1) this.innerVlanId = vid;
      this.vlanCount++;
      p += 4;
      type = (buf[p] << 8) | buf[p + 1];
    }
    this.etherType = type;
    this.payloadOffset = p + 2;
    return DecodeStatus.OK;
  }
}

/** Writes an Ethernet II header; MAC addresses are copied from `macs` (12 bytes: dst then src). */
export function encodeEthernetHeader(
  buf: Uint8Array,
  off: number,
  macs: Uint8Array,
  macsOffset: number,
  etherType: number,
): number {
  for (let i = 0; i < 12; i++) buf[off + i] = macs[macsOffset + i];
  buf[off + 12] = etherType >>> 8;
  buf[off + 13] = etherType & 0xff;
  return off + ETHERNET_HEADER_LENGTH;
}
