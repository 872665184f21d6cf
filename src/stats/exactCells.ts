import { edgesFromQuantiles } from './bins.js';
import { sortFloat64 } from './sortFloat64.js';

/**
 * Exact statistics of two unsorted samples of finite values without sorting them: each value
 * falls in one of 2^18 cells of equal width between the column's smallest and largest value
 * (its frame), which keep counts, sums and their smallest value. The cell of a value,
 * ⌊(x − lo) · scale⌋, never decreases as x grows (each step rounds monotonically) and equal
 * values share it, so the ECDFs are known exactly at every cell's end:
 *
 * - KS D = sup |F_ref − F_cur|: inside a cell the difference n·m·(F_ref − F_cur) stays between
 *   two integers given by the counts; only the cells whose bound exceeds the best cell end are
 *   sorted and swept (the same integers as a full sweep: D is bit for bit sortedDistances').
 * - Wasserstein-1 = ∫|F_ref − F_cur|: over a cell where the difference keeps its sign, the
 *   integral is the absolute value of a sum of the cell's counts and value sums; the cells
 *   where the sign may change are sorted and swept. The same real number as a full sweep,
 *   reached by other roundings (a compensated sum; it differs in the last digits).
 * - the reference's quantiles (R-7, ClickHouse's quantileExactInclusive, two order statistics
 *   each, read from their sorted cells), bin counts on the edges (cell counts below an edge
 *   plus the values of its own cell below it): bit for bit what the sorted samples give.
 *
 * Value sums are kept as offsets from the cell's left end in the frame (lo + c · width), so
 * that values far from zero with a small spread (1e9 + noise) keep their digits.
 */

const CELL_BITS = 16;
const CELLS = 1 << CELL_BITS;

/** One side's cells: counts and sums of offsets from each cell's left end. */
interface SideCells {
  counts: Uint32Array;
  offsets: Float64Array;
}

/** Where the cells lie: cell c holds ⌊(x − lo) · scale⌋ = c, its left end lo + c · width. */
export interface CellFrame {
  lo: number;
  scale: number;
  width: number;
}

/** Both sides' cells of one comparison, and the range of cells touched. */
export interface PairCells {
  reference: SideCells;
  current: SideCells;
  /** Each cell's smallest value, of either side (+Infinity when empty). */
  smallest: Float64Array;
  frame: CellFrame;
  first: number;
  last: number;
  /** Whether the frame is not finite (a value NaN or ±Infinity, or a range that overflows). */
  nonFinite: boolean;
}

export function createPairCells(): PairCells {
  const side = () => ({ counts: new Uint32Array(CELLS), offsets: new Float64Array(CELLS) });
  return {
    reference: side(),
    current: side(),
    smallest: new Float64Array(CELLS).fill(Number.POSITIVE_INFINITY),
    frame: { lo: 0, scale: 0, width: 0 },
    first: CELLS,
    last: -1,
    nonFinite: false,
  };
}

/** The frame of every value of these arrays (a column's, so that slices' cells add up). */
export function frameOf(arrays: readonly Float64Array[]): CellFrame {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i += 1) {
      const x = values[i] as number;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (x !== x) return { lo: Number.NaN, scale: Number.NaN, width: Number.NaN };
    }
  }
  const range = hi - lo;
  if (!(range > 0)) return { lo: Number.isFinite(lo) ? lo : 0, scale: 0, width: 0 };
  // among subnormals CELLS / range overflows: any finite scale keeps the cells in order
  const scale = Math.min(CELLS / range, 2 ** 1000);
  return { lo, scale, width: 1 / scale };
}

