// What `read --workers` decides for each packet of a capture before any worker analyses it: whether
// one pipeline would run expiry before it, which worker owns its inner flow (the flow table's own
// key, so both directions and both mirror points' copies meet in one worker), whether it teaches a
// mirror point's ENI MAC every worker must know, and, for outer IP fragments, the datagram they
// complete. The reading thread routes with it when one thread reads for all (standard input); each
// worker routes every packet itself when each reads the file.
import {
  DecodeStatus,
  flowOwner,
  HandoffKind,
  IpReassembler,
  LinkType,
  MirrorDecoder,
  MirrorStage,
  ReassemblyStatus,
} from '@fargate-mirror/wire';
import { MirrorPointRegistry } from '../flows/mirror-points.js';
import { EXPIRY_INTERVAL_MICROS, packetMicros } from '../pipeline/mirror-pipeline.js';

/** `route`'s answer for an outer fragment that completes no datagram: nothing to analyse. */
export const HELD = -1;

export interface CaptureRouterOptions {
  /** The capture holds mirror traffic to decapsulate (else an ordinary capture). */
  readonly mirror: boolean;
  readonly workers: number;
  readonly perVniAddresses: boolean;
  readonly vxlanPort?: number;
  readonly genevePort?: number;
  /**
   * Decode with this decoder (a worker's pipeline's, built with the same ports): a packet the worker
   * owns is then taken on from the decoded state (`MirrorPipeline.handleDecoded`), not decoded twice.
   */
  readonly decoder?: MirrorDecoder;
}

export class CaptureRouter {
  readonly decoder: MirrorDecoder;
  private readonly reassembler = new IpReassembler();
  private readonly points = new MirrorPointRegistry();
  private readonly mirror: boolean;
  private readonly workers: number;
  private readonly perVni: boolean;
  private lastTick = 0;
  /** Counted as one pipeline counts them: outer fragments never reach a worker's pipeline whole. */
  readonly own = { packets: 0, bytes: 0, outerFragments: 0, reassembled: 0 };
  /** After `route`: the decoder's status for the packet (for REASSEMBLED, the whole datagram's). */
  status = 0;
  /** After `route`: the worker owning the packet; what has no flow (not mirror traffic, a bad tunnel or inner header) is worker 0's to count. */
  owner = 0;
  /** After `route`: whether the packet taught a mirror point's ENI MAC (then `mac`, `decoder`'s source). */
  taughtMac = false;
  /** The taught point's VNI (4 bytes, little-endian) then its MAC. */
  readonly mac = Buffer.alloc(10);

  constructor(options: CaptureRouterOptions) {
    this.decoder =
      options.decoder ?? new MirrorDecoder({ vxlanPort: options.vxlanPort, genevePort: options.genevePort });
    this.mirror = options.mirror;
    this.workers = options.workers;
    this.perVni = options.perVniAddresses;
  }

  /** The reassembled datagram after `route` answered REASSEMBLED (raw IP); rare, so an object. */
  get reassembled(): { readonly buf: Buffer; readonly offset: number; readonly length: number } {
    const r = this.reassembler;
    return { buf: r.out, offset: r.outOffset, length: r.outLength };
  }

  /** Whether one pipeline would run expiry before the packet at this instant (then it counts as run). */
  tickDue(sec: number, nsec: number): boolean {
    const now = packetMicros(sec, nsec);
    if (now - this.lastTick < EXPIRY_INTERVAL_MICROS) return false;
    this.lastTick = now;
    this.reassembler.expire(now);
    return true;
  }

  /**
   * Decodes a packet far enough to route it: CAPTURED or UNENCAPSULATED (the packet as read goes to
   * `owner`), REASSEMBLED (`reassembled` goes), or HELD. Allocates nothing.
   */
  route(buf: Buffer, offset: number, length: number, linkType: number, sec: number, nsec: number): number {
    this.taughtMac = false;
    const d = this.decoder;
    if (!this.mirror) {
      this.status = d.decodeUnencapsulated(buf, offset, offset + length, linkType);
      this.owner = this.ownerOf(this.status);
      return HandoffKind.UNENCAPSULATED;
    }
    const status = d.decodeCaptured(buf, offset, offset + length, linkType);
    this.status = status;
    if (status !== DecodeStatus.OUTER_FRAGMENT) {
      this.learnMac(buf, status);
      this.owner = this.ownerOf(status);
      return HandoffKind.CAPTURED;
    }
    this.own.packets++;
    this.own.bytes += length;
    this.own.outerFragments++;
    const outer = d.outer;
    const l3End = outer.ipVersion === 4 ? outer.ipv4.capturedEnd : outer.ipv6.capturedEnd;
    const r = this.reassembler;
    const now = packetMicros(sec, nsec);
    if (r.add(buf, outer.l3Offset, l3End - outer.l3Offset, now) !== ReassemblyStatus.COMPLETE) return HELD;
    this.own.reassembled++;
    const whole = d.decodeCaptured(r.out, r.outOffset, r.outOffset + r.outLength, LinkType.RAW);
    this.status = whole;
    this.learnMac(r.out, whole);
    this.owner = this.ownerOf(whole);
    return HandoffKind.REASSEMBLED;
  }

  private ownerOf(status: number): number {
    const d = this.decoder;
    return d.stage === MirrorStage.INNER && status === DecodeStatus.OK
      ? flowOwner(d.inner, this.perVni ? d.vni : 0, this.workers)
      : 0;
  }

  /**
   * A mirror point's ENI MAC is learned from one flow's frames and gives every flow of the point its
   * direction: learned here from every frame, so every worker can be taught it before the frame that
   * taught it.
   */
  private learnMac(buf: Buffer, status: number): void {
    const d = this.decoder;
    if (d.stage !== MirrorStage.INNER || status !== DecodeStatus.OK || d.mirrorSourceVersion === 0) return;
    const points = this.points;
    const id = points.idOf(d.vni, d.mirrorSourceWords, d.mirrorSourceVersion);
    if (points.knowsMac(id)) return;
    points.frameSide(id, buf, d.inner);
    if (!points.knowsMac(id)) return;
    this.mac.writeUInt32LE(d.vni, 0);
    points.copyMac(id, this.mac, 4);
    this.taughtMac = true;
  }
}
