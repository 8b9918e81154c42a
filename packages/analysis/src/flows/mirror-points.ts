import type { FrameDecoder } from '@fargate-mirror/wire';

/** `MirrorPointRegistry.frameSide`: the mirrored ENI's part in a frame. */
export const FRAME_ENI_UNKNOWN = 0;
export const FRAME_FROM_ENI = 1;
export const FRAME_TO_ENI = 2;

/**
 * Interns mirror points, the (VNI, mirrored ENI address) pairs that deliver packets, as small integer
 * ids so flows can remember which points saw them without holding strings. Lookups hash numbers into an
 * open-addressing table: no allocation per packet, even when many points interleave.
 */
export class MirrorPointRegistry {
  private vnis = new Uint32Array(64);
  private words = new Uint32Array(64 * 4);
  private versions = new Uint8Array(64);
  private count = 0;
  private slots = new Int32Array(256).fill(-1);
  /** The mirrored ENI's MAC per point, learned from its traffic: high 16 bits, low 32 bits, known flag. */
  private macHi = new Uint16Array(64);
  private macLo = new Uint32Array(64);
  private macKnown = new Uint8Array(64);
  /**
   * Called when `frameSide` learns a point's ENI MAC from a frame (not when it is taught): a receive
   * worker passes it to the other workers, whose flows of the point may never show it.
   */
  onMacLearned: ((id: number) => void) | undefined;

  get size(): number {
    return this.count;
  }

  idOf(vni: number, sourceWords: Uint32Array, ipVersion: number): number {
    const mask = this.slots.length - 1;
    let h = hashPoint(vni, sourceWords) & mask;
    for (;;) {
      const id = this.slots[h];
      if (id < 0) break;
      if (this.matches(id, vni, sourceWords)) return id;
      h = (h + 1) & mask;
    }
    return this.insert(vni, sourceWords, ipVersion, h);
  }

  vniOf(id: number): number {
    return this.vnis[id];
  }

  versionOf(id: number): number {
    return this.versions[id];
  }

  /** Copies the point's address words into `out` at `base`. */
  sourceWordsOf(id: number, out: Uint32Array, base = 0): void {
    for (let i = 0; i < 4; i++) out[base + i] = this.words[id * 4 + i];
  }

  /**
   * Which end of the inner frame at `buf` (decoded by `d`) is point `id`'s mirrored ENI:
   * `FRAME_FROM_ENI` (it sent the frame), `FRAME_TO_ENI`, or `FRAME_ENI_UNKNOWN`. The ENI's MAC is
   * learned from the first frame whose inner IP source or destination is the point's own address
   * (the outer source of mirrored packets is the ENI's primary address); from then on every frame is
   * placed by its MAC addresses, so IPv6 and secondary addresses behind the ENI get a direction too,
   * without asking AWS which addresses the ENI has.
   */
  frameSide(id: number, buf: Uint8Array, d: FrameDecoder): number {
    if (d.etherType === 0) return FRAME_ENI_UNKNOWN; // raw IP (GENEVE from a GWLB): no MACs to go by
    const src = d.ethernet.srcOffset;
    if (this.macKnown[id] === 0) {
      if (d.ipVersion !== this.versions[id]) return FRAME_ENI_UNKNOWN;
      const w = d.addressWords;
      const b = id * 4;
      const pw = this.words;
      if (w[0] === pw[b] && w[1] === pw[b + 1] && w[2] === pw[b + 2] && w[3] === pw[b + 3])
        this.learnMac(id, buf, src);
      else if (w[4] === pw[b] && w[5] === pw[b + 1] && w[6] === pw[b + 2] && w[7] === pw[b + 3])
        this.learnMac(id, buf, d.ethernet.dstOffset);
      else return FRAME_ENI_UNKNOWN;
      this.onMacLearned?.(id);
    }
    // Every frame of a mirror point was sent or received by its ENI: one not sent by it (a multicast
    // neighbour solicitation, say) was received.
    return this.isMac(id, buf, src) ? FRAME_FROM_ENI : FRAME_TO_ENI;
  }

