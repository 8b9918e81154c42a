import { BufferPool } from './buffer-pool.js';
import type { StreamHandler } from './stream-handler.js';

export interface TcpReassemblerOptions {
  /** Reorder window in sequence space per direction: data further ahead than this forces a gap. @default 262144 */
  readonly reorderWindowBytes?: number;
  /** How long a hole may wait for its segment (packet time). @default 500 ms */
  readonly reorderWindowMs?: number;
  /** Bytes held for out-of-order segments and split protocol heads, all flows together. @default 64 MiB */
  readonly maxBufferedBytes?: number;
  /** Out-of-order segments held, all flows together. @default 131072 */
  readonly maxPendingSegments?: number;
  /**
   * Holes given up on that are remembered, all flows together, so that a late retransmission filling
   * one is no longer counted as missed. @default 65536
   */
  readonly maxRememberedGaps?: number;
}

export interface ReassemblyStats {
  /** TCP segments seen (with or without payload). */
  segments: number;
  /** Segments that arrived ahead of a hole and waited. */
  reordered: number;
  /** Holes given up on (the reorder window ran out, the flow ended, memory ran short). */
  gaps: number;
  gapBytes: number;
  /** Bytes of given-up holes that a late retransmission filled after all (seen, not delivered). */
  recoveredBytes: number;
  /** Directions without a SYN whose start was settled by the peer acknowledging their bytes. */
  midstreamAcked: number;
  /** Segments that partly repeated bytes already delivered. */
  overlaps: number;
  /** Segments wholly repeating bytes already delivered (retransmissions, duplicates from two mirror points). */
  retransmits: number;
  /** Payload bytes announced by headers but cut by the mirror's packet length. */
  truncatedBytes: number;
  /** Directions whose first bytes came without a SYN (capture began mid-connection). */
  midstream: number;
  /** Directions flushed early to free memory for others. */
  evictedBuffers: number;
  /**
   * In-order segments held because they acknowledge bytes of the other direction not yet delivered
   * (the two directions arrived out of order relative to each other).
   */
  waitedForPeer: number;
}

const NONE = 0;
/** Data seen but no SYN yet: held, since the SYN may still arrive out of order. */
const HOLDING = 1;
const SYNCED = 2;
/** FIN delivered: nothing more is expected. */
const ENDED = 3;

const SYN = 0x02;
const FIN = 0x01;
const ACK = 0x10;
const EMPTY = new Uint8Array(0);

/**
 * TCP reassembly per direction for every flow slot of the flow table. State lives in typed arrays
 * indexed by `slot * 2 + dir`. In-order segments (the common case) are handed to the handler straight
 * from the packet buffer with no copy and no allocation; only segments that arrive ahead of a hole are
 * copied, into pooled buffers, and held until the hole fills or the reorder window (bytes or time)
 * runs out, when the hole becomes a gap. Memory is bounded per direction (the window) and in total
 * (buffer budget, segment slots): when it runs short the oldest waiting direction is flushed.
 */
export class TcpReassembler {
  readonly stats: ReassemblyStats = {
    segments: 0,
    reordered: 0,
    gaps: 0,
    gapBytes: 0,
    recoveredBytes: 0,
    midstreamAcked: 0,
    overlaps: 0,
    retransmits: 0,
    truncatedBytes: 0,
    midstream: 0,
    evictedBuffers: 0,
    waitedForPeer: 0,
  };
  readonly pool: BufferPool;

  private readonly handler: StreamHandler;
  private readonly windowBytes: number;
  private readonly windowMicros: number;

  // Per direction.
  private readonly state: Uint8Array;
  private readonly next: Uint32Array;
  private readonly hasFin: Uint8Array;
  private readonly finSeq: Uint32Array;
  private readonly pendHead: Int32Array;
  private readonly pendSince: Float64Array;
  // Directions holding segments, oldest first (for the time window and for eviction).
  private readonly pdPrev: Int32Array;
  private readonly pdNext: Int32Array;
  private readonly pdLinked: Uint8Array;
  private pdHead = -1;
  private pdTail = -1;

