import type { BufferPool } from '../../reassembly/buffer-pool.js';
import type { HttpHead } from './http-head.js';
import { BodyMode, type HttpMessageOwner, HttpMessageReader } from './http-message-reader.js';
import { type HttpTransaction, newTransaction } from './http-transaction.js';

/** Receives each transaction as soon as its response is complete (or can be no more complete). */
export type HttpTransactionSink = (slot: number, clientDir: number, tx: HttpTransaction) => void;

/**
 * Where a connection goes after `Upgrade: h2c` was agreed (101): `upgraded` gets the upgrading
 * request (HTTP/2 stream 1 answers it), `tunnelData` every byte after the 101, both directions.
 */
export interface HttpUpgradeTarget {
  upgraded(slot: number, clientDir: number, tx: HttpTransaction): void;
  tunnelData(
    slot: number,
    dir: number,
    buf: Uint8Array,
    offset: number,
    length: number,
    nowMicros: number,
  ): void;
}

export interface HttpSessionLimits {
  readonly maxHeadBytes: number;
  /** Requests waiting for responses (pipelining); beyond this the oldest is reported unanswered. */
  readonly maxPipelined: number;
  /** Header names (lower-case) copied into records, or null. */
  readonly captureHeaders: ReadonlySet<string> | null;
}

/**
 * One HTTP/1.x connection: a reader per direction and the queue that pairs responses with requests in
 * order (keep-alive and pipelining). Sessions are pooled and reused across connections.
 */
export class HttpSession implements HttpMessageOwner {
  slot = -1;
  /** Flow direction index (0 = A->B) that carries the requests. */
  clientDir = 0;
  readonly request: HttpMessageReader;
  readonly response: HttpMessageReader;
  private readonly waiting: HttpTransaction[] = [];
  /** The request being received. */
  private current: HttpTransaction | null = null;
  /** The transaction whose response is being received. */
  private answering: HttpTransaction | null = null;
  private interim = false;
  private readonly sink: HttpTransactionSink;
  private readonly maxPipelined: number;

  private readonly upgrade: HttpUpgradeTarget | undefined;
  /** The connection switched to HTTP/2 (h2c): bytes go to the upgrade target. */
  private h2c = false;

  constructor(
    sink: HttpTransactionSink,
    pool: BufferPool,
    limits: HttpSessionLimits,
    upgrade?: HttpUpgradeTarget,
  ) {
    this.sink = sink;
    this.upgrade = upgrade;
    this.maxPipelined = limits.maxPipelined;
    this.request = new HttpMessageReader(this, true, pool, limits.maxHeadBytes, limits.captureHeaders);
    this.response = new HttpMessageReader(this, false, pool, limits.maxHeadBytes, limits.captureHeaders);
  }

  begin(slot: number, clientDir: number): void {
    this.slot = slot;
    this.clientDir = clientDir;
    this.h2c = false;
  }

  /** The connection is now HTTP/2 (after an h2c upgrade): its bytes are no longer HTTP/1. */
  get upgradedToHttp2(): boolean {
    return this.h2c;
  }

  onTunnelData(
    reader: HttpMessageReader,
    buf: Uint8Array,
    offset: number,
    end: number,
    nowMicros: number,
  ): void {
    if (!this.h2c || this.upgrade === undefined) return;
    const dir = reader.isRequestSide ? this.clientDir : 1 - this.clientDir;
    this.upgrade.tunnelData(this.slot, dir, buf, offset, end - offset, nowMicros);
  }

  data(dir: number, buf: Uint8Array, offset: number, length: number, nowMicros: number): void {
    (dir === this.clientDir ? this.request : this.response).data(buf, offset, length, nowMicros);
  }

  /** `truncated`: cut by the mirror's packet length (sizes still known), else a hole. */
  gap(dir: number, length: number, nowMicros: number, truncated = false): void {
    (dir === this.clientDir ? this.request : this.response).gap(length, nowMicros, truncated);
  }

  end(dir: number, nowMicros: number): void {
    (dir === this.clientDir ? this.request : this.response).end(nowMicros);
  }

  /** The connection is over: report what is still open, then reset for reuse. */
  finish(nowMicros: number): void {
    this.request.end(nowMicros);
    this.response.end(nowMicros);
    for (const tx of this.waiting) this.sink(this.slot, this.clientDir, tx);
    this.waiting.length = 0;
    this.current = null;
    this.answering = null;
    this.interim = false;
    this.request.reset();
    this.response.reset();
    this.slot = -1;
  }

  onHead(reader: HttpMessageReader, head: HttpHead | null, partial: boolean, nowMicros: number): number {
    return reader.isRequestSide
      ? this.requestHead(reader, head, partial)
      : this.responseHead(reader, head, partial, nowMicros);
  }

