import type { ScoreHistogramRow } from './auroc.js';
import { cellMean, type ValueCell } from './cellSums.js';
import type { Interval } from './interval.js';

/**
 * Isotonic calibration as scikit-learn 1.2 fits and applies it:
 * IsotonicRegression(out_of_bounds='clip', y_min=0, y_max=1).
 *
 * Fit: sort by score (then label); pool every run of scores within 1e-15 (float64's
 * `resolution`) of the run's first score into one point at that score with the mean label
 * and the run's size as weight (sklearn's _make_unique); pool adjacent violators (a block
 * whose weighted mean is ≥ the next block's merges with it, so blocks end strictly
 * increasing); clip to [0, 1]; keep of each block its first and last point (sklearn's
 * trim_duplicates). The result is sklearn's X_thresholds_ and y_thresholds_.
 *
 * Apply: clip the score to [first, last threshold], then interpolate linearly between the
 * thresholds around it (numpy.interp, which sklearn's interp1d delegates to). The calibration
 * function g is therefore continuous, non-decreasing and piecewise linear with its knots at
 * the thresholds: constant along each block, linear between two blocks.
 */
export interface IsotonicCalibration {
  /** Knots: sklearn's X_thresholds_, strictly ascending. */
  x: readonly number[];
  /** The calibrated probability at each knot: sklearn's y_thresholds_, non-decreasing. */
  y: readonly number[];
}

/** float64's resolution (numpy.finfo(float64).resolution): sklearn pools scores this close. */
const TIE_RESOLUTION = 1e-15;

export function fitIsotonic(
  scores: readonly number[],
  labels: readonly number[],
): IsotonicCalibration {
  if (scores.length !== labels.length)
    throw new RangeError(`isotonic fit: ${scores.length} scores but ${labels.length} labels`);
  if (scores.length === 0) throw new RangeError('isotonic fit: no labelled scores');
  scores.forEach((score, i) => {
    const label = labels[i] ?? NaN;
    if (!Number.isFinite(score) || !Number.isFinite(label))
      throw new RangeError(`isotonic fit: event ${i} has score ${score} and label ${label}`);
  });
  const points = pooledTies(scores, labels);
  const blocks = poolAdjacentViolators(points);
  return trimmedKnots(points, blocks);
}

/**
 * The same fit from a reference's distinct scores with their positive and negative counts
 * (one GROUP BY score over the labelled baseline), for 0/1 labels: the pooled points are
 * the same, so the knots are too.
 */
export function fitIsotonicFromHistogram(rows: readonly ScoreHistogramRow[]): IsotonicCalibration {
  const sorted = rows
    .filter((row) => row.positives + row.negatives > 0)
    .sort((a, b) => a.score - b.score);
  return fitIsotonicOfSortedCounts({
    score: Float64Array.from(sorted, (row) => row.score),
    positives: Float64Array.from(sorted, (row) => row.positives),
    negatives: Float64Array.from(sorted, (row) => row.negatives),
  });
}

/**
 * The same fit from distinct scores already in ascending order with their positives and
 * negatives (src/stats/scoreHistogram.ts), as typed arrays: no row objects, no sort. Scores
 * with no labelled row are skipped.
 */
export function fitIsotonicOfSortedCounts(counts: {
  score: Float64Array;
  positives: Float64Array;
  negatives: Float64Array;
}): IsotonicCalibration {
  const points: Point[] = [];
  let current: { x: number; labelSum: number; weight: number } | null = null;
  for (let r = 0; r < counts.score.length; r += 1) {
    const score = counts.score[r] ?? NaN;
    const positives = counts.positives[r] ?? 0;
    const weight = positives + (counts.negatives[r] ?? 0);
    if (weight === 0) continue;
    if (!Number.isFinite(score))
      throw new RangeError(`isotonic fit: score ${score} in the histogram`);
    if (current !== null && score - current.x < TIE_RESOLUTION) {
      current.labelSum += positives;
      current.weight += weight;
      continue;
    }
    if (current !== null) points.push(pointOf(current));
    current = { x: score, labelSum: positives, weight };
  }
  if (current !== null) points.push(pointOf(current));
  if (points.length === 0) throw new RangeError('isotonic fit: no labelled scores');
  return trimmedKnots(points, poolAdjacentViolators(points));
}

