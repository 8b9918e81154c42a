import {
  DecodeStatus,
  type FrameDecoder,
  IpReassembler,
  LinkType,
  MirrorDecoder,
  MirrorStage,
  ReassemblyStatus,
} from '@fargate-mirror/wire';
import { addMirrorPointToFlow } from '../dedup/flow-mirror-point.js';
import { PacketDeduplicator, type PacketDedupOptions } from '../dedup/packet-dedup.js';
import { TransactionEngine, type TransactionOptions } from '../dissect/transaction-engine.js';
import { FlowPcapPositions, type FramePositionSource } from '../flows/flow-pcap-positions.js';
import { type FlowSink, FlowTable, type FlowTableOptions } from '../flows/flow-table.js';
import { FRAME_ENI_UNKNOWN, FRAME_FROM_ENI, MirrorPointRegistry } from '../flows/mirror-points.js';
import { buildFlowRecord } from '../records/flow-record.js';
import type { MirrorRecord, RecordSink } from '../records/mirror-record.js';
import { PipelineStats } from './pipeline-stats.js';

/** Where decapsulated inner frames go (a pcap writer, a rotating pcap sink). */
export interface InnerFrameSink {
  write(
    buf: Uint8Array,
    offset: number,
    capturedLength: number,
    originalLength: number,
    tsSec: number,
    tsNsec: number,
  ): void;
}

export interface MirrorPipelineOptions {
  readonly onRecord: RecordSink;
  readonly innerFrames?: InnerFrameSink;
  /**
   * Inner frames without the copies the de-duplicator removed (both ends of a conversation mirrored):
   * what Wireshark should see of the conversation, without false retransmissions.
   */
  readonly dedupInnerFrames?: InnerFrameSink;
  /**
   * Where `innerFrames` put each frame (its pcap file and offset): records then carry `pcap_file` and
   * `pcap_offset`, their flow's first packet. Omitted: records say nothing of the pcap.
   */
  readonly innerFramePositions?: FramePositionSource;
  readonly flows?: FlowTableOptions;
  /**
   * Address domain of the flow key: `global` (one address space for the whole receiver) or `vni` (each
   * session its own space, for overlapping VPC ranges). @default 'global'
   */
  readonly addressDomain?: 'global' | 'vni';
  /** Device name in records (CIM `dvc`). @default 'fargate-mirror' */
  readonly dvc?: string;
  readonly vxlanPort?: number;
  readonly genevePort?: number;
  /**
   * HTTP, DNS and TLS transaction records (TCP reassembly included), secrets redacted; `false` for
   * flow records only. @default {} (on, default redaction)
   */
  readonly transactions?: TransactionOptions | false;
  /**
   * De-duplication of packets seen at two mirror points (both ends of a conversation mirrored):
   * counted once, both mirror points kept. `false` turns it off. @default {} (on, 50 ms window)
   */
  readonly dedup?: PacketDedupOptions | false;
  /**
   * Called with every record before `onRecord` (workload identity, mirror session ids). Runs once
   * per record, never per packet; it must not block (look-ups from memory only).
   */
  readonly enrich?: (record: MirrorRecord) => void;
  /**
   * Expiry runs only when the caller calls `tick`, never on a packet's arrival: a worker of
   * `read --workers` sees a share of the capture's packets, and ticks at the instants the whole
   * capture's clock would have, so its flows end exactly as they do in one pipeline. @default false
   */
  readonly tickedByCaller?: boolean;
}

/** Expiry runs at most once per this much packet (or idle wall-clock) time. */
export const EXPIRY_INTERVAL_MICROS = 1_000_000;

/** A packet's time in whole microseconds, as every clock of the pipeline counts it. */
export function packetMicros(tsSec: number, tsNsec: number): number {
  return tsSec * 1e6 + Math.floor(tsNsec / 1000);
}

/**
 * The data path shared by `read` (capture files) and `receive` (sockets): decapsulate, count, write
 * inner frames, update flows, emit records. One instance per worker; it allocates nothing per packet.
 */
