import { httpAnomalyNames } from '../dissect/http/http-head.js';
import { MessageCut } from '../dissect/http/http-message-reader.js';
import type { HttpTransaction } from '../dissect/http/http-transaction.js';
import type { Redactor } from '../dissect/redaction.js';
import {
  durationMs,
  type FlowEndpoints,
  type TransactionHeader,
  transactionHeader,
} from './flow-endpoints.js';
import type { RecordContext } from './record-context.js';

/** One HTTP request/response (CIM Web names). src is the client. */
export interface HttpRecord extends TransactionHeader {
  type: 'http';
  http_method: string | null;
  url: string | null;
  url_length: number;
  uri_path: string | null;
  uri_query: string | null;
  site: string | null;
  status: number | null;
  http_version: string | null;
  http_user_agent: string | null;
  http_user_agent_length: number;
  http_content_type: string | null;
  http_request_content_type: string | null;
  /** Request bytes, client to server (head and body). */
  bytes_out: number;
  /** Response bytes, server to client. */
  bytes_in: number;
  bytes: number;
  duration_ms: number;
  /**
   * Framing that request smuggling relies on, seen in the request or the response (e.g.
   * `request_content_length_with_transfer_encoding`); absent when the framing was clean.
   */
  http_anomalies?: string[];
  /**
   * The mirror's packet length (session PacketLength, the forwarder's `--packet-length`) cut bytes
   * of this transaction: sizes and `duration_ms` come from the TCP sequence space and the headers
   * seen, and `truncated_missing` says what could not be read. Absent when nothing was cut.
   */
  truncated?: true;
  /**
   * `request_headers` / `response_headers`: the head was cut, so its fields after the cut (null
   * when not seen) and the rest of that segment are unknown; `request_body` / `response_body`:
   * later segments of the message were cut (their bytes counted, not seen).
   */
  truncated_missing?: string[];
  /** HTTP/2: the stream of this transaction (`http_version` is `2`). */
  http2_stream_id?: number;
  /** gRPC (request content type `application/grpc…`): from the path `/package.Service/Method`. */
  grpc_service?: string;
  grpc_method?: string;
  /** gRPC status code from the trailers (0 OK); null when the trailers were not seen. */
  grpc_status?: number | null;
  http_request_headers?: Record<string, string>;
  http_response_headers?: Record<string, string>;
  src: string;
  dest: string;
  app: 'http';
  action: 'allowed';
  dvc: string;
}

function redactHeaders(redactor: Redactor, headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = redactor.header(name, value);
  return out;
}

/** The server as a URL authority when the request named none (no Host header). */
function authorityOf(ends: FlowEndpoints): string {
  const host = ends.dest_ip.includes(':') ? `[${ends.dest_ip}]` : ends.dest_ip;
  return ends.dest_port === 80 ? host : `${host}:${ends.dest_port}`;
}

function cutNames(bits: number, prefix: string): string[] {
  const out: string[] = [];
  if ((bits & MessageCut.HEAD) !== 0) out.push(`${prefix}headers`);
  if ((bits & MessageCut.BODY) !== 0) out.push(`${prefix}body`);
  return out;
}

export function buildHttpRecord(
  ctx: RecordContext,
  slot: number,
  ends: FlowEndpoints,
  tx: HttpTransaction,
  redactor: Redactor,
): HttpRecord {
  let url: string | null = null;
  let rawUrl: string | null = null;
  let path: string | null = null;
  let query: string | null = null;
  // A Host header may carry userinfo (`TOKEN@host`): never copied raw.
  let site = tx.host === null ? null : redactor.host(tx.host);
  const target = tx.target;
  if (target !== null) {
    const safe = redactor.target(target);
    if (tx.method === 'CONNECT') {
      url = safe;
      rawUrl = target;
      site = site ?? redactor.host(safe);
    } else if (safe.charCodeAt(0) !== 0x2f && /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(safe)) {
      // absolute-form (a proxy request): the URL is the target itself
      url = safe;
      rawUrl = target;
      const authorityStart = safe.indexOf('://') + 3;
      const slash = safe.slice(authorityStart).search(/[/?#]/);
      const rest = slash >= 0 ? safe.slice(authorityStart + slash) : '/';
      if (site === null) site = safe.slice(authorityStart, slash >= 0 ? authorityStart + slash : undefined);
      path = rest;
    } else if (target === '*') {
      url = '*';
      rawUrl = '*';
    } else {
      url = `http://${site ?? authorityOf(ends)}${safe}`;
      rawUrl = `http://${tx.host ?? authorityOf(ends)}${target}`;
      path = safe;
    }
    if (path !== null) {
      const hash = path.indexOf('#');
      if (hash >= 0) path = path.slice(0, hash);
      const q = path.indexOf('?');
      if (q >= 0) {
        query = path.slice(q + 1);
        path = path.slice(0, q);
      }
    }
  }
  const record: HttpRecord = {
    ...transactionHeader('http', tx.startMicros, ctx, slot, ends),
    type: 'http',
    http_method: tx.method,
    url,
    // CIM's url_length: of the URL as requested, before redaction.
    url_length: rawUrl?.length ?? 0,
    uri_path: path,
    uri_query: query,
    site,
    status: tx.status,
    http_version: tx.version,
    http_user_agent: tx.userAgent,
    http_user_agent_length: tx.userAgent?.length ?? 0,
    http_content_type: tx.responseContentType,
    http_request_content_type: tx.requestContentType,
    bytes_out: tx.requestBytes,
    bytes_in: tx.responseBytes,
    bytes: tx.requestBytes + tx.responseBytes,
    duration_ms: durationMs(tx.startMicros, tx.endMicros),
    src: ends.src_ip,
    dest: ends.dest_ip,
    app: 'http',
    action: 'allowed',
    dvc: ctx.dvc,
  };
  if ((tx.requestAnomalies | tx.responseAnomalies) !== 0) {
    record.http_anomalies = [
      ...httpAnomalyNames(tx.requestAnomalies, 'request_'),
      ...httpAnomalyNames(tx.responseAnomalies, 'response_'),
    ];
  }
  if ((tx.requestCut | tx.responseCut) !== 0) {
    record.truncated = true;
    record.truncated_missing = [
      ...cutNames(tx.requestCut, 'request_'),
      ...cutNames(tx.responseCut, 'response_'),
    ];
  }
  if (tx.streamId >= 0) {
    record.http2_stream_id = tx.streamId;
    if (tx.requestContentType?.startsWith('application/grpc') === true && path !== null) {
      // The path names the call, `/package.Service/Method`; redacted like any path.
      const slash = path.lastIndexOf('/');
      if (slash > 0) {
        record.grpc_service = path.slice(1, slash);
        record.grpc_method = path.slice(slash + 1);
      }
      record.grpc_status = tx.grpcStatus;
    }
  }
  if (tx.requestHeaders !== null) record.http_request_headers = redactHeaders(redactor, tx.requestHeaders);
  if (tx.responseHeaders !== null) record.http_response_headers = redactHeaders(redactor, tx.responseHeaders);
  return record;
}
