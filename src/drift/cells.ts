import { binIndex } from '../stats/bins.js';
import {
  jensenShannonDistance,
  kolmogorovSf,
  kolmogorovSfLowerBound,
  PROPORTION_FLOOR,
  psi,
  roundHalfEven,
} from '../stats/index.js';

/**
 * Proven brackets from cells. A cell is a group of a sample's values known only by their
 * count, sum, min and max: every value lies in [min, max]. Summaries store cells (see
 * migration 0006); exact values are cells with min = max. Nothing here assumes cells are
 * aligned, disjoint or from one bucketing: the bounds hold for any cells, and are tight
 * where cells are narrow.
 */
export interface Cell {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** An exact value has lower = upper = value. */
export interface Bracket {
  value: number;
  lower: number;
  upper: number;
}

export function exactBracket(value: number): Bracket {
  return { value, lower: value, upper: value };
}

export function isExact(bracket: Bracket): boolean {
  return bracket.lower === bracket.upper;
}

/** The point value reported for a bracket: its midpoint (the exact value when exact). */
export function bracketOf(lower: number, upper: number): Bracket {
  if (lower === upper) return exactBracket(lower);
  const value = lower / 2 + upper / 2;
  return { value: Math.min(Math.max(value, lower), upper), lower, upper };
}

export function sampleSize(cells: readonly Cell[]): number {
  let n = 0;
  for (const cell of cells) n += cell.count;
  return n;
}

/** Cells from exact values (tests, small samples): one degenerate cell per distinct value. */
export function cellsOfValues(values: readonly number[]): Cell[] {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({
    count,
    sum: value * count,
    min: value,
    max: value,
  }));
}

/**
 * A sample's cells sorted for the distance brackets, copied into typed arrays: a snapshot,
 * unaffected by later changes to the cells it came from. Sorting is the costly part of a
 * bracket, so a sample compared many times (a reference profile's, against every window) is
 * sorted once and the snapshot kept (FeatureSample.sorted).
 */
export interface SortedCells {
  /** The array the snapshot was taken from, and its length then. */
  readonly source: readonly Cell[];
  readonly cells: number;
  /** Σ count over every cell, as sampleSize. */
  readonly size: number;
  /** The largest |min| or |max| of a non-empty cell (NaN if one is NaN): Wasserstein's scale. */
  readonly largest: number;
  /** The cells with a positive count by min ascending: min, count, sum, count·max(|min|, |max|). */
  readonly mins: Float64Array;
  readonly minCounts: Float64Array;
  readonly sums: Float64Array;
  readonly absolutes: Float64Array;
  /** The same cells by max ascending: max, count. */
  readonly maxs: Float64Array;
  readonly maxCounts: Float64Array;
  /**
   * The ECDF bounds at each endpoint, as the sweep computes them (running sums of counts
   * over the size, so the same doubles): F_hi just after the first k + 1 mins, F_lo just
   * after the first k + 1 maxs. Divisions are the sweep's costliest step; made once here.
   */
  readonly maybeShares: Float64Array;
  readonly belowShares: Float64Array;
}

/**
 * The snapshot of cells for the distance brackets. Cells already in order (the summaries'
 * cells are sorted when folded, and disjoint cells sorted by min are sorted by max too) cost
 * one pass to check; only the others are sorted, through an index (ties keep their order).
 */
export function sortCells(cells: readonly Cell[]): SortedCells {
  let size = 0;
  let largest = 0;
  let positive = 0;
  let minsAscend = true;
  let maxsAscend = true;
  let previousMin = -Infinity;
  let previousMax = -Infinity;
  for (const cell of cells) {
    size += cell.count;
    if (cell.count <= 0) continue;
    largest = Math.max(largest, Math.abs(cell.min), Math.abs(cell.max));
    positive += 1;
    if (cell.min < previousMin) minsAscend = false;
    if (cell.max < previousMax) maxsAscend = false;
    previousMin = cell.min;
    previousMax = cell.max;
  }
  const byMin = new Uint32Array(positive);
  let k = 0;
  for (let i = 0; i < cells.length; i += 1) {
    if ((cells[i]?.count ?? 0) <= 0) continue;
    byMin[k] = i;
    k += 1;
  }
  const byMax = minsAscend && maxsAscend ? byMin : byMin.slice();
  if (!minsAscend) byMin.sort((i, j) => (cells[i]?.min ?? 0) - (cells[j]?.min ?? 0));
  if (!maxsAscend) byMax.sort((i, j) => (cells[i]?.max ?? 0) - (cells[j]?.max ?? 0));
  const sorted = {
    source: cells,
    cells: cells.length,
    size,
    largest,
    mins: new Float64Array(positive),
    minCounts: new Float64Array(positive),
    sums: new Float64Array(positive),
    absolutes: new Float64Array(positive),
    maxs: new Float64Array(positive),
    maxCounts: new Float64Array(positive),
    maybeShares: new Float64Array(positive),
    belowShares: new Float64Array(positive),
  };
  let maybe = 0;
  let below = 0;
  for (let i = 0; i < positive; i += 1) {
    const cell = cells[byMin[i] ?? 0] ?? NO_CELL;
    sorted.mins[i] = cell.min;
    sorted.minCounts[i] = cell.count;
    sorted.sums[i] = cell.sum;
    sorted.absolutes[i] = cell.count * Math.max(Math.abs(cell.min), Math.abs(cell.max));
    const ending = cells[byMax[i] ?? 0] ?? NO_CELL;
    sorted.maxs[i] = ending.max;
    sorted.maxCounts[i] = ending.count;
    maybe += cell.count;
    below += ending.count;
    sorted.maybeShares[i] = maybe / size;
    sorted.belowShares[i] = below / size;
  }
  return sorted;
}

