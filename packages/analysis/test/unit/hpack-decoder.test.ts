// HPACK decoding against the examples of RFC 7541 Appendix C: literal and Huffman strings, the
// dynamic table across the blocks of one connection, and eviction in a 256-byte table.
import { describe, expect, it } from 'vitest';
import { HpackDecoder } from '../../src/dissect/http2/hpack-decoder.ts';

function decode(d: HpackDecoder, hex: string): [string, string][] {
  const buf = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const out: [string, string][] = [];
  d.decode(buf, 0, buf.length, (n, v) => out.push([n, v]));
  return out;
}

const REQUEST_1: [string, string][] = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQUEST_2: [string, string][] = [...REQUEST_1, ['cache-control', 'no-cache']];
const REQUEST_3: [string, string][] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];

describe('HpackDecoder (RFC 7541 Appendix C)', () => {
  it('C.3: requests without Huffman coding, one dynamic table', () => {
    const d = new HpackDecoder();
    expect(decode(d, '828684410f7777772e6578616d706c652e636f6d')).toEqual(REQUEST_1);
    expect(decode(d, '828684be58086e6f2d6361636865')).toEqual(REQUEST_2);
    expect(decode(d, '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565')).toEqual(REQUEST_3);
  });

  it('C.4: requests with Huffman coding', () => {
    const d = new HpackDecoder();
    expect(decode(d, '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')).toEqual(REQUEST_1);
    expect(decode(d, '8286 84be 5886 a8eb 1064 9cbf')).toEqual(REQUEST_2);
    expect(decode(d, '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')).toEqual(REQUEST_3);
  });

  it('C.6: responses with Huffman coding in a 256-byte table (entries evicted)', () => {
    const d = new HpackDecoder(256);
    const first: [string, string][] = [
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['location', 'https://www.example.com'],
    ];
    expect(
      decode(
        d,
        '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
      ),
    ).toEqual(first);
    expect(decode(d, '4883 640e ffc1 c0bf')).toEqual([[':status', '307'], ...first.slice(1)]);
    expect(
      decode(
        d,
        '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      ),
    ).toEqual([
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
      ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'],
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ]);
  });

  it('rejects an index past the table and a block cut inside a string', () => {
    expect(() => decode(new HpackDecoder(), 'ff00')).toThrow(/index/);
    expect(() => decode(new HpackDecoder(), '410f7777')).toThrow(/string/);
  });
});
