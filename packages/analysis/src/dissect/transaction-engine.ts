import { FLOW_KEY_PORTS, FLOW_KEY_WORDS, type FrameDecoder, IpProtocol } from '@fargate-mirror/wire';
import { FlowEndReason } from '../flows/flow-end-reason.js';
import type { FlowTable } from '../flows/flow-table.js';
import type { StreamHandler } from '../reassembly/stream-handler.js';
import {
  type ReassemblyStats,
  TcpReassembler,
  type TcpReassemblerOptions,
} from '../reassembly/tcp-reassembler.js';
import { buildDnsRecord } from '../records/dns-record.js';
import { type FlowEndpoints, flowEndpoints } from '../records/flow-endpoints.js';
import { buildHttpRecord } from '../records/http-record.js';
import type { RecordSink } from '../records/mirror-record.js';
import type { RecordContext } from '../records/record-context.js';
import { buildTlsRecord } from '../records/tls-record.js';
import { looksLikeDnsMessage } from './dns/dns-message.js';
import { DnsSession, type DnsTransaction } from './dns/dns-session.js';
import { looksLikeRequest, looksLikeResponse } from './http/http-head.js';
import { HttpSession, type HttpSessionLimits, type HttpUpgradeTarget } from './http/http-session.js';
import type { HttpTransaction } from './http/http-transaction.js';
import { Http2Session, looksLikeHttp2Preface } from './http2/http2-session.js';
import { type RedactionOptions, Redactor } from './redaction.js';
import { type TlsHandshake, TlsSession } from './tls/tls-session.js';

export interface TransactionOptions extends TcpReassemblerOptions {
  /** What never reaches a record. @default Authorization/Cookie/Set-Cookie and token/password/secret/key */
  readonly redaction?: RedactionOptions;
  /**
   * HTTP header names (any case) copied into records as `http_request_headers` and
   * `http_response_headers`; secret ones (see `redaction.headers`) appear as REDACTED. @default none
   */
  readonly captureHeaders?: readonly string[];
  /** Longest HTTP head read; a longer one loses the message. @default 16384 */
  readonly maxHeadBytes?: number;
  /** HTTP requests waiting for responses per connection. @default 64 */
  readonly maxPipelined?: number;
  /** Longest TLS hello read. @default 65536 */
  readonly maxHandshakeBytes?: number;
  /** UDP and TCP ports read as DNS (either end). @default [53, 5353, 5355] */
  readonly dnsPorts?: readonly number[];
}

export interface TransactionStats {
  http: number;
  dns: number;
  tls: number;
  /** HTTP transactions whose framing is what request smuggling relies on (`http_anomalies` set). */
  httpAnomalies: number;
  /** DNS payloads that did not parse. */
  dnsMalformed: number;
  /** TLS ClientHellos and ServerHellos that did not parse (damaged, not TLS, or over maxHandshakeBytes). */
  tlsMalformed: number;
  /** TCP flows whose payload was not recognised as HTTP, TLS or DNS. */
  unrecognisedFlows: number;
}

const UNKNOWN = 0;
const HTTP = 1;
const TLS = 2;
const DNS = 3;
/** Not a protocol we read: reassembly keeps counting sequence numbers only. */
const IGNORE = 4;
const HTTP2 = 5;

/** Data segments looked at before a TCP flow is declared unrecognised. */
const DETECT_TRIES = 4;

/**
 * Turns the packets of each flow into transaction records: TCP through per-direction reassembly to
 * the HTTP/1.x, TLS-hello and DNS-over-TCP readers, UDP datagrams to DNS. The protocol is recognised
 * from the first bytes, on any port (DNS by port). Per-flow state is keyed by flow slot and released
 * when the flow table ends the flow (`flowEnding`), which also settles the flow's `missed_bytes`.
 */
export class TransactionEngine implements StreamHandler {
  readonly reassembler: TcpReassembler;
  readonly stats: TransactionStats = {
    http: 0,
    httpAnomalies: 0,
    dns: 0,
    tls: 0,
    dnsMalformed: 0,
    tlsMalformed: 0,
    unrecognisedFlows: 0,
  };

