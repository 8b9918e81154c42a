// Hand-built frames for the unit tests: IPv4/IPv6 TCP and UDP packets of any size (offload
// super-frames included), written byte by byte here so that the code under test is checked against
// an independent construction - and against tshark, which reads what the forwarder produces.
import { writeFileSync } from 'node:fs';
import type { DatagramSink } from '../../src/datagram-sink.ts';

export interface PacketSpec {
  v6?: boolean;
  protocol: 'tcp' | 'udp';
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  payload: Uint8Array;
  /** TCP only. */
  seq?: number;
  flags?: number;
  /** TCP options bytes (length a multiple of 4). */
  tcpOptions?: Uint8Array;
  ipId?: number;
}

const V4 = { src: '10.79.0.2', dst: '10.79.0.1' };
const V6 = { src: 'fd00:79::2', dst: 'fd00:79::1' };

function v4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function v6Bytes(a: string): number[] {
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** The IP packet (no link header). Checksums are left 0, as checksum offload leaves them unfinished. */
export function ipPacket(spec: PacketSpec): Buffer {
  const tcp = spec.protocol === 'tcp';
  const options = spec.tcpOptions ?? new Uint8Array(0);
  const l4Header = tcp ? 20 + options.length : 8;
  const l4 = Buffer.alloc(l4Header + spec.payload.length);
  l4.writeUInt16BE(spec.srcPort ?? 40000, 0);
  l4.writeUInt16BE(spec.dstPort ?? 80, 2);
  if (tcp) {
    l4.writeUInt32BE((spec.seq ?? 1000) >>> 0, 4);
    l4.writeUInt32BE(5000, 8);
    l4[12] = (l4Header / 4) << 4;
    l4[13] = spec.flags ?? 0x18;
    l4.writeUInt16BE(502, 14);
    Buffer.from(options).copy(l4, 20);
  } else {
    l4.writeUInt16BE(Math.min(l4.length, 0xffff), 4);
  }
  Buffer.from(spec.payload).copy(l4, l4Header);
  const proto = tcp ? 6 : 17;
  if (spec.v6) {
    const ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(l4.length, 4);
    ip[6] = proto;
    ip[7] = 64;
    Buffer.from(v6Bytes(spec.src ?? V6.src)).copy(ip, 8);
    Buffer.from(v6Bytes(spec.dst ?? V6.dst)).copy(ip, 24);
    return Buffer.concat([ip, l4]);
  }
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length, 2);
  ip.writeUInt16BE(spec.ipId ?? 0x1234, 4);
  ip[6] = 0x40; // DF
  ip[8] = 64;
  ip[9] = proto;
  Buffer.from(v4Bytes(spec.src ?? V4.src)).copy(ip, 12);
  Buffer.from(v4Bytes(spec.dst ?? V4.dst)).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([ip, l4]);
}

export function ethernetFrame(spec: PacketSpec): Buffer {
  const eth = Buffer.from([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0, 0]);
  eth.writeUInt16BE(spec.v6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ipPacket(spec)]);
}

/** A payload whose every byte depends on its position, so a misplaced byte shows. */
export function patternPayload(length: number, salt = 0): Uint8Array {
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = (i * 7 + (i >> 8) + salt) & 0xff;
  return p;
}

/** A sink that keeps a copy of every datagram sent. */
export class CollectingSink implements DatagramSink {
  readonly datagrams: { bytes: Buffer; flowHash: number }[] = [];
  private readonly pool: Buffer[] = [];
  constructor(
    readonly capacity: number,
    private slots = Number.MAX_SAFE_INTEGER,
  ) {}
  acquire(): Buffer | undefined {
    if (this.slots <= 0) return undefined;
    this.slots--;
    return this.pool.pop() ?? Buffer.alloc(this.capacity, 0xee);
  }
  send(slot: Buffer, length: number, flowHash: number): void {
    this.datagrams.push({ bytes: Buffer.from(slot.subarray(0, length)), flowHash });
    this.pool.push(slot);
  }
}

/** Writes frames as a pcap (LINKTYPE_ETHERNET, microseconds), independently of the code under test. */
export function writePcap(file: string, frames: readonly Uint8Array[], linkType = 1): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [header];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(i, 4);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, Buffer.from(f));
  });
  writeFileSync(file, Buffer.concat(parts));
}
