/** ISO 8601 UTC with microseconds, e.g. 2026-11-21T05:12:31.123456Z. */
export function isoFromMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const base = new Date(ms).toISOString(); // ...sssZ
  const rest = Math.floor(micros - ms * 1000);
  return `${base.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}
