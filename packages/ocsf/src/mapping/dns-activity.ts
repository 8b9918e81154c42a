import type { DnsRecord, WorkloadFields } from '@fargate-mirror/analysis';
import {
  addObservationPoint,
  baseEvent,
  commonUnmapped,
  connectionInfo,
  endpoints,
  type OcsfMappingOptions,
} from './common.js';
import type { OcsfObject } from './ocsf-event.js';

// OCSF dns rcode_id captions: the ids are the DNS RCODEs (RFC 6895) for these, 99 Other for the rest.
const RCODE_CAPTIONS: Record<number, string> = {
  0: 'NoError',
  1: 'FormError',
  2: 'ServError',
  3: 'NXDomain',
  4: 'NotImp',
  5: 'Refused',
  6: 'YXDomain',
  7: 'YXRRSet',
  8: 'NXRRSet',
  9: 'NotAuth',
  10: 'NotZone',
  11: 'DSOTYPENI',
  16: 'BADSIG_VERS',
  17: 'BADKEY',
  18: 'BADTIME',
  19: 'BADMODE',
  20: 'BADNAME',
  21: 'BADALG',
  22: 'BADTRUNC',
  23: 'BADCOOKIE',
};

/** A DNS query and its response as DNS Activity (4003). */
export function dnsToDnsActivity(
  record: DnsRecord & WorkloadFields,
  options: OcsfMappingOptions,
): OcsfObject {
  const answered = record.reply_code_id !== null;
  // 1 Query (no response seen), 2 Response (no query seen), 6 Traffic (both).
  const [activityId, activityName] = !answered
    ? [1, 'Query']
    : record.query_seen
      ? [6, 'Traffic']
      : [2, 'Response'];
  const event = baseEvent('dns_activity', activityId, activityName, record, options);
  endpoints(event, record);
  event.connection_info = connectionInfo(record);
  event.app_name = 'dns';
  if (record.query_seen) event.query_time = event.time as number;
  if (record.duration_ms !== null) {
    const duration = Math.round(record.duration_ms);
    event.start_time = event.time as number;
    event.end_time = (event.time as number) + duration;
    event.duration = duration;
    event.response_time = event.end_time;
  } else if (answered && !record.query_seen) {
    event.response_time = event.time as number;
  }
  if (record.query !== null) {
    const query: OcsfObject = { hostname: record.query, packet_uid: record.transaction_id };
    if (record.query_type !== null) query.type = record.query_type;
    event.query = query;
  }
  event.answers = record.answer.map((rdata, i) => ({
    rdata,
    type: record.answer_types[i],
    packet_uid: record.transaction_id,
  }));
  if (record.reply_code_id !== null) {
    const caption = RCODE_CAPTIONS[record.reply_code_id];
    event.rcode_id = caption !== undefined ? record.reply_code_id : 99;
    event.rcode = caption ?? record.reply_code ?? 'Other';
    event.status_id = record.reply_code_id === 0 ? 1 : 2;
    event.status = record.reply_code_id === 0 ? 'Success' : 'Failure';
  } else {
    event.status_id = 0;
    event.status = 'Unknown';
  }
  addObservationPoint(event, record.mirror_points);
  event.unmapped = commonUnmapped(record)
    .add('answer_count', record.answer_count)
    .add('authority_answer_count', record.authority_answer_count)
    .add('additional_answer_count', record.additional_answer_count)
    .add('response_truncated', record.response_truncated).fields;
  return event;
}
