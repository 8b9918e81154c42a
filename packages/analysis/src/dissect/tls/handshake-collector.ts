import type { BufferPool } from '../../reassembly/buffer-pool.js';

const RECORD_HEADER = 5;
const CONTENT_HANDSHAKE = 22;
/** TLS 1.3 allows records up to 2^14 + 256 bytes of ciphertext; plaintext handshake records are smaller. */
const MAX_RECORD = 18_432;

const HEADER = 0;
const BODY = 1;
const DONE = 2;
const FAILED = 3;

/**
 * Collects the first handshake message of one direction of a TLS connection from its records, which
 * may be split across TCP segments and may span several records. Bytes are copied into a pooled
 * buffer (once per connection), released by `reset`.
 */
export class HandshakeCollector {
  /** The message (handshake header first) once `done`. */
  message: Buffer | null = null;
  messageLength = 0;
  private state = HEADER;
  private readonly header = new Uint8Array(RECORD_HEADER);
  private headerUsed = 0;
  private recordRemaining = 0;
  private used = 0;
  private readonly pool: BufferPool;
  private readonly maxBytes: number;

  constructor(pool: BufferPool, maxBytes: number) {
    this.pool = pool;
    this.maxBytes = maxBytes;
  }

  get done(): boolean {
    return this.state === DONE;
  }

  get failed(): boolean {
    return this.state === FAILED;
  }

  /** Feeds in-order bytes; returns true when the message just became complete. */
  data(buf: Uint8Array, offset: number, length: number): boolean {
    let p = offset;
    const end = offset + length;
    while (p < end) {
      if (this.state === HEADER) {
        while (p < end && this.headerUsed < RECORD_HEADER) this.header[this.headerUsed++] = buf[p++];
        if (this.headerUsed < RECORD_HEADER) return false;
        const h = this.header;
        const recordLength = (h[3] << 8) | h[4];
        if (h[0] !== CONTENT_HANDSHAKE || h[1] !== 3 || recordLength === 0 || recordLength > MAX_RECORD) {
          this.fail();
          return false;
        }
        this.recordRemaining = recordLength;
        this.headerUsed = 0;
        this.state = BODY;
      } else if (this.state === BODY) {
        const take = Math.min(this.recordRemaining, end - p);
        if (!this.append(buf, p, take)) {
          this.fail();
          return false;
        }
        p += take;
        this.recordRemaining -= take;
        if (this.used >= 4) {
          const m = this.message!;
          const total = 4 + ((m[1] << 16) | (m[2] << 8) | m[3]);
          if (total > this.maxBytes) {
            this.fail();
            return false;
          }
          if (this.used >= total) {
            this.messageLength = total;
            this.state = DONE;
            return true;
          }
        }
        if (this.recordRemaining === 0) this.state = HEADER;
      } else return false;
    }
    return false;
  }

  /** A gap: the message cannot be completed. */
  fail(): void {
    if (this.state === DONE) return;
    this.state = FAILED;
    this.releaseBuffer();
  }

  reset(): void {
    this.releaseBuffer();
    this.state = HEADER;
    this.headerUsed = 0;
    this.recordRemaining = 0;
  }

  private append(buf: Uint8Array, start: number, length: number): boolean {
    const needed = this.used + length;
    if (needed > this.maxBytes) return false;
    let m = this.message;
    if (m === null) {
      m = this.pool.acquire(Math.max(needed, 1024)) ?? null;
      if (m === null) return false;
      this.message = m;
    } else if (needed > m.length) {
      const grown = this.pool.grow(m, this.used, Math.max(needed, m.length * 2));
      if (grown === undefined) return false;
      m = grown;
      this.message = m;
    }
    m.set(buf.subarray(start, start + length), this.used);
    this.used = needed;
    return true;
  }

  private releaseBuffer(): void {
    if (this.message !== null) this.pool.release(this.message);
    this.message = null;
    this.used = 0;
    this.messageLength = 0;
  }
}
