// Just enough DNS (RFC 1035) for the demo's resolver: read one question, write an answer with A
// records, NOERROR without answers, or NXDOMAIN.

export interface DnsQuestion {
  readonly id: number;
  /** Lower case, without the trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly recursionDesired: boolean;
  /** The question section as sent (name, type, class), echoed in the answer. */
  readonly questionBytes: Buffer;
}

export const DNS_TYPE_A = 1;
const HEADER = 12;

/** The first question of a query, or undefined for anything else (responses, garbage). */
export function parseDnsQuery(msg: Buffer): DnsQuestion | undefined {
  if (msg.length < HEADER + 5) return undefined;
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) !== 0 || msg.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let off = HEADER;
  for (;;) {
    if (off >= msg.length) return undefined;
    const length = msg[off];
    if (length === 0) break;
    if (length > 63 || off + 1 + length > msg.length) return undefined; // no compression in questions
    labels.push(msg.toString('latin1', off + 1, off + 1 + length));
    off += 1 + length;
  }
  off += 1;
  if (off + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0),
    name: labels.join('.').toLowerCase(),
    type: msg.readUInt16BE(off),
    recursionDesired: (flags & 0x0100) !== 0,
    questionBytes: msg.subarray(HEADER, off + 4),
  };
}

/** The answer: `addresses` as A records (TTL `ttl`), or NXDOMAIN when `exists` is false. */
export function buildDnsResponse(
  q: DnsQuestion,
  exists: boolean,
  addresses: readonly string[],
  ttl: number,
): Buffer {
  const answers = exists && q.type === DNS_TYPE_A ? addresses : [];
  const buf = Buffer.alloc(HEADER + q.questionBytes.length + answers.length * 16);
  buf.writeUInt16BE(q.id, 0);
  // QR, AA, RD as asked, RA; RCODE 0 or 3 (NXDOMAIN).
  buf.writeUInt16BE(0x8480 | (q.recursionDesired ? 0x0100 : 0) | (exists ? 0 : 3), 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(answers.length, 6);
  q.questionBytes.copy(buf, HEADER);
  let off = HEADER + q.questionBytes.length;
  for (const ip of answers) {
    buf.writeUInt16BE(0xc00c, off); // pointer to the question's name
    buf.writeUInt16BE(DNS_TYPE_A, off + 2);
    buf.writeUInt16BE(1, off + 4); // IN
    buf.writeUInt32BE(ttl, off + 6);
    buf.writeUInt16BE(4, off + 10);
    const parts = ip.split('.').map(Number);
    for (let i = 0; i < 4; i++) buf[off + 12 + i] = parts[i];
    off += 16;
  }
  return buf;
}
