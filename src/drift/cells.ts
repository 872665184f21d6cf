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

interface Sweep {
  /** Distinct breakpoints, ascending. */
  points: number[];
  /** Per side, per point: mass certainly <= point (cells with max <= x) ... */
  below: [Float64Array, Float64Array];
  /** ... and mass possibly <= point (cells with min <= x). */
  maybe: [Float64Array, Float64Array];
}

/**
 * The bounds of both ECDFs at every cell endpoint. Each bound is a right-continuous step
 * function that changes only at endpoints, so its values at the endpoints are every value
 * it takes.
 */
function sweep(a: readonly Cell[], b: readonly Cell[]): Sweep {
  const events: { x: number; side: 0 | 1; kind: 0 | 1; count: number }[] = [];
  for (const [side, cells] of [
    [0, a],
    [1, b],
  ] as const) {
    for (const cell of cells) {
      if (cell.count <= 0) continue;
      events.push({ x: cell.min, side, kind: 1, count: cell.count });
      events.push({ x: cell.max, side, kind: 0, count: cell.count });
    }
  }
  events.sort((p, q) => p.x - q.x);
  const points: number[] = [];
  const below: [number[], number[]] = [[], []];
  const maybe: [number[], number[]] = [[], []];
  const running: { below: [number, number]; maybe: [number, number] } = {
    below: [0, 0],
    maybe: [0, 0],
  };
  for (let i = 0; i < events.length;) {
    const x = events[i]?.x ?? 0;
    for (; i < events.length && events[i]?.x === x; i += 1) {
      const event = events[i];
      if (!event) continue;
      if (event.kind === 0) running.below[event.side] += event.count;
      else running.maybe[event.side] += event.count;
    }
    points.push(x);
    below[0].push(running.below[0]);
    below[1].push(running.below[1]);
    maybe[0].push(running.maybe[0]);
    maybe[1].push(running.maybe[1]);
  }
  return {
    points,
    below: [Float64Array.from(below[0]), Float64Array.from(below[1])],
    maybe: [Float64Array.from(maybe[0]), Float64Array.from(maybe[1])],
  };
}

/**
 * The two-sample KS statistic D = sup |F_a − F_b| bracketed: at every x,
 * F_lo(x) ≤ F(x) ≤ F_hi(x) for each side, so D ≥ sup max(F_lo − G_hi, G_lo − F_hi) and
 * D ≤ sup max(F_hi − G_lo, G_hi − F_lo). With aligned cells the lower bound is the largest
 * exact ECDF gap at a cell boundary and the upper bound adds at most one cell's mass.
 */
export function ksBracket(a: readonly Cell[], b: readonly Cell[]): Bracket | null {
  const n = sampleSize(a);
  const m = sampleSize(b);
  if (n === 0 || m === 0) return null;
  const { points, below, maybe } = sweep(a, b);
  let lower = 0;
  let upper = 0;
  for (let i = 0; i < points.length; i += 1) {
    const fLo = (below[0][i] ?? 0) / n;
    const fHi = (maybe[0][i] ?? 0) / n;
    const gLo = (below[1][i] ?? 0) / m;
    const gHi = (maybe[1][i] ?? 0) / m;
    lower = Math.max(lower, fLo - gHi, gLo - fHi);
    upper = Math.max(upper, fHi - gLo, gHi - fLo);
  }
  return bracketOf(Math.min(lower, 1), Math.min(upper, 1));
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
  const [larger, smaller] = n >= m ? [n, m] : [m, n];
  const effective = roundHalfEven((larger * smaller) / (larger + smaller));
  if (effective === 0) return exactBracket(NaN);
  if (isExact(d)) return exactBracket(kolmogorovSf(effective, d.value));
  return bracketOf(kolmogorovSfLowerBound(effective, d.upper), kolmogorovSf(effective, d.lower));
}

const UNIT_ROUNDOFF = 2 ** -53;

