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
