// Splits a pcapng 64-bit timestamp (two 32-bit halves, in units of 10^-k or 2^-p seconds) into whole
// seconds and nanoseconds exactly, with plain numbers: a nanosecond count since 1970 (~2^61) does not
// fit a double, and BigInt would allocate on every packet.

const TWO_POW_32 = 0x1_0000_0000;
/** Largest divisor for which 16-bit-limb long division stays below 2^53. */
const MAX_LIMB_DIVISOR = 2 ** 37;

/** Resolution of one pcapng interface's timestamps (option if_tsresol; default 10^-6). */
export class TimestampResolution {
  /** Output of `split`: whole seconds. */
  sec = 0;
  /** Output of `split`: nanoseconds within the second. */
  nsec = 0;

  private readonly powerOfTwo: boolean;
  private readonly exponent: number;
  private readonly unitsPerSecond: number;

  /** `tsresol` is the if_tsresol byte: MSB clear = 10^-value, MSB set = 2^-(value & 0x7f). */
  constructor(tsresol = 6) {
    this.powerOfTwo = (tsresol & 0x80) !== 0;
    this.exponent = tsresol & 0x7f;
    this.unitsPerSecond = this.powerOfTwo ? 2 ** this.exponent : 10 ** this.exponent;
  }

  /** Splits the timestamp `hi * 2^32 + lo` units into `sec` and `nsec`. */
  split(hi: number, lo: number): void {
    if (this.powerOfTwo) this.splitPowerOfTwo(hi, lo);
    else this.splitPowerOfTen(hi, lo);
  }

  private splitPowerOfTen(hi: number, lo: number): void {
    const d = this.unitsPerSecond;
    let frac: number;
    if (hi < 0x20_0000) {
      // Fewer than 2^53 units: exact as a double; correct the one-off a rounded quotient can have.
      const units = hi * TWO_POW_32 + lo;
      let sec = Math.floor(units / d);
      if (sec * d > units) sec--;
      frac = units - sec * d;
      if (frac >= d) {
        sec++;
        frac -= d;
      }
      this.sec = sec;
    } else if (d <= MAX_LIMB_DIVISOR) {
      frac = this.longDivide(hi, lo, d);
    } else {
      // Finer than 10^-11 with a huge count: no writer does this; approximate rather than loop.
      const units = hi * TWO_POW_32 + lo;
      this.sec = Math.floor(units / d);
      frac = Math.max(0, units - this.sec * d);
    }
    const k = this.exponent;
    this.nsec = k <= 9 ? frac * 10 ** (9 - k) : Math.min(999_999_999, Math.floor(frac / 10 ** (k - 9)));
  }

  /** Sets `sec` to floor((hi*2^32+lo)/d) and returns the remainder; exact for d <= 2^37. */
  private longDivide(hi: number, lo: number, d: number): number {
    let q = 0;
    let r = 0;
    for (let i = 0; i < 4; i++) {
      const limb = i === 0 ? hi >>> 16 : i === 1 ? hi & 0xffff : i === 2 ? lo >>> 16 : lo & 0xffff;
      const cur = r * 0x10000 + limb;
      let qd = Math.floor(cur / d);
      if (qd * d > cur) qd--;
      r = cur - qd * d;
      if (r >= d) {
        qd++;
        r -= d;
      }
      q = q * 0x10000 + qd;
    }
    this.sec = q;
    return r;
  }

  private splitPowerOfTwo(hi: number, lo: number): void {
    const p = this.exponent;
    let frac: number;
    if (p <= 32) {
      const scale = 2 ** p;
      this.sec = hi * 2 ** (32 - p) + Math.floor(lo / scale);
      frac = lo % scale;
    } else {
      const q = 2 ** (p - 32);
      this.sec = Math.floor(hi / q);
      frac = (hi % q) * TWO_POW_32 + lo;
    }
    if (p <= 23) this.nsec = Math.floor((frac * 1e9) / 2 ** p);
    // 1e9 = 1953125 * 2^9: keeps the product below 2^53 up to 2^-32 resolution.
    else if (p <= 32) this.nsec = Math.floor((frac * 1953125) / 2 ** (p - 9));
    else this.nsec = Math.min(999_999_999, Math.floor((frac / 2 ** p) * 1e9));
  }
}
