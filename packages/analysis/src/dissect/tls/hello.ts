/** The parts of a TLS ClientHello that records and JA4 use. Values are as sent, GREASE included. */
export interface ClientHello {
  /** `legacy_version` of the hello body (0x0303 for TLS 1.2 and 1.3). */
  legacyVersion: number;
  ciphers: number[];
  /** Extension types in the order sent. */
  extensions: number[];
  serverName: string | null;
  /** ALPN protocol names offered, in order. */
  alpn: string[];
  /** The first ALPN value's bytes (JA4 looks at its first and last byte). */
  firstAlpn: Uint8Array | null;
  supportedVersions: number[];
  signatureAlgorithms: number[];
}

export interface ServerHello {
  legacyVersion: number;
  /** From the supported_versions extension (TLS 1.3), else 0. */
  selectedVersion: number;
  cipher: number;
  alpn: string | null;
}

export const HandshakeType = { CLIENT_HELLO: 1, SERVER_HELLO: 2 } as const;

const EXT_SERVER_NAME = 0x0000;
const EXT_SIGNATURE_ALGORITHMS = 0x000d;
const EXT_ALPN = 0x0010;
const EXT_SUPPORTED_VERSIONS = 0x002b;

/** RFC 8701 GREASE values: 0x?a?a with both bytes equal. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >>> 8 === (v & 0xff);
}

/** A bounds-checked reader over one handshake message; any overrun marks it bad instead of throwing. */
class Cursor {
  bad = false;
  constructor(
    readonly buf: Uint8Array,
    public p: number,
    readonly end: number,
  ) {}
  u8(): number {
    if (this.p + 1 > this.end) return this.fail();
    return this.buf[this.p++];
  }
  u16(): number {
    if (this.p + 2 > this.end) return this.fail();
    const v = (this.buf[this.p] << 8) | this.buf[this.p + 1];
    this.p += 2;
    return v;
  }
  u24(): number {
    if (this.p + 3 > this.end) return this.fail();
    const v = (this.buf[this.p] << 16) | (this.buf[this.p + 1] << 8) | this.buf[this.p + 2];
    this.p += 3;
    return v;
  }
  skip(n: number): void {
    if (this.p + n > this.end) this.fail();
    else this.p += n;
  }
  private fail(): number {
    this.bad = true;
    this.p = this.end;
    return 0;
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/**
 * Parses a ClientHello handshake message (starting at its 4-byte handshake header) in
 * `buf[offset, end)`. Returns null when it is not a ClientHello or is malformed.
 */
export function parseClientHello(buf: Uint8Array, offset: number, end: number): ClientHello | null {
  const c = new Cursor(buf, offset, end);
  if (c.u8() !== HandshakeType.CLIENT_HELLO) return null;
  const length = c.u24();
  if (c.bad || offset + 4 + length > end) return null;
  const bodyEnd = offset + 4 + length;
  const b = new Cursor(buf, c.p, bodyEnd);
  const hello: ClientHello = {
    legacyVersion: b.u16(),
    ciphers: [],
    extensions: [],
    serverName: null,
    alpn: [],
    firstAlpn: null,
    supportedVersions: [],
    signatureAlgorithms: [],
  };
  b.skip(32); // random
  b.skip(b.u8()); // session id
  const cipherBytes = b.u16();
  const ciphersEnd = b.p + cipherBytes;
  if (ciphersEnd > bodyEnd || cipherBytes % 2 !== 0) return null;
  while (b.p < ciphersEnd) hello.ciphers.push(b.u16());
  b.skip(b.u8()); // compression methods
  if (b.bad) return null;
  if (b.p === bodyEnd) return hello; // no extensions at all (old clients)
  const extBytes = b.u16();
  const extsEnd = b.p + extBytes;
  if (extsEnd > bodyEnd) return null;
  while (b.p + 4 <= extsEnd) {
    const type = b.u16();
    const len = b.u16();
    const start = b.p;
    if (start + len > extsEnd) return null;
    hello.extensions.push(type);
    const e = new Cursor(buf, start, start + len);
    switch (type) {
      case EXT_SERVER_NAME: {
        const listEnd = e.p + 2 + e.u16();
        while (!e.bad && e.p + 3 <= listEnd) {
          const nameType = e.u8();
          const nameLen = e.u16();
          if (nameType === 0 && hello.serverName === null && e.p + nameLen <= e.end) {
            hello.serverName = latin1(buf, e.p, e.p + nameLen);
          }
          e.skip(nameLen);
        }
        break;
      }
      case EXT_ALPN: {
        const listEnd = Math.min(e.p + 2 + e.u16(), e.end);
        while (!e.bad && e.p < listEnd) {
          const n = e.u8();
          if (e.p + n > listEnd) break;
          // A copy: `buf` is a pooled buffer that is reused once the hello is parsed.
          if (hello.firstAlpn === null) hello.firstAlpn = new Uint8Array(buf.subarray(e.p, e.p + n));
          hello.alpn.push(latin1(buf, e.p, e.p + n));
          e.skip(n);
        }
        break;
      }
      case EXT_SUPPORTED_VERSIONS: {
        const n = e.u8();
        const listEnd = Math.min(e.p + n, e.end);
        while (!e.bad && e.p + 2 <= listEnd) hello.supportedVersions.push(e.u16());
        break;
      }
      case EXT_SIGNATURE_ALGORITHMS: {
        const listEnd = Math.min(e.p + 2 + e.u16(), e.end);
        while (!e.bad && e.p + 2 <= listEnd) hello.signatureAlgorithms.push(e.u16());
        break;
      }
      default:
        break;
    }
    b.p = start + len;
  }
  return hello;
}

/** Parses a ServerHello handshake message (from its handshake header); null when it is not one. */
export function parseServerHello(buf: Uint8Array, offset: number, end: number): ServerHello | null {
  const c = new Cursor(buf, offset, end);
  if (c.u8() !== HandshakeType.SERVER_HELLO) return null;
  const length = c.u24();
  if (c.bad || offset + 4 + length > end) return null;
  const bodyEnd = offset + 4 + length;
  const b = new Cursor(buf, c.p, bodyEnd);
  const hello: ServerHello = { legacyVersion: b.u16(), selectedVersion: 0, cipher: 0, alpn: null };
  b.skip(32);
  b.skip(b.u8());
  hello.cipher = b.u16();
  b.skip(1); // compression method
  if (b.bad) return null;
  if (b.p + 2 > bodyEnd) return hello;
  const extsEnd = Math.min(b.p + 2 + b.u16(), bodyEnd);
  while (b.p + 4 <= extsEnd) {
    const type = b.u16();
    const len = b.u16();
    const start = b.p;
    if (start + len > extsEnd) break;
    if (type === EXT_SUPPORTED_VERSIONS && len === 2)
      hello.selectedVersion = (buf[start] << 8) | buf[start + 1];
    else if (type === EXT_ALPN && len >= 3) {
      const n = buf[start + 2];
      if (3 + n <= len) hello.alpn = latin1(buf, start + 3, start + 3 + n);
    }
    b.p = start + len;
  }
  return hello;
}

const VERSION_NAMES: Record<number, string> = {
  2: 'SSLv2',
  768: 'SSLv3',
  769: 'TLSv1.0',
  770: 'TLSv1.1',
  771: 'TLSv1.2',
  772: 'TLSv1.3',
  65279: 'DTLSv1.0',
  65277: 'DTLSv1.2',
  65276: 'DTLSv1.3',
};

export function tlsVersionName(version: number): string {
  return VERSION_NAMES[version] ?? `0x${version.toString(16).padStart(4, '0')}`;
}

/** Highest version the client offers: supported_versions when present, else legacy_version. */
export function clientMaxVersion(hello: ClientHello): number {
  if (!hello.extensions.includes(EXT_SUPPORTED_VERSIONS)) return hello.legacyVersion;
  let max = 0;
  for (const v of hello.supportedVersions) if (!isGrease(v) && v > max && v < 0xfe00) max = v;
  // DTLS versions count down: the highest DTLS version is the numerically smallest.
  if (max === 0) {
    let dtls = 0x10000;
    for (const v of hello.supportedVersions) if (!isGrease(v) && v < dtls) dtls = v;
    return dtls === 0x10000 ? hello.legacyVersion : dtls;
  }
  return max;
}
