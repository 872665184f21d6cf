import { binIndex } from '../stats/bins.js';
import type { Cell } from './cells.js';

/**
 * Narrowing a straddling bracket: some of a sample's cells are replaced by finer cells of
 * the same values (sub-cells, each with its own count, sum, min and max), and the bracket
 * is computed again from the finer cells. The bounds of cells.ts hold for any cells whose
 * values lie in their [min, max], so a narrowed bracket contains the exact value whatever
 * cells are chosen: the choice here only decides how much narrower it gets.
 *
 * The cells that matter are few: for KS only the cells that straddle a point where the
 * upper bound exceeds the lower one (elsewhere the sup cannot be), for PSI and
 * Jensen-Shannon only the window's cells that contain a bin edge (the rest are counted in
 * one bin exactly). Pure: the finer cells are given (src/store/narrowingQueries.ts reads
 * them).
 */

/** A closed range of values whose cells are replaced by finer cells, `parts` of equal width. */
export interface ValueInterval {
  lo: number;
  hi: number;
  parts: number;
}

/** A finer cell of the values in interval `interval` of a refinement. */
export interface FinerCell extends Cell {
  interval: number;
}

/** Sub-cells per interval: many enough that a second round is rarely needed, few enough to stay small. */
export const PARTS_PER_INTERVAL = 64;

/** Which cells a metric's bracket depends on. */
export type NarrowedMetric = 'ks' | 'bins' | 'wasserstein';

/**
 * The ranges of values to refine in one sample, as disjoint closed intervals in ascending
 * order, each containing whole cells only (a cell is inside an interval or apart from
 * every one), so the values of an interval are exactly those of the cells inside it.
 */
export function intervalsToRefine(
  cells: readonly Cell[],
  targets: readonly Cell[],
): ValueInterval[] {
  const positive = cells.filter((cell) => cell.count > 0).sort((a, b) => a.min - b.min);
  let ranges = mergeRanges(
    targets.filter((t) => t.count > 0 && t.min < t.max).map((t) => ({ lo: t.min, hi: t.max })),
  );
  // widen each range over every cell it touches, until none touches a range partly
  for (;;) {
    let changed = false;
    for (const range of ranges) {
      for (const cell of positive) {
        if (cell.min > range.hi) break;
        if (cell.max < range.lo) continue;
        if (cell.min < range.lo || cell.max > range.hi) {
          range.lo = Math.min(range.lo, cell.min);
          range.hi = Math.max(range.hi, cell.max);
          changed = true;
        }
      }
    }
    ranges = mergeRanges(ranges);
    if (!changed) break;
  }
  return ranges.map((range) => ({ ...range, parts: PARTS_PER_INTERVAL }));
}

function mergeRanges(ranges: readonly { lo: number; hi: number }[]): { lo: number; hi: number }[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  const merged: { lo: number; hi: number }[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.lo <= last.hi) last.hi = Math.max(last.hi, range.hi);
    else merged.push({ ...range });
  }
  return merged;
}

/**
 * The cells with the refined intervals' cells replaced by their finer cells; null when the
 * finer cells do not hold the same number of values as the cells they replace (the raw
 * rows and the summaries disagree, e.g. events still arriving): then nothing is narrowed.
 */
export function replaceRefined(
  cells: readonly Cell[],
  intervals: readonly ValueInterval[],
  finer: readonly FinerCell[],
): Cell[] | null {
  const expected = new Array<number>(intervals.length).fill(0);
  const kept: Cell[] = [];
  for (const cell of cells) {
    if (cell.count <= 0) continue;
    const at = intervalOf(intervals, cell.min);
    const inside = at >= 0 && cell.max <= (intervals[at]?.hi ?? -Infinity);
    if (inside) expected[at] = (expected[at] ?? 0) + cell.count;
    else kept.push(cell);
  }
  const found = new Array<number>(intervals.length).fill(0);
  for (const cell of finer) {
    const interval = intervals[cell.interval];
    if (!interval || cell.min < interval.lo || cell.max > interval.hi) return null;
    found[cell.interval] = (found[cell.interval] ?? 0) + cell.count;
  }
  if (found.some((count, i) => count !== expected[i])) return null;
  const replaced = [
    ...kept,
    ...finer.map(({ count, sum, min, max }) => ({ count, sum, min, max })),
  ];
  return replaced.sort((a, b) => a.min - b.min || a.max - b.max);
}

