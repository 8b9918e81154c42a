// Turns each captured frame into AWS-format VXLAN datagrams: VXLAN header, then the frame with an
// Ethernet header (synthesised when the capture has none), cut or split so that every datagram fits
// the path MTU, as real mirroring of the wire packets would.
//
// Why splitting: without NET_ADMIN the sidecar cannot turn offloads off, so the capture sees TSO/GSO
// (outgoing) and GRO (incoming) super-frames of up to 64 KB that never existed on the wire. A TCP
// super-frame is cut into the connection's own segments (TcpSegmentSizes: the MSS from the handshake
// less the options each segment carries, else the largest ordinary segment seen; else, mid-stream,
// the largest the path MTU allows) with the headers the NIC would have written (sequence numbers
// advanced, IPv4 id incremented, lengths and checksums recomputed, FIN/PSH on the last segment only,
// CWR on the first only). UDP super-frames (GSO) become one datagram per segment.
import {
  DecodeStatus,
  encodeEthernetHeader,
  encodeVxlanHeader,
  FlowKey,
  FrameDecoder,
  LinkType,
  TcpFlag,
  VXLAN_HEADER_LENGTH,
  writeIpv4HeaderChecksum,
  writeL4Checksum,
} from '@fargate-mirror/wire';
import type { DatagramSink } from './datagram-sink.js';
import type { ForwarderStats } from './forwarder-stats.js';
import type { MirrorFilter } from './mirror-filter.js';
import { payloadWithinMtu, TcpSegmentSizes } from './tcp-segment-sizes.js';

const ETHERNET_HEADER = 14;
const TCP = 6;
const UDP = 17;
const UDP_HEADER = 8;
/** Below this the per-segment payload is not worth splitting for: cut instead. */
const MIN_SEGMENT_PAYLOAD = 64;

export interface FrameEncapsulatorOptions {
  readonly vni: number;
  /**
   * Largest inner frame (bytes after the VXLAN header) one datagram may carry: the path MTU minus
   * the outer IP (20 or 40), UDP (8) and VXLAN (8) headers.
   */
  readonly maxInnerFrame: number;
  /** MTU of the captured interface: a larger IP packet is an offload super-frame. */
  readonly interfaceMtu: number;
  /** Cut each inner frame to this many bytes, like a mirror session's PacketLength. */
  readonly packetLength?: number;
  /** Cut super-frames to fit instead of splitting them. */
  readonly truncateSuperframes: boolean;
  /**
   * Split a TCP frame that was on the wire as it is (within the interface MTU) but does not fit the
   * path with the encapsulation, instead of cutting it. AWS cuts such a packet (a mirrored packet
   * larger than the target's MTU is truncated), so the default cuts too, counted as
   * oversizeTruncated: a 9001-byte ENI's full frames arrive cut by 50 bytes, as from VPC mirroring.
   * @default false
   */
  readonly splitOversize?: boolean;
  readonly filter: MirrorFilter;
  /** The task's own addresses (ingress = destined to one of them), as four words each. */
  readonly taskAddressWords: readonly Uint32Array[];
  /** MACs for synthesised Ethernet headers: the task's and its peer's. */
  readonly taskMac: Uint8Array;
  readonly peerMac: Uint8Array;
}

export class FrameEncapsulator {
  private readonly decoder = new FrameDecoder();
  /** The flow of the frame being encapsulated: its hash picks the outer source port and the MSS slot. */
  private readonly flowKey = new FlowKey();
  /** dst MAC then src MAC, for ingress and egress frames that arrive without an Ethernet header. */
  private readonly ingressMacs = new Uint8Array(12);
  private readonly egressMacs = new Uint8Array(12);
  private readonly taskWords: Uint32Array;
  private readonly frameLimit: number;
  private readonly segmentSizes = new TcpSegmentSizes();