export class MirrorPipeline {
  readonly stats = new PipelineStats();
  readonly decoder: MirrorDecoder;
  readonly flows: FlowTable;
  readonly mirrorPoints = new MirrorPointRegistry();
  /** Transaction records (undefined when turned off). */
  readonly transactions: TransactionEngine | undefined;
  /** The de-duplicator (undefined when turned off); its `stats.duplicates` counts copies removed. */
  readonly dedup: PacketDeduplicator | undefined;
  private readonly reassembler = new IpReassembler();
  private readonly innerFrames: InnerFrameSink | undefined;
  private readonly dedupInnerFrames: InnerFrameSink | undefined;
  private readonly pcapPositions: FlowPcapPositions | undefined;
  private readonly perVniDomain: boolean;
  private readonly tickOnArrival: boolean;
  private lastExpiry = 0;

  constructor(options: MirrorPipelineOptions) {
    this.decoder = new MirrorDecoder({ vxlanPort: options.vxlanPort, genevePort: options.genevePort });
    this.innerFrames = options.innerFrames;
    this.dedupInnerFrames = options.dedupInnerFrames;
    this.perVniDomain = options.addressDomain === 'vni';
    this.tickOnArrival = options.tickedByCaller !== true;
    const dvc = options.dvc ?? 'fargate-mirror';
    const enrich = options.enrich;
    const deliver = options.onRecord;
    const onRecord: RecordSink =
      enrich === undefined
        ? deliver
        : (record) => {
            enrich(record);
            deliver(record);
          };
    this.dedup = options.dedup === false ? undefined : new PacketDeduplicator(options.dedup);
    const sink: FlowSink = (table, slot, reason) => {
      // The protocol the dissectors recognised names the flow's app; open transactions are reported
      // and reassembly gaps counted before the flow record is built. The app is read after held bytes
      // were delivered (flowEnding returns it), so live and offline label a flow alike.
      const app = this.transactions?.flowEnding(slot, reason);
      onRecord(buildFlowRecord(table, slot, reason, this.mirrorPoints, dvc, app, this.pcapPositions));
    };
    this.flows = new FlowTable(sink, options.flows);
    const positions = options.innerFramePositions;
    this.pcapPositions =
      positions === undefined || this.innerFrames === undefined
        ? undefined
        : new FlowPcapPositions(this.flows.capacity, positions);
    this.transactions =
      options.transactions === false
        ? undefined
        : new TransactionEngine(
            { table: this.flows, points: this.mirrorPoints, dvc, pcap: this.pcapPositions },
            onRecord,
            options.transactions,
          );
  }

  /** A packet from a capture of outer (mirror) traffic, link layer first. */
  handleCaptured(
    buf: Uint8Array,
    offset: number,
    capturedLength: number,
    linkType: number,
    tsSec: number,
    tsNsec: number,
  ): void {
    const now = this.arrive(capturedLength, tsSec, tsNsec);
    const d = this.decoder;
    const status = d.decodeCaptured(buf, offset, offset + capturedLength, linkType);
    if (status === DecodeStatus.OUTER_FRAGMENT) {
      this.handleOuterFragment(buf, now, tsSec, tsNsec);
      return;
    }
    this.afterDecode(status, buf, now, tsSec, tsNsec);
  }

  /**
   * A packet of an ordinary capture (taken on a host, not mirror traffic), link layer first: analysed
   * as a mirrored packet with no mirror point (records have no `mirror_points`, direction unknown).
   */
  handleUnencapsulated(
    buf: Uint8Array,
    offset: number,
    capturedLength: number,
    linkType: number,
    tsSec: number,
    tsNsec: number,
  ): void {
    const now = this.arrive(capturedLength, tsSec, tsNsec);
    const status = this.decoder.decodeUnencapsulated(buf, offset, offset + capturedLength, linkType);
    this.afterDecode(status, buf, now, tsSec, tsNsec);
  }

