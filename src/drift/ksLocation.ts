import type { Bracket, Cell, CountRange } from './cells.js';

/**
 * Where the two empirical CDFs differ most: the x at which KS's D is reached, found from
 * cells. At any x each ECDF lies between the share of its cells certainly at or below x
 * (max ≤ x) and the share possibly so (min ≤ x); both bounds change only at cell
 * endpoints, so the endpoints are every place to look. The location is the endpoint with
 * the largest certain gap (the lower end of D's bracket, as cells.ts's ksBracket computes
 * it); with exact values (cells with min = max) it is where scipy's D is reached.
 */
export interface KsLocation {
  /** The value at which the gap is read: F(x) counts the values at or below x. */
  x: number;
  /** F_reference(x) and F_current(x), each within its bracket. */
  reference: Bracket;
  current: Bracket;
  /** |F_reference(x) − F_current(x)|, bracketed. */
  gap: Bracket;
  /**
   * `more_below`: the window has more of its mass at or below x than the baseline (values
   * moved down); `less_below`: less (values moved up).
   */
  direction: 'more_below' | 'less_below';
  /** Counts at or below x, each within a range: what the shares are made of. */
  atOrBelow: { reference: CountRange; current: CountRange };
  sizes: { reference: number; current: number };
}

/** The location of D, or null when either sample has no finite value. */
export function ksLocation(
  reference: readonly Cell[],
  current: readonly Cell[],
): KsLocation | null {
  const a = endpointsOf(reference);
  const b = endpointsOf(current);
  if (a.size === 0 || b.size === 0) return null;
  const xs = [...new Set([...a.mins, ...a.maxs, ...b.mins, ...b.maxs])].sort((p, q) => p - q);
  let best: { x: number; lower: number; upper: number } | null = null;
  const cursor = { a: newCursor(), b: newCursor() };
  for (const x of xs) {
    const ra = advance(a, cursor.a, x);
    const rb = advance(b, cursor.b, x);
    const lower = Math.max(
      ra.lower / a.size - rb.upper / b.size,
      rb.lower / b.size - ra.upper / a.size,
      0,
    );
    const upper = Math.max(
      ra.upper / a.size - rb.lower / b.size,
      rb.upper / b.size - ra.lower / a.size,
    );
    if (!best || lower > best.lower || (lower === best.lower && upper > best.upper))
      best = { x, lower, upper };
  }
  if (!best) return null;
  const atReference = countAtOrBelow(reference, best.x);
  const atCurrent = countAtOrBelow(current, best.x);
  const shareReference = shareBracket(atReference, a.size);
  const shareCurrent = shareBracket(atCurrent, b.size);
  const gapValue = Math.abs(shareReference.value - shareCurrent.value);
  return {
    x: best.x,
    reference: shareReference,
    current: shareCurrent,
    gap: {
      value: Math.min(Math.max(gapValue, best.lower), best.upper),
      lower: best.lower,
      upper: best.upper,
    },
    direction: shareCurrent.value >= shareReference.value ? 'more_below' : 'less_below',
    atOrBelow: { reference: atReference, current: atCurrent },
    sizes: { reference: a.size, current: b.size },
  };
}

/** How many values are at or below x: certainly (max ≤ x) and possibly (min ≤ x). */
export function countAtOrBelow(cells: readonly Cell[], x: number): CountRange {
  let lower = 0;
  let upper = 0;
  for (const cell of cells) {
    if (!(cell.count > 0)) continue;
    if (cell.max <= x) lower += cell.count;
    if (cell.min <= x) upper += cell.count;
  }
  return { lower, upper };
}

function shareBracket(count: CountRange, size: number): Bracket {
  return {
    value: (count.lower + count.upper) / 2 / size,
    lower: count.lower / size,
    upper: count.upper / size,
  };
}

interface Endpoints {
  size: number;
  /** Cells with a positive count by min ascending (with their counts), and by max. */
  mins: number[];
  minCounts: number[];
  maxs: number[];
  maxCounts: number[];
}

function endpointsOf(cells: readonly Cell[]): Endpoints {
  const kept = cells.filter(
    (cell) => cell.count > 0 && Number.isFinite(cell.min) && Number.isFinite(cell.max),
  );
  const byMin = [...kept].sort((p, q) => p.min - q.min);
  const byMax = [...kept].sort((p, q) => p.max - q.max);
  return {
    size: kept.reduce((sum, cell) => sum + cell.count, 0),
    mins: byMin.map((cell) => cell.min),
    minCounts: byMin.map((cell) => cell.count),
    maxs: byMax.map((cell) => cell.max),
    maxCounts: byMax.map((cell) => cell.count),
  };
}

interface Cursor {
  mins: number;
  maxs: number;
  possibly: number;
  certainly: number;
}

const newCursor = (): Cursor => ({ mins: 0, maxs: 0, possibly: 0, certainly: 0 });

/** Moves a side's cursor past every endpoint ≤ x; its counts at or below x, within bounds. */
function advance(side: Endpoints, cursor: Cursor, x: number): CountRange {
  while (cursor.mins < side.mins.length && (side.mins[cursor.mins] ?? Infinity) <= x) {
    cursor.possibly += side.minCounts[cursor.mins] ?? 0;
    cursor.mins += 1;
  }
  while (cursor.maxs < side.maxs.length && (side.maxs[cursor.maxs] ?? Infinity) <= x) {
    cursor.certainly += side.maxCounts[cursor.maxs] ?? 0;
    cursor.maxs += 1;
  }
  return { lower: cursor.certainly, upper: cursor.possibly };
}
