import type { HttpRecord, WorkloadFields } from '@fargate-mirror/analysis';
import {
  addObservationPoint,
  baseEvent,
  commonUnmapped,
  connectionInfo,
  endpoints,
  type OcsfMappingOptions,
} from './common.js';
import type { OcsfObject } from './ocsf-event.js';

// HTTP Activity's activity ids (OCSF 1.1 and later); another method is Other (99).
const METHOD_ACTIVITY: Record<string, number> = {
  CONNECT: 1,
  DELETE: 2,
  GET: 3,
  HEAD: 4,
  OPTIONS: 5,
  POST: 6,
  PUT: 7,
  TRACE: 8,
};
const ACTIVITY_NAMES: Record<number, string> = {
  0: 'Unknown',
  1: 'Connect',
  2: 'Delete',
  3: 'Get',
  4: 'Head',
  5: 'Options',
  6: 'Post',
  7: 'Put',
  8: 'Trace',
  99: 'Other',
};

function headerList(headers: Record<string, string> | undefined): OcsfObject[] | undefined {
  if (headers === undefined) return undefined;
  return Object.entries(headers).map(([name, value]) => ({ name, value }));
}

/** `host[:port]` or `[v6]:port` without the port: OCSF url.hostname is a name only. */
function hostnameOf(site: string): string {
  const colon = site.lastIndexOf(':');
  if (colon < 0 || site.indexOf(':') !== colon) return site.endsWith(']') ? site.slice(1, -1) : site;
  return site.slice(0, colon);
}

/** An HTTP request/response as HTTP Activity (4002). */
export function httpToHttpActivity(
  record: HttpRecord & WorkloadFields,
  options: OcsfMappingOptions,
): OcsfObject {
  const activityId = record.http_method === null ? 0 : (METHOD_ACTIVITY[record.http_method] ?? 99);
  const event = baseEvent('http_activity', activityId, ACTIVITY_NAMES[activityId], record, options);
  const duration = Math.round(record.duration_ms);
  event.start_time = event.time as number;
  event.end_time = (event.time as number) + duration;
  event.duration = duration;
  endpoints(event, record);
  event.connection_info = connectionInfo(record);
  event.traffic = { bytes: record.bytes, bytes_in: record.bytes_in, bytes_out: record.bytes_out };
  event.app_name = 'http';
  const request: OcsfObject = { length: record.bytes_out };
  if (record.http_method !== null) request.http_method = record.http_method;
  if (record.http_version !== null) request.version = record.http_version;
  if (record.http_user_agent !== null) request.user_agent = record.http_user_agent;
  if (record.url !== null) {
    const url: OcsfObject = { url_string: record.url, scheme: 'http', port: record.dest_port };
    if (record.site !== null) url.hostname = hostnameOf(record.site);
    if (record.uri_path !== null) url.path = record.uri_path;
    if (record.uri_query !== null) url.query_string = record.uri_query;
    request.url = url;
  }
  const requestHeaders = headerList(record.http_request_headers);
  if (requestHeaders !== undefined) request.http_headers = requestHeaders;
  event.http_request = request;
  if (record.status !== null) {
    const response: OcsfObject = { code: record.status, length: record.bytes_in, latency: duration };
    if (record.http_content_type !== null) response.content_type = record.http_content_type;
    const responseHeaders = headerList(record.http_response_headers);
    if (responseHeaders !== undefined) response.http_headers = responseHeaders;
    event.http_response = response;
    event.status_id = record.status < 400 ? 1 : 2;
    event.status = record.status < 400 ? 'Success' : 'Failure';
  } else {
    event.status_id = 0;
    event.status = 'Unknown';
  }
  addObservationPoint(event, record.mirror_points);
  event.unmapped = commonUnmapped(record)
    .add('http_request_content_type', record.http_request_content_type)
    .add('http_anomalies', record.http_anomalies?.join(',')).fields;
  return event;
}
