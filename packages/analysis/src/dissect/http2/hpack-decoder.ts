import { HUFFMAN_BITS, HUFFMAN_CODES } from './hpack-huffman.js';

// HPACK (RFC 7541), decoding only. The analysis package loads nothing but wire and Node's built-ins,
// Node does not expose its nghttp2 HPACK, and the npm candidate (hpack.js 2.1.6) is unmaintained
// since 2016 and stream-shaped; a passive decoder is small, and the RFC's Appendix C vectors test it.

/** RFC 7541 Appendix A. Index 1..61. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/**
 * The Huffman code as a binary tree in flat arrays: node n's children are `child[2n]` (bit 0) and
 * `child[2n + 1]` (bit 1); a leaf is stored as -(symbol + 1).
 */
const child = new Int32Array(2 * 512).fill(0);
{
  let nodes = 1;
  for (let sym = 0; sym < 257; sym++) {
    const code = HUFFMAN_CODES[sym];
    const bits = HUFFMAN_BITS[sym];
    let n = 0;
    for (let b = bits - 1; b >= 0; b--) {
      const bit = Math.floor(code / 2 ** b) & 1;
      const at = 2 * n + bit;
      if (b === 0) child[at] = -(sym + 1);
      else {
        if (child[at] <= 0) child[at] = nodes++;
        n = child[at];
      }
    }
  }
}

const latin1 = new TextDecoder('latin1');

/** A header block that does not decode (the compression context is then lost for good). */
export class HpackError extends Error {}

/**
 * One direction's HPACK decoding context: the dynamic table, shared by every header block the peer
 * sends on the connection, in order. A block that fails to decode (or a gap in the stream) leaves the
 * table unknown: the caller must stop decoding that direction.
 */
export class HpackDecoder {
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  /** Size in RFC 7541 §4.1 terms (32 + name + value lengths per entry). */
  private size = 0;
  private maxSize: number;
  private p = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private end = 0;

  /** `maxSize`: the table size the decoder's side allowed (SETTINGS_HEADER_TABLE_SIZE, 4096 unless set). */
  constructor(maxSize = 4096) {
    this.maxSize = maxSize;
  }

  /** Decodes one complete header block; calls `field` for each header field in order. */
  decode(buf: Uint8Array, start: number, end: number, field: (name: string, value: string) => void): void {
    this.buf = buf;
    this.p = start;
    this.end = end;
    while (this.p < end) {
      const b = buf[this.p];
      if ((b & 0x80) !== 0) {
        const [name, value] = this.entry(this.integer(7));
        field(name, value);
      } else if ((b & 0xc0) === 0x40) {
        const index = this.integer(6);
        const name = index === 0 ? this.string() : this.entry(index)[0];
        const value = this.string();
        this.insert(name, value);
        field(name, value);
      } else if ((b & 0xe0) === 0x20) {
        const size = this.integer(5);
        if (size > 65_536) throw new HpackError(`table size update to ${size}`);
        this.maxSize = size;
        this.evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001): not added to the table.
        const index = this.integer(4);
        const name = index === 0 ? this.string() : this.entry(index)[0];
        field(name, this.string());
      }
    }
  }

  private entry(index: number): readonly [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const d = index - STATIC_TABLE.length - 1;
    if (index === 0 || d >= this.names.length) throw new HpackError(`index ${index} is not in the table`);
    return [this.names[d], this.values[d]];
  }

  private insert(name: string, value: string): void {
    const size = 32 + name.length + value.length;
    this.evict(size);
    if (size > this.maxSize) return; // larger than the table: it empties it and is not kept (§4.4)
    this.names.unshift(name);
    this.values.unshift(value);
    this.size += size;
  }

  /** Evicts the oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.names.length > 0 && this.size + room > this.maxSize) {
      const name = this.names.pop() as string;
      const value = this.values.pop() as string;
      this.size -= 32 + name.length + value.length;
    }
  }

  /** An integer with an `prefix`-bit prefix (RFC 7541 §5.1). */
  private integer(prefix: number): number {
    const max = (1 << prefix) - 1;
    if (this.p >= this.end) throw new HpackError('header block ends inside an integer');
    let value = this.buf[this.p++] & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.p >= this.end) throw new HpackError('header block ends inside an integer');
      const b = this.buf[this.p++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return value;
      if (shift > 28) throw new HpackError('integer too large');
    }
  }

  /** A string literal, raw or Huffman-coded (RFC 7541 §5.2). Header text is taken as Latin-1. */
  private string(): string {
    if (this.p >= this.end) throw new HpackError('header block ends before a string');
    const huffman = (this.buf[this.p] & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.p;
    const end = start + length;
    if (end > this.end) throw new HpackError('string runs past the header block');
    this.p = end;
    return huffman ? huffmanDecode(this.buf, start, end) : latin1.decode(this.buf.subarray(start, end));
  }
}

/** Decodes Huffman-coded bytes (RFC 7541 §5.2: padding is at most 7 one bits). */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  let n = 0;
  let depth = 0;
  let ones = true;
  for (let i = start; i < end; i++) {
    const byte = buf[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = child[2 * n + bit];
      ones = ones && bit === 1;
      depth++;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === 256) throw new HpackError('EOS in a Huffman string');
        out += String.fromCharCode(sym);
        n = 0;
        depth = 0;
        ones = true;
      } else if (next === 0) throw new HpackError('invalid Huffman code');
      else n = next;
    }
  }
  if (depth > 7 || !ones) throw new HpackError('invalid Huffman padding');
  return out;
}