  private readonly table: FlowTable;
  private readonly ctx: RecordContext;
  private readonly onRecord: RecordSink;
  private readonly redactor: Redactor;
  private readonly proto: Uint8Array;
  private readonly tries: Uint8Array;
  private readonly sessions: (HttpSession | Http2Session | TlsSession | DnsSession | undefined)[];
  private readonly ends: (FlowEndpoints | undefined)[];
  private readonly endsDir: Int8Array;
  private readonly dnsPort: Uint8Array = new Uint8Array(65_536);
  private readonly freeHttp: HttpSession[] = [];
  private readonly freeHttp2: Http2Session[] = [];
  private readonly freeTls: TlsSession[] = [];
  private readonly freeDns: DnsSession[] = [];
  private readonly httpLimits: HttpSessionLimits;
  private readonly maxHandshakeBytes: number;
  private readonly httpSink = (slot: number, clientDir: number, tx: HttpTransaction) => {
    this.stats.http++;
    if ((tx.requestAnomalies | tx.responseAnomalies) !== 0) this.stats.httpAnomalies++;
    const record = buildHttpRecord(this.ctx, slot, this.endpoints(slot, clientDir), tx, this.redactor);
    this.onRecord(record);
  };
  private readonly tlsSink = (slot: number, clientDir: number, hs: TlsHandshake) => {
    this.stats.tls++;
    this.onRecord(buildTlsRecord(this.ctx, slot, this.endpoints(slot, clientDir), hs));
  };
  private readonly dnsSink = (slot: number, tx: DnsTransaction) => {
    this.stats.dns++;
    this.onRecord(buildDnsRecord(this.ctx, slot, this.endpoints(slot, tx.clientDir), tx));
  };

  /** HTTP/1.1 connections that agree on `Upgrade: h2c` continue as HTTP/2 sessions. */
  private readonly h2cUpgrade: HttpUpgradeTarget = {
    upgraded: (slot, clientDir, tx) => {
      const s = this.newHttp2Session();
      s.beginUpgraded(slot, clientDir, tx);
      this.sessions[slot] = s;
      this.proto[slot] = HTTP2;
    },
    tunnelData: (slot, dir, buf, offset, length, nowMicros) => {
      const s = this.sessions[slot];
      if (s instanceof Http2Session) s.data(dir, buf, offset, length, nowMicros);
    },
  };

  constructor(ctx: RecordContext, onRecord: RecordSink, options: TransactionOptions = {}) {
    const table = ctx.table;
    this.table = table;
    this.ctx = ctx;
    this.onRecord = onRecord;
    this.redactor = new Redactor(options.redaction);
    const capacity = table.capacity;
    this.reassembler = new TcpReassembler(capacity, this, options);
    this.proto = new Uint8Array(capacity);
    this.tries = new Uint8Array(capacity);
    this.sessions = new Array(capacity).fill(undefined);
    this.ends = new Array(capacity).fill(undefined);
    this.endsDir = new Int8Array(capacity);
    for (const port of options.dnsPorts ?? [53, 5353, 5355]) this.dnsPort[port] = 1;
    const capture = options.captureHeaders ?? [];
    this.httpLimits = {
      maxHeadBytes: options.maxHeadBytes ?? 16_384,
      maxPipelined: options.maxPipelined ?? 64,
      captureHeaders: capture.length > 0 ? new Set(capture.map((h) => h.toLowerCase())) : null,
    };
    this.maxHandshakeBytes = options.maxHandshakeBytes ?? 65_536;
  }

  get reassemblyStats(): Readonly<ReassemblyStats> {
    return this.reassembler.stats;
  }

  /** A decoded inner packet (`d`) of flow `slot`, as returned by FlowTable.update. */
  packet(slot: number, d: FrameDecoder, buf: Uint8Array, nowMicros: number): void {
    if (!d.hasPorts || d.isFragment) return;
    if (d.protocol === IpProtocol.TCP) {
      const tcp = d.tcp;
      if (tcp.headerLength === 0) return; // too little of the header to know the sequence number
      this.reassembler.segment(
        slot,
        this.directionOf(slot, d),
        tcp.seq,
        tcp.ack,
        tcp.flags,
        buf,
        tcp.payloadOffset,
        tcp.capturedPayloadLength,
        tcp.payloadLength,
        nowMicros,
      );
    } else if (d.protocol === IpProtocol.UDP) {
      const udp = d.udp;
      if (!udp.headerComplete || udp.payloadLength === 0) return;
      this.datagram(
        slot,
        this.directionOf(slot, d),
        buf,
        udp.payloadOffset,
        udp.capturedPayloadLength,
        nowMicros,
      );
    }
  }

