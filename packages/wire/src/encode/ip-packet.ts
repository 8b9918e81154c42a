// Builds IPv4 packets (TCP segments, UDP datagrams) byte for byte as a host would send them, with
// real header and transport checksums, so the receiver, Wireshark and tshark read them like packets
// captured from a wire (the demo's tasks talk through these).
import { writeIpv4HeaderChecksum, writeL4Checksum } from '../checksum.js';
import { IpProtocol } from '../layers/ip-protocol.js';
import { TcpFlag } from '../layers/tcp.js';

const IPV4_HEADER = 20;
const TCP_HEADER = 20;
const MSS_OPTION = 4;
const UDP_HEADER = 8;
const TCP = IpProtocol.TCP;
const UDP = IpProtocol.UDP;

export interface IpHeaderSpec {
  readonly srcIp: string;
  readonly dstIp: string;
  /** IPv4 identification: one counter per sending host. */
  readonly id: number;
}

export interface TcpSegmentSpec {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** Announced on SYN segments (MSS option). */
  readonly mss?: number;
}

function writeIpv4(buf: Buffer, spec: IpHeaderSpec, protocol: number): void {
  buf[0] = 0x45;
  buf[1] = 0;
  buf.writeUInt16BE(buf.length, 2);
  buf.writeUInt16BE(spec.id & 0xffff, 4);
  buf.writeUInt16BE(0x4000, 6); // don't fragment, as Linux sends TCP and small UDP
  buf[8] = 64;
  buf[9] = protocol;
  writeAddress(buf, 12, spec.srcIp);
  writeAddress(buf, 16, spec.dstIp);
  writeIpv4HeaderChecksum(buf, 0);
}

function writeAddress(buf: Buffer, offset: number, ip: string): void {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${ip}`);
  }
  for (let i = 0; i < 4; i++) buf[offset + i] = parts[i];
}

/** One IPv4 TCP segment carrying `payload` (may be empty). */
export function tcpSegment(
  ip: IpHeaderSpec,
  tcp: TcpSegmentSpec,
  payload: Uint8Array = new Uint8Array(0),
): Buffer {
  const withMss = (tcp.flags & TcpFlag.SYN) !== 0 && tcp.mss !== undefined;
  const tcpHeader = TCP_HEADER + (withMss ? MSS_OPTION : 0);
  const buf = Buffer.alloc(IPV4_HEADER + tcpHeader + payload.length);
  const t = IPV4_HEADER;
  buf.writeUInt16BE(tcp.srcPort, t);
  buf.writeUInt16BE(tcp.dstPort, t + 2);
  buf.writeUInt32BE(tcp.seq >>> 0, t + 4);
  buf.writeUInt32BE(tcp.ack >>> 0, t + 8);
  buf[t + 12] = (tcpHeader / 4) << 4;
  buf[t + 13] = tcp.flags;
  buf.writeUInt16BE(tcp.window, t + 14);
  if (withMss) {
    buf[t + 20] = 2;
    buf[t + 21] = 4;
    buf.writeUInt16BE(tcp.mss as number, t + 22);
  }
  buf.set(payload, t + tcpHeader);
  writeIpv4(buf, ip, TCP);
  writeL4Checksum(buf, 0, t, tcpHeader, TCP, buf, t + tcpHeader, payload.length);
  return buf;
}

/** One IPv4 UDP datagram. */
export function udpDatagram(ip: IpHeaderSpec, srcPort: number, dstPort: number, payload: Uint8Array): Buffer {
  const buf = Buffer.alloc(IPV4_HEADER + UDP_HEADER + payload.length);
  const u = IPV4_HEADER;
  buf.writeUInt16BE(srcPort, u);
  buf.writeUInt16BE(dstPort, u + 2);
  buf.writeUInt16BE(UDP_HEADER + payload.length, u + 4);
  buf.set(payload, u + UDP_HEADER);
  writeIpv4(buf, ip, UDP);
  writeL4Checksum(buf, 0, u, UDP_HEADER, UDP, buf, u + UDP_HEADER, payload.length);
  return buf;
}