const NO_CELL: Cell = { count: 0, sum: 0, min: 0, max: 0 };

/** KS D and Wasserstein-1 bracketed from one sweep of both sides' cell endpoints. */
export interface DistanceBrackets {
  ks: Bracket;
  wasserstein: Bracket;
}

/**
 * Both distance brackets of two samples' cells (or their sorted snapshots); null when either
 * sample is empty.
 *
 * One sweep visits every distinct cell endpoint x in ascending order, merging each side's
 * endpoints sorted by min and by max (four sorted streams), and keeps per side the mass
 * certainly ≤ x (cells with max ≤ x) and possibly ≤ x (cells with min ≤ x): the bounds
 * F_lo(x) ≤ F(x) ≤ F_hi(x) of each ECDF. Each bound is a right-continuous step function
 * that changes only at endpoints, so its values at the endpoints are every value it takes,
 * and its steps between consecutive endpoints are every piece of its integral. KS reads the
 * bounds at every endpoint; Wasserstein integrates them between endpoints, cluster by
 * cluster (see wassersteinBracket).
 */
export function distanceBrackets(
  a: readonly Cell[] | SortedCells,
  b: readonly Cell[] | SortedCells,
): DistanceBrackets | null {
  const sideA = isSorted(a) ? a : sortCells(a);
  const sideB = isSorted(b) ? b : sortCells(b);
  if (sideA.size === 0 || sideB.size === 0) return null;
  return sweepDistances(sideA, sideB);
}

function isSorted(cells: readonly Cell[] | SortedCells): cells is SortedCells {
  return !Array.isArray(cells);
}

/**
 * The two-sample KS statistic D = sup |F_a − F_b| bracketed: at every x,
 * F_lo(x) ≤ F(x) ≤ F_hi(x) for each side, so D ≥ sup max(F_lo − G_hi, G_lo − F_hi) and
 * D ≤ sup max(F_hi − G_lo, G_hi − F_lo). With aligned cells the lower bound is the largest
 * exact ECDF gap at a cell boundary and the upper bound adds at most one cell's mass.
 */
export function ksBracket(a: readonly Cell[], b: readonly Cell[]): Bracket | null {
  return distanceBrackets(a, b)?.ks ?? null;
}

/**
 * scipy's `ks_2samp(method='asymp')` p-value is decreasing in D: the bracket maps across,
 * and its value is the midpoint like every bracket's. The upper end is the p-value at the
 * lower D; the lower end only has to be a bound, and where the p-value at the upper D is a
 * long Smirnov sum (near a million terms for a million-event window), a proven lower bound
 * within 10% of it costs half as much (`kolmogorovSfLowerBound`). No third sum is spent on
 * the midpoint.
 */
export function ksPValueBracket(d: Bracket, n: number, m: number): Bracket {
  const effective = ksEffectiveSize(n, m);
  if (effective === 0) return exactBracket(NaN);
  if (isExact(d)) return exactBracket(kolmogorovSf(effective, d.value));
  return bracketOf(kolmogorovSfLowerBound(effective, d.upper), kolmogorovSf(effective, d.lower));
}

/** The one-sample size scipy's asymptotic two-sample KS p-value uses: round(n·m / (n + m)). */
export function ksEffectiveSize(n: number, m: number): number {
  const [larger, smaller] = n >= m ? [n, m] : [m, n];
  return roundHalfEven((larger * smaller) / (larger + smaller));
}

const UNIT_ROUNDOFF = 2 ** -53;

/**
 * Wasserstein-1 = ∫ |F_a − F_b| dx bracketed. The line splits into clusters (overlapping
 * or touching cell ranges) and the gaps between them, where both ECDFs are exact constants.
 * Inside a cluster [L, R], I = ∫ (F_a − F_b) is exact from the cells' counts and sums
 * (∫_L^R F = F(L⁻)(R − L) + Σ (R − v)/n), so ∫|F_a − F_b| ≥ |I|, and with
 * U₊ ≥ ∫ (F_a − F_b)₊ and U₋ ≥ ∫ (F_b − F_a)₊ from the ECDF bounds,
 * ∫|F_a − F_b| ≤ min(2U₊ − I, I + 2U₋): exact where the ECDFs cannot cross. Values are
 * scaled by a power of two so nothing overflows near the float limits, and each sum's
 * rounding is added to the bracket.
 */
export function wassersteinBracket(a: readonly Cell[], b: readonly Cell[]): Bracket | null {
  return distanceBrackets(a, b)?.wasserstein ?? null;
}

/** The cluster the sweep is crossing, in scaled values; one object reused for every cluster. */
interface Cluster {
  start: number;
  /** Per side: the mass before the cluster, and its cells' Σ count, Σ sum and Σ count·max|v|. */
  beforeA: number;
  beforeB: number;
  countA: number;
  countB: number;
  sumA: number;
  sumB: number;
  absoluteA: number;
  absoluteB: number;
  /** ∫ of the pointwise bounds of (F_a − F_b)₊, (F_b − F_a)₊ and |F_a − F_b| over it. */
  plus: number;
  minus: number;
  pointwiseLower: number;
}

