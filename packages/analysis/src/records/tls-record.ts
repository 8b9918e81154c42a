import { clientMaxVersion, tlsVersionName } from '../dissect/tls/hello.js';
import { ja4 } from '../dissect/tls/ja4.js';
import type { TlsHandshake } from '../dissect/tls/tls-session.js';
import {
  durationMs,
  type FlowEndpoints,
  type TransactionHeader,
  transactionHeader,
} from './flow-endpoints.js';
import type { RecordContext } from './record-context.js';

/** One TLS handshake as seen in clear text. src is the client. */
export interface TlsRecord extends TransactionHeader {
  type: 'tls';
  server_name: string | null;
  /** Protocols the client offered (ALPN), in its order. */
  alpn: string[];
  /** Protocol the server chose, when its ServerHello was read. */
  alpn_selected: string | null;
  /** Negotiated version when the ServerHello was read, else the highest the client offered. */
  tls_version: string;
  tls_client_version: string;
  tls_cipher: string | null;
  ja4: string;
  /** ClientHello to ServerHello. */
  duration_ms: number | null;
  src: string;
  dest: string;
  app: 'tls';
  dvc: string;
}

export function buildTlsRecord(
  ctx: RecordContext,
  slot: number,
  ends: FlowEndpoints,
  hs: TlsHandshake,
): TlsRecord {
  const client = hs.client;
  const server = hs.server;
  const clientVersion = clientMaxVersion(client);
  const negotiated =
    server !== null
      ? server.selectedVersion !== 0
        ? server.selectedVersion
        : server.legacyVersion
      : clientVersion;
  return {
    ...transactionHeader('tls', hs.startMicros, ctx, slot, ends),
    type: 'tls',
    server_name: client.serverName,
    alpn: client.alpn,
    alpn_selected: server?.alpn ?? null,
    tls_version: tlsVersionName(negotiated),
    tls_client_version: tlsVersionName(clientVersion),
    tls_cipher: server !== null ? `0x${server.cipher.toString(16).padStart(4, '0')}` : null,
    ja4: ja4(client),
    duration_ms: server !== null ? durationMs(hs.startMicros, hs.endMicros) : null,
    src: ends.src_ip,
    dest: ends.dest_ip,
    app: 'tls',
    dvc: ctx.dvc,
  };
}