  onComplete(reader: HttpMessageReader, nowMicros: number): void {
    if (reader.isRequestSide) this.requestDone(reader, nowMicros);
    else if (this.interim) this.interim = false;
    else this.responseDone(reader, nowMicros);
  }

  onLost(reader: HttpMessageReader, nowMicros: number): void {
    if (reader.isRequestSide) this.requestDone(reader, nowMicros);
    else {
      this.interim = false;
      this.responseDone(reader, nowMicros);
    }
  }

  private requestHead(reader: HttpMessageReader, head: HttpHead | null, partial: boolean): number {
    if (head === null || !head.isRequest) return BodyMode.INVALID;
    const tx = newTransaction(reader.messageStartMicros);
    tx.method = head.method;
    tx.target = head.target;
    tx.version = head.version;
    tx.host = head.host;
    tx.userAgent = head.userAgent;
    tx.requestContentType = head.contentType;
    tx.requestHeaders = head.headers;
    tx.requestAnomalies = head.anomalies;
    tx.upgradeH2c = head.upgradeH2c;
    if (this.waiting.length >= this.maxPipelined) {
      const oldest = this.waiting.shift()!;
      this.sink(this.slot, this.clientDir, oldest);
    }
    this.waiting.push(tx);
    this.current = tx;
    if (partial && reader.headCut) {
      // Cut by the packet length: the request goes on in sequence space until the next one.
      tx.requestCut = reader.cut;
      return BodyMode.UNTIL_NEXT;
    }
    if (partial) {
      tx.requestBytes = reader.messageBytes;
      this.current = null;
      return BodyMode.NONE;
    }
    if (head.chunked) return BodyMode.CHUNKED;
    return head.contentLength > 0 ? BodyMode.LENGTH : BodyMode.NONE;
  }

  private requestDone(reader: HttpMessageReader, nowMicros: number): void {
    const tx = this.current;
    if (tx === null) return;
    tx.requestBytes = reader.messageBytes;
    tx.requestCut = reader.cut;
    tx.endMicros = nowMicros;
    this.current = null;
  }

  private responseHead(
    reader: HttpMessageReader,
    head: HttpHead | null,
    partial: boolean,
    nowMicros: number,
  ): number {
    if (head === null || head.isRequest) return BodyMode.INVALID;
    const status = head.status;
    const cut = partial && reader.headCut;
    if (status < 200 && status !== 101) {
      // 100 Continue and friends: an interim answer, the real response follows.
      this.interim = !partial;
      return BodyMode.NONE;
    }
    const tx = this.waiting.shift() ?? newTransaction(reader.messageStartMicros);
    tx.status = status;
    tx.responseContentType = head.contentType;
    tx.responseHeaders = head.headers;
    tx.responseAnomalies = head.anomalies;
    if (tx.version === null) tx.version = head.version;
    this.answering = tx;
    // Cut by the packet length: the response goes on in sequence space until the next one.
    if (cut) return BodyMode.UNTIL_NEXT;
    if (partial) {
      this.responseDone(reader, nowMicros);
      return BodyMode.NONE;
    }
    const method = tx.method;
    if (status === 101 && tx.upgradeH2c && head.upgradeH2c && this.upgrade !== undefined) {
      // h2c agreed: the answer to this request comes as HTTP/2 stream 1, reported from there.
      this.answering = null;
      this.h2c = true;
      this.request.tunnel();
      this.upgrade.upgraded(this.slot, this.clientDir, tx);
      return BodyMode.TUNNEL;
    }
    if (status === 101 || (method === 'CONNECT' && status < 300)) {
      this.responseDone(reader, nowMicros);
      this.request.tunnel();
      return BodyMode.TUNNEL;
    }
    if (method === 'HEAD' || status === 204 || status === 304) return BodyMode.NONE;
    if (head.chunked) return BodyMode.CHUNKED;
    if (head.contentLength >= 0) return BodyMode.LENGTH;
    return BodyMode.UNTIL_CLOSE;
  }

  private responseDone(reader: HttpMessageReader, nowMicros: number): void {
    const tx = this.answering;
    if (tx === null) return;
    this.answering = null;
    tx.responseBytes = reader.messageBytes;
    tx.responseCut = reader.cut;
    tx.endMicros = nowMicros;
    // A response can finish before its request does (an early 4xx, or a request whose cut head
    // left it open until the next one): count the request so far.
    if (tx === this.current) {
      tx.requestBytes = this.request.messageBytes;
      tx.requestCut = this.request.cut;
    }
    this.sink(this.slot, this.clientDir, tx);
  }
}