function sweepDistances(a: SortedCells, b: SortedCells): DistanceBrackets {
  const n = a.size;
  const m = b.size;
  // Scaling by a power of two is exact (outside subnormals) and monotone, and x * (1/scale)
  // rounds exactly as x / scale: the scaled sweep sees the endpoints in the same order.
  const scale = powerOfTwoAbove(Math.max(a.largest, b.largest));
  const inverse = 1 / scale;
  const lengthA = a.mins.length;
  const lengthB = b.mins.length;
  // cursors: a's cells started (by min) and ended (by max), b's likewise
  let startedA = 0;
  let endedA = 0;
  let startedB = 0;
  let endedB = 0;
  // masses certainly at or under the current endpoint (cells ended)
  let belowA = 0;
  let belowB = 0;
  let open = 0;
  let remaining = 2 * (lengthA + lengthB);
  // sup of the lower and upper bounds of |F_a − F_b| so far, in a typed array: as two `let`
  // doubles updated in both loops below V8 boxed each update, most of the sweep's garbage
  const ks = new Float64Array(2);
  const totals = { lower: 0, upper: 0 };
  const cluster: Cluster = {
    start: 0,
    beforeA: 0,
    beforeB: 0,
    countA: 0,
    countB: 0,
    sumA: 0,
    sumB: 0,
    absoluteA: 0,
    absoluteB: 0,
    plus: 0,
    minus: 0,
    pointwiseLower: 0,
  };
  let inside = false;
  let previousEnd = Number.NaN;
  let x = lesser(
    lesser(headOf(a.mins, startedA), headOf(a.maxs, endedA)),
    lesser(headOf(b.mins, startedB), headOf(b.maxs, endedB)),
  );
  while (remaining > 0) {
    // Endpoints of a alone, while b's next one lies beyond (most of a reference's endpoints,
    // between and across a window's cells): the same steps as the full loop below, without
    // b's two streams, whose bounds hold still meanwhile.
    const headB = lesser(headOf(b.mins, startedB), headOf(b.maxs, endedB));
    if (x < headB) {
      const gLo = shareAt(b.belowShares, endedB);
      const gHi = shareAt(b.maybeShares, startedB);
      while (x < headB) {
        if (!inside) {
          openCluster(cluster, x * inverse, belowA, belowB);
          inside = true;
          if (!Number.isNaN(previousEnd)) {
            const gap =
              Math.abs(shareAt(a.belowShares, endedA) - gLo) * (cluster.start - previousEnd);
            totals.lower += gap;
            totals.upper += gap;
          }
        }
        for (; startedA < lengthA && a.mins[startedA] === x; startedA += 1) {
          cluster.countA += a.minCounts[startedA] ?? 0;
          cluster.sumA += (a.sums[startedA] ?? 0) * inverse;
          cluster.absoluteA += (a.absolutes[startedA] ?? 0) * inverse;
          open += 1;
          remaining -= 1;
        }
        for (; endedA < lengthA && a.maxs[endedA] === x; endedA += 1) {
          belowA += a.maxCounts[endedA] ?? 0;
          open -= 1;
          remaining -= 1;
        }
        const fLo = shareAt(a.belowShares, endedA);
        const fHi = shareAt(a.maybeShares, startedA);
        ks[0] = Math.max(ks[0] ?? 0, fLo - gHi, gLo - fHi);
        ks[1] = Math.max(ks[1] ?? 0, fHi - gLo, gHi - fLo);
        const scaledX = x * inverse;
        const next =
          remaining > 0
            ? lesser(lesser(headOf(a.mins, startedA), headOf(a.maxs, endedA)), headB)
            : Number.NaN;
        const scaledNext = next * inverse;
        if (open === 0 && !(scaledNext <= scaledX)) {
          addClusterBounds(cluster, scaledX, n, m, totals);
          previousEnd = scaledX;
          inside = false;
        } else {
          const width = scaledNext - scaledX;
          if (width > 0) {
            cluster.plus += Math.max(0, fHi - gLo) * width;
            cluster.minus += Math.max(0, gHi - fLo) * width;
            cluster.pointwiseLower += Math.max(0, fLo - gHi, gLo - fHi) * width;
          }
        }
        x = next;
      }
      if (remaining === 0) break;
    }
    if (!inside) {
      // every cell before x has ended: both ECDFs are exact constants up to x
      openCluster(cluster, x * inverse, belowA, belowB);
      inside = true;
      if (!Number.isNaN(previousEnd)) {
        const gap =
          Math.abs(shareAt(a.belowShares, endedA) - shareAt(b.belowShares, endedB)) *
          (cluster.start - previousEnd);
        totals.lower += gap;
        totals.upper += gap;
      }
    }
    const consumed = remaining;
    for (; startedA < lengthA && a.mins[startedA] === x; startedA += 1) {
      const count = a.minCounts[startedA] ?? 0;
      cluster.countA += count;
      cluster.sumA += (a.sums[startedA] ?? 0) * inverse;
      cluster.absoluteA += (a.absolutes[startedA] ?? 0) * inverse;
      open += 1;
      remaining -= 1;
    }
    for (; endedA < lengthA && a.maxs[endedA] === x; endedA += 1) {
      belowA += a.maxCounts[endedA] ?? 0;
      open -= 1;
      remaining -= 1;
    }
    for (; startedB < lengthB && b.mins[startedB] === x; startedB += 1) {
      const count = b.minCounts[startedB] ?? 0;
      cluster.countB += count;
      cluster.sumB += (b.sums[startedB] ?? 0) * inverse;
      cluster.absoluteB += (b.absolutes[startedB] ?? 0) * inverse;
      open += 1;
      remaining -= 1;
    }
    for (; endedB < lengthB && b.maxs[endedB] === x; endedB += 1) {
      belowB += b.maxCounts[endedB] ?? 0;
      open -= 1;
      remaining -= 1;
    }
    if (remaining === consumed) {
      // an endpoint that compares with nothing (NaN): step over it rather than loop forever
      if (startedA < lengthA) startedA += 1;
      else if (endedA < lengthA) endedA += 1;
      else if (startedB < lengthB) startedB += 1;
      else endedB += 1;
      remaining -= 1;
    }
    const fLo = shareAt(a.belowShares, endedA);
    const fHi = shareAt(a.maybeShares, startedA);
    const gLo = shareAt(b.belowShares, endedB);
    const gHi = shareAt(b.maybeShares, startedB);
    ks[0] = Math.max(ks[0] ?? 0, fLo - gHi, gLo - fHi);
    ks[1] = Math.max(ks[1] ?? 0, fHi - gLo, gHi - fLo);
    const scaledX = x * inverse;
    // the smallest endpoint left (written out: a call returning a double would box it)
    const next =
      remaining > 0
        ? lesser(
            lesser(headOf(a.mins, startedA), headOf(a.maxs, endedA)),
            lesser(headOf(b.mins, startedB), headOf(b.maxs, endedB)),
          )
        : Number.NaN;
    const scaledNext = next * inverse;
    // A cluster ends where no cell is open, unless the next cell starts at the same scaled
    // point (touching ranges share a cluster). Within it, the bounds hold still up to the
    // next endpoint.
    if (open === 0 && !(scaledNext <= scaledX)) {
      addClusterBounds(cluster, scaledX, n, m, totals);
      previousEnd = scaledX;
      inside = false;
    } else {
      const width = scaledNext - scaledX;
      if (width > 0) {
        cluster.plus += Math.max(0, fHi - gLo) * width;
        cluster.minus += Math.max(0, gHi - fLo) * width;
        cluster.pointwiseLower += Math.max(0, fLo - gHi, gLo - fHi) * width;
      }
    }
    x = next;
  }
  // the scaled bounds came from a few hundred floating operations per cell at most; scaling
  // back may round (among subnormals, coarsely): each end steps one double outwards
  const { lower, upper } = totals;
  const slack = upper * (lengthA + lengthB) * 8 * UNIT_ROUNDOFF;
  const low = Math.max(0, nextDown(Math.max(0, lower - slack) * scale));
  const high = nextUp((upper + slack) * scale);
  return {
    ks: bracketOf(Math.min(ks[0] ?? 0, 1), Math.min(ks[1] ?? 0, 1)),
    wasserstein: bracketOf(Math.min(low, high), high),
  };
}

