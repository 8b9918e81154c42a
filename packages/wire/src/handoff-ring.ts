/**
 * A single-producer single-consumer ring of packets in a SharedArrayBuffer: from the receive worker
 * that took a datagram to the worker that owns its flow, and from `read --workers`' reading thread to
 * each analysing worker. The producer copies each packet in (no allocation), the consumer decodes it
 * in place from the shared memory, and a sleeping consumer is woken with Atomics.notify only when it
 * asked to be: a busy consumer drains whole batches.
 *
 * Layout: a header of Int32 cells, then `capacity` data bytes of 8-byte aligned records:
 * u32 payload length | u32 kind | u32 x4 sender address words | u32 address family | u32 seconds |
 * u32 nanoseconds | u32 unused | payload. A length of WRAP means "continue at offset 0".
 */
export const HandoffKind = {
  /** A VXLAN datagram's UDP payload; the words are its sender's address. */
  VXLAN: 0,
  /** A GENEVE datagram's UDP payload. */
  GENEVE: 1,
  /** A packet of a capture of mirror traffic, link layer first; the family field is its link type. */
  CAPTURED: 2,
  /** A packet of an ordinary capture (no mirror encapsulation); the family field is its link type. */
  UNENCAPSULATED: 3,
  /** An outer IP datagram reassembled from fragments the producer already counted (raw IP). */
  REASSEMBLED: 4,
  /** No packet: the capture's clock reached the record's time (expiry runs on every consumer). */
  TICK: 5,
  /**
   * No packet: a mirror point's ENI MAC, learned by the producer (payload: u32 VNI, 6 MAC bytes; the
   * words and family are the point's address).
   */
  MIRROR_POINT_MAC: 6,
} as const;

const HEAD = 0;
const TAIL = 1;
const WAITING = 2;
/** Set by the producer after its last record. */
const CLOSED = 3;
const HEADER_CELLS = 16;
const HEADER_BYTES = HEADER_CELLS * 4;
const RECORD_HEADER_BYTES = 40;
const WRAP = 0xffffffff;