  /**
   * The flow table is about to emit flow `slot`'s record. Unless the flow goes on (an interim record),
   * delivers what reassembly still holds (holes count as missed bytes, before the record is built),
   * reports open transactions and forgets the slot. Returns the protocol recognised on the flow
   * (`appOf`), taken after the held bytes were delivered: a mid-stream direction nothing acknowledged
   * is held until now, and its first bytes may be what names the protocol. Read before, the label
   * depended on whether a reorder-window tick (wall clock when live) had released them first.
   */
  flowEnding(slot: number, reason: number): 'http' | 'http2' | 'tls' | 'dns' | undefined {
    if (reason === FlowEndReason.ACTIVE_TIMEOUT) return this.appOf(slot);
    const now = this.table.lastSeen[slot];
    this.reassembler.endFlow(slot, now);
    const app = this.appOf(slot);
    const s = this.sessions[slot];
    if (s !== undefined) {
      if (s instanceof HttpSession) {
        s.finish(now);
        this.freeHttp.push(s);
      } else if (s instanceof Http2Session) {
        s.finish();
        this.freeHttp2.push(s);
      } else if (s instanceof TlsSession) {
        s.finish(now);
        this.stats.tlsMalformed += s.malformed;
        this.freeTls.push(s);
      } else {
        s.finish();
        this.stats.dnsMalformed += s.malformed;
        this.freeDns.push(s);
      }
      this.sessions[slot] = undefined;
    }
    this.proto[slot] = UNKNOWN;
    this.tries[slot] = 0;
    this.ends[slot] = undefined;
    return app;
  }

  /**
   * The protocol recognised on flow `slot` from its payload (`http`, `tls`, `dns`), or undefined: for
   * the flow record's `app`, better than a guess by port. Valid until `flowEnding` returns, which
   * returns it too, once held bytes are delivered (use that for a record of an ending flow).
   */
  appOf(slot: number): 'http' | 'http2' | 'tls' | 'dns' | undefined {
    const s = this.sessions[slot];
    if (s instanceof HttpSession) return 'http';
    if (s instanceof Http2Session) return 'http2';
    if (s instanceof TlsSession) return 'tls';
    return s instanceof DnsSession ? 'dns' : undefined;
  }

  /** Gives up on reorder holes older than the window; call about once a second with packet time. */
  tick(nowMicros: number): void {
    this.reassembler.tick(nowMicros);
  }

  // StreamHandler: in-order TCP bytes from the reassembler.

  onData(
    slot: number,
    dir: number,
    buf: Uint8Array,
    offset: number,
    length: number,
    nowMicros: number,
  ): void {
    let proto = this.proto[slot];
    if (proto === UNKNOWN) proto = this.detect(slot, dir, buf, offset, length, nowMicros);
    switch (proto) {
      case HTTP: {
        const s = this.sessions[slot] as HttpSession;
        s.data(dir, buf, offset, length, nowMicros);
        // Upgraded to h2c within this segment: the HTTP/1 session is done (the HTTP/2 one took over).
        if (s.upgradedToHttp2) this.retireHttp(s, nowMicros);
        return;
      }
      case HTTP2:
        (this.sessions[slot] as Http2Session).data(dir, buf, offset, length, nowMicros);
        return;
      case TLS: {
        const s = this.sessions[slot] as TlsSession;
        s.data(dir, buf, offset, length, nowMicros);
        if (s.done) this.proto[slot] = IGNORE;
        return;
      }
      case DNS:
        (this.sessions[slot] as DnsSession).data(dir, buf, offset, length, nowMicros);
        return;
      default:
        return;
    }
  }

  onGap(slot: number, dir: number, length: number, lost: boolean, nowMicros: number): void {
    if (lost) this.table.addMissedBytes(slot, length);
    switch (this.proto[slot]) {
      case HTTP:
        (this.sessions[slot] as HttpSession).gap(dir, length, nowMicros, !lost);
        return;
      case HTTP2:
        (this.sessions[slot] as Http2Session).gap(dir);
        return;
      case TLS: {
        const s = this.sessions[slot] as TlsSession;
        s.gap(dir, nowMicros);
        if (s.done) this.proto[slot] = IGNORE;
        return;
      }
      case DNS:
        (this.sessions[slot] as DnsSession).gap(dir);
        return;
      case UNKNOWN:
        this.countTry(slot);
        return;
      default:
        return;
    }
  }

  onRecovered(slot: number, _dir: number, length: number): void {
    this.table.addMissedBytes(slot, -length);
  }

  onEnd(slot: number, dir: number, nowMicros: number): void {
    if (this.proto[slot] === HTTP) (this.sessions[slot] as HttpSession).end(dir, nowMicros);
  }

  wantsPayload(slot: number): boolean {
    return this.proto[slot] !== IGNORE;
  }