  constructor(
    private readonly options: FrameEncapsulatorOptions,
    private readonly sink: DatagramSink,
    private readonly stats: ForwarderStats,
  ) {
    this.ingressMacs.set(options.taskMac, 0);
    this.ingressMacs.set(options.peerMac, 6);
    this.egressMacs.set(options.peerMac, 0);
    this.egressMacs.set(options.taskMac, 6);
    this.taskWords = new Uint32Array(options.taskAddressWords.length * 4);
    options.taskAddressWords.forEach((w, i) => {
      this.taskWords.set(w, i * 4);
    });
    this.frameLimit = Math.min(options.maxInnerFrame, options.packetLength ?? Number.MAX_SAFE_INTEGER);
    if (VXLAN_HEADER_LENGTH + options.maxInnerFrame > sink.capacity) {
      throw new RangeError(
        `sink buffers of ${sink.capacity} bytes cannot hold ${options.maxInnerFrame}-byte frames`,
      );
    }
  }

  /** Handles one captured frame (a pcap record). */
  process(
    buf: Uint8Array,
    off: number,
    capturedLength: number,
    originalLength: number,
    linkType: number,
  ): void {
    const stats = this.stats;
    stats.framesCaptured++;
    stats.bytesCaptured += originalLength;
    const d = this.decoder;
    const end = off + capturedLength;
    const status = d.decode(buf, off, end, linkType);
    if (d.ipVersion === 0) {
      // Non-IP (ARP, LLDP) is never mirrored; a broken IP header has no 5-tuple to filter on.
      if (status === DecodeStatus.NOT_IP) stats.framesNotIp++;
      else stats.framesMalformed++;
      return;
    }
    const ingress = this.isTaskAddress(d.addressWords);
    if (
      !this.options.filter.accepts(
        ingress,
        d.ipVersion,
        d.protocol,
        d.addressWords,
        d.hasPorts,
        d.srcPort,
        d.dstPort,
      )
    ) {
      stats.framesFilteredOut++;
      return;
    }
    if (ingress) stats.framesIngress++;
    else stats.framesEgress++;
    if (status !== DecodeStatus.OK) stats.framesMalformed++;

    const hash = this.flowKey.set(d).hash(0);
    const linkLength = linkType === LinkType.ETHERNET ? d.l3Offset - off : ETHERNET_HEADER;
    const ipStart = d.l3Offset;
    const ipLength = d.ipLength;
    const capturedIp = Math.min(end, ipStart + ipLength) - ipStart;
    const maxIp = this.options.maxInnerFrame - linkLength;
    const superframe = ipLength > this.options.interfaceMtu;
    if (superframe) stats.superframes++;
    const wholeTcp =
      d.protocol === TCP && status === DecodeStatus.OK && d.tcp.headerComplete && !d.isFragment;
    const segmentPayload = wholeTcp ? this.learnSegmentSize(buf, hash, superframe) : 0;
    // A super-frame that fits the path whole still goes out as the wire's segments when they are known.
    const recut =
      segmentPayload >= MIN_SEGMENT_PAYLOAD &&
      d.tcp.payloadLength > segmentPayload &&
      !this.options.truncateSuperframes &&
      capturedIp === ipLength;
    if (ipLength <= maxIp && !recut) {
      this.emitWhole(buf, off, linkType, ingress, linkLength, capturedIp, ipLength, hash);
      return;
    }
    const splittable =
      (superframe ? !this.options.truncateSuperframes : this.options.splitOversize === true) &&
      status === DecodeStatus.OK &&
      capturedIp === ipLength &&
      !d.isFragment &&
      ((d.protocol === TCP && d.tcp.headerComplete) ||
        (d.protocol === UDP && superframe && d.udp.headerComplete));
    if (
      splittable &&
      this.split(
        buf,
        off,
        linkType,
        ingress,
        linkLength,
        ipLength,
        maxIp,
        superframe ? segmentPayload : 0,
        hash,
      )
    )
      return;
    if (superframe) stats.superframesTruncated++;
    else stats.oversizeTruncated++;
    this.emitWhole(buf, off, linkType, ingress, linkLength, capturedIp, ipLength, hash);
  }

