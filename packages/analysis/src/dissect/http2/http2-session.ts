import type { BufferPool } from '../../reassembly/buffer-pool.js';
import type { HttpSessionLimits, HttpTransactionSink } from '../http/http-session.js';
import { type HttpTransaction, newTransaction } from '../http/http-transaction.js';
import { HpackDecoder } from './hpack-decoder.js';

/** The client connection preface (RFC 9113 §3.4), `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Whether the bytes start with the client preface (as far as they go, at least its first 14 bytes). */
export function looksLikeHttp2Preface(buf: Uint8Array, offset: number, end: number): boolean {
  const n = Math.min(end - offset, HTTP2_PREFACE.length);
  if (n < 14) return false;
  for (let i = 0; i < n; i++) if (buf[offset + i] !== HTTP2_PREFACE[i]) return false;
  return true;
}

const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const PUSH_PROMISE = 5;
const CONTINUATION = 9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

/** Streams followed at once per connection; more are not reported (memory stays bounded). */
const MAX_STREAMS = 1024;
/** Longest frame payload kept (header frames only; the default SETTINGS_MAX_FRAME_SIZE is 16 KiB). */
const MAX_KEPT_FRAME = 1 << 20;

/** One stream: a request and its response. */
interface Stream {
  tx: HttpTransaction;
  requestEnded: boolean;
  responseEnded: boolean;
  /** Header blocks seen from the server (the second is the trailers). */
  responseBlocks: number;
}

/** Frame reading state of one direction. */
class Direction {
  /** Preface bytes still to skip (client direction only). */
  preface = 0;
  readonly header = new Uint8Array(9);
  headerUsed = 0;
  /** Payload bytes of the current frame still to come (-1: reading a frame header). */
  remaining = -1;
  type = 0;
  flags = 0;
  streamId = 0;
  length = 0;
  frameStartMicros = 0;
  /** The current frame's payload, kept for header frames. */
  frame: Buffer | null = null;
  frameUsed = 0;
  /** A header block spanning HEADERS/PUSH_PROMISE and CONTINUATION frames. */
  block: Buffer | null = null;
  blockUsed = 0;
  blockStream = 0;
  blockEndStream = false;
  blockIsPush = false;
  /** Framing or compression context lost (a gap, a block that did not decode): nothing more is read. */
  lost = false;
  readonly hpack = new HpackDecoder();
}

/**
 * One cleartext HTTP/2 connection (prior knowledge, RFC 9113): frames of both directions, header
 * blocks through HPACK, and a transaction per stream — request and response pseudo-headers, content
 * types, frame bytes per direction, gRPC status from the trailers — reported through the HTTP/1
 * sink once both ends of the stream are closed (or reset). Bodies are counted, never kept.
 */
export class Http2Session {
  slot = -1;
  clientDir = 0;
  private readonly dirs = [new Direction(), new Direction()];
  private readonly streams = new Map<number, Stream>();
  private readonly sink: HttpTransactionSink;
  private readonly pool: BufferPool;
  private readonly capture: ReadonlySet<string> | null;
  /** Streams not followed (over MAX_STREAMS, or whose headers could not be read). */
  dropped = 0;

  constructor(sink: HttpTransactionSink, pool: BufferPool, limits: HttpSessionLimits) {
    this.sink = sink;
    this.pool = pool;
    this.capture = limits.captureHeaders;
  }

  begin(slot: number, clientDir: number): void {
    this.slot = slot;
    this.clientDir = clientDir;
    for (const d of this.dirs) {
      d.preface = 0;
      d.headerUsed = 0;
      d.remaining = -1;
      d.lost = false;
    }
    this.dirs[clientDir].preface = HTTP2_PREFACE.length;
  }

  /**
   * A connection upgraded from HTTP/1.1 (`Upgrade: h2c`, answered 101): the upgrading request is
   * stream 1, half-closed by the client, answered by the server in HTTP/2 (RFC 7540 §3.2). Its
   * `bytes_out` stay those of the HTTP/1.1 request; the client's preface comes next.
   */
  beginUpgraded(slot: number, clientDir: number, tx: HttpTransaction): void {
    this.begin(slot, clientDir);
    tx.version = '2';
    tx.streamId = 1;
    tx.status = null;
    tx.responseBytes = 0;
    tx.responseContentType = null;
    tx.responseHeaders = null;
    this.streams.set(1, { tx, requestEnded: true, responseEnded: false, responseBlocks: 0 });
  }