/** Empties the cells for reuse in a frame (only the range touched is written). */
export function clearPairCells(cells: PairCells, frame: CellFrame): void {
  if (cells.last >= cells.first) {
    for (const side of [cells.reference, cells.current]) {
      side.counts.fill(0, cells.first, cells.last + 1);
      side.offsets.fill(0, cells.first, cells.last + 1);
    }
    cells.smallest.fill(Number.POSITIVE_INFINITY, cells.first, cells.last + 1);
  }
  cells.frame = frame;
  cells.first = CELLS;
  cells.last = -1;
  cells.nonFinite = !(
    Number.isFinite(frame.lo) &&
    Number.isFinite(frame.scale) &&
    Number.isFinite(frame.width)
  );
}

/** A value's cell: ⌊(x − lo) · scale⌋ within [0, CELLS) (values outside the frame: its ends). */
function cellIn(frame: CellFrame, x: number): number {
  const t = (x - frame.lo) * frame.scale;
  if (!(t > 0)) return 0;
  return t >= CELLS ? CELLS - 1 : Math.trunc(t);
}

/** Counts and sums one side's values into its cells. */
export function addToCells(cells: PairCells, side: 'reference' | 'current', values: Float64Array) {
  if (cells.nonFinite || values.length === 0) return;
  const { counts, offsets } = cells[side];
  const { smallest } = cells;
  const { lo, scale, width } = cells.frame;
  for (let i = 0; i < values.length; i += 1) {
    const x = values[i] as number;
    const t = (x - lo) * scale;
    const c = t > 0 ? (t >= CELLS ? CELLS - 1 : Math.trunc(t)) : 0;
    counts[c]! += 1;
    offsets[c]! += x - (lo + c * width);
    if (x < (smallest[c] as number)) smallest[c] = x;
  }
  // the cells touched lie within the values' own frame cells (the ends are enough)
  let low = CELLS;
  let high = -1;
  for (let c = 0; c < CELLS; c += 1) {
    if ((counts[c] as number) > 0) {
      low = c;
      break;
    }
  }
  for (let c = CELLS - 1; c >= 0; c -= 1) {
    if ((counts[c] as number) > 0) {
      high = c;
      break;
    }
  }
  cells.first = Math.min(cells.first, low);
  cells.last = Math.max(cells.last, high);
}

/** Adds `source`'s cells into `target`'s (the slices' cells into "all"'s, the same frame). */
export function addPairCells(target: PairCells, source: PairCells): void {
  target.nonFinite ||= source.nonFinite;
  if (source.last < source.first) return;
  for (let c = source.first; c <= source.last; c += 1) {
    const a = source.reference.counts[c] as number;
    const b = source.current.counts[c] as number;
    if (a + b === 0) continue;
    target.reference.counts[c]! += a;
    target.reference.offsets[c]! += source.reference.offsets[c] as number;
    target.current.counts[c]! += b;
    target.current.offsets[c]! += source.current.offsets[c] as number;
    const x = source.smallest[c] as number;
    if (x < (target.smallest[c] as number)) target.smallest[c] = x;
  }
  target.first = Math.min(target.first, source.first);
  target.last = Math.max(target.last, source.last);
}

/** What the report reads of a pair of non-empty samples (the reference's spread apart). */
export interface CellStatistics {
  ks: number;
  wasserstein: number;
  quantiles: number[];
  min: number | null;
  max: number | null;
  binCounts: { reference: number[]; current: number[] };
}

/**
 * The statistics of the samples whose cells these are (`reference` and `current` are the
 * same values, in any order, as arrays: a second pass reads the values of the few cells it
 * must sort). Undefined when a sample is empty, a value is not finite, or the range or W1
 * overflows (values near ±1e308): the caller sorts instead.
 */
