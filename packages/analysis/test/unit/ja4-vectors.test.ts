// JA4 against the examples published with the FoxIO JA4 specification (technical_details/JA4.md and
// the reference implementation's unit test in rust/ja4/src/tls.rs, FoxIO-LLC/ja4): a ClientHello
// carrying exactly the spec example's ciphers, extensions and signature algorithms (plus GREASE,
// which JA4 must ignore) gives the published fingerprints.
import { describe, expect, it, vi } from 'vitest';
import { type ClientHello, parseClientHello } from '../../src/dissect/tls/hello.js';
import { ja4, ja4Raw } from '../../src/dissect/tls/ja4.js';
import { type TlsHandshake, TlsSession } from '../../src/dissect/tls/tls-session.js';
import { BufferPool } from '../../src/reassembly/buffer-pool.js';

const u16 = (v: number) => [v >> 8, v & 0xff];
const withLen16 = (bytes: number[]) => [...u16(bytes.length), ...bytes];

interface HelloSpec {
  ciphers: number[];
  /** Extension types in order; SNI, ALPN, supported_versions and signature_algorithms get real data. */
  extensions: number[];
  sni?: string;
  alpn?: number[][];
  versions?: number[];
  sigAlgs?: number[];
}

/** Encodes a ClientHello handshake message (handshake header first). */
function clientHello(spec: HelloSpec): Buffer {
  const ext: number[] = [];
  for (const type of spec.extensions) {
    let data: number[] = [];
    if (type === 0x0000) {
      const name = [...Buffer.from(spec.sni ?? 'example.com')];
      data = withLen16([0, ...withLen16(name)]);
    } else if (type === 0x0010) {
      data = withLen16((spec.alpn ?? []).flatMap((p) => [p.length, ...p]));
    } else if (type === 0x002b) {
      const v = (spec.versions ?? []).flatMap(u16);
      data = [v.length, ...v];
    } else if (type === 0x000d) {
      data = withLen16((spec.sigAlgs ?? []).flatMap(u16));
    }
    ext.push(...u16(type), ...withLen16(data));
  }
  const body = [
    ...u16(0x0303), // legacy_version
    ...new Array(32).fill(7), // random
    32,
    ...new Array(32).fill(9), // session id
    ...withLen16(spec.ciphers.flatMap(u16)),
    1,
    0, // compression: null
    ...withLen16(ext),
  ];
  return Buffer.from([1, 0, body.length >> 8, body.length & 0xff, ...body]);
}

const parse = (spec: HelloSpec): ClientHello => {
  const m = clientHello(spec);
  const h = parseClientHello(m, 0, m.length);
  if (h === null) throw new Error('fixture did not parse');
  return h;
};

// The JA4.md example, with GREASE values added where browsers put them.
const SPEC_EXAMPLE: HelloSpec = {
  ciphers: [
    0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
    0x009d, 0x002f, 0x0035,
  ],
  extensions: [
    0x1a1a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
    0xff01, 0x000b, 0x000a, 0x0015, 0x2a2a,
  ],
  sni: 'example.com',
  alpn: [[...Buffer.from('h2')], [...Buffer.from('http/1.1')]],
  versions: [0x3a3a, 0x0304, 0x0303],
  sigAlgs: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
};

