import { equalsIgnoreCase, internText, startsWith, text } from '../bytes.js';

/** What a record needs from an HTTP/1.x message head (request or status line plus header fields). */
export interface HttpHead {
  isRequest: boolean;
  method: string | null;
  /** Request target as sent (origin-form, absolute-form, authority-form or `*`). */
  target: string | null;
  /** Status code of a response, else 0. */
  status: number;
  /** `1.1`, `1.0`. */
  version: string;
  host: string | null;
  userAgent: string | null;
  contentType: string | null;
  /** -1 when absent or invalid. */
  contentLength: number;
  chunked: boolean;
  /** `Connection: close` (or HTTP/1.0 without keep-alive): the connection ends after this message. */
  close: boolean;
  /** `Upgrade: h2c` (cleartext HTTP/2 asked for, or agreed to in a 101). */
  upgradeH2c: boolean;
  /** Header fields chosen for records (lower-case name -> raw value), or null when none are chosen. */
  headers: Record<string, string> | null;
  /** Framing that request smuggling relies on (HttpAnomaly bits); 0 for a clean message. */
  anomalies: number;
}

/**
 * Message framing two parsers may read differently, which request smuggling (desync) relies on
 * (RFC 9112 §6.3; Zeek raises a weird for each). The message is still read as before; the record
 * says so.
 */
export const HttpAnomaly = {
  /** Content-Length and Transfer-Encoding both present. */
  CONTENT_LENGTH_WITH_TRANSFER_ENCODING: 1,
  /** Content-Length given twice with the same value. */
  DUPLICATE_CONTENT_LENGTH: 2,
  /** Content-Length given twice with different values. */
  CONFLICTING_CONTENT_LENGTH: 4,
  /** Content-Length that is not a decimal number. */
  INVALID_CONTENT_LENGTH: 8,
  /** Transfer-Encoding whose final coding is not chunked. */
  TRANSFER_ENCODING_NOT_CHUNKED: 16,
} as const;

const ANOMALY_NAMES: readonly [number, string][] = [
  [HttpAnomaly.CONTENT_LENGTH_WITH_TRANSFER_ENCODING, 'content_length_with_transfer_encoding'],
  [HttpAnomaly.DUPLICATE_CONTENT_LENGTH, 'duplicate_content_length'],
  [HttpAnomaly.CONFLICTING_CONTENT_LENGTH, 'conflicting_content_length'],
  [HttpAnomaly.INVALID_CONTENT_LENGTH, 'invalid_content_length'],
  [HttpAnomaly.TRANSFER_ENCODING_NOT_CHUNKED, 'transfer_encoding_not_chunked'],
];

/** The names of the anomaly bits in `bits`, each after `prefix` (`request_`, `response_`). */
export function httpAnomalyNames(bits: number, prefix: string): string[] {
  const out: string[] = [];
  for (const [bit, name] of ANOMALY_NAMES) if ((bits & bit) !== 0) out.push(prefix + name);
  return out;
}

// Request methods recognised when deciding whether a stream is HTTP (any port). The registry has more;
// these are the ones seen on service traffic.
const METHODS = [
  'GET',
  'POST',
  'PUT',
  'HEAD',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'CONNECT',
  'TRACE',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'REPORT',
  'SEARCH',
  'PURGE',
];

/** Whether bytes at `offset` begin an HTTP/1.x request: a known method, a space, a target. */
export function looksLikeRequest(buf: Uint8Array, offset: number, end: number): boolean {
  const first = buf[offset];
  for (const m of METHODS) {
    if (m.charCodeAt(0) !== first) continue;
    if (startsWith(buf, offset, end, m) && end - offset > m.length && buf[offset + m.length] === 0x20)
      return true;
  }
  return false;
}

/** Whether bytes at `offset` begin an HTTP/1.x response (`HTTP/1.`). */
export function looksLikeResponse(buf: Uint8Array, offset: number, end: number): boolean {
  return startsWith(buf, offset, end, 'HTTP/1.');
}

/**
 * Parses the head in `buf[start, end)`. A head cut short (mirror truncation, a lost segment) is
 * parsed as far as its complete lines go; a final partial line is ignored.
 * Returns null when not even the first line is complete and well formed.
 */
