import { ReceiverError } from '../errors.js';
import type { NativeIntakeBinding } from './native-intake.js';

/**
 * Words per row of a ring's metadata: the first eight laid out as the socket intake's
 * (NATIVE_META_WORDS), then the kernel's capture time of the frame (seconds, unsigned; nanoseconds).
 */
export const RING_ROW_WORDS = 10;
/** Row kinds (word 6): the UDP payload of a VXLAN or GENEVE datagram, or a whole outer fragment. */
export const RingRow = { VXLAN: 0, GENEVE: 1, FRAME: 2 } as const;
/** Rows one `take` fills at most. */
const ROWS = 1024;
/**
 * Bytes of one ring block. The kernel fills a block, then the next; the worker reads whole blocks.
 * A block not yet full is handed over after RETIRE_MS, so a quiet link is not held back; as each
 * block then holds little, the ring has many: a worker busy for blocks x RETIRE_MS (a collection, a
 * records flush) still finds room on a slow link.
 */
const BLOCK_BYTES = 1024 * 1024;
const RETIRE_MS = 10;

/** The packet-ring functions of the fm-recv addon (native/fm-ring.c). */
export interface PacketRingBinding {
  openRing(
    iface: string,
    blockBytes: number,
    blockCount: number,
    retireMs: number,
    vxlanPort: number,
    genevePort: number,
    fanoutGroup: number,
  ): [handle: unknown, ring: ArrayBuffer, fd: number, fanoutGroup: number];
  takeBlock(handle: unknown, meta: Int32Array): number;
  ringStats(handle: unknown): [frames: number, drops: number, ignored: number];
  closeRing(handle: unknown): void;
  discardDatagrams(fd: number): void;
}

/**
 * The afpacket intake of one worker: a TPACKET_V3 ring on the capture interface, whose frames the
 * kernel writes into memory shared with this thread as they arrive (as tcpdump captures), so the
 * worker reads datagrams in place, with no system call or copy per datagram. `take` hands out rows:
 * each datagram's UDP payload (offset in `data`, length, sender) in the socket intake's layout, a
 * UDP_SEGMENT super-datagram (from a local sender) split back into its datagrams, and outer IP
 * fragments as whole Ethernet frames for the worker to reassemble. Workers of one receiver share
 * the interface's frames by outer source address (PACKET_FANOUT with a BPF program): each mirror
 * session stays on one ring, in order, fragments included.
 */
export class PacketRing {
  readonly data: Buffer;
  readonly meta = new Int32Array(ROWS * RING_ROW_WORDS);
  /**
   * Frames its filter let in (UDP to a mirror port, outer fragments; those it had no room for
   * included), frames it had no room for, and frames let in that were not for a mirror port, so far.
   */
  frames = 0;
  drops = 0;
  ignored = 0;
  private open_ = true;

  private constructor(
    private readonly binding: PacketRingBinding,
    private readonly handle: unknown,
    ring: ArrayBuffer,
    readonly fd: number,
    /** The fanout group it is in (-1: none). */
    readonly fanoutGroup: number,
  ) {
    this.data = Buffer.from(ring);
  }

  /**
   * Opens the ring on `iface` (about `bytes` of it), taking UDP to `vxlanPort` and `genevePort` (0:
   * none). `fanoutGroup`: -1 alone; 0 starts a group of rings sharing the frames, with an id the kernel
   * picks (no other process's), which `fanoutGroup` then holds; > 0 joins that group. RECEIVER_BIND_FAILED
   * names the interface and what the kernel said (no such interface, no CAP_NET_RAW...).
   */
  static open(
    binding: NativeIntakeBinding,
    iface: string,
    bytes: number,
    vxlanPort: number,
    genevePort: number,
    fanoutGroup: number,
  ): PacketRing {
    const rings = binding as unknown as PacketRingBinding;
    const blocks = Math.max(2, Math.ceil(bytes / BLOCK_BYTES));
    try {
      const [handle, ring, fd, group] = rings.openRing(
        iface,
        BLOCK_BYTES,
        blocks,
        RETIRE_MS,
        vxlanPort,
        genevePort,
        fanoutGroup,
      );
      return new PacketRing(rings, handle, ring, fd, group);
    } catch (error) {
      const hint = /not permitted/i.test((error as Error).message)
        ? ' (the afpacket intake needs CAP_NET_RAW)'
        : '';
      throw new ReceiverError(
        'RECEIVER_BIND_FAILED',
        `cannot capture on interface ${iface}: ${(error as Error).message}${hint}`,
        { cause: error },
      );
    }
  }

  /** Makes a bound mirror socket drop what it receives: the ring reads those datagrams instead. */
  static discard(binding: NativeIntakeBinding, fd: number): void {
    (binding as unknown as PacketRingBinding).discardDatagrams(fd);
  }

  /**
   * Rows of what arrived since the previous call (0: nothing more yet). Rows, and the ring memory
   * they point into, are only valid until the next call.
   */
  take(): number {
    return this.open_ ? this.binding.takeBlock(this.handle, this.meta) : 0;
  }

  /** Adds the kernel's counts since the previous call to `frames` and `drops` (and refreshes `ignored`). */
  updateStats(): void {
    if (!this.open_) return;
    const [frames, drops, ignored] = this.binding.ringStats(this.handle);
    this.frames += frames;
    this.drops += drops;
    this.ignored = ignored;
  }

  close(): void {
    if (!this.open_) return;
    this.updateStats();
    this.open_ = false;
    this.binding.closeRing(this.handle);
  }
}
