import { populationStdDevOfValues } from './exactCells.js';
/**
 * Exact statistics of ascending samples of finite values (Float64Arrays sorted by
 * sortFloat64): what the report's exact mode reads from one sort per slice and side.
 */

/**
 * KS D = sup |F_ref − F_cur| and Wasserstein-1 = ∫ |F_ref − F_cur| dx, in one sweep of both
 * samples. After each run of equal values (ties move both ECDFs at once; −0 equals +0) the
 * difference i·m − j·n is n·m·(F_ref − F_cur) in exact integers: D is its largest magnitude
 * over n·m, and W1 sums it times the gap to the next value. NaN when a sample is empty.
 */
export function sortedDistances(
  reference: Float64Array,
  current: Float64Array,
): { ks: number; wasserstein: number } {
  const n = reference.length;
  const m = current.length;
  if (n === 0 || m === 0) return { ks: Number.NaN, wasserstein: Number.NaN };
  const nm = n * m;
  let i = 0;
  let j = 0;
  let largest = 0;
  // Σ difference · gap, divided by n·m once at the end (per term it cost a division per
  // value); it can overflow only near the float limits, where the careful sum is taken
  let scaledSum = 0;
  // the previous run's value and |i·m − j·n| after it: its share of W1 is added on
  // reaching the next value
  let previous = 0;
  let previousDifference = 0;
  while (i < n || j < m) {
    const a = i < n ? (reference[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < m ? (current[j] as number) : Number.POSITIVE_INFINITY;
    const x = a <= b ? a : b;
    scaledSum += previousDifference * (x - previous);
    if (a === x) {
      i += 1;
      while (i < n && reference[i] === x) i += 1;
    }
    if (b === x) {
      j += 1;
      while (j < m && current[j] === x) j += 1;
    }
    const difference = Math.abs(i * m - j * n);
    if (difference > largest) largest = difference;
    previous = x;
    previousDifference = difference;
  }
  const wasserstein = Number.isFinite(scaledSum)
    ? scaledSum / nm
    : carefulWasserstein(reference, current);
  return { ks: largest / nm, wasserstein };
}

/**
 * W1 with each term weighted before it is added, and gaps that overflow (values near
 * ±1e308) taken in halves: finite whenever W1 itself is.
 */
function carefulWasserstein(reference: Float64Array, current: Float64Array): number {
  const n = reference.length;
  const m = current.length;
  let i = 0;
  let j = 0;
  let total = 0;
  let previous = 0;
  let previousWeight = 0;
  while (i < n || j < m) {
    const a = i < n ? (reference[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < m ? (current[j] as number) : Number.POSITIVE_INFINITY;
    const x = a <= b ? a : b;
    if (previousWeight > 0) total += weightedGap(previousWeight, previous, x);
    while (i < n && reference[i] === x) i += 1;
    while (j < m && current[j] === x) j += 1;
    previous = x;
    previousWeight = Math.abs(i * m - j * n) / (n * m);
  }
  return total;
}

/** weight · (next − x), in halves where the gap itself overflows (values near ±1e308). */
function weightedGap(weight: number, x: number, next: number): number {
  const gap = next - x;
  return Number.isFinite(gap) ? weight * gap : 2 * (weight * (next / 2 - x / 2));
}

/**
 * ClickHouse's quantileExactInclusive of an ascending sample, with its arithmetic:
 * h = level·(N − 1) + 1, k = ⌊h⌋, a[k−1] + (h − k)·(a[k] − a[k−1]); NaN when empty. The
 * report's bin edges were computed by that function in SQL; the same formula keeps them
 * the same to the last bit.
 */
export function quantileExactInclusive(sorted: Float64Array, level: number): number {
  const size = sorted.length;
  if (size === 0) return Number.NaN;
  const h = level * (size - 1) + 1;
  const k = Math.trunc(h);
  if (k >= size) return sorted[size - 1] as number;
  if (k < 1) return sorted[0] as number;
  const below = sorted[k - 1] as number;
  return below + (h - k) * ((sorted[k] as number) - below);
}

/**
 * Counts per bin on inner edges (edges.length + 1 bins, open at both ends) of an ascending
 * sample: bin = count(edges <= x), as searchsorted side='right' — a binary search per edge.
 */
export function sortedBinCounts(sorted: Float64Array, edges: readonly number[]): number[] {
  const counts: number[] = [];
  let previous = 0;
  for (const edge of edges) {
    const below = firstAtOrAbove(sorted, edge);
    counts.push(below - previous);
    previous = below;
  }
  counts.push(sorted.length - previous);
  return counts;
}

/** The number of values below `edge` (the first index whose value is >= edge). */
function firstAtOrAbove(sorted: Float64Array, edge: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) < edge) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The population standard deviation (numpy's std, ddof 0) of a sorted sample: its largest
 * magnitude is at an end. Computed as the report's cells compute it (a compensated mean,
 * then the corrected two-pass form), so that a sample far from zero with a small spread
 * (1e9 + noise) keeps its digits whichever path a comparison takes. NaN when empty.
 */
export function populationStdDev(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const largest = Math.max(Math.abs(sorted[0] as number), Math.abs(sorted[n - 1] as number));
  return populationStdDevOfValues([sorted], largest);
}
