import { describe, expect, it } from 'vitest';
import { communityIdV1 } from '../../src/community-id.js';
import { parseAddress } from '../../src/ip-format.js';

function words(src: string, dst: string): Uint32Array {
  const w = new Uint32Array(8);
  const v = parseAddress(src, w, 0);
  parseAddress(dst, w, 4);
  return Object.assign(w, { version: v });
}

// Vectors from Zeek's community_id_v1 test suite (testing/btest/bifs/community_id).
describe('communityIdV1', () => {
  it('matches the published TCP and UDP vectors', () => {
    expect(communityIdV1(words('1.2.3.4', '5.6.7.8'), 4, 6, 1122, 3344)).toBe(
      '1:wCb3OG7yAFWelaUydu0D+125CLM=',
    );
    expect(communityIdV1(words('1.2.3.4', '5.6.7.8'), 4, 17, 1122, 3344)).toBe(
      '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=',
    );
  });

  it('is the same for both directions', () => {
    const a = communityIdV1(words('10.0.0.1', '127.0.0.1'), 4, 6, 1234, 80);
    const b = communityIdV1(words('127.0.0.1', '10.0.0.1'), 4, 6, 80, 1234);
    expect(a).toBe(b);
  });
});