  private datagram(
    slot: number,
    dir: number,
    buf: Uint8Array,
    offset: number,
    length: number,
    now: number,
  ): void {
    let proto = this.proto[slot];
    if (proto === UNKNOWN) {
      const ports = this.table.keys[slot * FLOW_KEY_WORDS + FLOW_KEY_PORTS];
      // DNS on its ports, or recognised by content on any other (a resolver on 5300, a sidecar's).
      if (
        this.dnsPort[ports >>> 16] === 1 ||
        this.dnsPort[ports & 0xffff] === 1 ||
        looksLikeDnsMessage(buf, offset, offset + length)
      ) {
        const s = this.freeDns.pop() ?? new DnsSession(this.dnsSink, this.reassembler.pool);
        s.begin(slot, 'udp');
        this.sessions[slot] = s;
        proto = DNS;
      } else proto = IGNORE;
      this.proto[slot] = proto;
    }
    if (proto === DNS) (this.sessions[slot] as DnsSession).message(dir, buf, offset, length, now);
  }

  private detect(
    slot: number,
    dir: number,
    buf: Uint8Array,
    offset: number,
    length: number,
    now: number,
  ): number {
    const end = offset + length;
    let proto = UNKNOWN;
    if (looksLikeHttp2Preface(buf, offset, end)) {
      // Cleartext HTTP/2 with prior knowledge (gRPC between services, curl --http2-prior-knowledge).
      const s = this.newHttp2Session();
      s.begin(slot, dir);
      this.sessions[slot] = s;
      proto = HTTP2;
    } else if (looksLikeRequest(buf, offset, end)) proto = this.startHttp(slot, dir);
    else if (looksLikeResponse(buf, offset, end)) proto = this.startHttp(slot, 1 - dir);
    else if (length >= 6 && buf[offset] === 0x16 && buf[offset + 1] === 3 && buf[offset + 5] === 1) {
      const s =
        this.freeTls.pop() ?? new TlsSession(this.tlsSink, this.reassembler.pool, this.maxHandshakeBytes);
      s.begin(slot, dir, now);
      this.sessions[slot] = s;
      proto = TLS;
    } else {
      const ports = this.table.keys[slot * FLOW_KEY_WORDS + FLOW_KEY_PORTS];
      if (this.dnsPort[ports >>> 16] === 1 || this.dnsPort[ports & 0xffff] === 1) {
        const s = this.freeDns.pop() ?? new DnsSession(this.dnsSink, this.reassembler.pool);
        s.begin(slot, 'tcp');
        this.sessions[slot] = s;
        proto = DNS;
      }
    }
    if (proto === UNKNOWN) {
      this.countTry(slot);
      return this.proto[slot];
    }
    this.proto[slot] = proto;
    return proto;
  }

  private newHttp2Session(): Http2Session {
    return this.freeHttp2.pop() ?? new Http2Session(this.httpSink, this.reassembler.pool, this.httpLimits);
  }

  private retireHttp(s: HttpSession, nowMicros: number): void {
    s.finish(nowMicros);
    this.freeHttp.push(s);
  }

  private startHttp(slot: number, clientDir: number): number {
    const s =
      this.freeHttp.pop() ??
      new HttpSession(this.httpSink, this.reassembler.pool, this.httpLimits, this.h2cUpgrade);
    s.begin(slot, clientDir);
    this.sessions[slot] = s;
    return HTTP;
  }

  private countTry(slot: number): void {
    if (++this.tries[slot] >= DETECT_TRIES) {
      this.proto[slot] = IGNORE;
      this.stats.unrecognisedFlows++;
    }
  }

  /** 0 when the packet travels from endpoint A (the flow key's first endpoint), else 1. */
  private directionOf(slot: number, d: FrameDecoder): number {
    const kw = this.table.keys;
    const o = slot * FLOW_KEY_WORDS;
    const w = d.addressWords;
    if (w[3] !== kw[o + 3] || w[2] !== kw[o + 2] || w[1] !== kw[o + 1] || w[0] !== kw[o]) return 1;
    return d.srcPort === kw[o + FLOW_KEY_PORTS] >>> 16 ? 0 : 1;
  }

  private endpoints(slot: number, clientDir: number): FlowEndpoints {
    const cached = this.ends[slot];
    if (cached !== undefined && this.endsDir[slot] === clientDir) return cached;
    const ends = flowEndpoints(this.table, slot, clientDir);
    this.ends[slot] = ends;
    this.endsDir[slot] = clientDir;
    return ends;
  }
}
