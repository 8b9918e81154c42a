import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../src/ip-format.js';

describe('address formatting', () => {
  it('round-trips IPv4, IPv6 and normalises IPv4-mapped IPv6', () => {
    const w = new Uint32Array(4);
    for (const [text, version, back] of [
      ['10.1.2.3', 4, '10.1.2.3'],
      ['::ffff:10.1.2.3', 4, '10.1.2.3'],
      ['fd00::1', 6, 'fd00::1'],
      ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
      ['::', 6, '::'],
      ['fe80::1%eth0', 6, 'fe80::1'],
    ] as const) {
      expect(parseAddress(text, w)).toBe(version);
      expect(formatAddress(w, 0, version)).toBe(back);
    }
    expect(parseAddress('not-an-ip', w)).toBe(0);
    expect(parseAddress('1.2.3.256', w)).toBe(0);
  });
});
