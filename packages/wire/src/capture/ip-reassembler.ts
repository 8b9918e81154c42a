import { writeIpv4HeaderChecksum } from '../checksum.js';
import { FragmentQueue, MAX_KEY_BYTES, RangeFit } from './fragment-queue.js';
import { ipv6FragmentWalk, walkToIpv6FragmentHeader } from './ip-fragment.js';

/** What `IpReassembler.add` did with a fragment. */
export const ReassemblyStatus = {
  /** Kept; the datagram still has holes. */
  NEED_MORE: 0,
  /** The datagram is whole: see `out`, `outOffset`, `outLength`. */
  COMPLETE: 1,
  /** Not used: see `dropReason` (and, for overlaps and inconsistencies, the whole datagram went too). */
  DROPPED: 2,
} as const;

export type ReassemblyStatusCode = (typeof ReassemblyStatus)[keyof typeof ReassemblyStatus];

/** Stable snake_case names, for metric labels and summaries. */
export const reassemblyStatusNames: readonly string[] = ['need_more', 'complete', 'dropped'];

/** Why `add` returned DROPPED. */
export const ReassemblyDropReason = {
  NONE: 0,
  /** Bad header, cut short by the capture, zero or misaligned payload, or inconsistent with the others. */
  MALFORMED: 1,
  /** Exactly covered by data already received: ignored, the datagram continues (as Linux). */
  DUPLICATE: 2,
  /** Partly overlaps received data: the whole datagram is dropped (RFC 5722, as Linux). */
  OVERLAP: 3,
  /** The datagram would exceed 65535 bytes or `maxDatagramBytes`: dropped. */
  TOO_BIG: 4,
  /** Memory limits left no room even after evicting every other datagram. */
  NO_MEMORY: 5,
} as const;

export type ReassemblyDropReasonCode = (typeof ReassemblyDropReason)[keyof typeof ReassemblyDropReason];

export const reassemblyDropReasonNames: readonly string[] = [
  'none',
  'malformed',
  'duplicate',
  'overlap',
  'too_big',
  'no_memory',
];

export interface IpReassemblerOptions {
  /**
   * Datagrams in progress at once; the oldest is evicted (counted) to make room.
   * @default 4096
   */
  readonly maxDatagrams?: number;
  /**
   * Memory for fragment data, in use and pooled; the oldest datagrams are evicted to stay below.
   * @default 64 MiB
   */
  readonly maxBytes?: number;
  /**
   * A datagram not complete this long after its first fragment is dropped (Linux ipfrag_time: 30 s).
   * @default 30_000_000
   */
  readonly timeoutMicros?: number;
  /**
   * Largest reassembled L3 datagram, headers included.
   * @default 65575 (an IPv6 header plus the largest payload length)
   */
  readonly maxDatagramBytes?: number;
}

/** Counters; the object is live and never replaced. */
export interface ReassemblyStats {
  /** Fragments passed to `add`. */
  fragments: number;
  reassembled: number;
  timedOut: number;
  /** Datagrams dropped because fragments partly overlapped. */
  overlaps: number;
  /** Datagrams dropped to make room (count or memory limit). */
  evicted: number;
  tooBig: number;
  /** Fragments (or, for inconsistent lengths, datagrams) dropped as malformed. */
  malformed: number;
  /** Fragments ignored because their data had already been received. */
  duplicates: number;
}

const IPV4_HEADER_MIN = 20;
const IPV4_KEY_BYTES = 11;
const IPV4_MF = 0x2000;
const IPV4_OFFSET_MASK = 0x1fff;
const IPV4_DF_AND_RESERVED = 0xc0; // high bits of byte 6 kept in the reassembled header
const IPV6_HEADER_BYTES = 40;
const IPV6_KEY_BYTES = 36;
const IPV6_FRAGMENT_HEADER_BYTES = 8;
const MAX_IP_LENGTH = 65_535;
const DEFAULT_MAX_DATAGRAM_BYTES = MAX_IP_LENGTH + IPV6_HEADER_BYTES;
const MIN_DATA_CAPACITY = 2048;

