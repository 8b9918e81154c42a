import { createHash } from 'node:crypto';
import { type ClientHello, clientMaxVersion, isGrease } from './hello.js';

/** JA4 transport letter: TLS over TCP, QUIC, DTLS. */
export type Ja4Transport = 't' | 'q' | 'd';

const JA4_VERSIONS: Record<number, string> = {
  772: '13',
  771: '12',
  770: '11',
  769: '10',
  768: 's3',
  2: 's2',
  65279: 'd1',
  65277: 'd2',
  65276: 'd3',
};

const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const NO_VALUES = '000000000000';

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function isAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** First and last character of the first ALPN value; its hex form when either end is not alphanumeric. */
function alpnChars(first: Uint8Array | null): string {
  if (first === null || first.length === 0) return '00';
  const a = first[0];
  const z = first[first.length - 1];
  if (isAlphanumeric(a) && isAlphanumeric(z)) return String.fromCharCode(a) + String.fromCharCode(z);
  const hex = Buffer.from(first).toString('hex');
  return hex[0] + hex[hex.length - 1];
}

function hash12(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12);
}

/** The three JA4 sections before hashing (the JA4_r / JA4_ro raw forms). */
export interface Ja4Parts {
  a: string;
  ciphers: string;
  /** Extensions, then `_` and the signature algorithms when there are any. */
  extensions: string;
  extensionCount: number;
}

/**
 * JA4 sections per the FoxIO JA4 specification: GREASE ignored everywhere; sorted lists (SNI and
 * ALPN left out of the extension list) unless `originalOrder` (JA4_o: order as sent, SNI and ALPN in).
 */
export function ja4Parts(hello: ClientHello, originalOrder = false, transport: Ja4Transport = 't'): Ja4Parts {
  const ciphers = hello.ciphers.filter((c) => !isGrease(c));
  const extensions = hello.extensions.filter((e) => !isGrease(e));
  const version = JA4_VERSIONS[clientMaxVersion(hello)] ?? '00';
  const sni = extensions.includes(EXT_SERVER_NAME) ? 'd' : 'i';
  const count = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
  const a = `${transport}${version}${sni}${count(ciphers.length)}${count(extensions.length)}${alpnChars(hello.firstAlpn)}`;
  let cipherList = ciphers;
  let extList = extensions;
  if (!originalOrder) {
    cipherList = [...ciphers].sort((x, y) => x - y);
    extList = extensions.filter((e) => e !== EXT_SERVER_NAME && e !== EXT_ALPN).sort((x, y) => x - y);
  }
  const sigs = hello.signatureAlgorithms.filter((s) => !isGrease(s)).map(hex4);
  const extText = extList.map(hex4).join(',');
  return {
    a,
    ciphers: cipherList.map(hex4).join(','),
    extensions: sigs.length > 0 ? `${extText}_${sigs.join(',')}` : extText,
    extensionCount: extList.length,
  };
}

/** Fingerprints by the hello fields they are made of; cleared when full. */
const ja4Cache = new Map<string, string>();
const JA4_CACHE_ENTRIES = 4096;

/**
 * The JA4 fingerprint, e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1` (JA4_o with `originalOrder`).
 * Remembered by the fields it depends on: one client library sends the same hello shape on every
 * connection, and filtering, sorting, hex and two SHA-256s cost several microseconds a record.
 */
export function ja4(hello: ClientHello, originalOrder = false, transport: Ja4Transport = 't'): string {
  const key = `${transport}${originalOrder ? 'o' : ''}|${hello.legacyVersion}|${hello.supportedVersions}|${hello.ciphers}|${hello.extensions}|${hello.signatureAlgorithms}|${alpnChars(hello.firstAlpn)}`;
  const known = ja4Cache.get(key);
  if (known !== undefined) return known;
  const p = ja4Parts(hello, originalOrder, transport);
  const b = p.ciphers === '' ? NO_VALUES : hash12(p.ciphers);
  const c = p.extensionCount === 0 ? NO_VALUES : hash12(p.extensions);
  const fingerprint = `${p.a}_${b}_${c}`;
  if (ja4Cache.size >= JA4_CACHE_ENTRIES) ja4Cache.clear();
  ja4Cache.set(key, fingerprint);
  return fingerprint;
}

/** JA4_r (or JA4_ro with `originalOrder`): the same sections unhashed. */
export function ja4Raw(hello: ClientHello, originalOrder = false, transport: Ja4Transport = 't'): string {
  const p = ja4Parts(hello, originalOrder, transport);
  return `${p.a}_${p.ciphers}_${p.extensions}`;
}