/** The interval whose lo is the last at or below x (intervals ascending), or -1. */
function intervalOf(intervals: readonly ValueInterval[], x: number): number {
  let lo = 0;
  let hi = intervals.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((intervals[mid]?.lo ?? Infinity) <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The window's cells that hold a bin edge e with min < e <= max: the only ones a bin count is unsure of. */
export function binTargets(edges: readonly number[], cells: readonly Cell[]): Cell[] {
  return cells.filter(
    (cell) => cell.count > 0 && binIndex(edges, cell.min) !== binIndex(edges, cell.max),
  );
}

/**
 * The cells of either sample that straddle a point x (min <= x < max) where the KS upper
 * bound max(F_hi − G_lo, G_hi − F_lo) exceeds `lower` (the bracket's lower end): only
 * there can sup |F − G| be above what is already proven, and only those cells make the
 * bounds differ there. The bounds are step functions that change at cell endpoints, so
 * they are read at every endpoint.
 */
export function ksTargets(
  a: readonly Cell[],
  b: readonly Cell[],
  lower: number,
): { a: Cell[]; b: Cell[] } {
  const sideA = ecdfBounds(a);
  const sideB = ecdfBounds(b);
  const points = [...new Set([...sideA.points, ...sideB.points])].sort((x, y) => x - y);
  const marked = points.filter((x) => {
    const upper = Math.max(sideA.maybe(x) - sideB.surely(x), sideB.maybe(x) - sideA.surely(x));
    return upper > lower;
  });
  const straddles = (cell: Cell) => {
    if (cell.count <= 0 || !(cell.min < cell.max)) return false;
    const first = firstAtOrAbove(marked, cell.min);
    return first < marked.length && (marked[first] ?? Infinity) < cell.max;
  };
  return { a: a.filter(straddles), b: b.filter(straddles) };
}

/** Every cell with a width: Wasserstein's bracket is the sum of what each cell leaves open. */
export function wassersteinTargets(cells: readonly Cell[]): Cell[] {
  return cells.filter((cell) => cell.count > 0 && cell.min < cell.max);
}

interface EcdfBounds {
  points: number[];
  /** F_hi(x): the share of values in cells with min <= x. */
  maybe(x: number): number;
  /** F_lo(x): the share of values in cells with max <= x. */
  surely(x: number): number;
}

function ecdfBounds(cells: readonly Cell[]): EcdfBounds {
  const positive = cells.filter((cell) => cell.count > 0);
  const total = positive.reduce((sum, cell) => sum + cell.count, 0);
  const byMin = [...positive].sort((x, y) => x.min - y.min);
  const byMax = [...positive].sort((x, y) => x.max - y.max);
  const mins = byMin.map((cell) => cell.min);
  const maxs = byMax.map((cell) => cell.max);
  const runningMin = running(byMin.map((cell) => cell.count));
  const runningMax = running(byMax.map((cell) => cell.count));
  const share = (sums: number[], at: number) => (at === 0 ? 0 : (sums[at - 1] ?? 0) / total);
  return {
    points: [...mins, ...maxs],
    maybe: (x) => share(runningMin, firstAbove(mins, x)),
    surely: (x) => share(runningMax, firstAbove(maxs, x)),
  };
}

function running(counts: readonly number[]): number[] {
  let sum = 0;
  return counts.map((count) => (sum += count));
}

/** The index of the first value > x in ascending values. */
function firstAbove(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] ?? Infinity) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first value >= x in ascending values. */
function firstAtOrAbove(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] ?? Infinity) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The finer cells of `values` in the intervals, as the store's query computes them (part
 * = floor((v − lo) / (hi − lo) · parts), clamped): for tests and for samples already in
 * memory. Parts only group values; each finer cell's min and max are its values' own.
 */
export function finerCellsOf(
  values: readonly number[],
  intervals: readonly ValueInterval[],
): FinerCell[] {
  const cells = new Map<string, FinerCell>();
  for (const v of values) {
    const at = intervalOf(intervals, v);
    const interval = intervals[at];
    if (!interval || v > interval.hi) continue;
    const width = interval.hi - interval.lo;
    const raw = width > 0 ? Math.floor(((v - interval.lo) / width) * interval.parts) : 0;
    const part = Math.min(interval.parts - 1, Math.max(0, Number.isFinite(raw) ? raw : 0));
    const key = `${at}:${part}`;
    const cell = cells.get(key);
    if (cell) {
      cell.count += 1;
      cell.sum += v;
      cell.min = Math.min(cell.min, v);
      cell.max = Math.max(cell.max, v);
    } else cells.set(key, { interval: at, count: 1, sum: v, min: v, max: v });
  }
  return [...cells.values()];
}