  /**
   * Feeds a whole TCP segment to the per-connection segment sizes; for a super-frame, returns the
   * payload bytes per wire segment (never more than the interface MTU allows), 0 when unknown.
   */
  private learnSegmentSize(buf: Uint8Array, hash: number, superframe: boolean): number {
    const d = this.decoder;
    const tcp = d.tcp;
    const sizes = this.segmentSizes;
    // The sending side, stable per flow: 0 when the frame travels from the key's endpoint A.
    const side = this.flowKey.srcIsA ? 0 : 1;
    if ((tcp.flags & TcpFlag.SYN) !== 0) {
      tcp.parseOptions(buf);
      sizes.learnSyn(hash, side, (tcp.flags & TcpFlag.ACK) !== 0, tcp.mss);
      return 0;
    }
    if ((tcp.flags & TcpFlag.RST) !== 0) {
      sizes.forget(hash);
      return 0;
    }
    if (!superframe) {
      sizes.observe(hash, side, tcp.payloadLength);
      return 0;
    }
    const learned = sizes.segmentPayload(hash, side, tcp.optionsLength);
    if (learned === 0) return 0;
    const ipHeaderLength = d.l4Offset - d.l3Offset;
    return Math.min(learned, payloadWithinMtu(this.options.interfaceMtu, ipHeaderLength, tcp.headerLength));
  }

  private isTaskAddress(words: Uint32Array): boolean {
    const t = this.taskWords;
    for (let i = 0; i < t.length; i += 4) {
      if (t[i] === words[4] && t[i + 1] === words[5] && t[i + 2] === words[6] && t[i + 3] === words[7])
        return true;
    }
    return false;
  }

  /** Writes VXLAN and the link header into `slot`; returns where the IP packet starts. */
  private writeHeaders(
    slot: Buffer,
    buf: Uint8Array,
    off: number,
    linkType: number,
    ingress: boolean,
  ): number {
    encodeVxlanHeader(slot, 0, this.options.vni);
    const d = this.decoder;
    if (linkType === LinkType.ETHERNET) {
      slot.set(buf.subarray(off, d.l3Offset), VXLAN_HEADER_LENGTH);
      return VXLAN_HEADER_LENGTH + (d.l3Offset - off);
    }
    return encodeEthernetHeader(
      slot,
      VXLAN_HEADER_LENGTH,
      ingress ? this.ingressMacs : this.egressMacs,
      0,
      d.etherType,
    );
  }

  /** One datagram with the frame as it is, cut to the frame limit when it is longer. */
  private emitWhole(
    buf: Uint8Array,
    off: number,
    linkType: number,
    ingress: boolean,
    linkLength: number,
    capturedIp: number,
    ipLength: number,
    hash: number,
  ): void {
    const slot = this.acquire(1);
    if (slot === undefined) return;
    const d = this.decoder;
    const ipOut = this.writeHeaders(slot, buf, off, linkType, ingress);
    const innerLength = Math.min(linkLength + capturedIp, this.frameLimit);
    const copy = innerLength - linkLength;
    if (copy > 0) slot.set(buf.subarray(d.l3Offset, d.l3Offset + copy), ipOut);
    const packetLength = this.options.packetLength;
    if (packetLength !== undefined && linkLength + capturedIp > packetLength)
      this.stats.packetLengthTruncated++;
    // Checksum offload leaves unfinished TCP/UDP checksums in what the capture sees: write the real
    // one whenever the whole segment is in the datagram.
    if (copy === ipLength && d.status === DecodeStatus.OK && !d.isFragment)
      this.finishL4Checksum(slot, ipOut);
    this.sink.send(slot, VXLAN_HEADER_LENGTH + Math.max(innerLength, 0), hash);
  }

  private finishL4Checksum(slot: Buffer, ipOut: number): void {
    const d = this.decoder;
    const l4Out = ipOut + (d.l4Offset - d.l3Offset);
    if (d.protocol === TCP && d.tcp.headerComplete) {
      const hl = d.tcp.headerLength;
      writeL4Checksum(slot, ipOut, l4Out, hl, TCP, slot, l4Out + hl, d.tcp.payloadLength);
      this.stats.checksumsWritten++;
    } else if (d.protocol === UDP && d.udp.headerComplete) {
      // IPv4 UDP may go without a checksum (0): leave it so.
      if (d.ipVersion === 4 && d.udp.checksum === 0) return;
      writeL4Checksum(
        slot,
        ipOut,
        l4Out,
        UDP_HEADER,
        UDP,
        slot,
        l4Out + UDP_HEADER,
        d.udp.length - UDP_HEADER,
      );
      this.stats.checksumsWritten++;
    }
  }