/** A side's ECDF bound once `consumed` of its endpoints in that order are behind the sweep. */
function shareAt(shares: Float64Array, consumed: number): number {
  return consumed > 0 ? (shares[consumed - 1] ?? 0) : 0;
}

/** A stream's next endpoint; +∞ once it is used up (never the smallest while one is left). */
function headOf(values: Float64Array, cursor: number): number {
  return cursor < values.length ? (values[cursor] ?? 0) : Infinity;
}

/** The smaller of two endpoints; NaN wins, so the sweep steps over it. */
function lesser(x: number, y: number): number {
  return y < x || Number.isNaN(y) ? y : x;
}

function openCluster(cluster: Cluster, start: number, beforeA: number, beforeB: number): void {
  cluster.start = start;
  cluster.beforeA = beforeA;
  cluster.beforeB = beforeB;
  cluster.countA = 0;
  cluster.countB = 0;
  cluster.sumA = 0;
  cluster.sumB = 0;
  cluster.absoluteA = 0;
  cluster.absoluteB = 0;
  cluster.plus = 0;
  cluster.minus = 0;
  cluster.pointwiseLower = 0;
}

/** ∫ F over a cluster [start, end] for one side: F(L⁻)(R − L) + Σ (R − v), over the size. */
function clusterIntegral(
  before: number,
  count: number,
  sum: number,
  start: number,
  end: number,
  size: number,
): number {
  return (before * (end - start) + (end * count - sum)) / size;
}

/** A bound of that integral's rounding: (count + 16)·u times the sum of its terms' magnitudes. */
function clusterRounding(
  before: number,
  count: number,
  absolute: number,
  start: number,
  end: number,
  size: number,
): number {
  return (
    ((count + 16) * UNIT_ROUNDOFF * (before * (end - start) + Math.abs(end) * count + absolute)) /
    size
  );
}

