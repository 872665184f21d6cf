import type { ValueCell } from './cellSums.js';
import { bracketOf, productWithComplementRange, type Bracket, type Interval } from './interval.js';

/**
 * AUROC from score cells, bracketed. One formula serves the realized AUROC (each event's
 * positive weight is its label, 0 or 1) and CBPE's expected AUROC (the weight is the
 * calibrated probability p̂, the negative weight 1 − p̂):
 *
 *   AUROC = U / (P·N),  U = Σ_i Σ_j w_i (1 − w_j) K_ij,  P = Σ w,  N = n − P,
 *
 * K_ij = 1 when s_i > s_j, ½ when s_i = s_j (ties half, i = j included: with 0/1 weights
 * that term is 0, so U is the Mann-Whitney count roc_auc_score divides by P·N; with p̂ it
 * is the AUROC of the expected positive and negative score distributions).
 *
 * From cells (every score of a cell in [scoreMin, scoreMax], its weights summing to a value
 * in `positive`), the pairs of two different cells a, b contribute W_a·N_b·K with K
 * known when the ranges do not overlap: K = 1 when a.scoreMin > b.scoreMax, ≥ ½ when
 * a.scoreMin = b.scoreMax, ≤ ½ when a.scoreMax = b.scoreMin, 0 when a.scoreMax < b.scoreMin,
 * anywhere in [0, 1] otherwise. Pairs inside one cell (U_aa):
 *  - all scores equal (scoreMin = scoreMax): every K is ½, U_aa = ½·W_a·N_a;
 *  - weights non-decreasing in the score, two of them at most Δ apart (an isotonic
 *    calibration): U_aa − ½·W_a·N_a = ½ Σ over pairs with s_i > s_j of (w_i − w_j), which is
 *    ≥ 0 and, with the m weights sorted, Σ_k (2k − m − 1)·w_k ≤ Δ·⌊m²/4⌋ (the negative
 *    coefficients at the lowest weight, the positive ones at the highest);
 *  - nothing known: U_aa ∈ [0, W_a·N_a].
 * Every term is a product of non-negative factors, so U's lower bound takes each factor's
 * lower bound and its upper bound each upper; P·N, concave in P, is bounded by its ends and
 * centre over P's interval; AUROC ∈ [U_lo / (PN)_hi, U_hi / (PN)_lo] ∩ [0, 1]. Cells of one
 * distinct score each (exact summaries) give lower = upper = roc_auc_score's value.
 */
export interface WeightedScoreCell {
  scoreMin: number;
  scoreMax: number;
  count: number;
  /** Σ of the cell's positive weights (labels, or calibrated probabilities), bracketed. */
  positive: Interval;
  /** Δ when weights are non-decreasing in the score within the cell; null when unknown. */
  monotoneSpread: number | null;
}

/** Score cells of labelled events: the positives' cells and the negatives' cells. */
export function labelledScoreCells(
  positives: readonly ValueCell[],
  negatives: readonly ValueCell[],
): WeightedScoreCell[] {
  const cell = (c: ValueCell, positive: number): WeightedScoreCell => ({
    scoreMin: c.min,
    scoreMax: c.max,
    count: c.count,
    positive: { lower: positive, upper: positive },
    monotoneSpread: 0,
  });
  return [
    ...positives.filter((c) => c.count > 0).map((c) => cell(c, c.count)),
    ...negatives.filter((c) => c.count > 0).map((c) => cell(c, 0)),
  ];
}