describe('JA4 (FoxIO specification examples)', () => {
  it('gives the published JA4 and JA4_r of the specification example', () => {
    const hello = parse(SPEC_EXAMPLE);
    expect(ja4(hello)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(ja4Raw(hello)).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('gives the published JA4_o and JA4_ro (original order, SNI and ALPN kept)', () => {
    const hello = parse(SPEC_EXAMPLE);
    expect(ja4(hello, true)).toBe('t13d1516h2_acb858a92679_18f69afefd3d');
    expect(ja4Raw(hello, true)).toBe(
      't13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('hashes the extension list alone, without underscore, when there are no signature algorithms (6d807ffa2a79)', () => {
    const hello = parse({ ...SPEC_EXAMPLE, sigAlgs: [] });
    expect(ja4(hello).split('_')[2]).toBe('6d807ffa2a79');
  });

  it('uses i without SNI, 00 without ALPN, the legacy version without supported_versions, zeros for empty lists', () => {
    const hello = parse({ ciphers: [], extensions: [0x000a] });
    expect(ja4(hello)).toMatch(/^t12i000100_000000000000_[0-9a-f]{12}$/);
    const bare = parse({ ciphers: [0x002f], extensions: [] });
    expect(ja4(bare)).toBe(`t12i010000_${ja4(bare).split('_')[1]}_000000000000`);
  });

  it('takes first and last ALPN characters, or the hex form when either is not alphanumeric (spec examples)', () => {
    const a = (first: number[]) =>
      ja4(parse({ ciphers: [0x1301], extensions: [0x0010], alpn: [first] })).slice(8, 10);
    expect(a([...Buffer.from('http/1.1')])).toBe('h1');
    expect(a([0xab])).toBe('ab');
    expect(a([0xab, 0xcd])).toBe('ad');
    expect(a([0x30, 0xab])).toBe('3b');
    expect(a([0x30, 0x31, 0xab, 0xcd])).toBe('3d');
    expect(a([0x30, 0xab, 0xcd, 0x31])).toBe('01');
    expect(a([...Buffer.from('x')])).toBe('xx'); // a single character is both first and last
  });
});

describe('ClientHello from TLS records', () => {
  it('never gives a remembered fingerprint to a hello that differs in any field it is made of', async () => {
    const variants: [HelloSpec, boolean][] = [
      [SPEC_EXAMPLE, false],
      [SPEC_EXAMPLE, true],
      [{ ...SPEC_EXAMPLE, ciphers: SPEC_EXAMPLE.ciphers.slice(1).reverse() }, true],
      [{ ...SPEC_EXAMPLE, ciphers: SPEC_EXAMPLE.ciphers.slice(2) }, false],
      [{ ...SPEC_EXAMPLE, extensions: SPEC_EXAMPLE.extensions.filter((e) => e !== 0x0000) }, false],
      [{ ...SPEC_EXAMPLE, sigAlgs: [0x0403] }, false],
      [{ ...SPEC_EXAMPLE, alpn: [[...Buffer.from('http/1.1')]] }, false],
      [{ ...SPEC_EXAMPLE, versions: [0x0303] }, false],
    ];
    // Every variant twice through one module (its memory primed by all of them), each against a module
    // loaded afresh for it, which has remembered nothing.
    const primed = variants.map(([spec, original]) => ja4(parse(spec), original));
    for (const [i, [spec, original]] of variants.entries()) {
      vi.resetModules();
      const fresh = (await import(
        '../../src/dissect/tls/ja4.js'
      )) as typeof import('../../src/dissect/tls/ja4.js');
      expect(fresh.ja4).not.toBe(ja4);
      expect(ja4(parse(spec), original)).toBe(fresh.ja4(parse(spec), original));
      expect(primed[i]).toBe(fresh.ja4(parse(spec), original));
    }
    expect(new Set(primed).size).toBe(variants.length);
  });

  it('reads a hello split across TCP segments and TLS records, and reports at the ServerHello', () => {
    const out: TlsHandshake[] = [];
    const s = new TlsSession((_slot, _dir, hs) => out.push(hs), new BufferPool(1 << 20), 65_536);
    s.begin(1, 0, 100);
    const msg = clientHello(SPEC_EXAMPLE);
    // Two TLS records carry the one handshake message; each record arrives in 7-byte segments.
    const records = [msg.subarray(0, 50), msg.subarray(50)].map((part) =>
      Buffer.concat([Buffer.from([22, 3, 1, part.length >> 8, part.length & 0xff]), part]),
    );
    const stream = Buffer.concat(records);
    for (let off = 0; off < stream.length; off += 7)
      s.data(0, stream, off, Math.min(7, stream.length - off), 110);
    expect(out).toEqual([]);
    // ServerHello choosing TLS 1.3 (supported_versions 0x0304), cipher 0x1301.
    const sh = [
      ...u16(0x0303),
      ...new Array(32).fill(1),
      0,
      ...u16(0x1301),
      0,
      ...withLen16([...u16(0x002b), ...withLen16(u16(0x0304))]),
    ];
    const shMsg = [2, 0, sh.length >> 8, sh.length & 0xff, ...sh];
    s.data(
      1,
      Buffer.from([22, 3, 3, shMsg.length >> 8, shMsg.length & 0xff, ...shMsg]),
      0,
      5 + shMsg.length,
      130,
    );
    expect(
      out.map((h) => [
        h.client.serverName,
        h.client.alpn,
        h.server?.selectedVersion,
        h.server?.cipher,
        h.endMicros - h.startMicros,
      ]),
    ).toEqual([['example.com', ['h2', 'http/1.1'], 0x0304, 0x1301, 30]]);
    expect(ja4(out[0].client)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
  });
});
