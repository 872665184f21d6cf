/**
 * Quantile bins for PSI and Jensen-Shannon: inner edges are the unique reference
 * quantiles at k/B (k = 1..B−1); a value x falls in bin count(edges <= x), so the outer
 * bins are open at both ends.
 */
export function binEdgesFromQuantiles(quantiles: readonly number[]): number[] {
  const sorted = [...quantiles].filter((q) => !Number.isNaN(q)).sort((a, b) => a - b);
  return sorted.filter((q, i) => i === 0 || q !== sorted[i - 1]);
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

export function binCounts(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of values)
    counts[binIndex(edges, value)] = (counts[binIndex(edges, value)] ?? 0) + 1;
  return counts;
}

/** The R-7 (numpy "linear") quantile of a sorted sample: ClickHouse's quantileExactInclusive. */
export function quantileR7(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lower = Math.floor(h);
  const a = sorted[lower] ?? Number.NaN;
  const b = sorted[Math.min(lower + 1, sorted.length - 1)] ?? Number.NaN;
  return a + (h - lower) * (b - a);
}