  // Held segments.
  private readonly segSeq: Uint32Array;
  private readonly segLen: Uint32Array;
  private readonly segAck: Uint32Array;
  /** 1 when the segment carried an ACK: it is delivered only after the peer's bytes it acknowledges. */
  private readonly segHasAck: Uint8Array;
  private readonly segCaptured: Uint32Array;
  private readonly segNext: Int32Array;
  private readonly segBuf: (Buffer | null)[];
  /** 1 when the segment's payload was wanted (its bytes, or its truncation, go to the handler). */
  private readonly segWanted: Uint8Array;
  private readonly segFree: Int32Array;
  private segFreeCount = 0;
  /** Held-segment entries from here on were never used (taken after the freed ones). */
  private segUnused = 0;

  // Holes given up on, per direction a list sorted by start: [start, start + len) in sequence space.
  private readonly gapHead: Int32Array;
  private readonly gapStart: Uint32Array;
  private readonly gapLen: Uint32Array;
  private readonly gapNext: Int32Array;
  private readonly gapFree: Int32Array;
  private gapFreeCount = 0;
  private gapUnused = 0;
  /**
   * Flow slots below this have their per-direction list heads set to -1; the rest are set when a
   * segment first reaches one, so a reassembler sized for many flows costs nothing until used.
   */
  private readySlots = 0;

  constructor(flowCapacity: number, handler: StreamHandler, options: TcpReassemblerOptions = {}) {
    this.handler = handler;
    this.windowBytes = options.reorderWindowBytes ?? 262_144;
    this.windowMicros = (options.reorderWindowMs ?? 500) * 1000;
    this.pool = new BufferPool(options.maxBufferedBytes ?? 64 * 1024 * 1024);
    const n = flowCapacity * 2;
    this.state = new Uint8Array(n);
    this.next = new Uint32Array(n);
    this.hasFin = new Uint8Array(n);
    this.finSeq = new Uint32Array(n);
    this.pendHead = new Int32Array(n);
    this.pendSince = new Float64Array(n);
    this.pdPrev = new Int32Array(n);
    this.pdNext = new Int32Array(n);
    this.pdLinked = new Uint8Array(n);
    const segs = options.maxPendingSegments ?? 131_072;
    this.segSeq = new Uint32Array(segs);
    this.segLen = new Uint32Array(segs);
    this.segAck = new Uint32Array(segs);
    this.segHasAck = new Uint8Array(segs);
    this.segCaptured = new Uint32Array(segs);
    this.segNext = new Int32Array(segs);
    this.segBuf = new Array<Buffer | null>(segs).fill(null);
    this.segWanted = new Uint8Array(segs);
    this.segFree = new Int32Array(segs);
    const gaps = options.maxRememberedGaps ?? 65_536;
    this.gapHead = new Int32Array(n);
    this.gapStart = new Uint32Array(gaps);
    this.gapLen = new Uint32Array(gaps);
    this.gapNext = new Int32Array(gaps);
    this.gapFree = new Int32Array(gaps);
  }

  /** Bytes currently held for out-of-order segments and heads (the pool's handed-out bytes). */
  get heldBytes(): number {
    return this.pool.stats.inUseBytes;
  }

