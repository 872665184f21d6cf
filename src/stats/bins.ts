/**
 * Quantile bins for PSI and Jensen-Shannon. The inner edges are the unique reference
 * quantiles at k/B (k = 1..B−1, B = 10 by default); a value x falls in bin count(edges <= x)
 * (numpy searchsorted side='right'), so the two outer bins are open.
 */

/** The number of bins before duplicate quantiles merge. */
export const DEFAULT_BIN_COUNT = 10;

/** The quantile levels k/B, k = 1..B−1, whose reference quantiles become the inner edges. */
export function binQuantileLevels(binCount: number = DEFAULT_BIN_COUNT): number[] {
  if (!(Number.isInteger(binCount) && binCount >= 1))
    throw new RangeError(`bin count must be a positive integer, got ${binCount}`);
  return Array.from({ length: binCount - 1 }, (_, i) => (i + 1) / binCount);
}

/** Sorted, unique edges from reference quantiles: ties (discrete data) merge bins. NaN dropped. */
export function binEdgesFromQuantiles(quantiles: readonly number[]): number[] {
  const sorted = quantiles.filter((q) => !Number.isNaN(q)).sort((a, b) => a - b);
  return sorted.filter((q, i) => i === 0 || q !== sorted[i - 1]);
}

/** A feature's bin edges from its reference quantiles: the finite ones, ties merged. */
export function edgesFromQuantiles(quantiles: readonly number[]): number[] {
  return quantiles.length === 0 ? [] : binEdgesFromQuantiles(quantiles.filter(Number.isFinite));
}

/** searchsorted(edges, x, side='right'): the number of edges at or below x. */
export function binIndex(edges: readonly number[], x: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((edges[mid] ?? Infinity) <= x) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Counts per bin (edges.length + 1 of them) of the non-NaN values: a reference for tests. */
export function binCounts(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    const bin = binIndex(edges, value);
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return counts;
}

/**
 * The R-7 quantile (numpy's default method='linear') of an ascending sample at level p:
 * interpolate at h = (n − 1)p between the order statistics around it, from the nearer one
 * as numpy's `_lerp` does. A reference for tests; production takes quantiles from SQL.
 */
export function quantileR7(sorted: readonly number[], p: number): number {
  if (sorted.length === 0 || !(p >= 0 && p <= 1)) return NaN;
  const h = (sorted.length - 1) * p;
  const below = Math.floor(h);
  const a = sorted[below] ?? NaN;
  const b = sorted[Math.min(below + 1, sorted.length - 1)] ?? NaN;
  const t = h - below;
  const difference = b - a;
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
}