  /**
   * The payload of a UDP datagram from the VXLAN socket. `sender` is the datagram's source address
   * (four words, IPv4 mapped) of family `senderVersion`: the mirrored ENI, which names the mirror point.
   */
  handleVxlanPayload(
    buf: Uint8Array,
    offset: number,
    length: number,
    sender: Uint32Array,
    senderVersion: number,
    tsSec: number,
    tsNsec: number,
  ): void {
    const status = this.decodePayload(buf, offset, length, false, sender, senderVersion);
    this.handleDecoded(status, buf, length, tsSec, tsNsec);
  }

  /**
   * The payload of a UDP datagram from the GENEVE socket (Gateway Load Balancer endpoint). The mirror
   * source is the IP header inside the GENEVE payload, not the datagram's sender (the endpoint).
   */
  handleGenevePayload(buf: Uint8Array, offset: number, length: number, tsSec: number, tsNsec: number): void {
    this.handleDecoded(this.decodePayload(buf, offset, length, true), buf, length, tsSec, tsNsec);
  }

  /**
   * Decodes a UDP payload (VXLAN from `sender`, or GENEVE when `geneve`) into `decoder` without
   * counting it, for a caller that must look at the inner packet first (the receive worker's flow
   * affinity); then `handleDecoded` takes it on from there, so the payload is decoded once. (A packet
   * of a capture decoded with `decoder` is taken on by `handleDecoded` the same way.)
   */
  decodePayload(
    buf: Uint8Array,
    offset: number,
    length: number,
    geneve: boolean,
    sender?: Uint32Array,
    senderVersion = 0,
  ): number {
    const d = this.decoder;
    return geneve
      ? d.decodeGenevePayload(buf, offset, offset + length)
      : d.decodeVxlanPayload(buf, offset, offset + length, sender, senderVersion);
  }

  /** Continues with the payload `decodePayload` just decoded (returned `status`). */
  handleDecoded(status: number, buf: Uint8Array, length: number, tsSec: number, tsNsec: number): void {
    const now = this.arrive(length, tsSec, tsNsec);
    this.afterDecode(status, buf, now, tsSec, tsNsec);
  }

  /** Counts an input packet or datagram and advances time to it; returns its time in microseconds. */
  private arrive(length: number, tsSec: number, tsNsec: number): number {
    this.stats.input++;
    this.stats.inputBytes += length;
    const now = packetMicros(tsSec, tsNsec);
    if (this.tickOnArrival) this.tick(now);
    return now;
  }

  /**
   * An outer IP datagram reassembled from fragments that another pipeline counted (the reading thread
   * of `read --workers`): decoded and taken on as that pipeline would have, not counted as input.
   */
  handleReassembled(buf: Uint8Array, offset: number, length: number, tsSec: number, tsNsec: number): void {
    const status = this.decoder.decodeCaptured(buf, offset, offset + length, LinkType.RAW);
    this.handleDecodedReassembled(status, buf, tsSec, tsNsec);
  }

  /**
   * `handleReassembled` for a datagram the caller already decoded with `decoder` (returned `status`):
   * a `read --workers` worker routes with the pipeline's own decoder.
   */
  handleDecodedReassembled(status: number, buf: Uint8Array, tsSec: number, tsNsec: number): void {
    this.afterDecode(status, buf, packetMicros(tsSec, tsNsec), tsSec, tsNsec);
  }

  /** Expires idle flows and stale fragments; called with packet time, or wall-clock time when idle. */
  tick(nowMicros: number): void {
    if (nowMicros - this.lastExpiry < EXPIRY_INTERVAL_MICROS) return;
    this.lastExpiry = nowMicros;
    this.flows.expire(nowMicros);
    this.reassembler.expire(nowMicros);
    this.transactions?.tick(nowMicros);
  }

  /** Ends every open flow, emitting its record. */
  finish(): void {
    this.flows.flush();
  }

  get reassemblyStats(): Readonly<Record<string, number>> {
    return this.reassembler.stats as unknown as Record<string, number>;
  }