  /**
   * One TCP segment of direction `dir` of flow `slot`: `payloadLength` bytes per the headers, of which
   * `capturedLength` are present in `buf` at `payloadOffset` (fewer when the mirror truncated it).
   */
  segment(
    slot: number,
    dir: number,
    seq: number,
    ack: number,
    flags: number,
    buf: Uint8Array,
    payloadOffset: number,
    capturedLength: number,
    payloadLength: number,
    nowMicros: number,
  ): void {
    if (slot >= this.readySlots) this.makeReady(slot);
    const i = slot * 2 + dir;
    this.stats.segments++;
    this.ack = ack;
    this.hasAck = (flags & ACK) !== 0;
    if (this.hasAck) this.settlePeerStart(i, slot, ack, nowMicros);
    let st = this.state[i];
    if ((flags & SYN) !== 0) {
      const first = (seq + 1) >>> 0;
      if (st === NONE || st === HOLDING) {
        this.next[i] = first;
        this.state[i] = SYNCED;
        if (st === HOLDING) this.settle(slot, nowMicros);
        st = SYNCED;
      }
      seq = first; // data on a SYN (TCP Fast Open) starts after the SYN's sequence number
    }
    if ((flags & FIN) !== 0 && this.hasFin[i] === 0) {
      this.hasFin[i] = 1;
      this.finSeq[i] = (seq + payloadLength) >>> 0;
    }
    if (payloadLength === 0) {
      if (st === SYNCED) this.checkFin(i, slot, dir, nowMicros);
      return;
    }
    if (st === ENDED) {
      this.stats.retransmits++;
      if (this.gapHead[i] >= 0) this.recover(i, slot, dir, seq, payloadLength);
      return;
    }
    if (st === NONE) {
      this.stats.midstream++;
      this.next[i] = seq;
      this.state[i] = HOLDING;
      st = HOLDING;
    }
    if (st === HOLDING) {
      // Without the SYN the stream's start is unknown: hold until it comes or the window runs out.
      if (((seq - this.next[i]) | 0) < 0) this.next[i] = seq;
      this.hold(i, slot, dir, seq, buf, payloadOffset, capturedLength, payloadLength, nowMicros);
      return;
    }
    const rel = (seq - this.next[i]) | 0;
    if (rel + payloadLength <= 0) {
      this.stats.retransmits++;
      if (this.gapHead[i] >= 0) this.recover(i, slot, dir, seq, payloadLength);
      return;
    }
    if (rel < 0 && this.gapHead[i] >= 0) this.recover(i, slot, dir, seq, -rel);
    if (rel > 0) {
      this.stats.reordered++;
      this.hold(i, slot, dir, seq, buf, payloadOffset, capturedLength, payloadLength, nowMicros);
      return;
    }
    const head = this.pendHead[i];
    const behindHeld = head >= 0 && ((this.segSeq[head] - this.next[i]) | 0) <= 0;
    if (behindHeld || this.waitsForPeer(i, this.hasAck, ack)) {
      // In order, but behind held in-order data or ahead of the peer bytes it answers: keep the order.
      if (!behindHeld) this.stats.waitedForPeer++;
      this.hold(i, slot, dir, seq, buf, payloadOffset, capturedLength, payloadLength, nowMicros);
      if (this.pendHead[i] >= 0) this.settle(slot, nowMicros);
      return;
    }
    this.deliverInOrder(i, slot, dir, seq, buf, payloadOffset, capturedLength, payloadLength, nowMicros);
    // Held segments of either direction may now be in order (this one filled a hole) or unblocked.
    if (head >= 0 || this.pendHead[i ^ 1] >= 0) this.settle(slot, nowMicros);
    else this.checkFin(i, slot, dir, nowMicros);
  }

  // The ACK of the segment being handled (kept in fields to keep hold()'s signature short).
  private ack = 0;
  private hasAck = false;

  /**
   * Whether a segment of direction `i` acknowledging `ack` must wait for the other direction: it
   * answers bytes not delivered yet. Only within the reorder window; beyond it the peer's bytes are
   * taken as lost rather than late.
   */
  private waitsForPeer(i: number, hasAck: boolean, ack: number): boolean {
    if (!hasAck) return false;
    const o = i ^ 1;
    if (this.state[o] !== SYNCED) return false;
    const ahead = (ack - this.next[o]) | 0;
    return ahead > 0 && ahead <= this.windowBytes;
  }

