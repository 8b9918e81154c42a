import { describe, expect, it } from 'vitest';
import { looksLikeDnsMessage, parseDnsMessage } from '../../src/dissect/dns/dns-message.js';
import { DnsSession, type DnsTransaction } from '../../src/dissect/dns/dns-session.js';
import { BufferPool } from '../../src/reassembly/buffer-pool.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+|#[^\n]*/g, ''), 'hex');

// Query id 0x1234, RD, one question: api.svc.local A IN.
const QUERY = hex(`
  1234 0100 0001 0000 0000 0000   # id, flags RD, QD=1 AN=0 NS=0 AR=0
  03 617069 03 737663 05 6c6f63616c 00   # 3"api" 3"svc" 5"local" root (offset 12)
  0001 0001                        # type A, class IN
`);

// Its response: a CNAME to www.svc.local, then the A record of www (both with compression pointers).
const RESPONSE = hex(`
  1234 8180 0001 0002 0000 0000   # QR RD RA NOERROR, QD=1 AN=2
  03 617069 03 737663 05 6c6f63616c 00 0001 0001
  c00c 0005 0001 0000003c 0006 03 777777 c010   # api.svc.local CNAME www + ptr to "svc.local" (offset 16)
  c02b 0001 0001 0000003c 0004 0a4d090a         # ptr to www.svc.local (offset 43): A 10.77.9.10
`);

const NXDOMAIN = hex(`
  beef 8183 0001 0000 0001 0000   # NXDOMAIN, one authority record (not an answer)
  07 6d697373696e67 03 737663 05 6c6f63616c 00 0001 0001
  c014 0006 0001 0000003c 0002 c014              # SOA (truncated rdata: only what the parser reads)
`);

const AAAA = hex(`
  0007 8180 0001 0001 0000 0000
  03 617069 03 737663 05 6c6f63616c 00 001c 0001
  c00c 001c 0001 0000003c 0010 fd000077000900000000000000000010
`);

describe('parseDnsMessage', () => {
  it('reads the question of a query', () => {
    const m = parseDnsMessage(QUERY, 0, QUERY.length);
    expect(m).toMatchObject({
      id: 0x1234,
      isResponse: false,
      questionName: 'api.svc.local',
      questionType: 1,
    });
  });

  it('reads answers through compression pointers: CNAME then A', () => {
    const m = parseDnsMessage(RESPONSE, 0, RESPONSE.length)!;
    expect(m.rcode).toBe(0);
    expect(m.answers.map((a) => [a.name, a.type, a.ttl, a.data])).toEqual([
      ['api.svc.local', 5, 60, 'www.svc.local'],
      ['www.svc.local', 1, 60, '10.77.9.10'],
    ]);
  });

  it('reads NXDOMAIN with no answers (authority records are not answers)', () => {
    const m = parseDnsMessage(NXDOMAIN, 0, NXDOMAIN.length)!;
    expect([m.rcode, m.questionName, m.answers]).toEqual([3, 'missing.svc.local', []]);
  });

  it('keeps the section counts of the header (ANCOUNT, NSCOUNT, ARCOUNT), even of a cut message', () => {
    const counts = (m: ReturnType<typeof parseDnsMessage>) => [
      m?.answerCount,
      m?.authorityCount,
      m?.additionalCount,
    ];
    expect(counts(parseDnsMessage(NXDOMAIN, 0, NXDOMAIN.length))).toEqual([0, 1, 0]);
    expect(counts(parseDnsMessage(RESPONSE, 0, RESPONSE.length))).toEqual([2, 0, 0]);
    // 0 answers 3 authority 5 additional, the sections themselves cut off after the question.
    const header = hex('0042 8180 0001 0000 0003 0005 03 617069 00 0001 0001');
    expect(counts(parseDnsMessage(header, 0, header.length))).toEqual([0, 3, 5]);
    expect(counts(parseDnsMessage(RESPONSE, 0, 50))).toEqual([2, 0, 0]);
  });

  it('prints AAAA answers in RFC 5952 form', () => {
    expect(parseDnsMessage(AAAA, 0, AAAA.length)!.answers[0].data).toBe('fd00:77:9::10');
  });

  it('refuses pointer loops and says when a cut response lost answers', () => {
    const loop = hex('0001 0100 0001 0000 0000 0000 c00c 0001 0001');
    expect(parseDnsMessage(loop, 0, loop.length)).toBeNull();
    // 12 header + 19 question + 18 first answer = 49 bytes: the second answer is cut.
    const cut = parseDnsMessage(RESPONSE, 0, 50)!;
    expect([cut.questionName, cut.answers.length, cut.answersIncomplete]).toEqual(['api.svc.local', 1, true]);
    expect(parseDnsMessage(RESPONSE, 0, 11)).toBeNull();
  });
});