export function cellStatistics(
  cells: PairCells,
  reference: readonly Float64Array[],
  current: readonly Float64Array[],
  levels: readonly number[],
): CellStatistics | undefined {
  if (cells.nonFinite) return undefined;
  const listed = listCells(cells);
  const { n, m } = listed;
  if (n === 0 || m === 0) return undefined;
  const positions = orderStatisticPositions(n, levels);
  const plan = planSweeps(cells, listed, positions);
  const sorted = {
    reference: gatherCells(cells.frame, reference, plan.flags, plan.referenceCount),
    current: gatherCells(cells.frame, current, plan.flags, plan.currentCount),
  };
  for (const c of plan.cells) plan.flags[c] = 0;
  const swept = sweepSortedCells(cells.smallest, listed, plan, sorted, positions);
  const total: CompensatedSum = { ...plan.wasserstein };
  addCompensated(total, swept.wasserstein.sum);
  const wasserstein = (total.sum + (total.error + swept.wasserstein.error)) / (n * m);
  if (!Number.isFinite(wasserstein)) return undefined;
  const orderStatistic = (t: number) => swept.orderStatistics.get(t) as number;
  const quantiles = levels.map((level) => quantileOf(orderStatistic, n, level));
  const edges = edgesFromQuantiles(quantiles);
  return {
    ks: Math.max(plan.largest, swept.largest) / (n * m),
    wasserstein,
    quantiles,
    min: orderStatistic(0),
    max: orderStatistic(n - 1),
    binCounts: binCountsOf(cells.frame, listed, edges, swept.runs, sorted, {
      reference,
      current,
    }),
  };
}

/** The non-empty cells in order, with both sides' counts before each. */
interface ListedCells {
  ids: Uint32Array;
  /** Values of each side in the cells before ids[k] (length: ids' + 1). */
  before: { reference: Float64Array; current: Float64Array };
  n: number;
  m: number;
}

function listCells(cells: PairCells): ListedCells {
  const reference = cells.reference.counts;
  const current = cells.current.counts;
  let size = 0;
  for (let c = cells.first; c <= cells.last; c += 1) {
    if ((reference[c] as number) + (current[c] as number) > 0) size += 1;
  }
  const ids = new Uint32Array(size);
  const before = { reference: new Float64Array(size + 1), current: new Float64Array(size + 1) };
  let k = 0;
  let i = 0;
  let j = 0;
  for (let c = cells.first; c <= cells.last; c += 1) {
    const a = reference[c] as number;
    const b = current[c] as number;
    if (a + b === 0) continue;
    ids[k] = c;
    before.reference[k] = i;
    before.current[k] = j;
    i += a;
    j += b;
    k += 1;
  }
  before.reference[size] = i;
  before.current[size] = j;
  return { ids, before, n: i, m: j };
}

/** The 0-based order statistics R-7 reads at each level, the minimum and the maximum. */
function orderStatisticPositions(n: number, levels: readonly number[]): number[] {
  const positions = new Set<number>([0, n - 1]);
  for (const level of levels) {
    const k = Math.trunc(level * (n - 1) + 1);
    if (k >= n || k < 1) continue;
    positions.add(k - 1);
    positions.add(k);
  }
  return [...positions].sort((a, b) => a - b);
}

/** ClickHouse's quantileExactInclusive, with sortedSample.ts's arithmetic. */
function quantileOf(orderStatistic: (t: number) => number, n: number, level: number): number {
  const h = level * (n - 1) + 1;
  const k = Math.trunc(h);
  if (k >= n) return orderStatistic(n - 1);
  if (k < 1) return orderStatistic(0);
  const below = orderStatistic(k - 1);
  return below + (h - k) * (orderStatistic(k) - below);
}

/** A Neumaier sum: the running total and the low-order parts it has lost. */
interface CompensatedSum {
  sum: number;
  error: number;
}

function addCompensated(total: CompensatedSum, x: number): void {
  const sum = total.sum + x;
  total.error += Math.abs(total.sum) >= Math.abs(x) ? total.sum - sum + x : x - sum + total.sum;
  total.sum = sum;
}

interface SweepPlan {
  /** Cells to sort, ascending, flagged in `flags`; their values per side. */
  cells: number[];
  flags: Uint8Array;
  referenceCount: number;
  currentCount: number;
  /** The largest |i·m − j·n| at a cell's end. */
  largest: number;
  /** W1's share (times n·m) of the cells not sorted. */
  wasserstein: CompensatedSum;
}