/** A closed cluster [start, end]'s bounds of ∫|F_a − F_b|, added to the totals. */
function addClusterBounds(
  cluster: Cluster,
  end: number,
  n: number,
  m: number,
  totals: { lower: number; upper: number },
): void {
  const { start, plus, minus, pointwiseLower } = cluster;
  if (end === start) return;
  // exact ∫ (F_a − F_b) over the cluster, with the rounding of each side's sums bounded
  const valueA = clusterIntegral(cluster.beforeA, cluster.countA, cluster.sumA, start, end, n);
  const valueB = clusterIntegral(cluster.beforeB, cluster.countB, cluster.sumB, start, end, m);
  const errorA = clusterRounding(cluster.beforeA, cluster.countA, cluster.absoluteA, start, end, n);
  const errorB = clusterRounding(cluster.beforeB, cluster.countB, cluster.absoluteB, start, end, m);
  if (
    !Number.isFinite(valueA) ||
    !Number.isFinite(errorA) ||
    !Number.isFinite(valueB) ||
    !Number.isFinite(errorB)
  ) {
    totals.lower += pointwiseLower;
    totals.upper += plus + minus; // ∫|F_a − F_b| = ∫(F_a − F_b)₊ + ∫(F_b − F_a)₊
    return;
  }
  const signed = valueA - valueB;
  const rounding = errorA + errorB;
  const lower = Math.max(pointwiseLower, Math.abs(signed) - rounding);
  const upper = Math.min(plus + minus, 2 * plus - signed + rounding, signed + 2 * minus + rounding);
  totals.lower += Math.min(lower, upper);
  totals.upper += Math.max(lower, upper);
}

const bits = new DataView(new ArrayBuffer(8));

/** The next double above x (x itself for infinities and NaN). */
export function nextUp(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return Number.MIN_VALUE;
  bits.setFloat64(0, x);
  const word = bits.getBigInt64(0);
  bits.setBigInt64(0, x > 0 ? word + 1n : word - 1n);
  return bits.getFloat64(0);
}

export function nextDown(x: number): number {
  return -nextUp(-x);
}

function powerOfTwoAbove(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const exponent = Math.ceil(Math.log2(value));
  // 2^1024 is not a double: the largest power of two that is
  return 2 ** Math.min(Math.max(exponent, -1000), 1023);
}

/** A count known to lie in [lower, upper]. */
export interface CountRange {
  lower: number;
  upper: number;
}

/** A sample's counts per bin, each within a range, and the sample's exact size. */
export interface BinCounts {
  ranges: CountRange[];
  total: number;
  /** The counts of cells that span two or more bins, each in one of its bins. */
  spanning?: { first: number; last: number; count: number }[];
}

/**
 * Cells into bins by inner edges (x falls in bin count(edges <= x)): a cell whose min and
 * max fall in one bin is certainly there; one that spans bins may be in any of them.
 */
export function binCountRanges(edges: readonly number[], cells: readonly Cell[]): BinCounts {
  const ranges = Array.from({ length: edges.length + 1 }, () => ({ lower: 0, upper: 0 }));
  const spanning: { first: number; last: number; count: number }[] = [];
  let total = 0;
  for (const cell of cells) {
    if (cell.count <= 0) continue;
    total += cell.count;
    const first = binIndex(edges, cell.min);
    const last = binIndex(edges, cell.max);
    if (first !== last) spanning.push({ first, last, count: cell.count });
    for (let bin = first; bin <= last; bin += 1) {
      const range = ranges[bin];
      if (!range) continue;
      range.upper += cell.count;
      if (first === last) range.lower += cell.count;
    }
  }
  return { ranges, total, spanning };
}

export function exactBinCounts(counts: readonly number[]): BinCounts {
  return {
    ranges: counts.map((count) => ({ lower: count, upper: count })),
    total: counts.reduce((sum, count) => sum + count, 0),
  };
}

function isExactCounts(counts: BinCounts): boolean {
  return counts.ranges.every((range) => range.lower === range.upper);
}

/** Each bin's floored proportion max(count / n, 1e-4), within bounds. */
export function flooredProportionRanges(counts: BinCounts): CountRange[] {
  return counts.ranges.map((range) => ({
    lower: Math.max(range.lower / counts.total, PROPORTION_FLOOR),
    upper: Math.max(Math.min(range.upper, counts.total) / counts.total, PROPORTION_FLOOR),
  }));
}

function comparable(reference: BinCounts, current: BinCounts): boolean {
  return (
    reference.ranges.length === current.ranges.length &&
    reference.ranges.length > 0 &&
    reference.total > 0 &&
    current.total > 0
  );
}

/**
 * One bin's term of a divergence, f(x, y) with x the current proportion and y the
 * reference's: jointly convex, zero on x = y, and monotone away from the diagonal. Its
 * first and second derivatives in x serve the chain bounds' search (only the first enters a
 * bound).
 */
interface DivergenceTerm {
  term: (x: number, y: number) => number;
  slope: (x: number, y: number) => number;
  curvature: (x: number, y: number) => number;
}

/** PSI's (x − y)·ln(x/y). */
const PSI_TERM: DivergenceTerm = {
  term: (x, y) => (x - y) * Math.log(x / y),
  slope: (x, y) => Math.log(x / y) + 1 - y / x,
  curvature: (x, y) => 1 / x + y / (x * x),
};

/** Jensen-Shannon's (x·ln(x/m) + y·ln(y/m)) / 2 with m = (x + y)/2, in nats. */
const JENSEN_SHANNON_TERM: DivergenceTerm = {
  term: (x, y) => {
    const mid = (x + y) / 2;
    return (x * Math.log(x / mid) + y * Math.log(y / mid)) / 2;
  },
  slope: (x, y) => Math.log((2 * x) / (x + y)) / 2,
  curvature: (x, y) => y / (2 * x * (x + y)),
};

/**
 * PSI over bins whose counts are known within ranges. Each term (c − r)·ln(c/r) of floored
 * proportions is jointly convex, zero on c = r, decreasing in c and increasing in r below
 * the diagonal (and the mirror above): its maximum over a box is at a corner, its minimum
 * 0 where the ranges overlap, else at the corner nearest the diagonal.
 */