  data(dir: number, buf: Uint8Array, offset: number, length: number, nowMicros: number): void {
    const d = this.dirs[dir];
    if (d.lost) return;
    const end = offset + length;
    let p = offset;
    if (d.preface > 0) {
      const skip = Math.min(d.preface, end - p);
      d.preface -= skip;
      p += skip;
    }
    while (p < end && !d.lost) {
      if (d.remaining < 0) {
        // Byte by byte: a frame header costs no view object (DATA frames allocate nothing).
        const header = d.header;
        while (d.headerUsed < 9 && p < end) header[d.headerUsed++] = buf[p++];
        if (d.headerUsed < 9) return;
        this.frameHeader(d, nowMicros);
        if (d.remaining === 0) this.frameEnd(d, dir, nowMicros);
        continue;
      }
      const take = Math.min(d.remaining, end - p);
      if (d.frame !== null) {
        d.frame.set(buf.subarray(p, p + take), d.frameUsed);
        d.frameUsed += take;
      }
      d.remaining -= take;
      p += take;
      if (d.remaining === 0) this.frameEnd(d, dir, nowMicros);
    }
  }

  /** Bytes never seen: the frame boundaries and the HPACK context of that direction are gone. */
  gap(dir: number): void {
    this.lose(this.dirs[dir]);
  }

  /** The connection is over: reports every stream still open, then resets for reuse. */
  finish(): void {
    for (const s of this.streams.values()) this.sink(this.slot, this.clientDir, s.tx);
    this.streams.clear();
    for (const d of this.dirs) this.lose(d);
    this.slot = -1;
  }

  private lose(d: Direction): void {
    d.lost = true;
    this.releaseFrame(d);
    if (d.block !== null) {
      this.pool.release(d.block);
      d.block = null;
    }
    d.blockUsed = 0;
  }

  private releaseFrame(d: Direction): void {
    if (d.frame !== null) {
      this.pool.release(d.frame);
      d.frame = null;
    }
    d.frameUsed = 0;
  }

  private frameHeader(d: Direction, nowMicros: number): void {
    const h = d.header;
    d.headerUsed = 0;
    d.length = (h[0] << 16) | (h[1] << 8) | h[2];
    d.type = h[3];
    d.flags = h[4];
    d.streamId = ((h[5] & 0x7f) << 24) | (h[6] << 16) | (h[7] << 8) | h[8];
    d.remaining = d.length;
    d.frameStartMicros = nowMicros;
    if (d.type === HEADERS || d.type === CONTINUATION || d.type === PUSH_PROMISE) {
      if (d.length > MAX_KEPT_FRAME) {
        this.lose(d);
        return;
      }
      const frame = this.pool.acquire(Math.max(d.length, 64));
      if (frame === undefined) {
        this.lose(d); // out of memory for headers: the HPACK context cannot be kept
        return;
      }
      d.frame = frame;
      d.frameUsed = 0;
    }
  }

  private frameEnd(d: Direction, dir: number, nowMicros: number): void {
    if (d.lost) return;
    const fromClient = dir === this.clientDir;
    const type = d.type;
    const id = d.streamId;
    d.remaining = -1;
    if (type === DATA || type === HEADERS || type === CONTINUATION) {
      const s = id === 0 ? undefined : this.stream(id, fromClient && type === HEADERS, d.frameStartMicros);
      if (s !== undefined) {
        if (fromClient) s.tx.requestBytes += 9 + d.length;
        else s.tx.responseBytes += 9 + d.length;
        s.tx.endMicros = nowMicros;
      }
    }
    switch (type) {
      case DATA:
        if ((d.flags & END_STREAM) !== 0) this.endStream(id, fromClient);
        return;
      case HEADERS:
      case PUSH_PROMISE:
        this.startBlock(d, fromClient);
        return;
      case CONTINUATION:
        if (d.block === null || d.blockStream !== id) {
          this.lose(d); // a CONTINUATION must follow its block's frames
          return;
        }
        this.appendBlock(d, d.frame as Buffer, 0, d.frameUsed);
        this.releaseFrame(d);
        if ((d.flags & END_HEADERS) !== 0) this.endBlock(d, fromClient);
        return;
      case RST_STREAM:
        this.reset(id);
        return;
      default:
        return; // SETTINGS, PING, WINDOW_UPDATE, PRIORITY, GOAWAY: nothing a record needs
    }
  }

