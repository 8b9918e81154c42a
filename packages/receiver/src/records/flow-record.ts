import { communityIdV1, formatAddress } from '@fargate-mirror/wire';
import { flowEndReasonNames } from '../flows/flow-end-reason.js';
import type { FlowTable } from '../flows/flow-table.js';
import type { MirrorPointRegistry } from '../flows/mirror-points.js';
import { type MirrorPointRecord, mirrorPointRecord } from './mirror-point-record.js';
import { SCHEMA_VERSION } from './schema.js';
import { isoFromMicros } from './time-format.js';

export interface FlowRecord {
  type: 'flow';
  schema_version: string;
  time: string;
  vni: number;
  mirror_points: MirrorPointRecord[];
  direction: 'inbound' | 'outbound' | 'internal' | 'unknown';
  transport: string | number;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  packets_out: number;
  bytes_out: number;
  packets_in: number;
  bytes_in: number;
  packets: number;
  bytes: number;
  start_time: string;
  end_time: string;
  duration: number;
  tcp_flag: string;
  community_id: string;
  truncated_packets: number;
  missed_bytes: number;
  flow_end_reason: string;
  src: string;
  dest: string;
  action: 'allowed';
  app: string;
  dvc: string;
}

const TRANSPORT_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };
const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
// A port-based guess until a dissector recognises the protocol from the payload.
const APP_BY_PORT: Record<number, string> = { 53: 'dns', 80: 'http', 443: 'tls', 8080: 'http', 8443: 'tls' };

const words = new Uint32Array(8);
const pointWords = new Uint32Array(4);

function tcpFlagNames(flags: number): string {
  const names: string[] = [];
  for (let bit = 0; bit < 8; bit++) if ((flags & (1 << bit)) !== 0) names.push(TCP_FLAG_NAMES[bit]);
  return names.join(',');
}

/** Builds the JSON record of flow `slot` (src = initiator). Runs once per flow, not per packet. */
export function buildFlowRecord(
  table: FlowTable,
  slot: number,
  reason: number,
  points: MirrorPointRegistry,
  dvc: string,
  /** The application protocol a dissector recognised; otherwise a guess from the port. */
  recognisedApp?: string,
): FlowRecord {
  const meta = table.keyMeta[slot];
  const protocol = meta & 0xff;
  const ipVersion = (meta >>> 8) & 0xf;
  const oneWay = (meta & (1 << 12)) !== 0;
  const aIsSrc = table.initiatorIsA[slot] === 1;
  const kw = table.keyWords;
  const o = slot * 8;
  const s = aIsSrc ? 0 : 4;
  const t = aIsSrc ? 4 : 0;
  for (let i = 0; i < 4; i++) {
    words[i] = kw[o + s + i];
    words[4 + i] = kw[o + t + i];
  }
  const ports = table.keyPorts[slot];
  const portA = ports >>> 16;
  const portB = ports & 0xffff;
  const srcPort = aIsSrc ? portA : portB;
  const destPort = aIsSrc ? portB : portA;
  const outDir = aIsSrc ? 0 : 1;
  const inDir = 1 - outDir;
  const packetsOut = table.packets[slot * 2 + outDir];
  const packetsIn = table.packets[slot * 2 + inDir];
  const bytesOut = table.bytes[slot * 2 + outDir];
  const bytesIn = table.bytes[slot * 2 + inDir];
  const srcIp = formatAddress(words, 0, ipVersion);
  const destIp = formatAddress(words, 4, ipVersion);
  const mirrorPoints: MirrorPointRecord[] = [];
  let seesSrc = false;
  let seesDest = false;
  for (let i = 0; i < 3; i++) {
    const id = table.mirrorPoints[slot * 3 + i];
    if (id < 0) continue;
    mirrorPoints.push(mirrorPointRecord(points, id));
    points.sourceWordsOf(id, pointWords);
    if (sameAddress(pointWords, words, 0)) seesSrc = true;
    if (sameAddress(pointWords, words, 4)) seesDest = true;
  }
  const first = table.firstSeen[slot];
  const last = table.lastSeen[slot];
  const transport = TRANSPORT_NAMES[protocol] ?? protocol;
  return {
    type: 'flow',
    schema_version: SCHEMA_VERSION,
    time: isoFromMicros(first),
    vni: table.vni[slot],
    mirror_points: mirrorPoints,
    direction: seesSrc && seesDest ? 'internal' : seesSrc ? 'outbound' : seesDest ? 'inbound' : 'unknown',
    transport,
    src_ip: srcIp,
    src_port: srcPort,
    dest_ip: destIp,
    dest_port: destPort,
    packets_out: packetsOut,
    bytes_out: bytesOut,
    packets_in: packetsIn,
    bytes_in: bytesIn,
    packets: packetsOut + packetsIn,
    bytes: bytesOut + bytesIn,
    start_time: isoFromMicros(first),
    end_time: isoFromMicros(last),
    duration: Math.round(last - first) / 1e6,
    tcp_flag: protocol === 6 ? tcpFlagNames(table.tcpFlags[slot * 2] | table.tcpFlags[slot * 2 + 1]) : '',
    community_id: communityIdV1(words, ipVersion, protocol, srcPort, destPort, oneWay),
    truncated_packets: table.truncatedPackets[slot],
    missed_bytes: table.missedBytes[slot],
    flow_end_reason: flowEndReasonNames[reason],
    src: srcIp,
    dest: destIp,
    action: 'allowed',
    app: recognisedApp ?? APP_BY_PORT[destPort] ?? (typeof transport === 'string' ? transport : 'ip'),
    dvc,
  };
}

function sameAddress(point: Uint32Array, w: Uint32Array, base: number): boolean {
  return (
    point[0] === w[base] && point[1] === w[base + 1] && point[2] === w[base + 2] && point[3] === w[base + 3]
  );
}
