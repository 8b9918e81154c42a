import type { BufferPool } from '../../reassembly/buffer-pool.js';
import { type HttpHead, looksLikeRequest, looksLikeResponse, parseHttpHead } from './http-head.js';

/** How the body after a head is delimited (RFC 9112 §6). */
export const BodyMode = {
  NONE: 0,
  LENGTH: 1,
  CHUNKED: 2,
  UNTIL_CLOSE: 3,
  /** The connection stops being HTTP (101 Switching Protocols, CONNECT). */
  TUNNEL: 4,
  /** The head is not what this side expects: lose the framing. */
  INVALID: 5,
  /**
   * The head was cut by the mirror's packet length, so where it ends (and the framing it gave) is
   * unknown: the message runs in sequence space until a segment starts the next one, or the end.
   */
  UNTIL_NEXT: 6,
} as const;

/** Parts of a message the mirror's packet length cut (bits of `HttpMessageReader.cut`). */
export const MessageCut = {
  /** Header fields after the cut are unknown. */
  HEAD: 1,
  /** Body bytes were counted, not seen. */
  BODY: 2,
} as const;

/** The reader's owner: decides body framing (a response's depends on its request) and pairs messages. */
export interface HttpMessageOwner {
  /** A head was read (`partial`: cut by a gap or the end of the stream; null: not HTTP). */
  onHead(reader: HttpMessageReader, head: HttpHead | null, partial: boolean, nowMicros: number): number;
  onComplete(reader: HttpMessageReader, nowMicros: number): void;
  /** The reader lost the message framing (a gap where lengths could not be kept). */
  onLost(reader: HttpMessageReader, nowMicros: number): void;
  /** Bytes after the connection stopped being HTTP/1 (101, CONNECT), from the same segment on. */
  onTunnelData(
    reader: HttpMessageReader,
    buf: Uint8Array,
    offset: number,
    end: number,
    nowMicros: number,
  ): void;
}

const START = 0;
const HEAD = 1;
const BODY_LENGTH = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_END = 5;
const CHUNK_TRAILER = 6;
const UNTIL_CLOSE = 7;
/** Out of step with the messages: waits for a segment that starts a new one. */
const LOST = 8;
const TUNNEL = 9;
/** Framing unknown after a cut (BodyMode.UNTIL_NEXT): counting bytes until the next message starts. */
const UNTIL_NEXT = 10;

/**
 * Frames one direction of an HTTP/1.x connection into messages: finds each head, hands it to the
 * owner, then counts the body (Content-Length, chunked, or until close) without keeping it. Bytes are
 * read where they lie in the packet; only a head split across segments is copied, into a pooled
 * buffer released as soon as the head is parsed. Gaps inside a counted body keep the framing; a gap
 * elsewhere loses it until a later segment starts with a request (or status) line.
 */
export class HttpMessageReader {
  readonly isRequestSide: boolean;
  /** Bytes of the current message so far (head and body, gaps included). */
  messageBytes = 0;
  messageStartMicros = 0;
  /** MessageCut bits of the current message: what the mirror's packet length kept from view. */
  cut = 0;
  /** Time of the current message's last byte so far (its end when framing is unknown). */
  private lastMicros = 0;
  private state = START;
  private nl = 0;
  private remaining = 0;
  private chunkDigits = 0;
  private chunkInExtension = false;
  private headBuf: Buffer | null = null;
  private headUsed = 0;
  private readonly owner: HttpMessageOwner;
  private readonly pool: BufferPool;
  private readonly maxHeadBytes: number;
  private readonly capture: ReadonlySet<string> | null;

  constructor(
    owner: HttpMessageOwner,
    isRequestSide: boolean,
    pool: BufferPool,
    maxHeadBytes: number,
    capture: ReadonlySet<string> | null,
  ) {
    this.owner = owner;
    this.isRequestSide = isRequestSide;
    this.pool = pool;
    this.maxHeadBytes = maxHeadBytes;
    this.capture = capture;
  }

