import type { FrameDecoder } from '@fargate-mirror/wire';
import { AnalysisError } from '../errors.js';
import { hashInnerPacket } from './packet-hash.js';

export interface PacketDedupOptions {
  /**
   * How long after a packet a copy of it from another mirror point still counts as the same packet.
   * Both copies cross the same wire, so they arrive microseconds to milliseconds apart. @default 50 ms
   */
  readonly windowMs?: number;
  /** Packets remembered at once (rounded up to a power of two). @default 65536 */
  readonly capacity?: number;
}

export interface PacketDedupStats {
  /** Packets looked at. */
  checked: number;
  /** Copies of a packet already counted (seen at a second mirror point), removed. */
  duplicates: number;
  /** Entries still inside the window overwritten because the table was full near them. */
  overwritten: number;
}

/** Slots probed per lookup; beyond that the oldest probed entry is replaced. */
const PROBES = 8;

/**
 * Counts each inner packet once when both ends of a conversation are mirrored: the copy from the
 * second mirror point (another VNI and outer source) is recognised by a hash of the inner packet
 * that ignores TTL and checksums, within a short window, in the same address domain. A repeat from
 * the same mirror point is never a duplicate: that is a real retransmission.
 *
 * The table is preallocated (typed arrays, open addressing, entries expire by time): no allocation
 * per packet. After a packet that was not a duplicate, call `recordFlow(slot)`; after a duplicate,
 * `duplicateOfSlot` names the flow slot its first copy went to (or -1), so the caller can note the
 * second mirror point on it.
 */
export class PacketDeduplicator {
  readonly stats: PacketDedupStats = { checked: 0, duplicates: 0, overwritten: 0 };
  readonly windowMicros: number;
  /** The flow slot of the first copy of the latest duplicate (-1 when unknown). */
  duplicateOfSlot = -1;
  private readonly mask: number;
  private readonly hashA: Uint32Array;
  private readonly hashB: Uint32Array;
  private readonly domains: Uint32Array;
  private readonly times: Float64Array;
  private readonly points: Int32Array;
  private readonly slots: Int32Array;
  private readonly hash = new Uint32Array(2);
  private pending = -1;

  constructor(options: PacketDedupOptions = {}) {
    const windowMs = options.windowMs ?? 50;
    if (!(windowMs >= 0) || !Number.isFinite(windowMs))
      throw new AnalysisError('DEDUP_CONFIG_INVALID', `dedup window must be >= 0 ms, got ${windowMs}`);
    const wanted = options.capacity ?? 65_536;
    if (!Number.isInteger(wanted) || wanted < PROBES)
      throw new AnalysisError('DEDUP_CONFIG_INVALID', `dedup capacity must be >= ${PROBES}, got ${wanted}`);
    let size = PROBES;
    while (size < wanted) size <<= 1;
    this.windowMicros = windowMs * 1000;
    this.mask = size - 1;
    this.hashA = new Uint32Array(size);
    this.hashB = new Uint32Array(size);
    this.domains = new Uint32Array(size);
    this.times = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
    this.points = new Int32Array(size);
    this.slots = new Int32Array(size).fill(-1);
  }

  /**
   * Whether the IP packet `inner` decoded from `buf`, seen at `nowMicros` from mirror point `point`
   * in address domain `domain`, is a copy of one already counted from another mirror point.
   */
  isDuplicate(
    buf: Uint8Array,
    inner: FrameDecoder,
    domain: number,
    nowMicros: number,
    point: number,
  ): boolean {
    this.stats.checked++;
    const h = this.hash;
    hashInnerPacket(buf, inner, h);
    const a = h[0];
    const b = h[1];
    const oldest = nowMicros - this.windowMicros;
    const times = this.times;
    let free = -1;
    let victim = -1;
    for (let k = 0; k < PROBES; k++) {
      const e = (a + k) & this.mask;
      const t = times[e];
      if (t < oldest) {
        if (free < 0) free = e;
        continue;
      }
      if (this.hashA[e] === a && this.hashB[e] === b && this.domains[e] === domain) {
        if (this.points[e] !== point) {
          this.stats.duplicates++;
          this.duplicateOfSlot = this.slots[e];
          this.pending = -1;
          return true;
        }
        // The same mirror point again: a real repeat of the packet (retransmission); count it.
        times[e] = nowMicros;
        this.pending = e;
        return false;
      }
      if (victim < 0 || t < times[victim]) victim = e;
    }
    let e = free;
    if (e < 0) {
      e = victim;
      this.stats.overwritten++;
    }
    this.hashA[e] = a;
    this.hashB[e] = b;
    this.domains[e] = domain;
    times[e] = nowMicros;
    this.points[e] = point;
    this.slots[e] = -1;
    this.pending = e;
    return false;
  }

  /** The packet last checked (not a duplicate) was counted in flow `slot`. */
  recordFlow(slot: number): void {
    if (this.pending >= 0) this.slots[this.pending] = slot;
    this.pending = -1;
  }
}