let sweepFlags: Uint8Array | undefined;

/**
 * Which cells must be sorted — those inside which |i·m − j·n| may exceed the best cell end
 * (KS), may change sign (W1), or hold an order statistic the quantiles read — and W1's share
 * of every other cell, over [its lowest value, the next non-empty cell's lowest value):
 * with the difference d after the cell, Σ offsets R and C of each side from the cell's
 * lowest value L, and the gap G to the next cell's L, ∫ (i·m − j·n) = d·G − m·R + n·C.
 */
function planSweeps(
  cells: PairCells,
  listed: ListedCells,
  positions: readonly number[],
): SweepPlan {
  const { ids, before, n, m } = listed;
  const { smallest, frame } = cells;
  sweepFlags ??= new Uint8Array(CELLS);
  const flags = sweepFlags;
  let largest = 0;
  for (let k = 1; k <= ids.length; k += 1) {
    const difference = Math.abs(
      (before.reference[k] as number) * m - (before.current[k] as number) * n,
    );
    if (difference > largest) largest = difference;
  }
  const plan: SweepPlan = {
    cells: [],
    flags,
    referenceCount: 0,
    currentCount: 0,
    largest,
    wasserstein: { sum: 0, error: 0 },
  };
  let p = 0;
  for (let k = 0; k < ids.length; k += 1) {
    const c = ids[k] as number;
    const i0 = before.reference[k] as number;
    const j0 = before.current[k] as number;
    const i1 = before.reference[k + 1] as number;
    const j1 = before.current[k + 1] as number;
    const lowestDifference = i0 * m - j1 * n;
    const highestDifference = i1 * m - j0 * n;
    let holdsOrderStatistic = false;
    while (p < positions.length && (positions[p] as number) < i1) {
      holdsOrderStatistic = true;
      p += 1;
    }
    const mayExceed = Math.max(-lowestDifference, highestDifference) > largest;
    const mayCross = lowestDifference < 0 && highestDifference > 0;
    if (mayExceed || mayCross || holdsOrderStatistic) {
      flags[c] = 1;
      plan.cells.push(c);
      plan.referenceCount += i1 - i0;
      plan.currentCount += j1 - j0;
      continue;
    }
    const after = i1 * m - j1 * n;
    // over [this cell's smallest value s, the next cell's): offsets from s, not the left end
    const start = smallest[c] as number;
    const shift = start - (frame.lo + c * frame.width);
    const gap = k + 1 < ids.length ? (smallest[ids[k + 1] as number] as number) - start : 0;
    const share =
      (after === 0 ? 0 : after * gap) -
      m * ((cells.reference.offsets[c] as number) - (i1 - i0) * shift) +
      n * ((cells.current.offsets[c] as number) - (j1 - j0) * shift);
    addCompensated(plan.wasserstein, Math.abs(share));
  }
  return plan;
}

/** The values of the flagged cells, sorted (each cell's values are then a contiguous run). */
function gatherCells(
  frame: CellFrame,
  arrays: readonly Float64Array[],
  flags: Uint8Array,
  count: number,
): Float64Array {
  const gathered = new Float64Array(count);
  const { lo, scale } = frame;
  let at = 0;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i += 1) {
      const x = values[i] as number;
      const t = (x - lo) * scale;
      if (flags[t > 0 ? (t >= CELLS ? CELLS - 1 : Math.trunc(t)) : 0] === 1) {
        gathered[at] = x;
        at += 1;
      }
    }
  }
  return sortFloat64(gathered);
}

/** Where each sorted cell's values start in the gathered runs of both sides. */
type RunStarts = Map<number, { reference: number; current: number }>;