export function aurocBracketFromCells(cells: readonly WeightedScoreCell[]): Bracket {
  const live = cells.filter((cell) => cell.count > 0);
  let n = 0;
  let positiveLow = 0;
  let positiveHigh = 0;
  for (const cell of live) {
    n += cell.count;
    positiveLow += cell.positive.lower;
    positiveHigh += cell.positive.upper;
  }
  const pairs = productWithComplementRange({ lower: positiveLow, upper: positiveHigh }, n);
  if (!(pairs.upper > 0)) return { value: NaN, lower: NaN, upper: NaN };
  if (areAscendingPoints(live)) return pointsBracket(live, pairs);

  const byMax = sortedBy(live, (cell) => cell.scoreMax);
  const byMin = sortedBy(live, (cell) => cell.scoreMin);
  const negativeLow = prefixSums(byMax.map((cell) => cell.count - cell.positive.upper));
  const negativeHigh = prefixSums(byMin.map((cell) => cell.count - cell.positive.lower));
  const maxs = byMax.map((cell) => cell.scoreMax);
  const mins = byMin.map((cell) => cell.scoreMin);

  let wonLow = 0;
  let wonHigh = 0;
  for (const cell of live) {
    const degenerate = cell.scoreMin === cell.scoreMax;
    const ownLow = cell.count - cell.positive.upper;
    const ownHigh = cell.count - cell.positive.lower;

    // Lower: negatives certainly below (max < this min) count 1, those tied at its min ½.
    const below = firstAtOrAbove(maxs, cell.scoreMin);
    const belowOrTied = firstAbove(maxs, cell.scoreMin);
    let tiedLow = at(negativeLow, belowOrTied) - at(negativeLow, below);
    if (degenerate) tiedLow = belowOrTied - below === 1 ? 0 : tiedLow - ownLow;
    wonLow += cell.positive.lower * Math.max(0, at(negativeLow, below) + tiedLow / 2);

    // Upper: negatives possibly below (min < this max) count 1, those starting at its max ½.
    const possibly = firstAtOrAbove(mins, cell.scoreMax);
    const possiblyOrTied = firstAbove(mins, cell.scoreMax);
    let possiblyBelow = at(negativeHigh, possibly);
    let tiedHigh = at(negativeHigh, possiblyOrTied) - at(negativeHigh, possibly);
    if (degenerate) tiedHigh = possiblyOrTied - possibly === 1 ? 0 : tiedHigh - ownHigh;
    else possiblyBelow = possibly === 1 ? 0 : possiblyBelow - ownHigh;
    wonHigh += cell.positive.upper * Math.max(0, possiblyBelow + tiedHigh / 2);

    const within = withinCell(cell);
    wonLow += within.lower;
    wonHigh += within.upper;
  }
  const lower = Math.min(Math.max(wonLow / pairs.upper, 0), 1);
  const upper = pairs.lower > 0 ? Math.min(Math.max(wonHigh / pairs.lower, 0), 1) : 1;
  return bracketOf({ lower, upper: Math.max(upper, lower) });
}

/** Cells of one score each, in strictly ascending order (an exact histogram's). */
function areAscendingPoints(cells: readonly WeightedScoreCell[]): boolean {
  let previous = -Infinity;
  for (const cell of cells) {
    if (cell.scoreMin !== cell.scoreMax || !(cell.scoreMin > previous)) return false;
    previous = cell.scoreMin;
  }
  return true;
}

/**
 * The general sweep's result for ascending one-score cells in one linear pass: cell i's
 * negatives below are the prefix of the cells before it, none tie with it but itself (its
 * own pairs count half, withinCell), so the sorts and binary searches are not needed. The
 * sums are the general sweep's, in its order: the same bits.
 */
function pointsBracket(cells: readonly WeightedScoreCell[], pairs: Interval): Bracket {
  let negativesBelowLow = 0;
  let negativesBelowHigh = 0;
  let wonLow = 0;
  let wonHigh = 0;
  for (const cell of cells) {
    wonLow += cell.positive.lower * Math.max(0, negativesBelowLow);
    wonHigh += cell.positive.upper * Math.max(0, negativesBelowHigh);
    const within = withinCell(cell);
    wonLow += within.lower;
    wonHigh += within.upper;
    negativesBelowLow += cell.count - cell.positive.upper;
    negativesBelowHigh += cell.count - cell.positive.lower;
  }
  const lower = Math.min(Math.max(wonLow / pairs.upper, 0), 1);
  const upper = pairs.lower > 0 ? Math.min(Math.max(wonHigh / pairs.lower, 0), 1) : 1;
  return bracketOf({ lower, upper: Math.max(upper, lower) });
}

/** U_aa: the pairs of two events of one cell (see the module comment). */
function withinCell(cell: WeightedScoreCell): Interval {
  const products = productWithComplementRange(cell.positive, cell.count);
  if (cell.scoreMin === cell.scoreMax)
    return { lower: products.lower / 2, upper: products.upper / 2 };
  if (cell.monotoneSpread === null) return { lower: 0, upper: products.upper };
  const spread = Math.floor((cell.count * cell.count) / 4) * cell.monotoneSpread;
  return {
    lower: products.lower / 2,
    upper: Math.min(products.upper / 2 + spread / 2, products.upper),
  };
}

function sortedBy<T>(items: readonly T[], key: (item: T) => number): T[] {
  return [...items].sort((a, b) => key(a) - key(b));
}

/** prefix[k] = Σ of the first k values. */
function prefixSums(values: readonly number[]): number[] {
  const prefix = [0];
  let total = 0;
  for (const value of values) {
    total += value;
    prefix.push(total);
  }
  return prefix;
}

/** How many of the ascending values are < x. */
function firstAtOrAbove(ascending: readonly number[], x: number): number {
  let low = 0;
  let high = ascending.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (at(ascending, mid) < x) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** How many of the ascending values are ≤ x. */
function firstAbove(ascending: readonly number[], x: number): number {
  let low = 0;
  let high = ascending.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (at(ascending, mid) <= x) low = mid + 1;
    else high = mid;
  }
  return low;
}

function at(values: readonly number[], index: number): number {
  return values[index] ?? NaN;
}
