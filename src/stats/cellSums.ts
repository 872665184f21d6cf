import type { Interval } from './interval.js';

/**
 * A cell of a summary: a group of values known by their count, sum, min and max (the shape
 * of the summaries' rows and of src/drift/cells.ts' Cell). Every value lies in [min, max].
 * A cell with min = max holds copies of one value and gives exact sums of any function.
 */
export interface ValueCell {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** The mean of a cell's values, kept inside [min, max] against the rounding of sum / count. */
export function cellMean(cell: ValueCell): number {
  return Math.min(Math.max(cell.sum / cell.count, cell.min), cell.max);
}

/**
 * Σ f(x) over a cell's values for f convex on [min, max]. Lower: Jensen, Σ f(x) ≥ m·f(mean).
 * Upper: a convex f lies below its chord between min and max, and the chord is linear, so
 * Σ f(x) ≤ m·chord(mean). Both are attained (all values at the mean; values at the ends).
 */
export function convexSumBounds(cell: ValueCell, f: (x: number) => number): Interval {
  if (cell.count === 0) return { lower: 0, upper: 0 };
  if (cell.min === cell.max) {
    const value = cell.count * f(cell.min);
    return { lower: value, upper: value };
  }
  const mean = cellMean(cell);
  return { lower: cell.count * f(mean), upper: cell.count * chord(cell, f, mean) };
}

/** Σ f(x) for f concave on [min, max]: the chord below, Jensen above. */
export function concaveSumBounds(cell: ValueCell, f: (x: number) => number): Interval {
  const negated = convexSumBounds(cell, (x) => -f(x));
  return { lower: -negated.upper, upper: -negated.lower };
}

/** Σ f(x) for f monotone on [min, max]: every term lies between f(min) and f(max). */
export function monotoneSumBounds(cell: ValueCell, f: (x: number) => number): Interval {
  if (cell.count === 0) return { lower: 0, upper: 0 };
  const a = cell.count * f(cell.min);
  const b = cell.count * f(cell.max);
  return { lower: Math.min(a, b), upper: Math.max(a, b) };
}

function chord(cell: ValueCell, f: (x: number) => number, at: number): number {
  const low = f(cell.min);
  const high = f(cell.max);
  return low + ((high - low) * (at - cell.min)) / (cell.max - cell.min);
}
