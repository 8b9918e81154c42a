import { createHash } from 'node:crypto';
import { compareEndpoints } from './endpoint-order.js';
import { IpProtocol } from './layers/ip-protocol.js';

const input = Buffer.alloc(2 + 16 + 16 + 2 + 4);

function writeAddress(
  buf: Buffer,
  off: number,
  words: ArrayLike<number>,
  base: number,
  ipVersion: number,
): number {
  if (ipVersion === 4) {
    buf.writeUInt32BE(words[base + 3] >>> 0, off);
    return off + 4;
  }
  for (let i = 0; i < 4; i++) buf.writeUInt32BE(words[base + i] >>> 0, off + i * 4);
  return off + 16;
}

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec), so records join with Zeek,
 * Suricata and Wireshark. `words` holds source then destination address as four 32-bit words each
 * (IPv4 mapped); for ICMP the ports are the type/counterpart-or-code pair and `oneWay` says the type
 * has no counterpart. Called once per flow record, not per packet.
 */
export function communityIdV1(
  words: ArrayLike<number>,
  ipVersion: number,
  protocol: number,
  srcPort: number,
  dstPort: number,
  oneWay = false,
  seed = 0,
): string {
  let first = 0;
  let second = 4;
  let sport = srcPort;
  let dport = dstPort;
  if (!oneWay && compareEndpoints(words, srcPort, dstPort) > 0) {
    first = 4;
    second = 0;
    sport = dstPort;
    dport = srcPort;
  }
  input.writeUInt16BE(seed, 0);
  let p = writeAddress(input, 2, words, first, ipVersion);
  p = writeAddress(input, p, words, second, ipVersion);
  input[p++] = protocol;
  input[p++] = 0;
  const hasPorts =
    protocol === IpProtocol.TCP ||
    protocol === IpProtocol.UDP ||
    protocol === IpProtocol.SCTP ||
    protocol === IpProtocol.ICMP ||
    protocol === IpProtocol.ICMPV6;
  if (hasPorts) {
    input.writeUInt16BE(sport, p);
    input.writeUInt16BE(dport, p + 2);
    p += 4;
  }
  const digest = createHash('sha1').update(input.subarray(0, p)).digest('base64');
  return `1:${digest}`;
}
