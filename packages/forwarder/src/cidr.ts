import { parseAddress } from '@fargate-mirror/wire';

/** A parsed CIDR block, matched against FrameDecoder.addressWords without allocating. */
export interface Cidr {
  readonly ipVersion: 4 | 6;
  /** Network address as four words (IPv4 as ::ffff:a.b.c.d), host bits cleared. */
  readonly words: Uint32Array;
  /** Prefix length counted in the 128-bit form (IPv4 /n is 96 + n). */
  readonly prefix128: number;
  readonly text: string;
}

/** Parses `a.b.c.d/n` or `x:y::z/n`; returns an error message instead of throwing. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `'${text}' is not a CIDR block (address/prefix)`;
  const prefixText = text.slice(slash + 1);
  const words = new Uint32Array(4);
  const version = parseAddress(text.slice(0, slash), words);
  if (version === 0) return `'${text}' is not a CIDR block: bad address`;
  const max = version === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
    return `'${text}' is not a CIDR block: prefix must be 0-${max}`;
  }
  const prefix128 = version === 4 ? 96 + prefix : prefix;
  for (let i = 0; i < 4; i++) words[i] = (words[i] & wordMask(prefix128, i)) >>> 0;
  return { ipVersion: version as 4 | 6, words, prefix128, text };
}

function wordMask(prefix128: number, wordIndex: number): number {
  const bits = prefix128 - wordIndex * 32;
  if (bits >= 32) return 0xffff_ffff;
  if (bits <= 0) return 0;
  return (0xffff_ffff << (32 - bits)) >>> 0;
}

/** True when the address at words[base..base+3] of IP version `ipVersion` lies in `cidr`. */
export function cidrContains(cidr: Cidr, ipVersion: number, words: Uint32Array, base: number): boolean {
  if (cidr.ipVersion !== ipVersion) return false;
  const p = cidr.prefix128;
  for (let i = 0; i < 4; i++) {
    const mask = wordMask(p, i);
    if (mask === 0) return true;
    if ((words[base + i] & mask) >>> 0 !== cidr.words[i]) return false;
  }
  return true;
}