export function psiBracket(reference: BinCounts, current: BinCounts): Bracket | null {
  if (!comparable(reference, current)) return null;
  if (isExactCounts(reference) && isExactCounts(current)) {
    return exactBracket(
      psi(
        reference.ranges.map((range) => range.lower),
        current.ranges.map((range) => range.lower),
      ),
    );
  }
  const chained = isExactCounts(reference)
    ? chainBounds(proportionsOf(reference), current, PSI_TERM)
    : null;
  if (chained) return bracketOf(chained.lower, chained.upper);
  const r = flooredProportionRanges(reference);
  const c = flooredProportionRanges(current);
  let lower = 0;
  let upper = 0;
  c.forEach((ci, i) => {
    const box = boxBounds(ci, r[i] ?? ci, PSI_TERM.term);
    lower += box.lower;
    upper += box.upper;
  });
  return bracketOf(lower, upper);
}

/** Exact counts as the floored, renormalised proportions both statistics compare with. */
function proportionsOf(counts: BinCounts): number[] {
  const floored = counts.ranges.map((range) =>
    Math.max(range.lower / counts.total, PROPORTION_FLOOR),
  );
  const sum = floored.reduce((s, v) => s + v, 0);
  return floored.map((v) => v / sum);
}

/**
 * The current sample's bins as a chain: each bin's certain count, and per edge e the mass
 * of the cells straddling it, of which `left[e]` (in [0, straddling[e]]) is allocated to
 * bin e and the rest to bin e + 1.
 */
interface Chain {
  divergence: DivergenceTerm;
  reference: readonly number[];
  n: number;
  bins: number;
  base: number[];
  straddling: number[];
  left: number[];
}

function chainCount(chain: Chain, i: number, left: readonly number[]): number {
  const { base, straddling } = chain;
  return (
    (base[i] ?? 0) + (i > 0 ? (straddling[i - 1] ?? 0) - (left[i - 1] ?? 0) : 0) + (left[i] ?? 0)
  );
}

function chainTerm(chain: Chain, i: number, count: number): number {
  return chain.divergence.term(count / chain.n, chain.reference[i] ?? 0);
}

/** f(left) = Σ term(c_i / n, q_i). */
function chainObjective(chain: Chain, left: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < chain.bins; i += 1) total += chainTerm(chain, i, chainCount(chain, i, left));
  return total;
}

/** ∂f/∂left[e]: moving mass from bin e + 1 to bin e. */
function edgeGradient(chain: Chain, e: number, left: readonly number[]): number {
  const { divergence, reference, n } = chain;
  return (
    (divergence.slope(chainCount(chain, e, left) / n, reference[e] ?? 0) -
      divergence.slope(chainCount(chain, e + 1, left) / n, reference[e + 1] ?? 0)) /
    n
  );
}

/**
 * Tighter bounds of Σ term(c_i / n, q_i) when each spanning cell spans two neighbouring
 * bins and no bin can fall below the floor (so the terms are convex in the counts and the
 * floors change nothing, which also makes renormalising a no-op). The mass of the cells
 * straddling edge e goes L_e to its left bin and the rest to its right one, L_e in
 * [0, U_e]. The maximum of a convex function over that box is at a vertex, found by a
 * dynamic programme along the chain of bins. For the minimum, a point x0 of the box near
 * it is searched for, and convexity gives f(x) ≥ f(x0) + ∇f(x0)·(x − x0), whose minimum
 * over the box is a proven lower bound whatever x0 is. Null when the conditions do not hold.
 */
function chainBounds(
  reference: readonly number[],
  current: BinCounts,
  divergence: DivergenceTerm,
): { lower: number; upper: number } | null {
  const bins = current.ranges.length;
  const n = current.total;
  const spans = current.spanning ?? [];
  if (spans.some((span) => span.last !== span.first + 1)) return null;
  const base = current.ranges.map((range) => range.lower);
  const straddling = new Array<number>(Math.max(0, bins - 1)).fill(0);
  for (const span of spans) straddling[span.first] = (straddling[span.first] ?? 0) + span.count;
  if (base.some((count) => count / n < PROPORTION_FLOOR)) return null;
  const chain: Chain = {
    divergence,
    reference,
    n,
    bins,
    base,
    straddling,
    left: straddling.map((u) => u / 2),
  };
  // maximum: each edge's straddling mass wholly left (1) or right (0)
  let best: [number, number] = [
    chainTerm(chain, 0, base[0] ?? 0),
    chainTerm(chain, 0, (base[0] ?? 0) + (straddling[0] ?? 0)),
  ];
  if (bins === 1) {
    const only = chainTerm(chain, 0, base[0] ?? 0);
    return { lower: only, upper: only };
  }
  for (let i = 1; i < bins; i += 1) {
    const fromLeft = [straddling[i - 1] ?? 0, 0]; // edge i−1 right (0) or left (1)
    const toLeft = i < bins - 1 ? [0, straddling[i] ?? 0] : [0, 0];
    const next: [number, number] = [-Infinity, -Infinity];
    for (const mine of [0, 1] as const) {
      for (const previous of [0, 1] as const) {
        const count = (base[i] ?? 0) + (fromLeft[previous] ?? 0) + (toLeft[mine] ?? 0);
        next[mine] = Math.max(
          next[mine],
          (best[previous] ?? -Infinity) + chainTerm(chain, i, count),
        );
      }
    }
    best = next;
  }
  const upper = Math.max(best[0], best[1]);
  // minimum: search for the allocation minimising f, then the linear lower bound at it
  minimiseAllocation(chain);
  const { left } = chain;
  let lower = chainObjective(chain, left);
  for (let e = 0; e < bins - 1; e += 1) {
    const u = straddling[e] ?? 0;
    if (u === 0) continue;
    const gradient = edgeGradient(chain, e, left);
    lower += Math.min(gradient * (0 - (left[e] ?? 0)), gradient * (u - (left[e] ?? 0)));
  }
  const slack = 1e-12 * Math.max(1, Math.abs(upper));
  return { lower: Math.max(0, lower - slack), upper: upper + slack };
}

