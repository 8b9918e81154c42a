import type { BufferPool } from '../../reassembly/buffer-pool.js';
import { type DnsMessage, parseDnsMessage } from './dns-message.js';

/** A query and its response, either of which may be missing. */
export interface DnsTransaction {
  query: DnsMessage | null;
  response: DnsMessage | null;
  queryMicros: number;
  responseMicros: number;
  /** Flow direction index that carried the query. */
  clientDir: number;
  transport: 'udp' | 'tcp';
}

export type DnsTransactionSink = (slot: number, tx: DnsTransaction) => void;

/** A message waiting for its other half. */
interface PendingQuery {
  msg: DnsMessage;
  micros: number;
  dir: number;
}

const MAX_PENDING = 32;
const RECENT = 16;
/** A message repeating id, kind and direction within this time is a copy (DNS clients retry after ~1 s or more). */
const DUPLICATE_WINDOW_MICROS = 500_000;
/** How long a response waits for a query delivered after it (reordering), in packet time. */
const ORPHAN_WAIT_MICROS = 1_000_000;

/**
 * DNS on one flow (UDP, or TCP with its two-byte length prefix): pairs responses with queries by
 * id (and question), reports each pair when the response arrives and unanswered queries when the
 * flow ends.
 */
export class DnsSession {
  slot = -1;
  transport: 'udp' | 'tcp' = 'udp';
  /** Messages that did not parse. */
  malformed = 0;
  /** Copies of a message already seen (the same datagram from two mirror points, or a resend). */
  duplicates = 0;
  // Recently seen messages as (id | response << 16 | dir << 17) with their times: a ring.
  private readonly recentKeys = new Int32Array(RECENT).fill(-1);
  private readonly recentMicros = new Float64Array(RECENT);
  private recentNext = 0;
  private readonly pending: PendingQuery[] = [];
  private readonly framers: [DnsTcpFramer, DnsTcpFramer];
  private readonly sink: DnsTransactionSink;

  constructor(sink: DnsTransactionSink, pool: BufferPool) {
    this.sink = sink;
    const deliver = (dir: number) => (buf: Uint8Array, s: number, e: number, now: number) =>
      this.message(dir, buf, s, e - s, now);
    this.framers = [new DnsTcpFramer(pool, deliver(0)), new DnsTcpFramer(pool, deliver(1))];
  }

  begin(slot: number, transport: 'udp' | 'tcp'): void {
    this.slot = slot;
    this.transport = transport;
    this.malformed = 0;
    this.duplicates = 0;
    this.recentKeys.fill(-1);
  }

  /** One whole DNS message (a UDP payload, or one framed out of TCP). */
  message(dir: number, buf: Uint8Array, offset: number, length: number, nowMicros: number): void {
    const msg = parseDnsMessage(buf, offset, offset + length);
    if (msg === null) {
      this.malformed++;
      return;
    }
    if (this.isDuplicate(msg.id | (msg.isResponse ? 1 << 16 : 0) | (dir << 17), nowMicros)) {
      this.duplicates++;
      return;
    }
    this.expireOrphans(nowMicros);
    // The other half: a query for a response, or a response that arrived first (reordered delivery).
    const i = this.pending.findIndex(
      (p) =>
        p.msg.id === msg.id &&
        p.dir !== dir &&
        p.msg.isResponse !== msg.isResponse &&
        (msg.questionName === null || p.msg.questionName === null || p.msg.questionName === msg.questionName),
    );
    if (i < 0) {
      if (this.pending.length >= MAX_PENDING) this.report(this.pending.shift()!);
      this.pending.push({ msg, micros: nowMicros, dir });
      return;
    }
    const other = this.pending.splice(i, 1)[0];
    const [q, r] = msg.isResponse
      ? [other, { msg, micros: nowMicros, dir }]
      : [{ msg, micros: nowMicros, dir }, other];
    this.sink(this.slot, {
      query: q.msg,
      response: r.msg,
      queryMicros: q.micros,
      responseMicros: Math.max(q.micros, r.micros),
      clientDir: q.dir,
      transport: this.transport,
    });
  }

