import { hash } from 'node:crypto';
import { compareEndpoints } from './endpoint-order.js';
import { IpProtocol } from './layers/ip-protocol.js';

const INPUT_BYTES = 2 + 16 + 16 + 2 + 4;
const input = Buffer.alloc(INPUT_BYTES);

// A flow's Community ID is asked for by each of its records (the flow record, every transaction, an
// interim record), and the SHA-1 behind it cost more than the rest of a record: the last ids are kept
// by their exact input bytes in a direct-mapped cache, so a hit returns the very string the hash gave.
const CACHE_ENTRIES = 1 << 14;
const cachedInput = Buffer.alloc(CACHE_ENTRIES * INPUT_BYTES);
const cachedLength = new Uint8Array(CACHE_ENTRIES);
const cachedId: string[] = new Array<string>(CACHE_ENTRIES).fill('');

function cacheIndex(length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ input[i], 0x01000193);
  h ^= h >>> 15;
  return h & (CACHE_ENTRIES - 1);
}

function cacheHolds(entry: number, length: number): boolean {
  if (cachedLength[entry] !== length) return false;
  const base = entry * INPUT_BYTES;
  for (let i = 0; i < length; i++) if (cachedInput[base + i] !== input[i]) return false;
  return true;
}

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
  const entry = cacheIndex(p);
  if (cacheHolds(entry, p)) return cachedId[entry];
  const id = `1:${hash('sha1', input.subarray(0, p), 'base64')}`;
  input.copy(cachedInput, entry * INPUT_BYTES, 0, p);
  cachedLength[entry] = p;
  cachedId[entry] = id;
  return id;
}