/**
 * Reassembles outer IPv4 and IPv6 fragments the way the Linux kernel does for a live UDP socket, so
 * offline reading sees the same datagrams: keyed by (src, dst, id, protocol) for IPv4 and (src, dst,
 * identification) for IPv6; out of order and duplicate fragments accepted; a partial overlap drops the
 * whole datagram; incomplete datagrams time out 30 s after their first fragment. Memory is bounded by
 * datagram count and bytes, evicting the oldest datagram when full.
 *
 * The reassembled IPv4 header is the offset-0 fragment's (options included) with total length set,
 * MF and fragment offset cleared (DF kept) and the header checksum recomputed. For IPv6 the Fragment
 * header is removed, the Next Header that named it now names what it carried, and the payload length
 * is set.
 *
 * @example
 * const reassembler = new IpReassembler();
 * if (isIpv4Fragment(buf, l3)) {
 *   if (reassembler.add(buf, l3, l3Length, nowMicros) === ReassemblyStatus.COMPLETE) {
 *     handleDatagram(reassembler.out, reassembler.outOffset, reassembler.outLength);
 *   }
 * }
 */
export class IpReassembler {
  /** On COMPLETE: the buffer holding the whole datagram; valid until the next `add`. */
  out: Buffer = Buffer.alloc(0);
  outOffset = 0;
  outLength = 0;
  /** On DROPPED: why (see ReassemblyDropReason). */
  dropReason: ReassemblyDropReasonCode = ReassemblyDropReason.NONE;
  readonly stats: ReassemblyStats = {
    fragments: 0,
    reassembled: 0,
    timedOut: 0,
    overlaps: 0,
    evicted: 0,
    tooBig: 0,
    malformed: 0,
    duplicates: 0,
  };

  private readonly maxDatagrams: number;
  private readonly maxBytes: number;
  private readonly timeoutMicros: number;
  private readonly maxDatagramBytes: number;
  private readonly buckets: (FragmentQueue | null)[];
  private readonly bucketMask: number;
  private readonly pool: FragmentQueue[] = [];
  private readonly scratchKey = new Uint8Array(MAX_KEY_BYTES);
  private assembly: Buffer | null = null;
  private oldest: FragmentQueue | null = null;
  private newest: FragmentQueue | null = null;
  private active = 0;
  private held = 0;

  constructor(options: IpReassemblerOptions = {}) {
    this.maxDatagrams = positiveInteger('maxDatagrams', options.maxDatagrams ?? 4096);
    this.maxBytes = positiveInteger('maxBytes', options.maxBytes ?? 64 * 1024 * 1024);
    this.timeoutMicros = positiveInteger('timeoutMicros', options.timeoutMicros ?? 30_000_000);
    this.maxDatagramBytes = positiveInteger(
      'maxDatagramBytes',
      options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES,
    );
    let size = 16;
    while (size < this.maxDatagrams * 2) size *= 2;
    this.buckets = new Array<FragmentQueue | null>(size).fill(null);
    this.bucketMask = size - 1;
  }

  /** Datagrams currently waiting for fragments. */
  get pendingDatagrams(): number {
    return this.active;
  }

  /** Bytes of buffers held (in use and pooled), the figure `maxBytes` bounds. */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Adds the IPv4 or IPv6 fragment at `buf[l3Offset, l3Offset + l3Length)` (trailing link padding is
   * ignored). Call it only for fragments (`isIpv4Fragment`, `findIpv6FragmentHeader`); given a packet
   * that is not one, it returns COMPLETE with `out` pointing at the packet itself. Also expires stale
   * datagrams, as `expire(nowMicros)` does.
   */
  add(buf: Buffer, l3Offset: number, l3Length: number, nowMicros: number): ReassemblyStatusCode {
    this.dropReason = ReassemblyDropReason.NONE;
    this.expire(nowMicros);
    const end = Math.min(buf.length, l3Offset + l3Length);
    if (end - l3Offset < 1) return this.dropFragment(ReassemblyDropReason.MALFORMED);
    const version = buf[l3Offset] >> 4;
    if (version === 4) return this.addIpv4(buf, l3Offset, end - l3Offset, nowMicros);
    if (version === 6) return this.addIpv6(buf, l3Offset, end - l3Offset, nowMicros);
    this.stats.fragments++;
    return this.dropFragment(ReassemblyDropReason.MALFORMED);
  }