/** g(score): sklearn's predict. NaN for a NaN score. */
export function calibrate(calibration: IsotonicCalibration, score: number): number {
  const { x, y } = calibration;
  const last = x.length - 1;
  if (Number.isNaN(score)) return NaN;
  if (last === 0) return y[0] ?? NaN;
  const s = Math.min(Math.max(score, x[0] ?? NaN), x[last] ?? NaN);
  if (s === x[last]) return y[last] ?? NaN;
  const j = knotAtOrBelow(x, s);
  const x0 = x[j] ?? NaN;
  const y0 = y[j] ?? NaN;
  if (x0 === s) return y0;
  const slope = ((y[j + 1] ?? NaN) - y0) / ((x[j + 1] ?? NaN) - x0);
  return slope * (s - x0) + y0;
}

/**
 * Σ g(s) over a cell of raw scores, bracketed. On [min, max] g is piecewise linear through
 * (min, g(min)), the knots strictly inside and (max, g(max)). Its concave envelope ĝ (upper
 * hull of those points) lies above g and its convex envelope ǧ (lower hull) below, so by
 * Jensen Σ g(s_i) ≤ Σ ĝ(s_i) ≤ m·ĝ(mean) and Σ g(s_i) ≥ m·ǧ(mean). Without a knot strictly
 * inside, g is linear on the cell, both hulls are g, and the sum is exact from the count
 * and the sum of scores: that is why the summaries' score cells should split at the knots.
 */
export function calibratedSumBounds(calibration: IsotonicCalibration, cell: ValueCell): Interval {
  if (cell.count === 0) return { lower: 0, upper: 0 };
  if (cell.min === cell.max) {
    const value = cell.count * calibrate(calibration, cell.min);
    return { lower: value, upper: value };
  }
  const points = pointsOn(calibration, cell.min, cell.max);
  const mean = cellMean(cell);
  return {
    lower: cell.count * interpolate(hull(points, 'lower'), mean),
    upper: cell.count * interpolate(hull(points, 'upper'), mean),
  };
}

/** How many knots lie strictly inside (min, max): 0 means a cell's sum of g is exact. */
export function knotsInside(calibration: IsotonicCalibration, min: number, max: number): number {
  return pointsOn(calibration, min, max).length - 2;
}

// ---- fitting --------------------------------------------------------------------------

interface Point {
  x: number;
  /** The mean label of the events pooled at x. */
  y: number;
  weight: number;
}

function pooledTies(scores: readonly number[], labels: readonly number[]): Point[] {
  const order = scores.map((_, i) => i);
  order.sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0) || (labels[a] ?? 0) - (labels[b] ?? 0));
  const points: Point[] = [];
  let current: { x: number; labelSum: number; weight: number } | null = null;
  for (const i of order) {
    const x = scores[i] ?? NaN;
    const label = labels[i] ?? NaN;
    if (current !== null && x - current.x < TIE_RESOLUTION) {
      current.labelSum += label;
      current.weight += 1;
      continue;
    }
    if (current !== null) points.push(pointOf(current));
    current = { x, labelSum: label, weight: 1 };
  }
  if (current !== null) points.push(pointOf(current));
  return points;
}

function pointOf(run: { x: number; labelSum: number; weight: number }): Point {
  return { x: run.x, y: run.labelSum / run.weight, weight: run.weight };
}

interface Block {
  /** Index of the block's first point; it runs to the next block's first. */
  start: number;
  weightedSum: number;
  weight: number;
  mean: number;
}

