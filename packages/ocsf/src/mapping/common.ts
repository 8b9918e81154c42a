import type { MirrorPointRecord, MirrorRecord, WorkloadFields } from '@fargate-mirror/analysis';
import { OCSF_VERSION } from '../schema/ocsf-schema.js';
import { OCSF_CLASSES, type OcsfClassName, type OcsfObject } from './ocsf-event.js';
import { type CloudDefaults, cloudOf } from './workload-cloud.js';

export interface OcsfMappingOptions extends CloudDefaults {
  /** metadata.product.version: the fargate-mirror release. */
  readonly productVersion: string;
}

const PROTOCOL_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
// OCSF connection_info.direction_id: a flow between two mirrored ENIs stays inside: Lateral.
const DIRECTION_IDS = { unknown: 0, inbound: 1, outbound: 2, internal: 3 } as const;
const DIRECTION_NAMES = ['Unknown', 'Inbound', 'Outbound', 'Lateral'] as const;

// Records' times share their second with the record before (analysis caches the same prefix when
// it formats them): Date.parse for each was the mapping's top cost, so the second is parsed once.
let cachedPrefix = '';
let cachedSecondMillis = Number.NaN;
const ZERO = 48;

/** Epoch milliseconds (OCSF timestamp_t) of a record's ISO 8601 time (truncated, as Date.parse). */
export function millisOf(iso: string): number {
  // YYYY-MM-DDTHH:MM:SS.ffffffZ, what isoFromMicros writes; anything else goes to Date.parse.
  if (iso.length !== 27 || iso.charCodeAt(19) !== 46 || iso.charCodeAt(26) !== 90) return Date.parse(iso);
  if (!iso.startsWith(cachedPrefix) || cachedPrefix === '') {
    const second = Date.parse(`${iso.slice(0, 19)}Z`);
    if (Number.isNaN(second)) return Date.parse(iso);
    cachedPrefix = iso.slice(0, 20);
    cachedSecondMillis = second;
  }
  let millis = 0;
  for (let i = 20; i < 26; i++) {
    const digit = iso.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Date.parse(iso);
    if (i < 23) millis = millis * 10 + digit;
  }
  return cachedSecondMillis + millis;
}

/** The attributes every event of the category starts with (base event, cloud profile, metadata). */
export function baseEvent(
  className: OcsfClassName,
  activityId: number,
  activityName: string,
  record: MirrorRecord,
  options: OcsfMappingOptions,
): OcsfObject {
  const cls = OCSF_CLASSES[className];
  return {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: 4,
    category_name: 'Network Activity',
    class_uid: cls.uid,
    class_name: cls.name,
    type_uid: cls.uid * 100 + activityId,
    type_name: `${cls.name}: ${activityName}`,
    severity_id: 1,
    severity: 'Informational',
    time: millisOf(record.time),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'fargate-mirror', vendor_name: 'fargate-mirror', version: options.productVersion },
      // Tells TLS handshakes from flows inside Network Activity, as the JSON Lines `type` does.
      log_name: record.type,
      profiles: ['cloud'],
    },
    cloud: cloudOf(record, options),
  };
}

/** src_endpoint / dst_endpoint: the address, port and, where workload identity knew it, the task. */
export function endpoint(
  ip: string,
  port: number,
  taskArn: string | undefined,
  service: string | undefined,
): OcsfObject {
  const e: OcsfObject = { ip };
  // Port 0 is what a portless transport (ICMP) carries in the flow key: no port.
  if (port !== 0) e.port = port;
  // A Fargate task is the compute instance behind the ENI: OCSF's instance_uid.
  if (taskArn !== undefined) e.instance_uid = taskArn;
  // OCSF's name of a service in service-to-service traffic: the ECS service.
  if (service !== undefined) e.svc_name = service;
  return e;
}

/** Both endpoints of a record, src the client (or initiator), with their workloads. */
export function endpoints(
  event: OcsfObject,
  r: Pick<MirrorRecord, 'src_ip' | 'src_port' | 'dest_ip' | 'dest_port'> & WorkloadFields,
): void {
  event.src_endpoint = endpoint(r.src_ip, r.src_port, r.src_ecs_task_arn, r.src_ecs_service);
  event.dst_endpoint = endpoint(r.dest_ip, r.dest_port, r.dest_ecs_task_arn, r.dest_ecs_service);
}

type HeaderFields = Pick<
  MirrorRecord,
  'transport' | 'src_ip' | 'direction' | 'community_id' | 'mirror_points' | 'vni'
>;

export function connectionInfo(record: HeaderFields): OcsfObject {
  const info: OcsfObject = {
    direction_id: DIRECTION_IDS[record.direction],
    direction: DIRECTION_NAMES[DIRECTION_IDS[record.direction]],
    community_uid: record.community_id,
    protocol_ver_id: record.src_ip.includes(':') ? 6 : 4,
  };
  if (typeof record.transport === 'string') {
    info.protocol_name = record.transport;
    const num = PROTOCOL_NUMBERS[record.transport];
    if (num !== undefined) info.protocol_num = num;
  } else {
    info.protocol_num = record.transport;
  }
  return info;
}

/**
 * The mirror point: a tap that is neither end (observation_point_id 3, Neither), described in OCSF
 * 1.8's network_observation_point by the mirrored ENI (its address is the VXLAN outer source). An
 * ordinary capture (no mirror point) says Unknown.
 */
export function addObservationPoint(event: OcsfObject, points: readonly MirrorPointRecord[]): void {
  const first = points[0];
  if (first === undefined) {
    event.observation_point_id = 0;
    event.observation_point = 'Unknown';
    return;
  }
  event.observation_point_id = 3;
  event.observation_point = 'Neither';
  const point: OcsfObject = { ip: first.outer_src_ip, type: 'Traffic Mirror' };
  if (first.eni_id !== null) point.interface_uid = first.eni_id;
  event.network_observation_point = point;
}

/** Source fields OCSF has no attribute for, as strings (Parquet map<string,string>). */
export class Unmapped {
  readonly fields: Record<string, string> = {};

  add(name: string, value: string | number | boolean | null | undefined): this {
    if (value !== null && value !== undefined) this.fields[name] = String(value);
    return this;
  }

  json(name: string, value: unknown): this {
    this.fields[name] = JSON.stringify(value);
    return this;
  }
}

/**
 * The unmapped fields every record type has: the mirror session's VNI and points, the workloads, and
 * where the flow's first packet is in the pcap (OCSF 1.8 has no attribute for a packet's location).
 */
export function commonUnmapped(record: MirrorRecord): Unmapped {
  const u = new Unmapped()
    .add('vni', record.vni)
    .add('src_ecs_cluster', record.src_ecs_cluster)
    .add('src_ecs_service', record.src_ecs_service)
    .add('dest_ecs_cluster', record.dest_ecs_cluster)
    .add('dest_ecs_service', record.dest_ecs_service)
    .add('pcap_file', record.pcap_file)
    .add('pcap_offset', record.pcap_offset);
  if (record.mirror_points.length > 0) u.json('mirror_points', record.mirror_points);
  return u;
}
