import {
  FLOW_KEY_META,
  FLOW_KEY_WORDS,
  FlowKey,
  type FrameDecoder,
  hashFlowKey,
  IpProtocol,
  TcpFlag,
} from '@fargate-mirror/wire';
import { FlowEndReason } from './flow-end-reason.js';

export interface FlowTableOptions {
  /** Concurrent flows held; a new flow beyond this evicts the least recently seen one. @default 262144 */
  readonly capacity?: number;
  /** @default 300 s, like Zeek's tcp_inactivity_timeout */
  readonly tcpIdleSeconds?: number;
  /** UDP, ICMP and other protocols. @default 60 s */
  readonly udpIdleSeconds?: number;
  /** How long a flow stays after FIN from both sides or RST, so the last ACKs land in it. @default 5 s */
  readonly closeLingerSeconds?: number;
  /** Long flows emit an interim record (and restart their counters) this often. @default 1800 s */
  readonly activeTimeoutSeconds?: number;
}

/** Receives a flow when it ends (or at an active timeout); reads the table's arrays at `slot`. */
export type FlowSink = (table: FlowTable, slot: number, reason: number) => void;

// Each flow sits on one of three recency lists, each with a single timeout, so expiry only ever looks
// at list tails: O(expired), never a scan of all flows.
const LIST_CLOSING = 0;
const LIST_UDP = 1;
const LIST_TCP = 2;
const LIST_COUNT = 3;

const STATE_FIN_A = 1;
const STATE_FIN_B = 2;
const STATE_RST = 4;
const STATE_SYN_SEEN = 8;

const MICROS = 1_000_000;

/**
 * A bidirectional flow table keyed by the canonical 5-tuple within an address domain. All state lives in
 * preallocated typed arrays indexed by slot: numeric keys, chained hashing, free list, recency lists.
 * Updating a flow allocates nothing; memory is fixed by `capacity`.
 *
 * Endpoint A is the numerically smaller (address, port); per-direction counters are indexed A->B (0)
 * and B->A (1). `initiatorIsA` maps them to the record's src (initiator) and dest.
 */
export class FlowTable {
  readonly capacity: number;
  /** The flow key of each slot (wire's FlowKey layout), FLOW_KEY_WORDS words at `slot * FLOW_KEY_WORDS`. */
  readonly keys: Uint32Array;
  readonly keyDomain: Uint32Array;
  readonly firstSeen: Float64Array;
  readonly lastSeen: Float64Array;
  readonly initiatorIsA: Uint8Array;
  /** Index `slot * 2 + direction`. */
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly tcpFlags: Uint8Array;
  readonly truncatedPackets: Uint32Array;
  readonly missedBytes: Float64Array;
  readonly vni: Uint32Array;
  /** Up to three mirror point ids per flow (-1 = none). Index `slot * 3 + i`. */
  readonly mirrorPoints: Int32Array;
  /**
   * Per flow, the endpoints known to be a mirrored ENI from the frames' MAC addresses (bit 0:
   * endpoint A, bit 1: endpoint B), for the direction of its records.
   */
  readonly eniEnds: Uint8Array;
  readonly state: Uint8Array;

  readonly stats = { created: 0, ended: 0, evicted: 0, active: 0, interim: 0 };

  /**
   * Per bucket the first slot of its chain plus one, and per slot the next slot of its chain plus
   * one: 0 ends a chain, so the arrays need no filling and a table costs nothing until used.
   */
  private readonly buckets: Int32Array;
  private readonly bucketMask: number;
  private readonly chain: Int32Array;
  private readonly listOf: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly heads = new Int32Array(LIST_COUNT).fill(-1);
  private readonly tails = new Int32Array(LIST_COUNT).fill(-1);
  private readonly timeouts: Float64Array;
  private readonly activeTimeout: number;
  /** Slots freed by ended flows, reused last-freed first before a never-used slot. */
  private readonly freeSlots: Int32Array;
  private freeCount = 0;
  /** Slots from here on were never used. */
  private unused = 0;
  private readonly sink: FlowSink;
  private readonly key = new FlowKey();

