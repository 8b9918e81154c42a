import type { FlowRecord, TlsRecord, WorkloadFields } from '@fargate-mirror/analysis';
import {
  addObservationPoint,
  baseEvent,
  commonUnmapped,
  connectionInfo,
  endpoints,
  millisOf,
  type OcsfMappingOptions,
} from './common.js';
import type { OcsfObject } from './ocsf-event.js';

// Network Activity's activity_id by why the flow record was written: a FIN is a Close, a RST a
// Reset; timeouts, eviction and the end of the capture report traffic of a flow that did not end.
const FLOW_ACTIVITY: Record<string, readonly [number, string]> = {
  fin: [2, 'Close'],
  rst: [3, 'Reset'],
};
const TRAFFIC = [6, 'Traffic'] as const;

/** A flow record as Network Activity (4001). */
export function flowToNetworkActivity(
  record: FlowRecord & WorkloadFields,
  options: OcsfMappingOptions,
): OcsfObject {
  const [activityId, activityName] = FLOW_ACTIVITY[record.flow_end_reason] ?? TRAFFIC;
  const event = baseEvent('network_activity', activityId, activityName, record, options);
  const start = millisOf(record.start_time);
  const end = millisOf(record.end_time);
  event.start_time = start;
  event.end_time = end;
  event.duration = end - start;
  endpoints(event, record);
  event.connection_info = connectionInfo(record);
  event.traffic = {
    bytes: record.bytes,
    bytes_in: record.bytes_in,
    bytes_out: record.bytes_out,
    packets: record.packets,
    packets_in: record.packets_in,
    packets_out: record.packets_out,
  };
  event.app_name = record.app;
  addObservationPoint(event, record.mirror_points);
  event.unmapped = commonUnmapped(record)
    .add('flow_end_reason', record.flow_end_reason)
    .add('tcp_flags', record.tcp_flag === '' ? undefined : record.tcp_flag)
    .add('truncated_packets', record.truncated_packets)
    .add('missed_bytes', record.missed_bytes).fields;
  return event;
}

/** A TLS handshake as Network Activity (4001) with its `tls` object, as OCSF places TLS. */
export function tlsToNetworkActivity(
  record: TlsRecord & WorkloadFields,
  options: OcsfMappingOptions,
): OcsfObject {
  const event = baseEvent('network_activity', TRAFFIC[0], TRAFFIC[1], record, options);
  endpoints(event, record);
  event.connection_info = connectionInfo(record);
  event.app_name = 'tls';
  const tls: OcsfObject = { version: record.tls_version };
  if (record.server_name !== null) tls.sni = record.server_name;
  if (record.tls_cipher !== null) tls.cipher = record.tls_cipher;
  if (record.duration_ms !== null) {
    tls.handshake_dur = Math.round(record.duration_ms);
    event.start_time = event.time as number;
    event.end_time = (event.time as number) + tls.handshake_dur;
    event.duration = tls.handshake_dur;
  }
  event.tls = tls;
  // type_id 1: JA4 (the client's fingerprint).
  event.ja4_fingerprint_list = [{ type_id: 1, type: 'JA4', value: record.ja4 }];
  addObservationPoint(event, record.mirror_points);
  event.unmapped = commonUnmapped(record)
    .add('tls_client_version', record.tls_client_version)
    .add('alpn', record.alpn.length > 0 ? record.alpn.join(',') : undefined)
    .add('alpn_selected', record.alpn_selected).fields;
  return event;
}