export function parseHttpHead(
  buf: Uint8Array,
  start: number,
  end: number,
  capture: ReadonlySet<string> | null,
): HttpHead | null {
  let lineEnd = indexOfNewline(buf, start, end);
  if (lineEnd < 0) return null;
  const head: HttpHead = {
    isRequest: false,
    method: null,
    target: null,
    status: 0,
    version: '',
    host: null,
    userAgent: null,
    contentType: null,
    contentLength: -1,
    chunked: false,
    close: false,
    upgradeH2c: false,
    headers: null,
    anomalies: 0,
  };
  let contentLengths = 0;
  let transferEncoding = false;
  if (!parseFirstLine(buf, start, trimCr(buf, start, lineEnd), head)) return null;
  let keepAlive = false;
  let p = lineEnd + 1;
  for (;;) {
    lineEnd = indexOfNewline(buf, p, end);
    if (lineEnd < 0) break; // the rest is a partial line (or nothing)
    const e = trimCr(buf, p, lineEnd);
    if (e === p) break; // the empty line that ends the head
    const colon = indexOfByte(buf, p, e, 0x3a);
    if (colon > p) {
      let vs = colon + 1;
      while (vs < e && (buf[vs] === 0x20 || buf[vs] === 0x09)) vs++;
      let ve = e;
      while (ve > vs && (buf[ve - 1] === 0x20 || buf[ve - 1] === 0x09)) ve--;
      const ne = colon;
      if (equalsIgnoreCase(buf, p, ne, 'host')) head.host = internText(buf, vs, ve);
      else if (equalsIgnoreCase(buf, p, ne, 'user-agent')) head.userAgent = internText(buf, vs, ve);
      else if (equalsIgnoreCase(buf, p, ne, 'content-type')) head.contentType = internText(buf, vs, ve);
      else if (equalsIgnoreCase(buf, p, ne, 'content-length')) {
        const length = parseDecimal(buf, vs, ve);
        if (length < 0) head.anomalies |= HttpAnomaly.INVALID_CONTENT_LENGTH;
        if (contentLengths++ > 0) {
          head.anomalies |=
            length === head.contentLength
              ? HttpAnomaly.DUPLICATE_CONTENT_LENGTH
              : HttpAnomaly.CONFLICTING_CONTENT_LENGTH;
        }
        head.contentLength = length;
      } else if (equalsIgnoreCase(buf, p, ne, 'transfer-encoding')) {
        // chunked must be the final coding; anything else means read-until-close for a response.
        transferEncoding = true;
        head.chunked = endsWithIgnoreCase(buf, vs, ve, 'chunked');
        if (!head.chunked) head.anomalies |= HttpAnomaly.TRANSFER_ENCODING_NOT_CHUNKED;
      } else if (equalsIgnoreCase(buf, p, ne, 'upgrade')) {
        if (equalsIgnoreCase(buf, vs, ve, 'h2c')) head.upgradeH2c = true;
      } else if (equalsIgnoreCase(buf, p, ne, 'connection')) {
        if (containsIgnoreCase(buf, vs, ve, 'close')) head.close = true;
        if (containsIgnoreCase(buf, vs, ve, 'keep-alive')) keepAlive = true;
      }
      if (capture !== null) {
        const name = text(buf, p, ne).toLowerCase();
        if (capture.has(name)) {
          if (head.headers === null) head.headers = {};
          const value = text(buf, vs, ve);
          head.headers[name] = name in head.headers ? `${head.headers[name]}, ${value}` : value;
        }
      }
    }
    p = lineEnd + 1;
  }
  if (head.version === '1.0' && !keepAlive) head.close = true;
  if (contentLengths > 0 && transferEncoding)
    head.anomalies |= HttpAnomaly.CONTENT_LENGTH_WITH_TRANSFER_ENCODING;
  return head;
}

function parseFirstLine(buf: Uint8Array, start: number, end: number, head: HttpHead): boolean {
  if (looksLikeResponse(buf, start, end)) {
    // HTTP/1.1 200 OK
    if (end - start < 12 || buf[start + 8] !== 0x20) return false;
    const status = parseDecimal(buf, start + 9, start + 12);
    if (status < 100 || status > 999) return false;
    head.version = internText(buf, start + 5, start + 8);
    head.status = status;
    return true;
  }
  const sp1 = indexOfByte(buf, start, end, 0x20);
  if (sp1 <= start) return false;
  let sp2 = end - 1;
  while (sp2 > sp1 && buf[sp2] !== 0x20) sp2--;
  if (sp2 <= sp1 + 1 || !startsWith(buf, sp2 + 1, end, 'HTTP/1.')) return false;
  head.isRequest = true;
  head.method = internText(buf, start, sp1);
  head.target = text(buf, sp1 + 1, sp2);
  head.version = internText(buf, sp2 + 6, end);
  return true;
}

export function indexOfNewline(buf: Uint8Array, from: number, end: number): number {
  return indexOfByte(buf, from, end, 0x0a);
}

function indexOfByte(buf: Uint8Array, from: number, end: number, byte: number): number {
  for (let i = from; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

function trimCr(buf: Uint8Array, start: number, lineEnd: number): number {
  return lineEnd > start && buf[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd;
}

function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function endsWithIgnoreCase(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  return end - start >= lower.length && equalsIgnoreCase(buf, end - lower.length, end, lower);
}

function containsIgnoreCase(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  for (let i = start; i + lower.length <= end; i++)
    if (equalsIgnoreCase(buf, i, i + lower.length, lower)) return true;
  return false;
}
