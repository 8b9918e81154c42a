import { DecodeStatus } from '../decode-status.js';

export const SLL_HEADER_LENGTH = 16;
export const SLL2_HEADER_LENGTH = 20;

/**
 * Linux "cooked" capture headers, what `tcpdump -i any` writes: SLL (link type 113) and SLL2 (276).
 * Only the protocol (an EtherType) and the packet type matter to us.
 */
export class LinuxCookedLayer {
  /** 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 outgoing. */
  packetType = 0;
  etherType = 0;
  interfaceIndex = 0;
  payloadOffset = 0;

  decodeSll(buf: Uint8Array, off: number, end: number): number {
    if (end - off < SLL_HEADER_LENGTH) return DecodeStatus.LINK_TOO_SHORT;
    this.packetType = (buf[off] << 8) | buf[off + 1];
    this.etherType = (buf[off + 14] << 8) | buf[off + 15];
    this.interfaceIndex = 0;
    this.payloadOffset = off + SLL_HEADER_LENGTH;
    return DecodeStatus.OK;
  }

  decodeSll2(buf: Uint8Array, off: number, end: number): number {
    if (end - off < SLL2_HEADER_LENGTH) return DecodeStatus.LINK_TOO_SHORT;
    this.etherType = (buf[off] << 8) | buf[off + 1];
    this.interfaceIndex =
      ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    this.packetType = buf[off + 10];
    this.payloadOffset = off + SLL2_HEADER_LENGTH;
    return DecodeStatus.OK;
  }
}
