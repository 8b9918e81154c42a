const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size: a plain number of bytes, or a number with a unit (`32MiB`, `1.5GB`, `512k`).
 * Binary units (KiB, MiB, GiB, and the bare K/M/G) are powers of 1024, decimal ones (KB, MB, GB) of
 * 1000. Returns NaN when the text is not a size.
 */
export function parseByteSize(text: string | number): number {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.floor(text) : Number.NaN;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return Number.NaN;
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) return Number.NaN;
  return Math.floor(Number(m[1]) * unit);
}

/** `33554432` -> `32 MiB`, for messages. */
export function formatByteSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1 && Number.isInteger(value / 1024)) {
    value /= 1024;
    i++;
  }
  if (i === 0 && bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${value} ${units[i]}`;
}