  /** Ready for a new connection. */
  reset(): void {
    this.releaseHead();
    this.state = START;
    this.messageBytes = 0;
    this.remaining = 0;
    this.cut = 0;
  }

  /** Nothing more will be parsed on this connection (the owner saw a tunnel start). */
  tunnel(): void {
    this.releaseHead();
    this.state = TUNNEL;
  }

  get inMessage(): boolean {
    return this.state !== START && this.state !== LOST && this.state !== TUNNEL;
  }

  /** The current message's head was cut by the packet length (its framing is unknown). */
  get headCut(): boolean {
    return (this.cut & MessageCut.HEAD) !== 0;
  }

  data(buf: Uint8Array, offset: number, length: number, nowMicros: number): void {
    const end = offset + length;
    let p = offset;
    if (this.state === LOST) {
      if (!this.startsMessage(buf, p, end)) return;
      this.state = START;
    } else if (this.state === UNTIL_NEXT) {
      // A segment that starts the next message ends this one (at its last byte before); any other
      // belongs to it. Segments are delivered whole, so a message start is a segment's start.
      if (!this.startsMessage(buf, p, end)) {
        this.messageBytes += length;
        this.lastMicros = nowMicros;
        return;
      }
      this.complete(this.lastMicros);
    }
    while (p < end) {
      switch (this.state) {
        case START: {
          while (p < end && (buf[p] === 0x0d || buf[p] === 0x0a)) p++; // empty lines between messages
          if (p === end) return;
          if (end - p >= 8 && !this.startsMessage(buf, p, end)) {
            this.lose(nowMicros);
            return;
          }
          this.state = HEAD;
          this.nl = 0;
          this.headUsed = 0;
          this.messageBytes = 0;
          this.messageStartMicros = nowMicros;
          this.cut = 0;
          break;
        }
        case HEAD:
          p = this.readHead(buf, p, end, nowMicros);
          break;
        case BODY_LENGTH: {
          const take = Math.min(this.remaining, end - p);
          this.remaining -= take;
          this.messageBytes += take;
          p += take;
          if (this.remaining === 0) this.complete(nowMicros);
          break;
        }
        case CHUNK_SIZE:
          p = this.readChunkSize(buf, p, end, nowMicros);
          break;
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, end - p);
          this.remaining -= take;
          this.messageBytes += take;
          p += take;
          if (this.remaining === 0) this.state = CHUNK_DATA_END;
          break;
        }
        case CHUNK_DATA_END: {
          // The CRLF after a chunk's data.
          const c = buf[p++];
          this.messageBytes++;
          if (c === 0x0a) this.beginChunkSize();
          else if (c !== 0x0d) {
            this.lose(nowMicros);
            return;
          }
          break;
        }
        case CHUNK_TRAILER:
          p = this.readTrailer(buf, p, end, nowMicros);
          break;
        case UNTIL_CLOSE:
          this.messageBytes += end - p;
          return;
        case TUNNEL:
          this.owner.onTunnelData(this, buf, p, end, nowMicros);
          return;
        default:
          return; // LOST (within this segment)
      }
    }
  }

  /**
   * `length` bytes that will never be seen: `truncated` when the mirror's packet length cut them from
   * a segment whose first bytes were delivered (the sequence space, and so the sizes, stay known),
   * else a hole in the stream.
   */
  gap(length: number, nowMicros: number, truncated = false): void {
    this.lastMicros = nowMicros;
    if (truncated) this.cutGap(length, nowMicros);
    else this.holeGap(length, nowMicros);
  }

  /** Bytes cut by the packet length: counted where the framing allows, else until the next message. */
  private cutGap(length: number, nowMicros: number): void {
    switch (this.state) {
      case HEAD:
        this.cut |= MessageCut.HEAD;
        this.messageBytes += length;
        this.cutHead(nowMicros);
        return;
      case BODY_LENGTH:
        this.cut |= MessageCut.BODY;
        this.holeGap(length, nowMicros);
        return;
      case CHUNK_SIZE:
      case CHUNK_DATA:
      case CHUNK_DATA_END:
      case CHUNK_TRAILER:
        // Chunk sizes cut away: the end of the body can no longer be found by its framing.
        this.cut |= MessageCut.BODY;
        this.messageBytes += length;
        this.state = UNTIL_NEXT;
        return;
      case UNTIL_NEXT:
      case UNTIL_CLOSE:
        this.cut |= MessageCut.BODY;
        this.messageBytes += length;
        return;
      default:
        this.holeGap(length, nowMicros);
    }
  }

  private holeGap(length: number, nowMicros: number): void {
    switch (this.state) {
      case HEAD:
        this.messageBytes += length;
        this.partialHead(nowMicros);
        return;
      case BODY_LENGTH:
      case CHUNK_DATA: {
        const within = Math.min(length, this.remaining);
        this.remaining -= within;
        this.messageBytes += within;
        if (length === within) {
          if (this.remaining === 0) {
            if (this.state === BODY_LENGTH) this.complete(nowMicros);
            else this.state = CHUNK_DATA_END;
          }
          return;
        }
        // The gap runs past the body: whatever followed it is unknown.
        if (this.state === BODY_LENGTH) {
          this.complete(nowMicros);
          this.state = LOST;
        } else this.lose(nowMicros);
        return;
      }
      case UNTIL_CLOSE:
      case UNTIL_NEXT:
        this.messageBytes += length;
        return;
      case START:
        this.state = LOST;
        return;
      case LOST:
      case TUNNEL:
        return;
      default:
        this.messageBytes += length;
        this.lose(nowMicros);
    }
  }

  /** The direction ended (FIN, or the flow ended). */
  end(nowMicros: number): void {
    if (this.state === UNTIL_CLOSE) this.complete(nowMicros);
    else if (this.state === UNTIL_NEXT) this.complete(this.lastMicros);
    else if (this.state === HEAD) this.partialHead(nowMicros);
    else if (this.inMessage) this.lose(nowMicros);
    this.releaseHead();
    this.state = LOST;
  }

  private startsMessage(buf: Uint8Array, p: number, end: number): boolean {
    return this.isRequestSide ? looksLikeRequest(buf, p, end) : looksLikeResponse(buf, p, end);
  }

  private readHead(buf: Uint8Array, p: number, end: number, nowMicros: number): number {
    let nl = this.nl;
    let found = -1;
    for (let i = p; i < end; i++) {
      const c = buf[i];
      if (c === 0x0a) {
        if (nl !== 0) {
          found = i;
          break;
        }
        nl = 1;
      } else if (c === 0x0d) {
        if (nl === 1) nl = 2;
      } else nl = 0;
    }
    this.nl = nl;
    if (found < 0) {
      this.messageBytes += end - p;
      if (!this.appendHead(buf, p, end)) this.partialHead(nowMicros);
      return end;
    }
    const headEnd = found + 1;
    this.messageBytes += headEnd - p;
    let head: HttpHead | null;
    if (this.headUsed === 0) {
      head = parseHttpHead(buf, p, headEnd, this.capture); // the whole head is in this segment: no copy
    } else {
      if (!this.appendHead(buf, p, headEnd)) {
        this.partialHead(nowMicros);
        return end;
      }
      head = parseHttpHead(this.headBuf!, 0, this.headUsed, this.capture);
    }
    this.releaseHead();
    const mode = this.owner.onHead(this, head, false, nowMicros);
    if (head === null || mode === BodyMode.INVALID) {
      this.lose(nowMicros);
      return end;
    }
    this.beginBody(mode, head, nowMicros);
    return headEnd;
  }

  private beginBody(mode: number, head: HttpHead, nowMicros: number): void {
    switch (mode) {
      case BodyMode.LENGTH:
        if (head.contentLength > 0) {
          this.remaining = head.contentLength;
          this.state = BODY_LENGTH;
        } else this.complete(nowMicros);
        return;
      case BodyMode.CHUNKED:
        this.beginChunkSize();
        return;
      case BodyMode.UNTIL_CLOSE:
        this.state = UNTIL_CLOSE;
        return;
      case BodyMode.TUNNEL:
        this.tunnel();
        return;
      default:
        this.complete(nowMicros);
    }
  }

  private beginChunkSize(): void {
    this.state = CHUNK_SIZE;
    this.remaining = 0;
    this.chunkDigits = 0;
    this.chunkInExtension = false;
  }

  private readChunkSize(buf: Uint8Array, p: number, end: number, nowMicros: number): number {
    while (p < end) {
      const c = buf[p++];
      this.messageBytes++;
      if (c === 0x0a) {
        if (this.chunkDigits === 0) {
          this.lose(nowMicros);
          return end;
        }
        if (this.remaining === 0) {
          this.state = CHUNK_TRAILER;
          this.nl = 1;
        } else this.state = CHUNK_DATA;
        return p;
      }
      if (this.chunkInExtension || c === 0x0d) continue;
      const digit = hexValue(c);
      if (digit >= 0) {
        // 12 hex digits is 256 TB: more is not a real chunk size.
        if (++this.chunkDigits > 12) {
          this.lose(nowMicros);
          return end;
        }
        this.remaining = this.remaining * 16 + digit;
      } else if (c === 0x3b || c === 0x20 || c === 0x09) {
        this.chunkInExtension = true;
      } else {
        this.lose(nowMicros);
        return end;
      }
    }
    return p;
  }

  private readTrailer(buf: Uint8Array, p: number, end: number, nowMicros: number): number {
    let nl = this.nl;
    while (p < end) {
      const c = buf[p++];
      this.messageBytes++;
      if (c === 0x0a) {
        if (nl !== 0) {
          this.complete(nowMicros);
          return p;
        }
        nl = 1;
      } else if (c === 0x0d) {
        if (nl === 1) nl = 2;
      } else nl = 0;
    }
    this.nl = nl;
    return p;
  }

  private appendHead(buf: Uint8Array, start: number, end: number): boolean {
    const needed = this.headUsed + (end - start);
    if (needed > this.maxHeadBytes) return false;
    let hb = this.headBuf;
    if (hb === null) {
      hb = this.pool.acquire(Math.max(needed, 512)) ?? null;
      if (hb === null) return false;
      this.headBuf = hb;
    } else if (needed > hb.length) {
      const grown = this.pool.grow(hb, this.headUsed, Math.max(needed, hb.length * 2));
      if (grown === undefined) return false;
      hb = grown;
      this.headBuf = hb;
    }
    hb.set(buf.subarray(start, end), this.headUsed);
    this.headUsed = needed;
    return true;
  }

  /**
   * The head was cut by the packet length: report what its complete lines say; the owner answers
   * UNTIL_NEXT to keep counting the message in sequence space, anything else loses the framing.
   */
  private cutHead(nowMicros: number): void {
    const head =
      this.headBuf !== null && this.headUsed > 0
        ? parseHttpHead(this.headBuf, 0, this.headUsed, this.capture)
        : null;
    this.releaseHead();
    const mode = this.owner.onHead(this, head, true, nowMicros);
    this.state = mode === BodyMode.UNTIL_NEXT ? UNTIL_NEXT : LOST;
  }

  /** The head was cut short: report what its complete lines say, then lose the framing. */
  private partialHead(nowMicros: number): void {
    const head =
      this.headBuf !== null && this.headUsed > 0
        ? parseHttpHead(this.headBuf, 0, this.headUsed, this.capture)
        : null;
    this.releaseHead();
    this.owner.onHead(this, head, true, nowMicros);
    this.state = LOST;
  }

  private complete(nowMicros: number): void {
    this.state = START;
    this.owner.onComplete(this, nowMicros);
  }

  private lose(nowMicros: number): void {
    this.releaseHead();
    this.state = LOST;
    this.owner.onLost(this, nowMicros);
  }

  private releaseHead(): void {
    if (this.headBuf !== null) {
      this.pool.release(this.headBuf);
      this.headBuf = null;
    }
    this.headUsed = 0;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
