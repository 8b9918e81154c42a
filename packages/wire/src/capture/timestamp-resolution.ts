// Splits a pcapng 64-bit timestamp (two 32-bit halves, in units of 10^-k or 2^-p seconds) into whole
// seconds and nanoseconds exactly, with plain numbers: a nanosecond count since 1970 (~2^61) does not
// fit a double, and BigInt would allocate on every packet.

const TWO_POW_32 = 0x1_0000_0000;
/** Divisors from here on are not exact doubles. */
const MAX_EXACT_DIVISOR = 2 ** 52;

/** Resolution of one pcapng interface's timestamps (option if_tsresol; default 10^-6). */
export class TimestampResolution {
  /** Output of `split`: whole seconds. */
  sec = 0;
  /** Output of `split`: nanoseconds within the second. */
  nsec = 0;

  private readonly powerOfTwo: boolean;
  private readonly exponent: number;
  private readonly unitsPerSecond: number;
  /** Limb width for long division: 16 bits while the divisor is below 2^37, narrower above. */
  private readonly limbBits: number;

  /** `tsresol` is the if_tsresol byte: MSB clear = 10^-value, MSB set = 2^-(value & 0x7f). */
  constructor(tsresol = 6) {
    this.powerOfTwo = (tsresol & 0x80) !== 0;
    this.exponent = tsresol & 0x7f;
    this.unitsPerSecond = this.powerOfTwo ? 2 ** this.exponent : 10 ** this.exponent;
    this.limbBits = Math.max(1, Math.min(16, 53 - Math.ceil(Math.log2(this.unitsPerSecond + 1))));
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
    } else if (d <= 2 ** 30 && hi < 4 * d) {
      frac = this.divideNear(hi, lo, d);
    } else if (d < MAX_EXACT_DIVISOR) {
      frac = this.longDivide(hi, lo, d);
    } else {
      // Finer than 10^-15: not exact as a double anyway; no writer does this.
      const units = hi * TWO_POW_32 + lo;
      this.sec = Math.floor(units / d);
      frac = Math.max(0, units - this.sec * d);
    }
    const k = this.exponent;
    this.nsec = k <= 9 ? frac * 10 ** (9 - k) : Math.min(999_999_999, Math.floor(frac / 10 ** (k - 9)));
  }

  /**
   * The per-packet path for nanosecond pcapng (units ~2^61): a floating-point quotient, then the exact
   * remainder from 16-bit halves of it, corrected by whole units. Every intermediate stays below 2^53
   * while d <= 2^30 and the quotient < 2^34.
   */
  private divideNear(hi: number, lo: number, d: number): number {
    let q = Math.floor(hi * (TWO_POW_32 / d) + lo / d);
    const qHigh = Math.floor(q / 0x10000);
    const qLow = q - qHigh * 0x10000;
    let r = (hi * 0x10000 - qHigh * d) * 0x10000 + lo - qLow * d;
    while (r < 0) {
      q--;
      r += d;
    }
    while (r >= d) {
      q++;
      r -= d;
    }
    this.sec = q;
    return r;
  }

  /**
   * Sets `sec` to floor((hi*2^32+lo)/d) and returns the remainder, exactly for d < 2^52: long division
   * in limbs narrow enough that remainder * 2^width + limb stays below 2^53.
   */
  private longDivide(hi: number, lo: number, d: number): number {
    const width = this.limbBits;
    let q = 0;
    let r = 0;
    for (let shift = 64; shift > 0; ) {
      const w = Math.min(shift, width);
      shift -= w;
      const cur = r * 2 ** w + bitsAt(hi, lo, shift, w);
      let qd = Math.floor(cur / d);
      if (qd * d > cur) qd--;
      r = cur - qd * d;
      if (r >= d) {
        qd++;
        r -= d;
      }
      q = q * 2 ** w + qd;
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

/** floor((hi*2^32+lo) / 2^shift) mod 2^width, for width <= 16. */
function bitsAt(hi: number, lo: number, shift: number, width: number): number {
  const mask = (1 << width) - 1;
  if (shift >= 32) return (hi >>> (shift - 32)) & mask;
  if (shift + width <= 32) return (lo >>> shift) & mask;
  return ((lo >>> shift) | (hi << (32 - shift))) & mask;
}