  /**
   * A segment of direction `i` acknowledges bytes that the other direction, which began without a
   * SYN (mid-stream start, SYN not mirrored), holds: those bytes were sent first, and nothing before
   * the earliest held byte can still come in order, so the other direction starts there and is
   * delivered now, before this segment. Without this the two directions of a mid-stream connection
   * reach the dissectors in the wrong order (responses before their requests).
   */
  private settlePeerStart(i: number, slot: number, ack: number, nowMicros: number): void {
    const o = i ^ 1;
    if (this.state[o] !== HOLDING || this.pendHead[o] < 0) return;
    const ahead = (ack - this.segSeq[this.pendHead[o]]) | 0;
    if (ahead <= 0 || ahead > this.windowBytes) return;
    this.stats.midstreamAcked++;
    this.state[o] = SYNCED;
    this.next[o] = this.segSeq[this.pendHead[o]];
    this.settle(slot, nowMicros);
  }

  /**
   * A segment of direction `i` at `seq`, `length` bytes long, came behind the delivered stream: the
   * part of it inside holes given up on earlier is seen after all and no longer missed.
   */
  private recover(i: number, slot: number, dir: number, seq: number, length: number): void {
    const end = (seq + length) >>> 0;
    let prev = -1;
    for (let g = this.gapHead[i]; g >= 0; ) {
      const gs = this.gapStart[g];
      const ge = (gs + this.gapLen[g]) >>> 0;
      const after = this.gapNext[g];
      // Overlap of [seq, end) with [gs, ge), in sequence space relative to the hole's start.
      const from = Math.max(0, (seq - gs) | 0);
      const to = Math.min(this.gapLen[g], (end - gs) | 0);
      if (to > from) {
        const filled = to - from;
        this.stats.recoveredBytes += filled;
        this.handler.onRecovered(slot, dir, filled);
        if (from === 0 && to === this.gapLen[g]) {
          // The whole hole was filled: forget it.
          if (prev < 0) this.gapHead[i] = after;
          else this.gapNext[prev] = after;
          this.gapFree[this.gapFreeCount++] = g;
          g = after;
          continue;
        }
        if (from === 0) {
          this.gapStart[g] = (gs + to) >>> 0;
          this.gapLen[g] -= to;
        } else if (to === this.gapLen[g]) {
          this.gapLen[g] = from;
        } else if (this.gapFreeCount > 0 || this.gapUnused < this.gapFree.length) {
          // Filled in the middle: the hole splits in two.
          const h = this.takeGap();
          this.gapStart[h] = (gs + to) >>> 0;
          this.gapLen[h] = this.gapLen[g] - to;
          this.gapNext[h] = after;
          this.gapLen[g] = from;
          this.gapNext[g] = h;
          prev = h;
          g = after;
          continue;
        } else {
          // No room to remember the second half: keep the first, the rest stays counted as missed.
          this.gapLen[g] = from;
        }
      }
      if (((ge - end) | 0) >= 0) return; // holes are sorted: none further can overlap
      prev = g;
      g = after;
    }
  }

  private rememberGap(i: number, start: number, length: number): void {
    if (this.gapFreeCount === 0 && this.gapUnused === this.gapFree.length) return; // out of room: the hole stays counted as missed
    const g = this.takeGap();
    this.gapStart[g] = start;
    this.gapLen[g] = length;
    this.gapNext[g] = -1;
    // Holes are declared in stream order, so the new one goes last.
    let last = this.gapHead[i];
    if (last < 0) {
      this.gapHead[i] = g;
      return;
    }
    while (this.gapNext[last] >= 0) last = this.gapNext[last];
    this.gapNext[last] = g;
  }

  /** A gap entry (one must be free or unused): freed ones first, then never-used ones in order. */
  private takeGap(): number {
    return this.gapFreeCount > 0 ? this.gapFree[--this.gapFreeCount] : this.gapUnused++;
  }

  /** Sets the list heads of every slot up to `slot` (and some beyond, so this runs rarely). */
  private makeReady(slot: number): void {
    const end = Math.min(Math.max(slot + 1, this.readySlots * 2, 1024), this.state.length >> 1);
    this.pendHead.fill(-1, this.readySlots * 2, end * 2);
    this.gapHead.fill(-1, this.readySlots * 2, end * 2);
    this.readySlots = end;
  }

