/** Text of `buf[start, end)`; protocol heads are decoded once per transaction, never per packet. */
export function text(buf: Uint8Array, start: number, end: number): string {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.toString('utf8', start, end);
}

/** Whether `buf[start, end)` equals `lower` ignoring ASCII case (`lower` must be lower-case ASCII). */
export function equalsIgnoreCase(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = buf[start + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether `buf` at `offset` starts with ASCII `prefix` (exact case). */
export function startsWith(buf: Uint8Array, offset: number, end: number, prefix: string): boolean {
  if (end - offset < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[offset + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

// Header values (host, user agent, content type, method) repeat across requests: a small table of
// recent strings keyed by a hash of their bytes saves decoding and allocating them again.
const INTERN_SLOTS = 4096;
const internHashes = new Int32Array(INTERN_SLOTS);
const internStrings: (string | undefined)[] = new Array(INTERN_SLOTS).fill(undefined);

/** `text(buf, start, end)`, reusing an earlier equal string for short ASCII values. */
export function internText(buf: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > 128) return text(buf, start, end);
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c >= 0x80) return text(buf, start, end); // non-ASCII: decode as UTF-8 every time
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const known = internStrings[slot];
  if (known !== undefined && internHashes[slot] === h && known.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (known.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const s = text(buf, start, end);
  internHashes[slot] = h;
  internStrings[slot] = s;
  return s;
}