export class HandoffRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  /** The data area as a Buffer (a view, no copy), so consumers can pass it to the pipeline as is. */
  readonly data: Buffer;
  private readonly cells: Int32Array;
  private readonly words: DataView;

  /** Allocates a ring with `capacity` data bytes (rounded down to a multiple of 8). */
  static create(capacity: number): HandoffRing {
    const cap = Math.max(4096, capacity - (capacity % 8));
    return new HandoffRing(new SharedArrayBuffer(HEADER_BYTES + cap));
  }

  /** Attaches to a ring created elsewhere (the other side of a worker pair). */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.capacity = buffer.byteLength - HEADER_BYTES;
    this.cells = new Int32Array(buffer, 0, HEADER_CELLS);
    this.data = Buffer.from(buffer, HEADER_BYTES, this.capacity);
    this.words = new DataView(buffer, HEADER_BYTES, this.capacity);
  }

  /**
   * Producer: appends a datagram; returns false (nothing written) when the ring is full. Returns true
   * when the consumer is asleep and must be woken with `wake()` after this batch.
   */
  push(
    payload: Buffer,
    kind: number,
    sourceWords: Uint32Array,
    sourceVersion: number,
    tsSec: number,
    tsNsec: number,
    offset = 0,
    length = payload.length - offset,
  ): boolean {
    const size = (RECORD_HEADER_BYTES + length + 7) & ~7;
    const head = Atomics.load(this.cells, HEAD);
    let tail = Atomics.load(this.cells, TAIL);
    const cap = this.capacity;
    if (tail >= head) {
      const atEnd = cap - tail;
      // tail must never reach `cap` while head is 0: that would read as an empty ring.
      const fitsAtEnd = size < atEnd || (size === atEnd && head > 0);
      if (!fitsAtEnd) {
        if (size >= head) return false;
        this.words.setUint32(tail, WRAP, true);
        tail = 0;
      }
    } else if (size >= head - tail) {
      return false;
    }
    const v = this.words;
    v.setUint32(tail, length, true);
    v.setUint32(tail + 4, kind, true);
    v.setUint32(tail + 8, sourceWords[0], true);
    v.setUint32(tail + 12, sourceWords[1], true);
    v.setUint32(tail + 16, sourceWords[2], true);
    v.setUint32(tail + 20, sourceWords[3], true);
    v.setUint32(tail + 24, sourceVersion, true);
    v.setUint32(tail + 28, tsSec, true);
    v.setUint32(tail + 32, tsNsec, true);
    payload.copy(this.data, tail + RECORD_HEADER_BYTES, offset, offset + length);
    let next = tail + size;
    if (next === cap) next = 0;
    Atomics.store(this.cells, TAIL, next); // publishes the record (sequentially consistent store)
    return true;
  }

  /** Producer: wakes the consumer if it is waiting. Cheap when it is not. */
  wakeIfWaiting(): void {
    if (Atomics.load(this.cells, WAITING) === 1) {
      Atomics.store(this.cells, WAITING, 0);
      Atomics.notify(this.cells, TAIL);
    }
  }

  get isEmpty(): boolean {
    return Atomics.load(this.cells, HEAD) === Atomics.load(this.cells, TAIL);
  }

  /**
   * Consumer: calls `visit` for each waiting datagram, in order, with the data Buffer and the record's
   * offset; the visitor reads the fields with the static accessors. Returns the number visited.
   */
  drain(visit: (ring: HandoffRing, recordOffset: number) => void, max = Number.POSITIVE_INFINITY): number {
    let head = Atomics.load(this.cells, HEAD);
    let count = 0;
    const v = this.words;
    while (count < max) {
      const tail = Atomics.load(this.cells, TAIL);
      if (head === tail) break;
      const length = v.getUint32(head, true);
      if (length === WRAP) {
        head = 0;
        Atomics.store(this.cells, HEAD, 0);
        continue;
      }
      visit(this, head);
      count++;
      head += (RECORD_HEADER_BYTES + length + 7) & ~7;
      if (head === this.capacity) head = 0;
      Atomics.store(this.cells, HEAD, head);
    }
    return count;
  }

  payloadLength(record: number): number {
    return this.words.getUint32(record, true);
  }

  payloadOffset(record: number): number {
    return record + RECORD_HEADER_BYTES;
  }

  kind(record: number): number {
    return this.words.getUint32(record + 4, true);
  }

  /** Copies the sender's address words into `out`; returns its family (4 or 6). */
  source(record: number, out: Uint32Array): number {
    const v = this.words;
    out[0] = v.getUint32(record + 8, true);
    out[1] = v.getUint32(record + 12, true);
    out[2] = v.getUint32(record + 16, true);
    out[3] = v.getUint32(record + 20, true);
    return v.getUint32(record + 24, true);
  }

  /** The address family of the sender (VXLAN, GENEVE), or the link type (CAPTURED, UNENCAPSULATED). */
  family(record: number): number {
    return this.words.getUint32(record + 24, true);
  }

  tsSec(record: number): number {
    return this.words.getUint32(record + 28, true);
  }

  tsNsec(record: number): number {
    return this.words.getUint32(record + 32, true);
  }

  /**
   * Consumer: resolves when the producer publishes more (immediately if it already has). Marks the
   * consumer as waiting so the producer's `wakeIfWaiting` notifies it.
   */
  waitForData(): Promise<unknown> | undefined {
    Atomics.store(this.cells, WAITING, 1);
    const tail = Atomics.load(this.cells, TAIL);
    if (tail !== Atomics.load(this.cells, HEAD)) {
      Atomics.store(this.cells, WAITING, 0);
      return undefined;
    }
    const result = Atomics.waitAsync(this.cells, TAIL, tail);
    if (!result.async) {
      Atomics.store(this.cells, WAITING, 0);
      return undefined;
    }
    return result.value;
  }

  /**
   * Consumer, in a thread that may block (a worker): sleeps until the producer publishes or closes,
   * at most `timeoutMs`. Returns at once when records are waiting.
   */
  waitForDataSync(timeoutMs: number): void {
    Atomics.store(this.cells, WAITING, 1);
    const tail = Atomics.load(this.cells, TAIL);
    if (tail === Atomics.load(this.cells, HEAD) && Atomics.load(this.cells, CLOSED) === 0) {
      Atomics.wait(this.cells, TAIL, tail, timeoutMs);
    }
    Atomics.store(this.cells, WAITING, 0);
  }

  /** Producer: no more records will come; wakes the consumer so it can see that. */
  close(): void {
    Atomics.store(this.cells, CLOSED, 1);
    Atomics.store(this.cells, WAITING, 0);
    Atomics.notify(this.cells, TAIL);
  }

  /** Whether the producer closed the ring (records published before may still be waiting). */
  get isClosed(): boolean {
    return Atomics.load(this.cells, CLOSED) === 1;
  }

  /** Consumer: resolves a pending `waitForData` (used at shutdown so nothing keeps the thread alive). */
  cancelWait(): void {
    Atomics.store(this.cells, WAITING, 0);
    Atomics.notify(this.cells, TAIL);
  }
}