  private forgetGaps(i: number): void {
    for (let g = this.gapHead[i]; g >= 0; g = this.gapNext[g]) this.gapFree[this.gapFreeCount++] = g;
    this.gapHead[i] = -1;
  }

  /** Delivers what both directions of `slot` can deliver now, each unblocking the other in turn. */
  private settle(slot: number, nowMicros: number): void {
    const i0 = slot * 2;
    const i1 = i0 + 1;
    for (let round = 0; round < 64; round++) {
      let progressed = false;
      // A direction still waiting for its SYN (HOLDING) is drained only when the SYN comes or by flush.
      if (this.state[i0] === SYNCED && this.pendHead[i0] >= 0 && this.drain(i0, slot, 0, nowMicros, false))
        progressed = true;
      if (this.state[i1] === SYNCED && this.pendHead[i1] >= 0 && this.drain(i1, slot, 1, nowMicros, false))
        progressed = true;
      if (!progressed) break;
    }
    for (let dir = 0; dir < 2; dir++) {
      const i = i0 + dir;
      if (this.pendHead[i] >= 0 && nowMicros - this.pendSince[i] > this.windowMicros) {
        this.flush(i, slot, dir, nowMicros);
      }
      this.checkFin(i, slot, dir, nowMicros);
    }
  }

  /** Gives up on every hole older than the reorder window (call with packet time, about once a second). */
  tick(nowMicros: number): void {
    const limit = nowMicros - this.windowMicros;
    for (let i = this.pdHead; i >= 0 && this.pendSince[i] < limit; i = this.pdHead) {
      this.flush(i, i >> 1, i & 1, nowMicros);
      this.settle(i >> 1, nowMicros); // the other direction may have waited for these bytes
    }
  }

  /**
   * The flow in `slot` ends: delivers what is held in both directions (holes become gaps), then
   * forgets the slot.
   */
  endFlow(slot: number, nowMicros: number): void {
    if (slot >= this.readySlots) return; // no segment ever reached it: nothing to forget
    for (let dir = 0; dir < 2; dir++) {
      const i = slot * 2 + dir;
      if (this.state[i] === HOLDING || this.state[i] === SYNCED) this.flush(i, slot, dir, nowMicros);
      else this.discard(i);
      this.forgetGaps(i);
      this.state[i] = NONE;
      this.hasFin[i] = 0;
    }
  }

  /** Direction has received its FIN in sequence. */
  ended(slot: number, dir: number): boolean {
    return this.state[slot * 2 + dir] === ENDED;
  }

  private deliverInOrder(
    i: number,
    slot: number,
    dir: number,
    seq: number,
    buf: Uint8Array,
    payloadOffset: number,
    capturedLength: number,
    payloadLength: number,
    nowMicros: number,
  ): void {
    const skip = (this.next[i] - seq) | 0;
    if (skip > 0) this.stats.overlaps++;
    const h = this.handler;
    if (capturedLength > skip)
      h.onData(slot, dir, buf, payloadOffset + skip, capturedLength - skip, nowMicros);
    const cut = payloadLength - Math.max(skip, capturedLength);
    if (cut > 0) {
      this.stats.truncatedBytes += cut;
      h.onGap(slot, dir, cut, false, nowMicros);
    }
    this.next[i] = (seq + payloadLength) >>> 0;
  }

  /**
   * Delivers held segments that are now in order (and, unless `force`, whose acknowledged peer bytes
   * were delivered). Returns whether anything moved.
   */
  private drain(i: number, slot: number, dir: number, nowMicros: number, force: boolean): boolean {
    let progressed = false;
    for (let s = this.pendHead[i]; s >= 0; s = this.pendHead[i]) {
      const rel = (this.segSeq[s] - this.next[i]) | 0;
      if (rel > 0) break;
      if (!force && this.waitsForPeer(i, this.segHasAck[s] === 1, this.segAck[s])) break;
      progressed = true;
      this.pendHead[i] = this.segNext[s];
      const length = this.segLen[s];
      if (rel + length <= 0) this.stats.retransmits++;
      else {
        if (this.segWanted[s] === 1) {
          const held = this.segBuf[s] ?? EMPTY;
          this.deliverInOrder(i, slot, dir, this.segSeq[s], held, 0, this.segCaptured[s], length, nowMicros);
        } else {
          this.next[i] = (this.segSeq[s] + length) >>> 0; // payload not wanted: only the sequence moves
        }
      }
      this.freeSegment(s);
    }
    if (this.pendHead[i] < 0) this.unlinkPending(i);
    return progressed;
  }