  constructor(sink: FlowSink, options: FlowTableOptions = {}) {
    const capacity = options.capacity ?? 262_144;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`flow table capacity must be >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.sink = sink;
    this.keys = new Uint32Array(capacity * FLOW_KEY_WORDS);
    this.keyDomain = new Uint32Array(capacity);
    this.firstSeen = new Float64Array(capacity);
    this.lastSeen = new Float64Array(capacity);
    this.initiatorIsA = new Uint8Array(capacity);
    this.packets = new Float64Array(capacity * 2);
    this.bytes = new Float64Array(capacity * 2);
    this.tcpFlags = new Uint8Array(capacity * 2);
    this.truncatedPackets = new Uint32Array(capacity);
    this.missedBytes = new Float64Array(capacity);
    this.vni = new Uint32Array(capacity);
    this.mirrorPoints = new Int32Array(capacity * 3);
    this.eniEnds = new Uint8Array(capacity);
    this.state = new Uint8Array(capacity);
    let buckets = 1;
    while (buckets < capacity * 2) buckets <<= 1;
    this.buckets = new Int32Array(buckets);
    this.bucketMask = buckets - 1;
    this.chain = new Int32Array(capacity);
    this.listOf = new Uint8Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.freeSlots = new Int32Array(capacity);
    this.timeouts = new Float64Array([
      (options.closeLingerSeconds ?? 5) * MICROS,
      (options.udpIdleSeconds ?? 60) * MICROS,
      (options.tcpIdleSeconds ?? 300) * MICROS,
    ]);
    this.activeTimeout = (options.activeTimeoutSeconds ?? 1800) * MICROS;
  }

  get size(): number {
    return this.unused - this.freeCount;
  }

  /**
   * Counts one decoded IP packet (`d` must hold an IP packet) seen at `nowMicros` from mirror point
   * `mirrorPoint` with session `vni`, in address domain `domain`. Returns the flow's slot.
   */
  update(d: FrameDecoder, domain: number, nowMicros: number, vni: number, mirrorPoint: number): number {
    // Canonical order: A is the smaller (address, port) endpoint.
    const key = this.key.set(d);
    const srcIsA = key.srcIsA;
    const bucket = key.hash(domain) & this.bucketMask;
    let slot = this.find(bucket, domain);
    const isTcp = d.protocol === IpProtocol.TCP;
    const flags = isTcp && d.hasPorts ? d.tcp.flags : 0;
    if (slot >= 0 && isTcp && isClosing(this.state[slot])) {
      // A fresh SYN on a closed 5-tuple (FIN from both sides, or RST) is a new connection (port
      // reuse): end the old one first. One side's FIN is not enough: the other side may still send.
      // Not when its side has sent nothing yet: then it is this connection's own SYN, arriving after
      // the other side's packets (reordered by an NLB or by the hand-over between receive workers).
      if (
        (flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN &&
        this.packets[slot * 2 + (srcIsA ? 0 : 1)] > 0
      ) {
        this.end(slot, (this.state[slot] & STATE_RST) !== 0 ? FlowEndReason.RST : FlowEndReason.FIN);
        slot = -1;
      }
    }
    if (slot < 0) slot = this.create(bucket, domain, nowMicros, vni, srcIsA, d, flags);
    else if (nowMicros - this.firstSeen[slot] >= this.activeTimeout) this.interim(slot, nowMicros);

    const dir = srcIsA ? 0 : 1;
    const i = slot * 2 + dir;
    this.packets[i] += 1;
    this.bytes[i] += d.ipLength;
    this.tcpFlags[i] |= flags;
    if (d.truncated) this.truncatedPackets[slot]++;
    if (nowMicros > this.lastSeen[slot]) this.lastSeen[slot] = nowMicros;
    this.addMirrorPoint(slot, mirrorPoint);

    let list = isTcp ? LIST_TCP : LIST_UDP;
    if (flags !== 0) {
      let st = this.state[slot];
      if ((flags & TcpFlag.SYN) !== 0) st |= STATE_SYN_SEEN;
      if ((flags & TcpFlag.FIN) !== 0) st |= dir === 0 ? STATE_FIN_A : STATE_FIN_B;
      if ((flags & TcpFlag.RST) !== 0) st |= STATE_RST;
      this.state[slot] = st;
    }
    if (isClosing(this.state[slot])) list = LIST_CLOSING;
    this.touch(slot, list);
    return slot;
  }

  /** Ends flows whose timeout passed at `nowMicros`. */
  expire(nowMicros: number): void {
    for (let list = 0; list < LIST_COUNT; list++) {
      const limit = nowMicros - this.timeouts[list];
      for (let slot = this.tails[list]; slot >= 0 && this.lastSeen[slot] <= limit; slot = this.tails[list]) {
        this.end(slot, list === LIST_CLOSING ? this.closingReason(slot) : FlowEndReason.IDLE);
      }
    }
  }

  /** Ends every flow (shutdown, end of a capture file). */
  flush(): void {
    for (let list = 0; list < LIST_COUNT; list++) {
      for (let slot = this.tails[list]; slot >= 0; slot = this.tails[list]) {
        this.end(slot, list === LIST_CLOSING ? this.closingReason(slot) : FlowEndReason.SHUTDOWN);
      }
    }
  }

  /**
   * The packet `d` just counted on `slot` (by `update`) was sent by a mirrored ENI (`fromEni`) or
   * received by one: remember which endpoint that ENI is.
   */
  markEniEnd(slot: number, d: FrameDecoder, fromEni: boolean): void {
    const srcIsA = this.key.set(d).srcIsA;
    this.eniEnds[slot] |= srcIsA === fromEni ? 1 : 2;
  }

  /**
   * Counts bytes a reassembler could not see (sequence gaps) against the flow; a negative count takes
   * back bytes a late retransmission showed after all. Never below zero: a hole reported in an
   * earlier interim record stays reported there.
   */
  addMissedBytes(slot: number, count: number): void {
    this.missedBytes[slot] = Math.max(this.missedBytes[slot] + count, 0);
  }

  private closingReason(slot: number): number {
    return (this.state[slot] & STATE_RST) !== 0 ? FlowEndReason.RST : FlowEndReason.FIN;
  }

  private find(bucket: number, domain: number): number {
    const key = this.key;
    const keys = this.keys;
    for (let s = this.buckets[bucket] - 1; s >= 0; s = this.chain[s] - 1) {
      if (this.keyDomain[s] === domain && key.equalsAt(keys, s * FLOW_KEY_WORDS)) return s;
    }
    return -1;
  }

  /** The protocol number of flow `slot`. */
  protocolOf(slot: number): number {
    return this.keys[slot * FLOW_KEY_WORDS + FLOW_KEY_META] & 0xff;
  }

  private create(
    bucket: number,
    domain: number,
    nowMicros: number,
    vni: number,
    srcIsA: boolean,
    d: FrameDecoder,
    flags: number,
  ): number {
    if (this.freeCount === 0 && this.unused === this.capacity) this.evictOldest();
    // Freed slots first, then never-used ones in order: slot numbers come out as they always did.
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount] : this.unused++;
    this.key.copyTo(this.keys, slot * FLOW_KEY_WORDS);
    this.keyDomain[slot] = domain;
    this.chain[slot] = this.buckets[bucket];
    this.buckets[bucket] = slot + 1;
    this.firstSeen[slot] = nowMicros;
    this.lastSeen[slot] = nowMicros;
    this.initiatorIsA[slot] = senderIsInitiator(d, flags) === srcIsA ? 1 : 0;
    const i = slot * 2;
    this.packets[i] = 0;
    this.packets[i + 1] = 0;
    this.bytes[i] = 0;
    this.bytes[i + 1] = 0;
    this.tcpFlags[i] = 0;
    this.tcpFlags[i + 1] = 0;
    this.truncatedPackets[slot] = 0;
    this.missedBytes[slot] = 0;
    this.vni[slot] = vni;
    this.mirrorPoints[slot * 3] = -1;
    this.mirrorPoints[slot * 3 + 1] = -1;
    this.mirrorPoints[slot * 3 + 2] = -1;
    this.eniEnds[slot] = 0;
    this.state[slot] = 0;
    this.listOf[slot] = 255;
    this.stats.created++;
    this.stats.active++;
    return slot;
  }

  private interim(slot: number, nowMicros: number): void {
    this.sink(this, slot, FlowEndReason.ACTIVE_TIMEOUT);
    this.stats.interim++;
    const i = slot * 2;
    this.packets[i] = 0;
    this.packets[i + 1] = 0;
    this.bytes[i] = 0;
    this.bytes[i + 1] = 0;
    this.truncatedPackets[slot] = 0;
    this.missedBytes[slot] = 0;
    this.firstSeen[slot] = nowMicros;
  }

  private evictOldest(): void {
    let victim = this.tails[LIST_CLOSING];
    if (victim < 0) {
      const u = this.tails[LIST_UDP];
      const t = this.tails[LIST_TCP];
      victim = u < 0 ? t : t < 0 ? u : this.lastSeen[u] <= this.lastSeen[t] ? u : t;
    }
    this.stats.evicted++;
    this.end(victim, FlowEndReason.EVICTED);
  }

  private end(slot: number, reason: number): void {
    this.sink(this, slot, reason);
    this.unlink(slot);
    this.removeFromBucket(slot);
    this.freeSlots[this.freeCount++] = slot;
    this.stats.ended++;
    this.stats.active--;
  }

  private removeFromBucket(slot: number): void {
    const bucket = hashFlowKey(this.keys, slot * FLOW_KEY_WORDS, this.keyDomain[slot]) & this.bucketMask;
    let s = this.buckets[bucket] - 1;
    if (s === slot) {
      this.buckets[bucket] = this.chain[slot];
      return;
    }
    while (s >= 0) {
      const n = this.chain[s] - 1;
      if (n === slot) {
        this.chain[s] = this.chain[slot];
        return;
      }
      s = n;
    }
  }

  private addMirrorPoint(slot: number, point: number): void {
    if (point < 0) return;
    const base = slot * 3;
    const mp = this.mirrorPoints;
    if (mp[base] === point || mp[base + 1] === point || mp[base + 2] === point) return;
    if (mp[base] < 0) mp[base] = point;
    else if (mp[base + 1] < 0) mp[base + 1] = point;
    else if (mp[base + 2] < 0) mp[base + 2] = point;
  }

  /** Moves `slot` to the head (most recent) of `list`. */
  private touch(slot: number, list: number): void {
    if (this.listOf[slot] === list && this.heads[list] === slot) return;
    if (this.listOf[slot] !== 255) this.unlink(slot);
    const head = this.heads[list];
    this.prev[slot] = -1;
    this.next[slot] = head;
    if (head >= 0) this.prev[head] = slot;
    else this.tails[list] = slot;
    this.heads[list] = slot;
    this.listOf[slot] = list;
  }

  private unlink(slot: number): void {
    const list = this.listOf[slot];
    if (list === 255) return;
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p >= 0) this.next[p] = n;
    else this.heads[list] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tails[list] = p;
    this.listOf[slot] = 255;
  }
}

function isClosing(state: number): boolean {
  return (state & STATE_RST) !== 0 || (state & (STATE_FIN_A | STATE_FIN_B)) === (STATE_FIN_A | STATE_FIN_B);
}

/**
 * Whether the sender of the flow's first packet started the conversation: a SYN says yes, a SYN-ACK
 * says no; without handshake a reply from a well-known port to an ephemeral one says no.
 */
function senderIsInitiator(d: FrameDecoder, flags: number): boolean {
  if ((flags & TcpFlag.SYN) !== 0) return (flags & TcpFlag.ACK) === 0;
  if (d.hasPorts && (d.protocol === IpProtocol.TCP || d.protocol === IpProtocol.UDP)) {
    if (d.srcPort < 1024 && d.dstPort >= 1024) return false;
  }
  if (d.protocol === IpProtocol.ICMP || d.protocol === IpProtocol.ICMPV6) {
    // Echo, timestamp, information and address-mask replies: the receiver asked first, in this very
    // flow (requests and replies are unicast between the same two addresses). Not MLD reports, router
    // or neighbour advertisements: their solicitation went to a multicast address, another flow, so
    // here the sender is the only side there is.
    const t = d.icmp.type;
    if (t === 0 || t === 14 || t === 16 || t === 18 || t === 129) return false;
  }
  return true;
}
