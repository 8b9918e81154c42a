// Records carry several timestamps each; formatting through Date for every one showed up as the top
// cost of record output, so the "YYYY-MM-DDTHH:MM:SS." prefix is cached per second.
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** ISO 8601 UTC with microseconds, e.g. 2026-11-21T05:12:31.123456Z. */
export function isoFromMicros(micros: number): string {
  const second = Math.floor(micros / 1e6);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const fraction = Math.floor(micros - second * 1e6);
  return `${cachedPrefix}${String(fraction).padStart(6, '0')}Z`;
}