  /** Drops datagrams whose first fragment is `timeoutMicros` old; returns how many. */
  expire(nowMicros: number): number {
    let expired = 0;
    while (this.oldest !== null && nowMicros - this.oldest.createdMicros >= this.timeoutMicros) {
      this.release(this.oldest);
      this.stats.timedOut++;
      expired++;
    }
    return expired;
  }

  /** Forgets every datagram in progress (not counted) and frees pooled buffers. */
  clear(): void {
    while (this.oldest !== null) this.release(this.oldest);
    for (const queue of this.pool) this.freeBuffers(queue);
  }

  private addIpv4(b: Buffer, o: number, length: number, now: number): ReassemblyStatusCode {
    if (length < IPV4_HEADER_MIN) return this.countAndDrop(ReassemblyDropReason.MALFORMED);
    const headerLength = (b[o] & 0x0f) * 4;
    const totalLength = (b[o + 2] << 8) | b[o + 3];
    // A fragment the capture cut short cannot be reassembled: its bytes are not all here.
    if (headerLength < IPV4_HEADER_MIN || totalLength < headerLength || totalLength > length) {
      return this.countAndDrop(ReassemblyDropReason.MALFORMED);
    }
    const flagsAndOffset = (b[o + 6] << 8) | b[o + 7];
    const more = (flagsAndOffset & IPV4_MF) !== 0;
    const start = (flagsAndOffset & IPV4_OFFSET_MASK) * 8;
    if (!more && start === 0) return this.passThrough(b, o, totalLength);
    this.stats.fragments++;
    const dataLength = totalLength - headerLength;
    if (dataLength === 0 || (more && (dataLength & 7) !== 0))
      return this.dropFragment(ReassemblyDropReason.MALFORMED);
    const end = start + dataLength;
    this.buildIpv4Key(b, o);
    if (end + IPV4_HEADER_MIN > MAX_IP_LENGTH || end + IPV4_HEADER_MIN > this.maxDatagramBytes) {
      return this.dropWithDatagram(this.find(IPV4_KEY_BYTES), ReassemblyDropReason.TOO_BIG);
    }
    const queue = this.findOrCreate(IPV4_KEY_BYTES, now);
    const status = this.place(queue, start, end, !more, b, o + headerLength);
    if (status !== ReassemblyStatus.NEED_MORE) return status;
    if (start === 0 && !this.keepHeader(queue, b, o, headerLength)) return this.noMemory(queue);
    return queue.isComplete() ? this.completeIpv4(queue) : ReassemblyStatus.NEED_MORE;
  }