/**
 * The sorted cells swept as sortedDistances does, from the counts before each: the largest
 * |i·m − j·n| inside them, their W1 share over [L, next cell's L), and the order statistics
 * asked for.
 */
function sweepSortedCells(
  smallest: Float64Array,
  listed: ListedCells,
  plan: SweepPlan,
  sorted: { reference: Float64Array; current: Float64Array },
  positions: readonly number[],
): {
  largest: number;
  wasserstein: CompensatedSum;
  orderStatistics: Map<number, number>;
  runs: RunStarts;
} {
  const { ids, before, n, m } = listed;
  const a = sorted.reference;
  const b = sorted.current;
  const orderStatistics = new Map<number, number>();
  const runs: RunStarts = new Map();
  const wasserstein: CompensatedSum = { sum: 0, error: 0 };
  let largest = 0;
  let i = 0; // positions in the gathered values
  let j = 0;
  let k = 0; // the listed cell
  let p = 0; // the next order statistic
  for (const c of plan.cells) {
    while (ids[k] !== c) k += 1;
    const i0 = before.reference[k] as number;
    const j0 = before.current[k] as number;
    const iStart = i;
    const jStart = j;
    const iEnd = i + ((before.reference[k + 1] as number) - i0);
    const jEnd = j + ((before.current[k + 1] as number) - j0);
    runs.set(c, { reference: iStart, current: jStart });
    while (p < positions.length && (positions[p] as number) < i0 + (iEnd - iStart)) {
      const t = positions[p] as number;
      orderStatistics.set(t, a[iStart + (t - i0)] as number);
      p += 1;
    }
    let previous = smallest[c] as number;
    let difference = i0 * m - j0 * n;
    let share = 0;
    while (i < iEnd || j < jEnd) {
      const x = i < iEnd ? (a[i] as number) : Number.POSITIVE_INFINITY;
      const y = j < jEnd ? (b[j] as number) : Number.POSITIVE_INFINITY;
      const v = x <= y ? x : y;
      if (difference !== 0) share += Math.abs(difference) * (v - previous);
      while (i < iEnd && a[i] === v) i += 1;
      while (j < jEnd && b[j] === v) j += 1;
      difference = (i0 + (i - iStart)) * m - (j0 + (j - jStart)) * n;
      const magnitude = Math.abs(difference);
      if (magnitude > largest) largest = magnitude;
      previous = v;
    }
    if (difference !== 0 && k + 1 < ids.length) {
      share += Math.abs(difference) * ((smallest[ids[k + 1] as number] as number) - previous);
    }
    addCompensated(wasserstein, share);
  }
  return { largest, wasserstein, orderStatistics, runs };
}

/** The number of values of an ascending run [start, end) below `edge`. */
function belowInRun(sorted: Float64Array, start: number, end: number, edge: number): number {
  let low = start;
  let high = end;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) < edge) low = mid + 1;
    else high = mid;
  }
  return low - start;
}

/** The first listed cell at or above cell c. */
function firstListedAtOrAbove(ids: Uint32Array, c: number): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ids[mid] as number) < c) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Counts per bin on the edges (as sortedBinCounts: bin = count(edges <= x), the number of
 * values below each edge differenced): the values of the cells below an edge's cell, plus
 * those of its own cell below it — from its sorted run, or else counted in one more pass
 * over the side's values (an edge interpolated into a cell that was not sorted).
 */
