import { BlockList, isIP } from 'node:net';

/**
 * The mirror sources a receiver accepts datagrams from (`--allow-sources CIDR,...`), on Node's own
 * `net.BlockList`. Anyone who can reach the ports could otherwise inject records; a datagram from
 * elsewhere is counted and dropped before it is decoded. Checked once per distinct sender address
 * (SenderAddressCache keeps the answer), never per packet.
 */
export class SourceAllowList {
  private readonly list = new BlockList();
  readonly cidrs: readonly string[];

  /** `cidrs` are validated already (config); a bare address is a /32 or /128. */
  constructor(cidrs: readonly string[]) {
    this.cidrs = cidrs;
    for (const cidr of cidrs) {
      const { address, prefix, family } = parseCidr(cidr);
      this.list.addSubnet(address, prefix, family);
    }
  }

  /** Whether a datagram from `address` (as dgram reports it; `::ffff:a.b.c.d` is IPv4) is accepted. */
  allows(address: string): boolean {
    const v4 = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
    const family = isIP(v4);
    if (family === 0) return false;
    return this.list.check(v4, family === 4 ? 'ipv4' : 'ipv6');
  }
}

export interface ParsedCidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/16`, `2001:db8::/32` or a bare address; throws a TypeError naming what is wrong. */
export function parseCidr(text: string): ParsedCidr {
  const at = text.indexOf('/');
  const address = at < 0 ? text : text.slice(0, at);
  const version = isIP(address);
  if (version === 0) throw new TypeError(`${JSON.stringify(text)} is not an IPv4 or IPv6 address or CIDR`);
  const max = version === 4 ? 32 : 128;
  const prefixText = at < 0 ? String(max) : text.slice(at + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= max))
    throw new TypeError(`${JSON.stringify(text)}: the prefix length must be 0 to ${max}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
