/** IPv4 helpers for CIDR blocks and address allocation inside a subnet. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { base: ipToInt(octets.join('.')), prefix };
}

export function isIpv6Cidr(cidr: string): boolean {
  const [address, prefix] = cidr.split('/');
  return (
    prefix !== undefined &&
    /^\d{1,3}$/.test(prefix) &&
    Number(prefix) <= 128 &&
    /^[0-9a-fA-F:]+$/.test(address) &&
    address.includes(':')
  );
}

/** Number of host addresses in a subnet; AWS reserves the first four and the last. */
export function usableHosts(cidr: string): number {
  const parsed = parseCidr(cidr);
  if (!parsed) return 0;
  return 2 ** (32 - parsed.prefix) - 5;
}

/** The `index`-th usable address (0-based) of a subnet, skipping AWS's reserved .0-.3. */
export function hostAddress(cidr: string, index: number): string {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  return intToIp(parsed.base + 4 + index);
}

export function isInCidr(ip: string, cidr: string): boolean {
  const parsed = parseCidr(cidr);
  if (!parsed) return false;
  const mask = parsed.prefix === 0 ? 0 : (0xffffffff << (32 - parsed.prefix)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === (parsed.base & mask) >>> 0;
}