  /** Gives up on the direction's holes: each becomes a gap, and everything held is delivered. */
  private flush(i: number, slot: number, dir: number, nowMicros: number): void {
    if (this.state[i] === HOLDING) {
      // Never saw the SYN: the stream starts at the earliest byte seen.
      this.state[i] = SYNCED;
      const head = this.pendHead[i];
      if (head >= 0) this.next[i] = this.segSeq[head];
    }
    for (let s = this.pendHead[i]; s >= 0; s = this.pendHead[i]) {
      const rel = (this.segSeq[s] - this.next[i]) | 0;
      if (rel > 0) this.gap(i, slot, dir, rel, nowMicros);
      this.drain(i, slot, dir, nowMicros, true);
    }
    this.unlinkPending(i);
    if (this.hasFin[i] === 1 && this.state[i] === SYNCED) {
      const rel = (this.finSeq[i] - this.next[i]) | 0;
      if (rel > 0) this.gap(i, slot, dir, rel, nowMicros);
      this.checkFin(i, slot, dir, nowMicros);
    }
  }

  private gap(i: number, slot: number, dir: number, length: number, nowMicros: number): void {
    this.stats.gaps++;
    this.stats.gapBytes += length;
    this.rememberGap(i, this.next[i], length);
    this.next[i] = (this.next[i] + length) >>> 0;
    this.handler.onGap(slot, dir, length, true, nowMicros);
  }

  private checkFin(i: number, slot: number, dir: number, nowMicros: number): void {
    if (this.hasFin[i] === 1 && this.state[i] === SYNCED && this.next[i] === this.finSeq[i]) {
      this.state[i] = ENDED;
      this.discard(i);
      this.handler.onEnd(slot, dir, nowMicros);
    }
  }

  /** Keeps a segment that arrived ahead of a hole (copying its captured bytes), in sequence order. */
  private hold(
    i: number,
    slot: number,
    dir: number,
    seq: number,
    buf: Uint8Array,
    payloadOffset: number,
    capturedLength: number,
    payloadLength: number,
    nowMicros: number,
  ): void {
    // Find the place first: a duplicate of a held segment is dropped before costing memory.
    let prev = -1;
    let s = this.pendHead[i];
    const base = this.next[i];
    const rel = (seq - base) | 0;
    while (s >= 0) {
      const r = (this.segSeq[s] - base) | 0;
      if (r === rel && this.segLen[s] >= payloadLength) {
        this.stats.retransmits++;
        return;
      }
      if (r > rel) break;
      prev = s;
      s = this.segNext[s];
    }
    const wanted = this.handler.wantsPayload(slot);
    let copy: Buffer | null = null;
    if (wanted && capturedLength > 0) {
      copy = this.acquireForHold(i, capturedLength);
      if (copy === null) {
        this.deliverForced(i, slot, dir, seq, buf, payloadOffset, capturedLength, payloadLength, nowMicros);
        return;
      }
    }
    const seg = this.allocSegment(i);
    if (seg < 0) {
      if (copy !== null) this.pool.release(copy);
      this.deliverForced(i, slot, dir, seq, buf, payloadOffset, capturedLength, payloadLength, nowMicros);
      return;
    }
    if (copy !== null) {
      const src = buf.subarray(payloadOffset, payloadOffset + capturedLength);
      copy.set(src, 0);
    }
    // Eviction never touches this direction (see evictOldest), so `prev` is still the place.
    this.segSeq[seg] = seq;
    this.segLen[seg] = payloadLength;
    this.segAck[seg] = this.ack;
    this.segHasAck[seg] = this.hasAck ? 1 : 0;
    this.segCaptured[seg] = copy !== null ? capturedLength : 0;
    this.segBuf[seg] = copy;
    this.segWanted[seg] = wanted ? 1 : 0;
    this.insertAfter(i, seg, prev);
    if (this.pdLinked[i] === 0) this.linkPending(i, nowMicros);
    const reach = (seq + payloadLength - this.next[i]) | 0;
    if (reach > this.windowBytes || nowMicros - this.pendSince[i] > this.windowMicros) {
      this.flush(i, slot, dir, nowMicros);
    }
  }