/** Newton steps before the search settles for the allocation it has. */
const MAX_NEWTON_STEPS = 50;
/** What the linear bound may give away at the allocation found (the bound adds 1e-12). */
const SETTLED_LOSS = 1e-15;
/** A descent round that moves no edge by more than this share of its mass has converged. */
const MOVE_TOLERANCE = 1e-9;

/** x within [0, u] (0 for NaN): the search never leaves the box. */
function clampTo(x: number, u: number): number {
  if (!(x > 0)) return 0;
  return x < u ? x : u;
}

/**
 * Moves chain.left towards the minimum of f over the box. Only how tight the lower bound is
 * depends on this search, never whether it holds: every allocation it produces lies in the
 * box. Projected Newton steps on the edges not held at a bound by their gradient (f's
 * Hessian in the allocation is tridiagonal: bin e + 1 couples edges e and e + 1), each kept
 * only if f decreases; where no step does, a round of exact coordinate descent. It stops
 * once the linear bound at the allocation gives away at most SETTLED_LOSS, or when neither
 * moves it. (Coordinate descent alone converges slowly here: with edges coupled through
 * every bin, twenty rounds left some bounds 5e-6 below the minimum.)
 */
function minimiseAllocation(chain: Chain): void {
  const { bins, n, straddling, reference, divergence } = chain;
  const edges = bins - 1;
  const left = chain.left;
  const gradient = new Float64Array(edges);
  const free = new Uint8Array(edges);
  const slopes = new Float64Array(bins);
  const curvature = new Float64Array(bins);
  const pivot = new Float64Array(edges);
  const step = new Float64Array(edges);
  const trial = left.slice();
  let value = chainObjective(chain, left);
  for (let iteration = 0; iteration < MAX_NEWTON_STEPS; iteration += 1) {
    // At a bound with the gradient pointing out of the box, an edge's linear term is 0;
    // every other edge gives away min(g·(0 − l), g·(u − l)) ≤ 0.
    let loss = 0;
    for (let i = 0; i < bins; i += 1)
      slopes[i] = divergence.slope(chainCount(chain, i, left) / n, reference[i] ?? 0);
    for (let e = 0; e < edges; e += 1) {
      const u = straddling[e] ?? 0;
      const l = left[e] ?? 0;
      // edgeGradient, from each bin's slope computed once
      const g = ((slopes[e] ?? 0) - (slopes[e + 1] ?? 0)) / n;
      gradient[e] = g;
      const held = u === 0 || (l <= 0 && g >= 0) || (l >= u && g <= 0);
      free[e] = held ? 0 : 1;
      if (!held) loss += Math.min(g * (0 - l), g * (u - l));
    }
    if (-loss <= SETTLED_LOSS) return;
    for (let i = 0; i < bins; i += 1)
      curvature[i] = divergence.curvature(chainCount(chain, i, left) / n, reference[i] ?? 0);
    newtonStep(edges, n, gradient, free, curvature, pivot, step);
    let improved = false;
    for (let t = 1, halvings = 0; halvings < 30; halvings += 1, t /= 2) {
      for (let e = 0; e < edges; e += 1)
        trial[e] = free[e]
          ? clampTo((left[e] ?? 0) + t * (step[e] ?? 0), straddling[e] ?? 0)
          : (left[e] ?? 0);
      const candidate = chainObjective(chain, trial);
      if (candidate < value) {
        for (let e = 0; e < edges; e += 1) left[e] = trial[e] ?? 0;
        value = candidate;
        improved = true;
        break;
      }
    }
    if (improved) continue;
    if (!descentRound(chain)) return;
    value = chainObjective(chain, left);
  }
}

/**
 * Solves H·d = −g on the free edges, H = ∇²f: with κ_i the term's curvature at bin i,
 * n²·H has κ_e + κ_{e+1} on its diagonal and −κ_{e+1} between edges e and e + 1 (Thomas'
 * algorithm; held edges get d = 0 and cut the chain). Each run of free edges is a path's
 * Laplacian with both ends grounded, so positive definite: no pivot is 0.
 */
function newtonStep(
  edges: number,
  n: number,
  gradient: Float64Array,
  free: Uint8Array,
  curvature: Float64Array,
  pivot: Float64Array,
  step: Float64Array,
): void {
  for (let e = 0; e < edges; e += 1) {
    step[e] = 0;
    if (!free[e]) continue;
    const coupling = curvature[e] ?? 0;
    let diagonal = coupling + (curvature[e + 1] ?? 0);
    let rhs = -n * n * (gradient[e] ?? 0);
    if (e > 0 && free[e - 1]) {
      const w = -coupling / (pivot[e - 1] ?? 1);
      diagonal -= w * -coupling;
      rhs -= w * (step[e - 1] ?? 0);
    }
    pivot[e] = diagonal;
    step[e] = rhs;
  }
  for (let e = edges - 1; e >= 0; e -= 1) {
    if (!free[e]) continue;
    const after = e + 1 < edges && free[e + 1] ? (step[e + 1] ?? 0) : 0;
    step[e] = ((step[e] ?? 0) + (curvature[e + 1] ?? 0) * after) / (pivot[e] ?? 1);
  }
}