function binCountsOf(
  frame: CellFrame,
  listed: ListedCells,
  edges: readonly number[],
  runs: RunStarts,
  sorted: { reference: Float64Array; current: Float64Array },
  values: { reference: readonly Float64Array[]; current: readonly Float64Array[] },
): { reference: number[]; current: number[] } {
  const { ids, before } = listed;
  const countsOf = (side: 'reference' | 'current') => {
    const below: number[] = [];
    const pending = new Map<number, number[]>(); // cell → indices of its edges
    edges.forEach((edge, e) => {
      const c = cellIn(frame, edge);
      const k = firstListedAtOrAbove(ids, c);
      below.push(before[side][k] as number);
      const inCell =
        ids[k] === c ? (before[side][k + 1] as number) - (before[side][k] as number) : 0;
      if (inCell === 0) return;
      const run = runs.get(c);
      if (run) below[e]! += belowInRun(sorted[side], run[side], run[side] + inCell, edge);
      else pending.set(c, [...(pending.get(c) ?? []), e]);
    });
    if (pending.size > 0) countPending(frame, values[side], pending, edges, below);
    const total = before[side][ids.length] as number;
    return [...below, total].map((count, e) => count - (e === 0 ? 0 : (below[e - 1] as number)));
  };
  return { reference: countsOf('reference'), current: countsOf('current') };
}

function countPending(
  frame: CellFrame,
  arrays: readonly Float64Array[],
  pending: Map<number, number[]>,
  edges: readonly number[],
  below: number[],
): void {
  for (const values of arrays) {
    for (let i = 0; i < values.length; i += 1) {
      const x = values[i] as number;
      const waiting = pending.get(cellIn(frame, x));
      if (!waiting) continue;
      for (const e of waiting) if (x < (edges[e] as number)) below[e]! += 1;
    }
  }
}

/**
 * The power of two a group's values are scaled down by before their deviations are squared
 * (that of its largest magnitude, bounded), so that nothing overflows or vanishes; exact.
 * 0 for a group of zeros. The spread's SQL second passes (profileQueries.ts,
 * driftQueries.ts) and populationStdDevOfValues share it.
 */
export function spreadExponent(largestMagnitude: number): number {
  if (largestMagnitude === 0) return 0;
  return Math.max(-1000, Math.min(1000, Math.round(Math.log2(largestMagnitude))));
}

/**
 * numpy's corrected two-pass form from the sums of n scaled deviations d and of d²:
 * sqrt((Σd² − (Σd)²/n) / n), scaled back up by 2^exponent (spreadExponent).
 */
export function spreadFromDeviations(
  n: number,
  squares: number,
  deviations: number,
  exponent: number,
): number {
  const variance = (squares - (deviations * deviations) / n) / n;
  return Math.sqrt(Math.max(0, variance)) * 2 ** exponent;
}

/**
 * The population standard deviation (numpy's std, ddof 0) of values in any order: the mean
 * by a compensated sum, then the corrected two-pass form Σd² − (Σd)²/n (which also takes out
 * what rounding is left in the mean), so that values far from zero with a small spread
 * (1e9 + noise) keep their digits. Scaled by a power of two from the largest magnitude, as
 * sortedSample.ts's populationStdDev, so that nothing overflows or vanishes. NaN when empty.
 */
export function populationStdDevOfValues(
  arrays: readonly Float64Array[],
  largestMagnitude: number,
): number {
  const n = arrays.reduce((total, values) => total + values.length, 0);
  if (n === 0) return Number.NaN;
  if (largestMagnitude === 0) return 0;
  const exponent = spreadExponent(largestMagnitude);
  const down = 2 ** -exponent;
  // Neumaier sums kept in locals (this loop reads every reference value twice)
  let sum = 0;
  let lost = 0;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i += 1) {
      const x = (values[i] as number) * down;
      const next = sum + x;
      lost += Math.abs(sum) >= Math.abs(x) ? sum - next + x : x - next + sum;
      sum = next;
    }
  }
  const mean = (sum + lost) / n;
  let squares = 0;
  let squaresLost = 0;
  let deviations = 0;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i += 1) {
      const deviation = (values[i] as number) * down - mean;
      deviations += deviation;
      const square = deviation * deviation;
      const next = squares + square;
      squaresLost += squares >= square ? squares - next + square : square - next + squares;
      squares = next;
    }
  }
  return spreadFromDeviations(n, squares + squaresLost, deviations, exponent);
}
