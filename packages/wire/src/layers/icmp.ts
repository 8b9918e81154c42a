/**
 * ICMP and ICMPv6 share the fields flows need: type and code (Community ID maps them to "ports"),
 * and for echo messages the identifier.
 */
export class IcmpLayer {
  type = 0;
  code = 0;
  identifier = 0;
  headerComplete = false;

  decode(buf: Uint8Array, off: number, end: number): number {
    this.headerComplete = end - off >= 8;
    this.type = end - off >= 1 ? buf[off] : 0;
    this.code = end - off >= 2 ? buf[off + 1] : 0;
    this.identifier = this.headerComplete ? (buf[off + 4] << 8) | buf[off + 5] : 0;
    return 0;
  }
}