/**
 * One round of coordinate descent: each edge's allocation set to the minimum of f along it,
 * the root of its (increasing) derivative in [0, u] by the Illinois method. True if an
 * edge moved by more than MOVE_TOLERANCE of its mass.
 */
function descentRound(chain: Chain): boolean {
  const { left, straddling } = chain;
  let moved = false;
  for (let e = 0; e < chain.bins - 1; e += 1) {
    const u = straddling[e] ?? 0;
    if (u === 0) continue;
    const previous = left[e] ?? 0;
    const settled = edgeMinimum(chain, e, u);
    left[e] = settled;
    if (Math.abs(settled - previous) > u * MOVE_TOLERANCE) moved = true;
  }
  return moved;
}

function edgeMinimum(chain: Chain, e: number, u: number): number {
  const { left } = chain;
  left[e] = 0;
  let gLow = edgeGradient(chain, e, left);
  if (!(gLow < 0)) return 0;
  left[e] = u;
  let gHigh = edgeGradient(chain, e, left);
  if (!(gHigh > 0)) return u;
  let low = 0;
  let high = u;
  let kept = 0;
  for (let iteration = 0; iteration < 100 && high - low > u * 1e-13; iteration += 1) {
    let x = low - (gLow * (high - low)) / (gHigh - gLow);
    if (!(x > low && x < high)) x = low / 2 + high / 2;
    left[e] = x;
    const g = edgeGradient(chain, e, left);
    if (g === 0) return x;
    if (g < 0) {
      low = x;
      gLow = g;
      if (kept < 0) gHigh /= 2;
      kept = -1;
    } else if (g > 0) {
      high = x;
      gHigh = g;
      if (kept > 0) gLow /= 2;
      kept = 1;
    } else break;
  }
  return low / 2 + high / 2;
}

/**
 * The Jensen-Shannon distance (base 2) over floored, renormalised proportions. Each
 * renormalised proportion is bounded through the bounds of the normalising sum, and each
 * term of the divergence is convex and monotone away from the diagonal like PSI's.
 */
export function jensenShannonBracket(reference: BinCounts, current: BinCounts): Bracket | null {
  if (!comparable(reference, current)) return null;
  if (isExactCounts(reference) && isExactCounts(current)) {
    return exactBracket(
      jensenShannonDistance(
        reference.ranges.map((range) => range.lower),
        current.ranges.map((range) => range.lower),
      ),
    );
  }
  const distance = (divergence: number) => Math.sqrt(Math.max(0, divergence) / Math.LN2);
  const chained = isExactCounts(reference)
    ? chainBounds(proportionsOf(reference), current, JENSEN_SHANNON_TERM)
    : null;
  if (chained) {
    return bracketOf(distance(chained.lower), Math.min(1, distance(chained.upper)));
  }
  const renormalised = (counts: BinCounts) => {
    const floored = flooredProportionRanges(counts);
    const sumLow = floored.reduce((s, v) => s + v.lower, 0);
    const sumHigh = floored.reduce((s, v) => s + v.upper, 0);
    return floored.map((v) => ({ lower: v.lower / sumHigh, upper: Math.min(1, v.upper / sumLow) }));
  };
  const p = renormalised(current);
  const q = renormalised(reference);
  let lower = 0;
  let upper = 0;
  p.forEach((pi, i) => {
    const box = boxBounds(pi, q[i] ?? pi, JENSEN_SHANNON_TERM.term);
    lower += box.lower;
    upper += box.upper;
  });
  return bracketOf(distance(lower), Math.min(1, distance(upper)));
}

/** Min and max over a box of a term that is jointly convex, zero on x = y, and monotone away from the diagonal. */
export function boxBounds(
  x: { lower: number; upper: number },
  y: { lower: number; upper: number },
  term: (x: number, y: number) => number,
): { lower: number; upper: number } {
  const corners = [
    term(x.lower, y.lower),
    term(x.lower, y.upper),
    term(x.upper, y.lower),
    term(x.upper, y.upper),
  ];
  const upper = Math.max(...corners);
  let lower = 0;
  if (x.upper < y.lower) lower = term(x.upper, y.lower);
  else if (x.lower > y.upper) lower = term(x.lower, y.upper);
  return { lower: Math.max(0, lower), upper };
}

/** How many of a sample's values lie outside [min, max], within bounds. */
export function outsideRange(cells: readonly Cell[], min: number, max: number): CountRange {
  let lower = 0;
  let upper = 0;
  for (const cell of cells) {
    if (cell.max < min || cell.min > max) {
      lower += cell.count;
      upper += cell.count;
    } else if (cell.min < min || cell.max > max) upper += cell.count;
  }
  return { lower, upper };
}

/** How many values are at or above a threshold, within bounds. */
export function atOrAbove(cells: readonly Cell[], threshold: number): CountRange {
  let lower = 0;
  let upper = 0;
  for (const cell of cells) {
    if (cell.min >= threshold) {
      lower += cell.count;
      upper += cell.count;
    } else if (cell.max >= threshold) upper += cell.count;
  }
  return { lower, upper };
}
