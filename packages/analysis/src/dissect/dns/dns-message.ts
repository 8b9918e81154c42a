import { formatAddress } from '@fargate-mirror/wire';

export interface DnsAnswer {
  name: string;
  type: number;
  ttl: number;
  /** Presentation form of the data (address, name, text), or null for types not rendered. */
  data: string | null;
}

/** A DNS message's header (with its section counts), first question and answer section. */
export interface DnsMessage {
  id: number;
  isResponse: boolean;
  opcode: number;
  rcode: number;
  /**
   * The TC flag: the message was cut to fit the transport (a UDP answer too large), so the answer is
   * incomplete and the client is expected to ask again over TCP.
   */
  truncated: boolean;
  questionName: string | null;
  questionType: number;
  answers: DnsAnswer[];
  /** Entries of the answer, authority and additional sections, as the header counts them (ANCOUNT, NSCOUNT, ARCOUNT). */
  answerCount: number;
  authorityCount: number;
  additionalCount: number;
  /** The answer section was cut (truncated capture): what is listed is what fitted. */
  answersIncomplete: boolean;
}

const MAX_POINTER_HOPS = 64;
const words = new Uint32Array(8);

/**
 * Reads a domain name at `offset` (compression pointers followed, loops refused). Returns the name
 * and where the name ends in place (after its first pointer, if any); null when malformed.
 */
function readName(buf: Uint8Array, start: number, end: number, offset: number): [string, number] | null {
  let p = offset;
  let after = -1;
  let hops = 0;
  let name = '';
  let length = 0;
  for (;;) {
    if (p >= end) return null;
    const len = buf[p];
    if (len === 0) {
      p++;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= end || ++hops > MAX_POINTER_HOPS) return null;
      const target = start + (((len & 0x3f) << 8) | buf[p + 1]);
      if (after < 0) after = p + 2;
      p = target;
      continue;
    }
    if ((len & 0xc0) !== 0 || p + 1 + len > end) return null;
    length += len + 1;
    if (length > 255) return null;
    if (name !== '') name += '.';
    for (let i = p + 1; i <= p + len; i++) {
      const c = buf[i];
      // Presentation format (RFC 1035 §5.1): escape dots, backslashes and unprintable bytes.
      if (c === 0x2e || c === 0x5c) name += `\\${String.fromCharCode(c)}`;
      else if (c > 0x20 && c < 0x7f) name += String.fromCharCode(c);
      else name += `\\${String(c).padStart(3, '0')}`;
    }
    p += 1 + len;
  }
  return [name === '' ? '.' : name, after >= 0 ? after : p];
}

function renderData(buf: Uint8Array, start: number, end: number, type: number, p: number, len: number) {
  switch (type) {
    case 1: // A
      return len === 4 ? `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}` : null;
    case 28: // AAAA
      if (len !== 16) return null;
      for (let i = 0; i < 4; i++) {
        const o = p + i * 4;
        words[i] = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
      }
      return formatAddress(words, 0, 6);
    case 2: // NS
    case 5: // CNAME
    case 12: // PTR
    case 39: // DNAME
      return readName(buf, start, end, p)?.[0] ?? null;
    case 15: // MX: preference, exchange
      return len > 2 ? (readName(buf, start, end, p + 2)?.[0] ?? null) : null;
    case 33: {
      // SRV: priority weight port target
      if (len < 7) return null;
      const target = readName(buf, start, end, p + 6)?.[0];
      if (target === undefined) return null;
      const u16 = (o: number) => (buf[o] << 8) | buf[o + 1];
      return `${u16(p)} ${u16(p + 2)} ${u16(p + 4)} ${target}`;
    }
    case 16: {
      // TXT: one or more character strings, in presentation form as dig prints them (each quoted,
      // `"` and `\` escaped, separated by a space), so where one string ends stays visible.
      const strings: string[] = [];
      let q = p;
      while (q < p + len) {
        const n = buf[q];
        if (q + 1 + n > p + len) return null;
        let s = '';
        for (let i = q + 1; i <= q + n; i++) {
          const c = buf[i];
          s += c === 0x22 || c === 0x5c ? `\\${String.fromCharCode(c)}` : String.fromCharCode(c);
        }
        strings.push(`"${s}"`);
        q += 1 + n;
      }
      return strings.join(' ');
    }
    case 6: // SOA: the primary name server
      return readName(buf, start, end, p)?.[0] ?? null;
    default:
      return null;
  }
}

