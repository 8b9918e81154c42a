/**
 * Nearest-rank percentile (the smallest value with at least `q` of the values at or below it), the
 * definition that needs no interpolation, so a test can compute the same figure from tshark's output.
 * `sorted` ascending; null when empty.
 */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}