/**
 * Wasserstein-1 = ∫ |F_a − F_b| dx bracketed. The line splits into clusters (overlapping
 * cell ranges) and the gaps between them, where both ECDFs are exact constants. Inside a
 * cluster [L, R], I = ∫ (F_a − F_b) is exact from the cells' counts and sums
 * (∫_L^R F = F(L⁻)(R − L) + Σ (R − v)/n), so ∫|F_a − F_b| ≥ |I|, and with
 * U₊ ≥ ∫ (F_a − F_b)₊ and U₋ ≥ ∫ (F_b − F_a)₊ from the ECDF bounds,
 * ∫|F_a − F_b| ≤ min(2U₊ − I, I + 2U₋): exact where the ECDFs cannot cross. Values are
 * scaled by a power of two so nothing overflows near the float limits, and each sum's
 * rounding is added to the bracket.
 */
export function wassersteinBracket(a: readonly Cell[], b: readonly Cell[]): Bracket | null {
  const n = sampleSize(a);
  const m = sampleSize(b);
  if (n === 0 || m === 0) return null;
  const scale = powerOfTwoAbove(
    Math.max(...[...a, ...b].flatMap((cell) => [Math.abs(cell.min), Math.abs(cell.max)])),
  );
  const scaled = (cells: readonly Cell[], side: 0 | 1) =>
    cells
      .filter((cell) => cell.count > 0)
      .map((cell) => ({
        side,
        count: cell.count,
        sum: cell.sum / scale,
        min: cell.min / scale,
        max: cell.max / scale,
        absolute: (cell.count * Math.max(Math.abs(cell.min), Math.abs(cell.max))) / scale,
      }));
  const cells = [...scaled(a, 0), ...scaled(b, 1)].sort((p, q) => p.min - q.min);
  let lower = 0;
  let upper = 0;
  const done = [0, 0];
  let previousEnd = Number.NaN;
  for (let i = 0; i < cells.length;) {
    // one cluster: cells whose ranges overlap or touch
    const start = cells[i]?.min ?? 0;
    let end = cells[i]?.max ?? 0;
    let j = i;
    while (j < cells.length && (cells[j]?.min ?? 0) <= end) {
      end = Math.max(end, cells[j]?.max ?? 0);
      j += 1;
    }
    if (!Number.isNaN(previousEnd)) {
      const gap = Math.abs((done[0] ?? 0) / n - (done[1] ?? 0) / m) * (start - previousEnd);
      lower += gap;
      upper += gap;
    }
    const cluster = cells.slice(i, j);
    const bounds = clusterBounds(cluster, start, end, done, n, m);
    lower += bounds.lower;
    upper += bounds.upper;
    for (const cell of cluster) done[cell.side] = (done[cell.side] ?? 0) + cell.count;
    previousEnd = end;
    i = j;
  }
  // the scaled bounds came from a few hundred floating operations per cell at most; scaling
  // back may round (among subnormals, coarsely): each end steps one double outwards
  const slack = upper * cells.length * 8 * UNIT_ROUNDOFF;
  const low = Math.max(0, nextDown(Math.max(0, lower - slack) * scale));
  const high = nextUp((upper + slack) * scale);
  return bracketOf(Math.min(low, high), high);
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

interface ScaledCell {
  side: 0 | 1;
  count: number;
  sum: number;
  min: number;
  max: number;
  absolute: number;
}

function clusterBounds(
  cluster: readonly ScaledCell[],
  start: number,
  end: number,
  before: readonly number[],
  n: number,
  m: number,
): { lower: number; upper: number } {
  if (end === start) return { lower: 0, upper: 0 };
  const sizes = [n, m];
  // exact ∫ (F_a − F_b) over the cluster, with the rounding of each side's sums bounded
  const integral = [0, 1].map((side) => {
    const own = cluster.filter((cell) => cell.side === side);
    const count = own.reduce((total, cell) => total + cell.count, 0);
    const sum = own.reduce((total, cell) => total + cell.sum, 0);
    const absolute = own.reduce((total, cell) => total + cell.absolute, 0);
    const size = sizes[side] ?? 1;
    const value = ((before[side] ?? 0) * (end - start) + (end * count - sum)) / size;
    const error =
      ((count + 16) *
        UNIT_ROUNDOFF *
        ((before[side] ?? 0) * (end - start) + Math.abs(end) * count + absolute)) /
      size;
    return { value, error, finite: Number.isFinite(value) && Number.isFinite(error) };
  });
  const [ia, ib] = integral as [
    { value: number; error: number; finite: boolean },
    { value: number; error: number; finite: boolean },
  ];
  // pointwise bounds of F_a − F_b over the cluster, integrated as step functions
  const events: { x: number; side: 0 | 1; certain: boolean; count: number }[] = [];
  for (const cell of cluster) {
    events.push({ x: cell.min, side: cell.side, certain: false, count: cell.count });
    events.push({ x: cell.max, side: cell.side, certain: true, count: cell.count });
  }
  events.sort((p, q) => p.x - q.x);
  const below = [before[0] ?? 0, before[1] ?? 0];
  const maybe = [before[0] ?? 0, before[1] ?? 0];
  let plus = 0;
  let minus = 0;
  let pointwiseLower = 0;
  for (let i = 0; i < events.length;) {
    const x = events[i]?.x ?? 0;
    for (; i < events.length && events[i]?.x === x; i += 1) {
      const event = events[i];
      if (!event) continue;
      if (event.certain) below[event.side] = (below[event.side] ?? 0) + event.count;
      else maybe[event.side] = (maybe[event.side] ?? 0) + event.count;
    }
    const next = i < events.length ? (events[i]?.x ?? x) : x;
    const width = next - x;
    if (width <= 0) continue;
    const fLo = (below[0] ?? 0) / n;
    const fHi = (maybe[0] ?? 0) / n;
    const gLo = (below[1] ?? 0) / m;
    const gHi = (maybe[1] ?? 0) / m;
    plus += Math.max(0, fHi - gLo) * width;
    minus += Math.max(0, gHi - fLo) * width;
    pointwiseLower += Math.max(0, fLo - gHi, gLo - fHi) * width;
  }
  if (!ia.finite || !ib.finite) {
    return { lower: pointwiseLower, upper: Math.max(plus, minus, plus + minus - 0) };
  }
  const signed = ia.value - ib.value;
  const error = ia.error + ib.error;
  const lower = Math.max(pointwiseLower, Math.abs(signed) - error);
  const upper = Math.min(plus + minus, 2 * plus - signed + error, signed + 2 * minus + error);
  return { lower: Math.min(lower, upper), upper: Math.max(lower, upper) };
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
function flooredProportionRanges(counts: BinCounts): CountRange[] {
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
  const term = (x: number, y: number) => (x - y) * Math.log(x / y);
  // d/dx of (x − y)·ln(x/y)
  const slope = (x: number, y: number) => Math.log(x / y) + 1 - y / x;
  const chained = isExactCounts(reference)
    ? chainBounds(proportionsOf(reference), current, term, slope)
    : null;
  if (chained) return bracketOf(chained.lower, chained.upper);
  const r = flooredProportionRanges(reference);
  const c = flooredProportionRanges(current);
  let lower = 0;
  let upper = 0;
  c.forEach((ci, i) => {
    const box = boxBounds(ci, r[i] ?? ci, term);
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
 * Tighter bounds of Σ term(c_i / n, q_i) when each spanning cell spans two neighbouring
 * bins and no bin can fall below the floor (so the terms are convex in the counts and the
 * floors change nothing, which also makes renormalising a no-op). The mass of the cells
 * straddling edge e goes L_e to its left bin and the rest to its right one, L_e in
 * [0, U_e]. The maximum of a convex function over that box is at a vertex, found by a
 * dynamic programme along the chain of bins. For the minimum, a point near it is found by
 * coordinate descent, and convexity gives f(x) ≥ f(x0) + ∇f(x0)·(x − x0), whose minimum
 * over the box is a proven lower bound. Null when the conditions do not hold.
 */
function chainBounds(
  reference: readonly number[],
  current: BinCounts,
  term: (x: number, y: number) => number,
  slope: (x: number, y: number) => number,
): { lower: number; upper: number } | null {
  const bins = current.ranges.length;
  const n = current.total;
  const spans = current.spanning ?? [];
  if (spans.some((span) => span.last !== span.first + 1)) return null;
  const base = current.ranges.map((range) => range.lower);
  const straddling = new Array<number>(Math.max(0, bins - 1)).fill(0);
  for (const span of spans) straddling[span.first] = (straddling[span.first] ?? 0) + span.count;
  if (base.some((count) => count / n < PROPORTION_FLOOR)) return null;
  const at = (i: number, count: number) => term(count / n, reference[i] ?? 0);
  const countOf = (i: number, left: readonly number[]) =>
    (base[i] ?? 0) + (i > 0 ? (straddling[i - 1] ?? 0) - (left[i - 1] ?? 0) : 0) + (left[i] ?? 0);
  // maximum: each edge's straddling mass wholly left (1) or right (0)
  let best: [number, number] = [at(0, base[0] ?? 0), at(0, (base[0] ?? 0) + (straddling[0] ?? 0))];
  if (bins === 1) return { lower: at(0, base[0] ?? 0), upper: at(0, base[0] ?? 0) };
  for (let i = 1; i < bins; i += 1) {
    const fromLeft = [straddling[i - 1] ?? 0, 0]; // edge i−1 right (0) or left (1)
    const toLeft = i < bins - 1 ? [0, straddling[i] ?? 0] : [0, 0];
    const next: [number, number] = [-Infinity, -Infinity];
    for (const mine of [0, 1] as const) {
      for (const previous of [0, 1] as const) {
        const count = (base[i] ?? 0) + (fromLeft[previous] ?? 0) + (toLeft[mine] ?? 0);
        next[mine] = Math.max(next[mine], (best[previous] ?? -Infinity) + at(i, count));
      }
    }
    best = next;
  }
  const upper = Math.max(best[0], best[1]);
  // minimum: coordinate descent on the allocation, then the linear lower bound at it
  const left = straddling.map((u) => u / 2);
  const objective = (l: readonly number[]) => {
    let total = 0;
    for (let i = 0; i < bins; i += 1) total += at(i, countOf(i, l));
    return total;
  };
  // Only bins e and e + 1 depend on edge e's allocation: the search along one edge compares
  // their two terms, not the whole sum. (Any allocation gives a valid bound below; the
  // search only makes it tight.)
  const edgeTerms = (e: number, l: readonly number[]) =>
    at(e, countOf(e, l)) + at(e + 1, countOf(e + 1, l));
  for (let round = 0; round < 20; round += 1) {
    for (let e = 0; e < bins - 1; e += 1) {
      const u = straddling[e] ?? 0;
      if (u === 0) continue;
      let lo = 0;
      let hi = u;
      for (let step = 0; step < 40; step += 1) {
        const a = lo + (hi - lo) / 3;
        const b = hi - (hi - lo) / 3;
        left[e] = a;
        const fa = edgeTerms(e, left);
        left[e] = b;
        const fb = edgeTerms(e, left);
        if (fa <= fb) hi = b;
        else lo = a;
      }
      left[e] = (lo + hi) / 2;
    }
  }
  let lower = objective(left);
  for (let e = 0; e < bins - 1; e += 1) {
    const u = straddling[e] ?? 0;
    if (u === 0) continue;
    const gradient =
      (slope(countOf(e, left) / n, reference[e] ?? 0) -
        slope(countOf(e + 1, left) / n, reference[e + 1] ?? 0)) /
      n;
    lower += Math.min(gradient * (0 - (left[e] ?? 0)), gradient * (u - (left[e] ?? 0)));
  }
  const slack = 1e-12 * Math.max(1, Math.abs(upper));
  return { lower: Math.max(0, lower - slack), upper: upper + slack };
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
  const half = (x: number, y: number) => {
    const mid = (x + y) / 2;
    return (x * Math.log(x / mid) + y * Math.log(y / mid)) / 2;
  };
  // d/dx of the term above
  const halfSlope = (x: number, y: number) => Math.log((2 * x) / (x + y)) / 2;
  const chained = isExactCounts(reference)
    ? chainBounds(proportionsOf(reference), current, half, halfSlope)
    : null;
  if (chained) {
    const distance = (divergence: number) => Math.sqrt(Math.max(0, divergence) / Math.LN2);
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
  const term = (x: number, y: number) => {
    const mid = (x + y) / 2;
    return (x * Math.log(x / mid) + y * Math.log(y / mid)) / 2;
  };
  let lower = 0;
  let upper = 0;
  p.forEach((pi, i) => {
    const box = boxBounds(pi, q[i] ?? pi, term);
    lower += box.lower;
    upper += box.upper;
  });
  const distance = (divergence: number) => Math.sqrt(Math.max(0, divergence) / Math.LN2);
  return bracketOf(distance(lower), Math.min(1, distance(upper)));
}

/** Min and max over a box of a term that is jointly convex, zero on x = y, and monotone away from the diagonal. */
function boxBounds(
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