  private insertAfter(i: number, seg: number, prev: number): void {
    if (prev < 0) {
      this.segNext[seg] = this.pendHead[i];
      this.pendHead[i] = seg;
    } else {
      this.segNext[seg] = this.segNext[prev];
      this.segNext[prev] = seg;
    }
  }

  /** Drops whatever the direction holds without delivering it (the stream is over). */
  private discard(i: number): void {
    for (let s = this.pendHead[i]; s >= 0; s = this.pendHead[i]) {
      this.pendHead[i] = this.segNext[s];
      this.freeSegment(s);
    }
    this.unlinkPending(i);
  }

  /** Memory ran short: flush this direction and deliver the segment from the packet buffer. */
  private deliverForced(
    i: number,
    slot: number,
    dir: number,
    seq: number,
    buf: Uint8Array,
    payloadOffset: number,
    capturedLength: number,
    payloadLength: number,
    nowMicros: number,
  ): void {
    this.stats.evictedBuffers++;
    this.flush(i, slot, dir, nowMicros);
    if (this.state[i] === ENDED) return;
    const rel = (seq - this.next[i]) | 0;
    if (rel > 0) this.gap(i, slot, dir, rel, nowMicros);
    if (rel + payloadLength > 0) {
      this.deliverInOrder(i, slot, dir, seq, buf, payloadOffset, capturedLength, payloadLength, nowMicros);
    }
    this.checkFin(i, slot, dir, nowMicros);
  }

  private acquireForHold(i: number, size: number): Buffer | null {
    for (;;) {
      const b = this.pool.acquire(size);
      if (b !== undefined) return b;
      if (!this.evictOldest(i)) return null;
    }
  }

  private allocSegment(i: number): number {
    if (this.segFreeCount === 0 && this.segUnused < this.segFree.length) return this.segUnused++;
    while (this.segFreeCount === 0) {
      if (!this.evictOldest(i)) return -1;
    }
    return this.segFree[--this.segFreeCount];
  }

  /** Flushes the direction that has waited longest (other than `except`); false when there is none. */
  private evictOldest(except: number): boolean {
    let victim = this.pdHead;
    if (victim === except) victim = this.pdNext[victim];
    if (victim < 0) return false;
    this.stats.evictedBuffers++;
    this.flush(victim, victim >> 1, victim & 1, this.pendSince[victim]);
    return true;
  }

  private freeSegment(s: number): void {
    const b = this.segBuf[s];
    if (b !== null) {
      this.pool.release(b);
      this.segBuf[s] = null;
    }
    this.segFree[this.segFreeCount++] = s;
  }

  private linkPending(i: number, nowMicros: number): void {
    this.pendSince[i] = nowMicros;
    this.pdLinked[i] = 1;
    this.pdPrev[i] = this.pdTail;
    this.pdNext[i] = -1;
    if (this.pdTail >= 0) this.pdNext[this.pdTail] = i;
    else this.pdHead = i;
    this.pdTail = i;
  }

  private unlinkPending(i: number): void {
    if (this.pdLinked[i] === 0) return;
    this.pdLinked[i] = 0;
    const p = this.pdPrev[i];
    const n = this.pdNext[i];
    if (p >= 0) this.pdNext[p] = n;
    else this.pdHead = n;
    if (n >= 0) this.pdPrev[n] = p;
    else this.pdTail = p;
  }
}
