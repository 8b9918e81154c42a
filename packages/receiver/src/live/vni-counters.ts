const MAX_VNIS = 1024;
/** Slot of the VNIs beyond MAX_VNIS, reported as `other`. */
export const OTHER_VNI = -1;

/**
 * Packets and IP bytes per VNI (mirror session), counted on the hot path without allocation after a
 * VNI's first packet: a Map from VNI to a slot in a typed array. Bounded: VNIs beyond the first 1024
 * share one `other` slot.
 */
export class VniCounters {
  private readonly slots = new Map<number, number>();
  private readonly values = new Float64Array((MAX_VNIS + 1) * 2);
  private readonly vnis: number[] = [];

  add(vni: number, ipBytes: number): void {
    let slot = this.slots.get(vni);
    if (slot === undefined) {
      if (this.vnis.length < MAX_VNIS) {
        slot = this.vnis.length;
        this.vnis.push(vni);
        this.slots.set(vni, slot);
      } else {
        slot = MAX_VNIS;
      }
    }
    this.values[slot * 2] += 1;
    this.values[slot * 2 + 1] += ipBytes;
  }

  snapshot(): [number, number, number][] {
    const out: [number, number, number][] = this.vnis.map((vni, i) => [
      vni,
      this.values[i * 2],
      this.values[i * 2 + 1],
    ]);
    if (this.values[MAX_VNIS * 2] > 0)
      out.push([OTHER_VNI, this.values[MAX_VNIS * 2], this.values[MAX_VNIS * 2 + 1]]);
    return out;
  }
}