  /**
   * Splits a TCP or UDP packet into pieces that each fit `maxIp` and carry at most `segmentPayload`
   * payload bytes (0: no limit but `maxIp`); false when the pieces would be too small to be worth it
   * (the caller cuts the packet instead).
   */
  private split(
    buf: Uint8Array,
    off: number,
    linkType: number,
    ingress: boolean,
    linkLength: number,
    ipLength: number,
    maxIp: number,
    segmentPayload: number,
    hash: number,
  ): boolean {
    const d = this.decoder;
    const tcp = d.protocol === TCP;
    const ipHeaderLength = d.l4Offset - d.l3Offset; // IPv4 with options, or IPv6 with extension headers
    const l4HeaderLength = tcp ? d.tcp.headerLength : UDP_HEADER;
    const payloadStart = d.l4Offset + l4HeaderLength;
    const payloadLength = ipLength - ipHeaderLength - l4HeaderLength;
    const fits = maxIp - ipHeaderLength - l4HeaderLength;
    const mss = segmentPayload > 0 ? Math.min(segmentPayload, fits) : fits;
    if (mss < MIN_SEGMENT_PAYLOAD) return false;
    const count = Math.ceil(payloadLength / mss);
    const seq = d.tcp.seq;
    const flags = d.tcp.flags;
    const ipv4Id = d.ipVersion === 4 ? d.ipv4.identification : 0;
    const headerBytes = ipHeaderLength + l4HeaderLength;
    for (let i = 0; i < count; i++) {
      const slot = this.acquire(count - i);
      if (slot === undefined) break;
      const chunkStart = i * mss;
      const chunk = Math.min(mss, payloadLength - chunkStart);
      const ipOut = this.writeHeaders(slot, buf, off, linkType, ingress);
      slot.set(buf.subarray(d.l3Offset, d.l3Offset + headerBytes), ipOut);
      const l4Out = ipOut + ipHeaderLength;
      const l4Length = l4HeaderLength + chunk;
      if (d.ipVersion === 4) {
        slot.writeUInt16BE(ipHeaderLength + l4Length, ipOut + 2);
        slot.writeUInt16BE((ipv4Id + i) & 0xffff, ipOut + 4);
        writeIpv4HeaderChecksum(slot, ipOut);
      } else {
        slot.writeUInt16BE(ipHeaderLength - 40 + l4Length, ipOut + 4);
      }
      if (tcp) {
        slot.writeUInt32BE((seq + chunkStart) >>> 0, l4Out + 4);
        let f = flags;
        if (i !== count - 1) f &= ~(TcpFlag.FIN | TcpFlag.PSH);
        if (i !== 0) f &= ~TcpFlag.CWR;
        slot[l4Out + 13] = f;
      } else {
        slot.writeUInt16BE(l4Length, l4Out + 4);
      }
      // The checksum covers the whole piece; its payload is read from the capture, so a piece cut by
      // --packet-length still carries the checksum of the segment as sent.
      writeL4Checksum(slot, ipOut, l4Out, l4HeaderLength, d.protocol, buf, payloadStart + chunkStart, chunk);
      this.stats.checksumsWritten++;
      const innerLength = Math.min(linkLength + headerBytes + chunk, this.frameLimit);
      const payloadCopy = innerLength - linkLength - headerBytes;
      if (payloadCopy > 0) {
        const from = payloadStart + chunkStart;
        slot.set(buf.subarray(from, from + payloadCopy), l4Out + l4HeaderLength);
      }
      if (innerLength < linkLength + headerBytes + chunk) this.stats.packetLengthTruncated++;
      this.stats.segmentsCreated++;
      this.sink.send(slot, VXLAN_HEADER_LENGTH + innerLength, hash);
    }
    if (tcp) this.stats.framesSegmentedTcp++;
    if (mss === segmentPayload) this.stats.superframesCutAtConnectionMss++;
    else this.stats.framesSplitUdp++;
    return true;
  }

  /** A free buffer, or undefined after counting `wanted` datagrams as dropped (queue full). */
  private acquire(wanted: number): Buffer | undefined {
    const slot = this.sink.acquire();
    if (slot === undefined) this.stats.droppedQueueFull += wanted;
    else this.stats.datagramsQueued++;
    return slot;
  }
}