  private addIpv6(b: Buffer, o: number, length: number, now: number): ReassemblyStatusCode {
    if (length < IPV6_HEADER_BYTES) return this.countAndDrop(ReassemblyDropReason.MALFORMED);
    const payloadLength = (b[o + 4] << 8) | b[o + 5];
    const packetLength = IPV6_HEADER_BYTES + payloadLength;
    // Payload length 0 is a jumbogram (or garbage); a short packet was cut by the capture.
    if (payloadLength === 0 || packetLength > length)
      return this.countAndDrop(ReassemblyDropReason.MALFORMED);
    const fragmentHeader = walkToIpv6FragmentHeader(b, o, packetLength);
    if (fragmentHeader < 0) return this.passThrough(b, o, packetLength);
    this.stats.fragments++;
    const nextHeaderField = ipv6FragmentWalk.nextHeaderField - o;
    const offsetAndFlags = (b[fragmentHeader + 2] << 8) | b[fragmentHeader + 3];
    const more = (offsetAndFlags & 1) !== 0;
    const start = offsetAndFlags & 0xfff8;
    const dataStart = fragmentHeader + IPV6_FRAGMENT_HEADER_BYTES;
    const dataLength = o + packetLength - dataStart;
    const unfragmentableLength = fragmentHeader - o;
    if (!more && start === 0) {
      // Atomic fragment (RFC 6946): a whole datagram; Linux processes it as such, without a queue.
      this.stats.reassembled++;
      return this.emitIpv6(
        b,
        o,
        unfragmentableLength,
        nextHeaderField,
        b[fragmentHeader],
        b,
        dataStart,
        dataLength,
      );
    }
    if (dataLength <= 0 || (more && (dataLength & 7) !== 0))
      return this.dropFragment(ReassemblyDropReason.MALFORMED);
    const end = start + dataLength;
    this.buildIpv6Key(b, o, fragmentHeader);
    if (end > MAX_IP_LENGTH || end + IPV6_HEADER_BYTES > this.maxDatagramBytes) {
      return this.dropWithDatagram(this.find(IPV6_KEY_BYTES), ReassemblyDropReason.TOO_BIG);
    }
    const queue = this.findOrCreate(IPV6_KEY_BYTES, now);
    const status = this.place(queue, start, end, !more, b, dataStart);
    if (status !== ReassemblyStatus.NEED_MORE) return status;
    if (start === 0) {
      if (!this.keepHeader(queue, b, o, unfragmentableLength)) return this.noMemory(queue);
      queue.nextHeaderField = nextHeaderField;
      queue.fragmentNextHeader = b[fragmentHeader];
    }
    if (!queue.isComplete()) return ReassemblyStatus.NEED_MORE;
    const header = queue.header!;
    const status6 = this.emitIpv6(
      header,
      0,
      queue.headerLength,
      queue.nextHeaderField,
      queue.fragmentNextHeader,
      queue.data!,
      0,
      queue.totalLength,
    );
    this.release(queue);
    if (status6 === ReassemblyStatus.COMPLETE) this.stats.reassembled++;
    return status6;
  }

  /**
   * Checks [start, end) against what the datagram already has and copies it in. Returns NEED_MORE when
   * the data was stored, DROPPED otherwise (the datagram itself may have been dropped too).
   */
  private place(
    queue: FragmentQueue,
    start: number,
    end: number,
    last: boolean,
    src: Buffer,
    srcOffset: number,
  ): ReassemblyStatusCode {
    // Length consistency, as Linux: the last fragment fixes the size, nothing may end beyond it.
    if (last) {
      if (end < queue.maxEnd || (queue.totalLength >= 0 && end !== queue.totalLength)) {
        return this.dropWithDatagram(queue, ReassemblyDropReason.MALFORMED);
      }
    } else if (queue.totalLength >= 0 && end > queue.totalLength) {
      return this.dropWithDatagram(queue, ReassemblyDropReason.MALFORMED);
    }
    const fit = queue.fit(start, end);
    if (fit === RangeFit.DUPLICATE) {
      this.stats.duplicates++;
      this.dropReason = ReassemblyDropReason.DUPLICATE;
      return ReassemblyStatus.DROPPED;
    }
    if (fit === RangeFit.OVERLAP) return this.dropWithDatagram(queue, ReassemblyDropReason.OVERLAP);
    if (!this.reserveData(queue, end)) return this.noMemory(queue);
    src.copy(queue.data!, start, srcOffset, srcOffset + (end - start));
    queue.addRun(start, end);
    if (last) queue.totalLength = end;
    return ReassemblyStatus.NEED_MORE;
  }

  private completeIpv4(queue: FragmentQueue): ReassemblyStatusCode {
    const headerLength = queue.headerLength;
    const total = headerLength + queue.totalLength;
    if (total > MAX_IP_LENGTH || total > this.maxDatagramBytes) {
      return this.dropWithDatagram(queue, ReassemblyDropReason.TOO_BIG);
    }
    const out = this.assemblyBuffer();
    queue.header!.copy(out, 0, 0, headerLength);
    queue.data!.copy(out, headerLength, 0, queue.totalLength);
    out[2] = total >>> 8;
    out[3] = total & 0xff;
    out[6] &= IPV4_DF_AND_RESERVED;
    out[7] = 0;
    writeIpv4HeaderChecksum(out, 0);
    this.release(queue);
    this.stats.reassembled++;
    return this.emit(out, 0, total);
  }

