// --allow-sources on Node's net.BlockList: IPv4 and IPv6 CIDRs and bare addresses; a dual-stack
// socket's ::ffff:a.b.c.d is the IPv4 sender it is.
import { describe, expect, it } from 'vitest';
import { parseCidr, SourceAllowList } from '../../src/live/source-allow-list.js';

describe('SourceAllowList', () => {
  const list = new SourceAllowList(['10.0.0.0/16', '192.0.2.7', '2001:db8:1::/48']);

  it('accepts senders inside the CIDRs, IPv4-mapped ones too', () => {
    for (const a of [
      '10.0.0.1',
      '10.0.255.254',
      '::ffff:10.0.3.4',
      '192.0.2.7',
      '2001:db8:1::9',
      '2001:db8:1:ffff::1',
    ])
      expect(list.allows(a), a).toBe(true);
  });

  it('refuses everything else, unparseable senders included', () => {
    for (const a of [
      '10.1.0.1',
      '192.0.2.8',
      '::ffff:10.1.0.1',
      '2001:db8:2::1',
      '::1',
      '127.0.0.1',
      'garbage',
      '',
    ])
      expect(list.allows(a), a).toBe(false);
  });

  it('parses CIDRs and names what is wrong', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('fd00::1')).toEqual({ address: 'fd00::1', prefix: 128, family: 'ipv6' });
    expect(() => parseCidr('10.0.0.0/')).toThrow(/prefix length must be 0 to 32/);
    expect(() => parseCidr('10.0.0.0/08x')).toThrow(/prefix length/);
    expect(() => parseCidr('10.0.0/8')).toThrow(/not an IPv4 or IPv6 address or CIDR/);
  });
});