  /** Whether point `id`'s ENI MAC is known (learned by `frameSide`, or taught). */
  knowsMac(id: number): boolean {
    return this.macKnown[id] === 1;
  }

  /** Writes point `id`'s ENI MAC (known) as 6 bytes at `out[at]`. */
  copyMac(id: number, out: Uint8Array, at: number): void {
    const hi = this.macHi[id];
    const lo = this.macLo[id];
    out[at] = hi >>> 8;
    out[at + 1] = hi & 0xff;
    out[at + 2] = lo >>> 24;
    out[at + 3] = (lo >>> 16) & 0xff;
    out[at + 4] = (lo >>> 8) & 0xff;
    out[at + 5] = lo & 0xff;
  }

  /**
   * Tells point `id` its ENI MAC, 6 bytes at `buf[at]`, as another registry learned it from a frame
   * this one did not see (`read --workers`: the reading thread sees every frame, each worker a share).
   */
  teachMac(id: number, buf: Uint8Array, at: number): void {
    this.learnMac(id, buf, at);
  }

  private learnMac(id: number, buf: Uint8Array, at: number): void {
    this.macHi[id] = (buf[at] << 8) | buf[at + 1];
    this.macLo[id] = ((buf[at + 2] << 24) | (buf[at + 3] << 16) | (buf[at + 4] << 8) | buf[at + 5]) >>> 0;
    this.macKnown[id] = 1;
  }

  private isMac(id: number, buf: Uint8Array, at: number): boolean {
    return (
      this.macHi[id] === ((buf[at] << 8) | buf[at + 1]) &&
      this.macLo[id] === ((buf[at + 2] << 24) | (buf[at + 3] << 16) | (buf[at + 4] << 8) | buf[at + 5]) >>> 0
    );
  }

  private matches(id: number, vni: number, w: Uint32Array): boolean {
    const b = id * 4;
    const words = this.words;
    return (
      this.vnis[id] === vni &&
      words[b + 3] === w[3] &&
      words[b + 2] === w[2] &&
      words[b + 1] === w[1] &&
      words[b] === w[0]
    );
  }

  private insert(vni: number, w: Uint32Array, ipVersion: number, slot: number): number {
    const id = this.count++;
    if (id >= this.vnis.length) this.growStorage();
    this.vnis[id] = vni;
    this.words.set(w.subarray(0, 4), id * 4);
    this.versions[id] = ipVersion;
    this.slots[slot] = id;
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  private growStorage(): void {
    const n = this.vnis.length * 2;
    const vnis = new Uint32Array(n);
    vnis.set(this.vnis);
    const words = new Uint32Array(n * 4);
    words.set(this.words);
    const versions = new Uint8Array(n);
    versions.set(this.versions);
    const macHi = new Uint16Array(n);
    macHi.set(this.macHi);
    const macLo = new Uint32Array(n);
    macLo.set(this.macLo);
    const macKnown = new Uint8Array(n);
    macKnown.set(this.macKnown);
    this.macHi = macHi;
    this.macLo = macLo;
    this.macKnown = macKnown;
    this.vnis = vnis;
    this.words = words;
    this.versions = versions;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    const w = new Uint32Array(4);
    for (let id = 0; id < this.count; id++) {
      w.set(this.words.subarray(id * 4, id * 4 + 4));
      let h = hashPoint(this.vnis[id], w) & mask;
      while (slots[h] >= 0) h = (h + 1) & mask;
      slots[h] = id;
    }
    this.slots = slots;
  }
}

function hashPoint(vni: number, w: Uint32Array): number {
  let h = Math.imul(vni ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w[3], 0xc2b2ae35);
  h = Math.imul(h ^ w[2], 0x27d4eb2f);
  h = Math.imul(h ^ w[0] ^ w[1], 0x165667b1);
  return (h ^ (h >>> 15)) >>> 0;
}