function poolAdjacentViolators(points: readonly Point[]): Block[] {
  const blocks: Block[] = [];
  points.forEach((point, start) => {
    let block: Block = {
      start,
      weightedSum: point.y * point.weight,
      weight: point.weight,
      mean: point.y,
    };
    let previous = blocks.at(-1);
    while (previous !== undefined && previous.mean >= block.mean) {
      blocks.pop();
      const weightedSum = previous.weightedSum + block.weightedSum;
      const weight = previous.weight + block.weight;
      block = { start: previous.start, weightedSum, weight, mean: weightedSum / weight };
      previous = blocks.at(-1);
    }
    blocks.push(block);
  });
  return blocks;
}

function trimmedKnots(points: readonly Point[], blocks: readonly Block[]): IsotonicCalibration {
  const x: number[] = [];
  const y: number[] = [];
  blocks.forEach((block, b) => {
    const end = (blocks[b + 1]?.start ?? points.length) - 1;
    const value = Math.min(Math.max(block.mean, 0), 1);
    x.push(points[block.start]?.x ?? NaN);
    y.push(value);
    if (end > block.start) {
      x.push(points[end]?.x ?? NaN);
      y.push(value);
    }
  });
  return dropRedundantKnots(x, y);
}

/**
 * Blocks clipped to the same value (several below 0 or above 1 cannot happen with labels in
 * [0, 1], but a caller may fit other targets) leave interior knots equal to both neighbours:
 * dropped, as sklearn drops them.
 */
function dropRedundantKnots(x: number[], y: number[]): IsotonicCalibration {
  const keptX: number[] = [];
  const keptY: number[] = [];
  for (let i = 0; i < x.length; i += 1) {
    const interior = i > 0 && i < x.length - 1;
    if (interior && y[i] === y[i - 1] && y[i] === y[i + 1]) continue;
    keptX.push(x[i] ?? NaN);
    keptY.push(y[i] ?? NaN);
  }
  return { x: keptX, y: keptY };
}

// ---- applying -------------------------------------------------------------------------

/** The index j with x[j] ≤ s < x[j + 1], for x[0] ≤ s < x[last]. */
function knotAtOrBelow(x: readonly number[], s: number): number {
  let low = 0;
  let high = x.length - 1;
  while (high - low > 1) {
    const mid = (low + high) >>> 1;
    if ((x[mid] ?? NaN) <= s) low = mid;
    else high = mid;
  }
  return low;
}

interface Knot {
  x: number;
  y: number;
}

/** g's graph on [min, max]: both ends and every knot strictly between them. */
function pointsOn(calibration: IsotonicCalibration, min: number, max: number): Knot[] {
  const points: Knot[] = [{ x: min, y: calibrate(calibration, min) }];
  const { x, y } = calibration;
  for (let k = firstKnotAbove(x, min); k < x.length && (x[k] ?? Infinity) < max; k += 1)
    points.push({ x: x[k] ?? NaN, y: y[k] ?? NaN });
  points.push({ x: max, y: calibrate(calibration, max) });
  return points;
}

function firstKnotAbove(x: readonly number[], value: number): number {
  let low = 0;
  let high = x.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((x[mid] ?? NaN) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The upper (concave) or lower (convex) hull of points ascending in x: monotone chain. */
function hull(points: readonly Knot[], side: 'upper' | 'lower'): Knot[] {
  const chain: Knot[] = [];
  for (const point of points) {
    while (chain.length >= 2) {
      const a = chain[chain.length - 2] as Knot;
      const b = chain[chain.length - 1] as Knot;
      const turn = (b.x - a.x) * (point.y - a.y) - (b.y - a.y) * (point.x - a.x);
      // upper hull: drop b when it lies on or below the line a → point (a left turn)
      if (side === 'upper' ? turn >= 0 : turn <= 0) chain.pop();
      else break;
    }
    chain.push(point);
  }
  return chain;
}

function interpolate(chain: readonly Knot[], at: number): number {
  for (let k = 1; k < chain.length; k += 1) {
    const b = chain[k] as Knot;
    if (at > b.x && k < chain.length - 1) continue;
    const a = chain[k - 1] as Knot;
    return a.y + ((b.y - a.y) * (at - a.x)) / (b.x - a.x);
  }
  return chain[0]?.y ?? NaN;
}