// A truncated UDP answer (TC set) with a TXT record of two character strings, one holding a quote.
const TXT_TC = hex(`
  0042 8380 0001 0001 0000 0000   # QR AA TC RD RA NOERROR, QD=1 AN=1
  03 747874 03 737663 05 6c6f63616c 00 0010 0001   # txt.svc.local TXT IN
  c00c 0010 0001 0000003c 000a 03 616263 05 642265 6667   # 3"abc" 5'd"efg'
`);

describe('DNS flags and TXT', () => {
  it('reports the TC flag of a truncated answer', () => {
    expect(parseDnsMessage(TXT_TC, 0, TXT_TC.length)?.truncated).toBe(true);
    expect(parseDnsMessage(RESPONSE, 0, RESPONSE.length)?.truncated).toBe(false);
  });

  it('keeps the character strings of a TXT record apart, as dig prints them', () => {
    expect(parseDnsMessage(TXT_TC, 0, TXT_TC.length)?.answers[0].data).toBe('"abc" "d\\"efg"');
  });
});

describe('looksLikeDnsMessage (DNS on any port)', () => {
  it('recognises queries and responses', () => {
    for (const m of [QUERY, RESPONSE, NXDOMAIN, AAAA, TXT_TC])
      expect(looksLikeDnsMessage(m, 0, m.length)).toBe(true);
  });

  it('refuses other UDP payloads', () => {
    const others = [
      Buffer.alloc(64), // zeros: no question
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from('c3000000010810', 'hex'), // a QUIC long header
      Buffer.concat([QUERY, Buffer.from('extra bytes')]), // a query with trailing garbage
      hex('1234 0100 0002 0000 0000 0000 03 617069 00 0001 0001 03 617069 00 0001 0001'), // two questions
      hex('1234 2800 0001 0000 0000 0000 03 617069 00 0001 0001'), // opcode 5 (UPDATE)
      hex('1234 0100 0001 0000 0000 0000 03 617069 00 0001 0009'), // class 9
    ];
    for (const m of others) expect(looksLikeDnsMessage(m, 0, m.length)).toBe(false);
  });
});

describe('DnsSession', () => {
  const collect = () => {
    const out: DnsTransaction[] = [];
    const s = new DnsSession((_slot, tx) => out.push(tx), new BufferPool(1 << 20));
    return { s, out };
  };

  it('pairs a response with its query by id, with the latency between them', () => {
    const { s, out } = collect();
    s.begin(3, 'udp');
    s.message(0, QUERY, 0, QUERY.length, 1_000);
    s.message(1, RESPONSE, 0, RESPONSE.length, 1_750);
    expect(
      out.map((t) => [t.query?.id, t.response?.rcode, t.responseMicros - t.queryMicros, t.clientDir]),
    ).toEqual([[0x1234, 0, 750, 0]]);
  });

  it('pairs a response that arrived before its query, and drops a duplicate datagram', () => {
    const { s, out } = collect();
    s.begin(3, 'udp');
    s.message(1, RESPONSE, 0, RESPONSE.length, 1_000);
    s.message(1, RESPONSE, 0, RESPONSE.length, 1_001); // the same datagram from a second mirror point
    s.message(0, QUERY, 0, QUERY.length, 1_100);
    expect(s.duplicates).toBe(1);
    s.finish();
    expect(out.map((t) => [t.query !== null, t.response !== null, t.clientDir])).toEqual([[true, true, 0]]);
  });

  it('frames DNS over TCP (two-byte length prefix), split anywhere', () => {
    const { s, out } = collect();
    s.begin(4, 'tcp');
    const framed = (m: Buffer) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
    const q = framed(QUERY);
    const r = framed(RESPONSE);
    for (let i = 0; i < q.length; i++) s.data(0, q, i, 1, 10);
    s.data(1, r, 0, 7, 20);
    s.data(1, r, 7, r.length - 7, 21);
    expect(out.map((t) => [t.transport, t.query?.questionName, t.response?.answers.length])).toEqual([
      ['tcp', 'api.svc.local', 2],
    ]);
  });

  it('reports a query without answer when the flow ends', () => {
    const { s, out } = collect();
    s.begin(5, 'udp');
    s.message(0, QUERY, 0, QUERY.length, 1);
    expect(out).toEqual([]);
    s.finish();
    expect(out.map((t) => [t.query?.questionName, t.response])).toEqual([['api.svc.local', null]]);
  });
});