  /** Writes an IPv6 datagram without its Fragment header into the assembly buffer. */
  private emitIpv6(
    header: Buffer,
    headerOffset: number,
    headerLength: number,
    nextHeaderField: number,
    nextHeader: number,
    data: Buffer,
    dataOffset: number,
    dataLength: number,
  ): ReassemblyStatusCode {
    const total = headerLength + dataLength;
    const payloadLength = total - IPV6_HEADER_BYTES;
    if (payloadLength > MAX_IP_LENGTH || total > this.maxDatagramBytes) {
      this.stats.tooBig++;
      this.dropReason = ReassemblyDropReason.TOO_BIG;
      return ReassemblyStatus.DROPPED;
    }
    const out = this.assemblyBuffer();
    header.copy(out, 0, headerOffset, headerOffset + headerLength);
    data.copy(out, headerLength, dataOffset, dataOffset + dataLength);
    out[nextHeaderField] = nextHeader;
    out[4] = payloadLength >>> 8;
    out[5] = payloadLength & 0xff;
    return this.emit(out, 0, total);
  }

  private passThrough(b: Buffer, o: number, length: number): ReassemblyStatusCode {
    return this.emit(b, o, length);
  }

  private emit(out: Buffer, offset: number, length: number): ReassemblyStatusCode {
    this.out = out;
    this.outOffset = offset;
    this.outLength = length;
    return ReassemblyStatus.COMPLETE;
  }

  private assemblyBuffer(): Buffer {
    if (this.assembly === null) this.assembly = Buffer.alloc(this.maxDatagramBytes);
    return this.assembly;
  }

  // --- keys and lookup -------------------------------------------------------------------------

  private buildIpv4Key(b: Buffer, o: number): void {
    const k = this.scratchKey;
    for (let i = 0; i < 8; i++) k[i] = b[o + 12 + i]; // source and destination
    k[8] = b[o + 4]; // identification
    k[9] = b[o + 5];
    k[10] = b[o + 9]; // protocol
  }

  private buildIpv6Key(b: Buffer, o: number, fragmentHeader: number): void {
    const k = this.scratchKey;
    for (let i = 0; i < 32; i++) k[i] = b[o + 8 + i]; // source and destination
    for (let i = 0; i < 4; i++) k[32 + i] = b[fragmentHeader + 4 + i]; // identification
  }

  private find(keyLength: number): FragmentQueue | null {
    const hash = hashKey(this.scratchKey, keyLength);
    for (let q = this.buckets[hash & this.bucketMask]; q !== null; q = q.hashNext) {
      if (q.hash === hash && q.keyLength === keyLength && sameKey(q.key, this.scratchKey, keyLength))
        return q;
    }
    return null;
  }

  private findOrCreate(keyLength: number, now: number): FragmentQueue {
    const found = this.find(keyLength);
    if (found !== null) return found;
    if (this.active >= this.maxDatagrams && this.oldest !== null) {
      this.release(this.oldest);
      this.stats.evicted++;
    }
    const queue = this.pool.pop() ?? new FragmentQueue();
    queue.reset();
    queue.key.set(this.scratchKey.subarray(0, keyLength));
    queue.keyLength = keyLength;
    queue.hash = hashKey(this.scratchKey, keyLength);
    queue.createdMicros = now;
    const bucket = queue.hash & this.bucketMask;
    queue.hashNext = this.buckets[bucket];
    this.buckets[bucket] = queue;
    queue.older = this.newest;
    if (this.newest !== null) this.newest.newer = queue;
    else this.oldest = queue;
    this.newest = queue;
    this.active++;
    return queue;
  }

  // --- memory ----------------------------------------------------------------------------------

