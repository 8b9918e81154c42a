import { IpProtocol } from '@fargate-mirror/wire';
import { flowEndReasonNames } from '../flows/flow-end-reason.js';
import type { FlowPcapPositions, PcapPositionFields } from '../flows/flow-pcap-positions.js';
import type { FlowTable } from '../flows/flow-table.js';
import type { MirrorPointRegistry } from '../flows/mirror-points.js';
import { flowEndpoints, mirrorView } from './flow-endpoints.js';
import type { MirrorPointRecord } from './mirror-point-record.js';
import { SCHEMA_VERSION } from './schema.js';
import { isoFromMicros } from './time-format.js';

export interface FlowRecord extends PcapPositionFields {
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

const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
// A port-based guess until a dissector recognises the protocol from the payload.
const APP_BY_PORT: Record<number, string> = { 53: 'dns', 80: 'http', 443: 'tls', 8080: 'http', 8443: 'tls' };

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
  /** Where the flow's first packet is in the pcap (omitted: the record says nothing of it). */
  pcap?: FlowPcapPositions,
): FlowRecord {
  const protocol = table.protocolOf(slot);
  const aIsSrc = table.initiatorIsA[slot] === 1;
  // src is the initiator: the client side of the flow's endpoints.
  const ends = flowEndpoints(table, slot, aIsSrc ? 0 : 1);
  const view = mirrorView(table, slot, points, ends);
  const outDir = aIsSrc ? 0 : 1;
  const inDir = 1 - outDir;
  const packetsOut = table.packets[slot * 2 + outDir];
  const packetsIn = table.packets[slot * 2 + inDir];
  const bytesOut = table.bytes[slot * 2 + outDir];
  const bytesIn = table.bytes[slot * 2 + inDir];
  const first = table.firstSeen[slot];
  const last = table.lastSeen[slot];
  const transport = ends.transport;
  const record: FlowRecord = {
    type: 'flow',
    schema_version: SCHEMA_VERSION,
    time: isoFromMicros(first),
    vni: table.vni[slot],
    mirror_points: view.mirror_points,
    direction: view.direction,
    transport,
    src_ip: ends.src_ip,
    src_port: ends.src_port,
    dest_ip: ends.dest_ip,
    dest_port: ends.dest_port,
    packets_out: packetsOut,
    bytes_out: bytesOut,
    packets_in: packetsIn,
    bytes_in: bytesIn,
    packets: packetsOut + packetsIn,
    bytes: bytesOut + bytesIn,
    start_time: isoFromMicros(first),
    end_time: isoFromMicros(last),
    duration: Math.round(last - first) / 1e6,
    tcp_flag:
      protocol === IpProtocol.TCP
        ? tcpFlagNames(table.tcpFlags[slot * 2] | table.tcpFlags[slot * 2 + 1])
        : '',
    community_id: ends.community_id,
    truncated_packets: table.truncatedPackets[slot],
    missed_bytes: table.missedBytes[slot],
    flow_end_reason: flowEndReasonNames[reason],
    src: ends.src_ip,
    dest: ends.dest_ip,
    action: 'allowed',
    app: recognisedApp ?? APP_BY_PORT[ends.dest_port] ?? (typeof transport === 'string' ? transport : 'ip'),
    dvc,
  };
  pcap?.addTo(record, slot);
  return record;
}