  /** A HEADERS or PUSH_PROMISE frame: its fragment, without padding and priority fields. */
  private startBlock(d: Direction, fromClient: boolean): void {
    const frame = d.frame as Buffer;
    let start = 0;
    let end = d.frameUsed;
    if ((d.flags & PADDED) !== 0) {
      end -= frame[0];
      start = 1;
    }
    if (d.type === HEADERS && (d.flags & PRIORITY) !== 0) start += 5;
    if (d.type === PUSH_PROMISE) start += 4;
    if (end < start) {
      this.lose(d);
      return;
    }
    d.blockStream = d.streamId;
    d.blockEndStream = d.type === HEADERS && (d.flags & END_STREAM) !== 0;
    d.blockIsPush = d.type === PUSH_PROMISE;
    d.blockUsed = 0;
    if ((d.flags & END_HEADERS) !== 0) {
      // The whole block in one frame (the usual case): decoded where it lies.
      this.decodeBlock(d, frame, start, end, fromClient);
      this.releaseFrame(d);
      return;
    }
    this.appendBlock(d, frame, start, end);
    this.releaseFrame(d);
  }

  private appendBlock(d: Direction, from: Buffer, start: number, end: number): void {
    const needed = d.blockUsed + (end - start);
    let block = d.block;
    if (block === null) block = this.pool.acquire(Math.max(needed, 1024)) ?? null;
    else if (needed > block.length) block = this.pool.grow(block, d.blockUsed, needed * 2) ?? null;
    if (block === null || needed > MAX_KEPT_FRAME) {
      d.block = block;
      this.lose(d);
      return;
    }
    block.set(from.subarray(start, end), d.blockUsed);
    d.block = block;
    d.blockUsed = needed;
  }

  private endBlock(d: Direction, fromClient: boolean): void {
    const block = d.block as Buffer;
    this.decodeBlock(d, block, 0, d.blockUsed, fromClient);
    if (d.block !== null) {
      this.pool.release(d.block);
      d.block = null;
    }
    d.blockUsed = 0;
  }

  private decodeBlock(d: Direction, buf: Buffer, start: number, end: number, fromClient: boolean): void {
    // Every block goes through HPACK, even of a stream not followed: the table is shared.
    const s = d.blockIsPush ? undefined : this.streams.get(d.blockStream);
    const tx = s?.tx;
    const trailers = s !== undefined && !fromClient && s.responseBlocks > 0;
    const capture = this.capture;
    try {
      d.hpack.decode(buf, start, end, (name, value) => {
        if (tx === undefined) return;
        if (fromClient) {
          if (name === ':method') tx.method = value;
          else if (name === ':path') tx.target = value;
          else if (name === ':authority') tx.host = value;
          else if (name === 'user-agent') tx.userAgent = value;
          else if (name === 'content-type') tx.requestContentType = value;
          if (capture?.has(name)) {
            tx.requestHeaders ??= {};
            tx.requestHeaders[name] = value;
          }
        } else {
          if (name === ':status') {
            const status = Number(value);
            // 1xx are interim answers: the final status comes in a later block.
            if (status >= 200 || tx.status === null) tx.status = status;
          } else if (name === 'content-type' && !trailers) tx.responseContentType = value;
          else if (name === 'grpc-status') tx.grpcStatus = Number(value);
          if (capture?.has(name)) {
            tx.responseHeaders ??= {};
            tx.responseHeaders[name] = value;
          }
        }
      });
    } catch {
      this.lose(d);
      return;
    }
    if (s === undefined) return;
    if (!fromClient) s.responseBlocks++;
    if (d.blockEndStream) this.endStream(d.blockStream, fromClient);
  }

  /** The stream `id`, created when a client's HEADERS opens it. */
  private stream(id: number, opens: boolean, nowMicros: number): Stream | undefined {
    let s = this.streams.get(id);
    if (s === undefined && opens) {
      if (this.streams.size >= MAX_STREAMS) {
        this.dropped++;
        return undefined;
      }
      const tx = newTransaction(nowMicros);
      tx.version = '2';
      tx.streamId = id;
      s = { tx, requestEnded: false, responseEnded: false, responseBlocks: 0 };
      this.streams.set(id, s);
    }
    return s;
  }

  private endStream(id: number, fromClient: boolean): void {
    const s = this.streams.get(id);
    if (s === undefined) return;
    if (fromClient) s.requestEnded = true;
    else s.responseEnded = true;
    if (s.requestEnded && s.responseEnded) this.report(id, s);
  }

  private reset(id: number): void {
    const s = this.streams.get(id);
    if (s !== undefined) this.report(id, s);
  }

  private report(id: number, s: Stream): void {
    this.streams.delete(id);
    this.sink(this.slot, this.clientDir, s.tx);
  }
}