  /** The decoded inner frame to a pcap sink, with the length it had on the wire. */
  private writeInnerFrame(sink: InnerFrameSink, buf: Uint8Array, tsSec: number, tsNsec: number): void {
    const d = this.decoder;
    const inner = d.inner;
    const captured = d.innerEnd - d.innerOffset;
    const original =
      inner.ipVersion !== 0 ? Math.max(captured, inner.l3Offset - d.innerOffset + inner.ipLength) : captured;
    sink.write(buf, d.innerOffset, captured, original, tsSec, tsNsec);
  }

  private handleOuterFragment(buf: Uint8Array, now: number, tsSec: number, tsNsec: number): void {
    const d = this.decoder;
    const outer = d.outer;
    this.stats.outerFragments++;
    const l3End = outer.ipVersion === 4 ? outer.ipv4.capturedEnd : outer.ipv6.capturedEnd;
    const r = this.reassembler;
    if (r.add(buf as Buffer, outer.l3Offset, l3End - outer.l3Offset, now) !== ReassemblyStatus.COMPLETE)
      return;
    this.stats.reassembled++;
    const status = d.decodeCaptured(r.out, r.outOffset, r.outOffset + r.outLength, LinkType.RAW);
    this.afterDecode(status, r.out, now, tsSec, tsNsec);
  }

  private afterDecode(status: number, buf: Uint8Array, now: number, tsSec: number, tsNsec: number): void {
    const d = this.decoder;
    const stats = this.stats;
    if (d.stage !== MirrorStage.INNER) {
      // Failed before reaching an inner frame: either not mirror traffic at all, or a bad tunnel header.
      if (d.stage === MirrorStage.OUTER) stats.notMirror++;
      else stats.malformed[status]++;
      return;
    }
    stats.mirrored++;
    const inner = d.inner;
    if (this.innerFrames !== undefined) this.writeInnerFrame(this.innerFrames, buf, tsSec, tsNsec);
    if (status !== DecodeStatus.OK) {
      if (status === DecodeStatus.NOT_IP) stats.innerNotIp++;
      else {
        stats.malformed[status]++;
        stats.innerMalformed++;
      }
      if (this.dedupInnerFrames !== undefined)
        this.writeInnerFrame(this.dedupInnerFrames, buf, tsSec, tsNsec);
      return;
    }
    stats.mirroredIpBytes += inner.ipLength;
    if (inner.truncated) stats.truncated++;
    // An ordinary capture (no mirror source) has no mirror point.
    const point =
      d.mirrorSourceVersion === 0
        ? -1
        : this.mirrorPoints.idOf(d.vni, d.mirrorSourceWords, d.mirrorSourceVersion);
    const domain = this.perVniDomain ? d.vni : 0;
    const dedup = this.dedup;
    if (dedup?.isDuplicate(buf, inner, domain, now, point)) {
      // Already counted at another mirror point: only remember that this one saw it too.
      addMirrorPointToFlow(this.flows, dedup.duplicateOfSlot, inner, domain, point);
      if (point >= 0) this.learnEniEnd(dedup.duplicateOfSlot, point, buf, inner);
      return;
    }
    if (this.dedupInnerFrames !== undefined) this.writeInnerFrame(this.dedupInnerFrames, buf, tsSec, tsNsec);
    const flows = this.flows;
    const slot = flows.update(inner, domain, now, d.vni, point);
    // The frame was written above, before the flow knew it: its position is the sink's last.
    this.pcapPositions?.note(slot, flows.packets[slot * 2] + flows.packets[slot * 2 + 1]);
    if (point >= 0) this.learnEniEnd(slot, point, buf, inner);
    dedup?.recordFlow(slot);
    this.transactions?.packet(slot, inner, buf, now);
  }

  /** Which endpoint of the flow is the mirrored ENI, from the frame's MACs (for records' direction). */
  private learnEniEnd(slot: number, point: number, buf: Uint8Array, inner: FrameDecoder): void {
    if (slot < 0) return;
    const side = this.mirrorPoints.frameSide(point, buf, inner);
    if (side !== FRAME_ENI_UNKNOWN) this.flows.markEniEnd(slot, inner, side === FRAME_FROM_ENI);
  }
}