/** Parses the DNS message in `buf[start, end)`; null when it is not a plausible DNS message. */
export function parseDnsMessage(buf: Uint8Array, start: number, end: number): DnsMessage | null {
  if (end - start < 12) return null;
  const u16 = (o: number) => (buf[o] << 8) | buf[o + 1];
  const flags = u16(start + 2);
  const qd = u16(start + 4);
  const an = u16(start + 6);
  const msg: DnsMessage = {
    id: u16(start),
    isResponse: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0,
    questionName: null,
    questionType: 0,
    answers: [],
    answerCount: an,
    authorityCount: u16(start + 8),
    additionalCount: u16(start + 10),
    answersIncomplete: false,
  };
  if (msg.opcode > 6 || qd > 64) return null;
  let p = start + 12;
  for (let i = 0; i < qd; i++) {
    const name = readName(buf, start, end, p);
    if (name === null || name[1] + 4 > end) {
      // A query must have a readable question; a cut response still has its header.
      if (i === 0 && !msg.isResponse) return null;
      msg.answersIncomplete = an > 0;
      return msg;
    }
    if (i === 0) {
      msg.questionName = name[0];
      msg.questionType = u16(name[1]);
    }
    p = name[1] + 4;
  }
  for (let i = 0; i < an; i++) {
    const name = readName(buf, start, end, p);
    if (name === null || name[1] + 10 > end) {
      msg.answersIncomplete = true;
      break;
    }
    const q = name[1];
    const type = u16(q);
    const ttl = ((buf[q + 4] << 24) | (buf[q + 5] << 16) | (buf[q + 6] << 8) | buf[q + 7]) >>> 0;
    const len = u16(q + 8);
    if (q + 10 + len > end) {
      msg.answersIncomplete = true;
      break;
    }
    msg.answers.push({ name: name[0], type, ttl, data: renderData(buf, start, end, type, q + 10, len) });
    p = q + 10 + len;
  }
  return msg;
}

/** Classes a real question asks for: IN, CH, HS, ANY. */
const QUESTION_CLASSES = new Set([1, 3, 4, 255]);

/**
 * Whether a UDP payload on a port not known for DNS is a DNS message all the same (DNS on any port is
 * recognised by content, as HTTP is). Strict, so other UDP protocols are not taken for DNS: a standard
 * query or its response (opcode 0, Z bit clear), exactly one question whose name reads cleanly and
 * whose class is a real one, plausible section counts, and for a query nothing after the question but
 * at most one additional record (EDNS). Allocates only what parsing the name does.
 */
export function looksLikeDnsMessage(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 17) return false;
  const u16 = (o: number) => (buf[o] << 8) | buf[o + 1];
  const flags = u16(start + 2);
  const isResponse = (flags & 0x8000) !== 0;
  if (((flags >>> 11) & 0xf) !== 0 || (flags & 0x0040) !== 0) return false;
  if (!isResponse && (flags & 0x000f) !== 0) return false;
  const qd = u16(start + 4);
  const an = u16(start + 6);
  const ns = u16(start + 8);
  const ar = u16(start + 10);
  if (qd !== 1 || an > 100 || ns > 100 || ar > 100) return false;
  if (!isResponse && (an !== 0 || ns !== 0 || ar > 1)) return false;
  const name = readName(buf, start, end, start + 12);
  if (name === null || name[1] + 4 > end) return false;
  const qtype = u16(name[1]);
  if (qtype === 0 || !QUESTION_CLASSES.has(u16(name[1] + 2))) return false;
  const afterQuestion = name[1] + 4;
  // A query without additional records ends with its question; a response with no records must too.
  if (ar === 0 && an === 0 && ns === 0) return afterQuestion === end;
  return afterQuestion + 11 <= end;
}
