import {
  communityIdV1,
  FLOW_KEY_META,
  FLOW_KEY_PORTS,
  FLOW_KEY_WORDS,
  flowKeyIpVersion,
  flowKeyProtocol,
  formatAddress,
} from '@fargate-mirror/wire';
import type { PcapPositionFields } from '../flows/flow-pcap-positions.js';
import type { FlowTable } from '../flows/flow-table.js';
import type { MirrorPointRegistry } from '../flows/mirror-points.js';
import { type MirrorPointRecord, mirrorPointRecord } from './mirror-point-record.js';
import type { RecordContext } from './record-context.js';
import { SCHEMA_VERSION } from './schema.js';
import { isoFromMicros } from './time-format.js';

const TRANSPORT_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };

/**
 * The two ends of a flow as a transaction record names them: src is the client (the side that sent
 * the request, query or ClientHello), which need not be the flow's initiator. Built once per flow
 * and reused by each of its transactions, since the address strings and the Community ID (a SHA-1)
 * cost more than the rest of a record.
 */
export interface FlowEndpoints {
  readonly transport: string | number;
  readonly src_ip: string;
  readonly src_port: number;
  readonly dest_ip: string;
  readonly dest_port: number;
  readonly community_id: string;
  /** Client then server address as four words each, for matching mirror points. */
  readonly words: Uint32Array;
}

export interface MirrorView {
  mirror_points: MirrorPointRecord[];
  direction: 'inbound' | 'outbound' | 'internal' | 'unknown';
}

/** The endpoints of flow `slot` with the client at direction index `clientDir` (0 = endpoint A sends). */
export function flowEndpoints(table: FlowTable, slot: number, clientDir: number): FlowEndpoints {
  const kw = table.keys;
  const o = slot * FLOW_KEY_WORDS;
  const meta = kw[o + FLOW_KEY_META];
  const protocol = flowKeyProtocol(meta);
  const ipVersion = flowKeyIpVersion(meta);
  const clientIsA = clientDir === 0;
  const words = new Uint32Array(8);
  const c = clientIsA ? 0 : 4;
  const s = clientIsA ? 4 : 0;
  for (let i = 0; i < 4; i++) {
    words[i] = kw[o + c + i];
    words[4 + i] = kw[o + s + i];
  }
  const ports = kw[o + FLOW_KEY_PORTS];
  const portA = ports >>> 16;
  const portB = ports & 0xffff;
  const srcPort = clientIsA ? portA : portB;
  const destPort = clientIsA ? portB : portA;
  return {
    transport: TRANSPORT_NAMES[protocol] ?? protocol,
    src_ip: formatAddress(words, 0, ipVersion),
    src_port: srcPort,
    dest_ip: formatAddress(words, 4, ipVersion),
    dest_port: destPort,
    // ICMP types without a counterpart are one-way: Community ID keeps their endpoints in order.
    community_id: communityIdV1(words, ipVersion, protocol, srcPort, destPort, (meta & (1 << 12)) !== 0),
    words,
  };
}

const pointWords = new Uint32Array(4);

/**
 * The mirror points that have seen flow `slot` so far and the direction they imply relative to the
 * mirrored ENI (its address is the mirror point's outer source), the same way flow records decide it.
 */
export function mirrorView(
  table: FlowTable,
  slot: number,
  points: MirrorPointRegistry,
  ends: FlowEndpoints,
): MirrorView {
  const mirrorPoints: MirrorPointRecord[] = [];
  let seesSrc = false;
  let seesDest = false;
  const w = ends.words;
  for (let i = 0; i < 3; i++) {
    const id = table.mirrorPoints[slot * 3 + i];
    if (id < 0) continue;
    mirrorPoints.push(mirrorPointRecord(points, id));
    points.sourceWordsOf(id, pointWords);
    if (pointWords[0] === w[0] && pointWords[1] === w[1] && pointWords[2] === w[2] && pointWords[3] === w[3])
      seesSrc = true;
    if (pointWords[0] === w[4] && pointWords[1] === w[5] && pointWords[2] === w[6] && pointWords[3] === w[7])
      seesDest = true;
  }
  // Endpoints the frames' MAC addresses showed to be a mirrored ENI (IPv6, addresses other than the
  // ENI's primary one): see MirrorPointRegistry.frameSide.
  const eni = table.eniEnds[slot];
  if (eni !== 0) {
    const o = slot * FLOW_KEY_WORDS;
    const kw = table.keys;
    const clientIsA = w[0] === kw[o] && w[1] === kw[o + 1] && w[2] === kw[o + 2] && w[3] === kw[o + 3];
    if ((eni & (clientIsA ? 1 : 2)) !== 0) seesSrc = true;
    if ((eni & (clientIsA ? 2 : 1)) !== 0) seesDest = true;
  }
  return {
    mirror_points: mirrorPoints,
    direction: seesSrc && seesDest ? 'internal' : seesSrc ? 'outbound' : seesDest ? 'inbound' : 'unknown',
  };
}

/** The fields every transaction record starts with (docs/design.md §4), in record order. */
export interface TransactionHeader extends MirrorView, PcapPositionFields {
  type: string;
  schema_version: string;
  time: string;
  vni: number;
  transport: string | number;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  community_id: string;
}

export function transactionHeader(
  type: string,
  micros: number,
  ctx: RecordContext,
  slot: number,
  ends: FlowEndpoints,
): TransactionHeader {
  const table = ctx.table;
  const view = mirrorView(table, slot, ctx.points, ends);
  const header: TransactionHeader = {
    type,
    schema_version: SCHEMA_VERSION,
    time: isoFromMicros(micros),
    vni: table.vni[slot],
    mirror_points: view.mirror_points,
    direction: view.direction,
    transport: ends.transport,
    src_ip: ends.src_ip,
    src_port: ends.src_port,
    dest_ip: ends.dest_ip,
    dest_port: ends.dest_port,
    community_id: ends.community_id,
  };
  ctx.pcap?.addTo(header, slot);
  return header;
}

/** Milliseconds between two microsecond times, to the microsecond. */
export function durationMs(startMicros: number, endMicros: number): number {
  return Math.round(Math.max(0, endMicros - startMicros)) / 1000;
}