  /** In-order TCP bytes of direction `dir`. */
  data(dir: number, buf: Uint8Array, offset: number, length: number, nowMicros: number): void {
    this.framers[dir].data(buf, offset, length, nowMicros);
  }

  gap(dir: number): void {
    this.framers[dir].lose();
  }

  finish(): void {
    for (const q of this.pending) this.report(q);
    this.pending.length = 0;
    this.framers[0].reset();
    this.framers[1].reset();
    this.slot = -1;
  }

  private isDuplicate(key: number, nowMicros: number): boolean {
    for (let i = 0; i < RECENT; i++) {
      if (this.recentKeys[i] === key && nowMicros - this.recentMicros[i] < DUPLICATE_WINDOW_MICROS)
        return true;
    }
    this.recentKeys[this.recentNext] = key;
    this.recentMicros[this.recentNext] = nowMicros;
    this.recentNext = (this.recentNext + 1) % RECENT;
    return false;
  }

  /** Responses whose query did not come within the wait are reported alone. */
  private expireOrphans(nowMicros: number): void {
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.msg.isResponse && nowMicros - p.micros > ORPHAN_WAIT_MICROS) {
        this.pending.splice(i--, 1);
        this.report(p);
      }
    }
  }

  /** A query without response, or a response without query. */
  private report(p: PendingQuery): void {
    const isResponse = p.msg.isResponse;
    this.sink(this.slot, {
      query: isResponse ? null : p.msg,
      response: isResponse ? p.msg : null,
      queryMicros: p.micros,
      responseMicros: p.micros,
      clientDir: isResponse ? 1 - p.dir : p.dir,
      transport: this.transport,
    });
  }
}

type MessageSink = (buf: Uint8Array, start: number, end: number, nowMicros: number) => void;

/** Splits a DNS-over-TCP byte stream into messages (RFC 1035 §4.2.2 length prefix). */
class DnsTcpFramer {
  private lengthBytes = 0;
  private lengthValue = 0;
  private buf: Buffer | null = null;
  private used = 0;
  private lost = false;

  constructor(
    private readonly pool: BufferPool,
    private readonly sink: MessageSink,
  ) {}

  data(buf: Uint8Array, offset: number, length: number, nowMicros: number): void {
    if (this.lost) return;
    let p = offset;
    const end = offset + length;
    while (p < end) {
      if (this.lengthBytes < 2) {
        this.lengthValue = (this.lengthValue << 8) | buf[p++];
        this.lengthBytes++;
        continue;
      }
      const need = this.lengthValue - this.used;
      if (this.used === 0 && end - p >= need) {
        this.sink(buf, p, p + need, nowMicros); // whole message in this segment: read in place
        p += need;
        this.nextMessage();
        continue;
      }
      const take = Math.min(need, end - p);
      if (this.buf === null) {
        this.buf = this.pool.acquire(this.lengthValue) ?? null;
        if (this.buf === null) {
          this.lose();
          return;
        }
      }
      this.buf.set(buf.subarray(p, p + take), this.used);
      this.used += take;
      p += take;
      if (this.used === this.lengthValue) {
        this.sink(this.buf, 0, this.used, nowMicros);
        this.nextMessage();
      }
    }
  }

  lose(): void {
    this.reset();
    this.lost = true;
  }

  reset(): void {
    if (this.buf !== null) this.pool.release(this.buf);
    this.buf = null;
    this.used = 0;
    this.lengthBytes = 0;
    this.lengthValue = 0;
    this.lost = false;
  }

  private nextMessage(): void {
    if (this.buf !== null) this.pool.release(this.buf);
    this.buf = null;
    this.used = 0;
    this.lengthBytes = 0;
    this.lengthValue = 0;
  }
}