  private reserveData(queue: FragmentQueue, end: number): boolean {
    const current = queue.data?.length ?? 0;
    if (current >= end) return true;
    let capacity = Math.max(MIN_DATA_CAPACITY, current * 2);
    while (capacity < end) capacity *= 2;
    capacity = Math.min(capacity, Math.max(end, this.maxDatagramBytes));
    if (!this.makeRoom(queue, capacity - current)) return false;
    const bigger = Buffer.allocUnsafe(capacity);
    // Only the received runs matter; copying the whole old buffer is simpler and as cheap.
    if (queue.data !== null) queue.data.copy(bigger, 0, 0, current);
    queue.data = bigger;
    this.held += capacity - current;
    return true;
  }

  private keepHeader(queue: FragmentQueue, b: Buffer, o: number, length: number): boolean {
    const current = queue.header?.length ?? 0;
    if (current < length) {
      const capacity = Math.max(64, length);
      if (!this.makeRoom(queue, capacity - current)) return false;
      queue.header = Buffer.allocUnsafe(capacity);
      this.held += capacity - current;
    }
    b.copy(queue.header!, 0, o, o + length);
    queue.headerLength = length;
    return true;
  }

  /** Frees pooled buffers, then evicts the oldest other datagrams, until `bytes` more fit. */
  private makeRoom(keep: FragmentQueue, bytes: number): boolean {
    for (let i = this.pool.length - 1; i >= 0 && this.held + bytes > this.maxBytes; i--) {
      this.freeBuffers(this.pool[i]);
    }
    while (this.held + bytes > this.maxBytes) {
      let victim = this.oldest;
      if (victim === keep) victim = victim.newer;
      if (victim === null) return false;
      this.release(victim);
      this.freeBuffers(victim);
      this.stats.evicted++;
    }
    return true;
  }

  private freeBuffers(queue: FragmentQueue): void {
    this.held -= queue.heldBytes();
    queue.data = null;
    queue.header = null;
  }

  // --- dropping --------------------------------------------------------------------------------

  private countAndDrop(reason: ReassemblyDropReasonCode): ReassemblyStatusCode {
    this.stats.fragments++;
    return this.dropFragment(reason);
  }

  private dropFragment(reason: ReassemblyDropReasonCode): ReassemblyStatusCode {
    if (reason === ReassemblyDropReason.MALFORMED) this.stats.malformed++;
    this.dropReason = reason;
    return ReassemblyStatus.DROPPED;
  }

  /** Drops this fragment and the datagram it belongs to (if one is in progress). */
  private dropWithDatagram(
    queue: FragmentQueue | null,
    reason: ReassemblyDropReasonCode,
  ): ReassemblyStatusCode {
    if (queue !== null) this.release(queue);
    if (reason === ReassemblyDropReason.OVERLAP) this.stats.overlaps++;
    else if (reason === ReassemblyDropReason.TOO_BIG) this.stats.tooBig++;
    else if (reason === ReassemblyDropReason.MALFORMED) this.stats.malformed++;
    this.dropReason = reason;
    return ReassemblyStatus.DROPPED;
  }

  private noMemory(queue: FragmentQueue): ReassemblyStatusCode {
    this.release(queue);
    this.stats.evicted++;
    this.dropReason = ReassemblyDropReason.NO_MEMORY;
    return ReassemblyStatus.DROPPED;
  }

  /** Unlinks a datagram and returns its queue (with its buffers) to the pool. */
  private release(queue: FragmentQueue): void {
    const bucket = queue.hash & this.bucketMask;
    if (this.buckets[bucket] === queue) this.buckets[bucket] = queue.hashNext;
    else {
      let q = this.buckets[bucket];
      while (q !== null && q.hashNext !== queue) q = q.hashNext;
      if (q !== null) q.hashNext = queue.hashNext;
    }
    if (queue.older !== null) queue.older.newer = queue.newer;
    else this.oldest = queue.newer;
    if (queue.newer !== null) queue.newer.older = queue.older;
    else this.newest = queue.older;
    queue.reset();
    this.active--;
    this.pool.push(queue);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** FNV-1a over the key bytes; kept positive and small so it stays a small integer in V8. */
function hashKey(key: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return h & 0x3fff_ffff;
}

function sameKey(a: Uint8Array, b: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}
