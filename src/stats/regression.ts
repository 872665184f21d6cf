import { cellMean, convexSumBounds, type ValueCell } from './cellSums.js';
import { add, bracketOf, exact, type Bracket, type Interval } from './interval.js';

/**
 * A regression's quality once labels arrive (DESIGN.md, "Model tasks"; scikit-learn 1.2):
 * mae = mean|y − ŷ|, rmse = sqrt(mean (y − ŷ)²), mape = mean(|y − ŷ| / max(|y|, eps)) with eps
 * float64's machine epsilon (a fraction), r2 = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² (1 when both sums
 * are 0, 0 when only the denominator is: sklearn's force_finite).
 *
 * RegressionSums (empty / update / merge) makes every metric exact: the sums of |e|, e² and
 * |e| / max(|y|, eps), and the labels' count, mean and sum of squared deviations M2 merged as
 * Chan et al. do (M2 = M2_a + M2_b + δ²·n_a·n_b / n), never as Σy² − (Σy)²/n, which loses
 * every digit when labels sit far from 0 (1e8 ± 1) and is not 0 for constant labels.
 *
 * From cells (count, sum, min, max) the metrics are bracketed: regressionFromCells.
 */
export const MAPE_EPS = 2 ** -52;

export interface RegressionSums {
  count: number;
  absoluteErrorSum: number;
  squaredErrorSum: number;
  absolutePercentageErrorSum: number;
  labelMean: number;
  /** Σ (y − ȳ)². */
  labelM2: number;
}

export function emptyRegression(): RegressionSums {
  return {
    count: 0,
    absoluteErrorSum: 0,
    squaredErrorSum: 0,
    absolutePercentageErrorSum: 0,
    labelMean: 0,
    labelM2: 0,
  };
}

export function updateRegression(sums: RegressionSums, label: number, prediction: number): void {
  if (!Number.isFinite(label) || !Number.isFinite(prediction))
    throw new RangeError(`regression: label ${label} and prediction ${prediction} must be finite`);
  const error = Math.abs(label - prediction);
  sums.count += 1;
  sums.absoluteErrorSum += error;
  sums.squaredErrorSum += error * error;
  sums.absolutePercentageErrorSum += error / Math.max(Math.abs(label), MAPE_EPS);
  const delta = label - sums.labelMean;
  sums.labelMean += delta / sums.count;
  sums.labelM2 += delta * (label - sums.labelMean);
}

export function mergeRegression(a: RegressionSums, b: RegressionSums): RegressionSums {
  if (a.count === 0) return { ...b };
  if (b.count === 0) return { ...a };
  const count = a.count + b.count;
  const delta = b.labelMean - a.labelMean;
  return {
    count,
    absoluteErrorSum: a.absoluteErrorSum + b.absoluteErrorSum,
    squaredErrorSum: a.squaredErrorSum + b.squaredErrorSum,
    absolutePercentageErrorSum: a.absolutePercentageErrorSum + b.absolutePercentageErrorSum,
    labelMean: delta === 0 ? a.labelMean : a.labelMean + (delta * b.count) / count,
    labelM2: a.labelM2 + b.labelM2 + (delta * delta * a.count * b.count) / count,
  };
}

export interface RegressionMetrics {
  mae: number;
  rmse: number;
  mape: number;
  r2: number;
}

export function regressionMetrics(sums: RegressionSums): RegressionMetrics {
  const n = sums.count;
  return {
    mae: sums.absoluteErrorSum / n,
    rmse: Math.sqrt(sums.squaredErrorSum / n),
    mape: sums.absolutePercentageErrorSum / n,
    r2: n === 0 ? NaN : r2Of(sums.squaredErrorSum, sums.labelM2),
  };
}

/** sklearn's r2_score with force_finite: 1 − SSE/SST; 1 when both are 0, 0 when SST alone. */
export function r2Of(squaredErrors: number, squaredDeviations: number): number {
  if (squaredDeviations === 0) return squaredErrors === 0 ? 1 : 0;
  return 1 - squaredErrors / squaredDeviations;
}

// ---- from cells -------------------------------------------------------------------------

/**
 * A cell of absolute errors filed under the bucket of their labels: every label of its
 * events lies in [labelMin, labelMax].
 */
export interface ErrorByLabelCell {
  labelMin: number;
  labelMax: number;
  count: number;
  absoluteErrorSum: number;
}

export interface RegressionCells {
  /** Cells of the residuals e = y − ŷ. */
  residuals: readonly ValueCell[];
  /** Cells of the labels y. */
  labels: readonly ValueCell[];
  /** For MAPE: |e| summed per label bucket. Without it mape is null. */
  errorsByLabel?: readonly ErrorByLabelCell[];
}

export interface RegressionBrackets {
  mae: Bracket;
  rmse: Bracket;
  mape: Bracket | null;
  r2: Bracket;
}

/**
 * Every regression metric bracketed from cells:
 * - Σ|e| and Σe² by convexity per residual cell (Jensen below, the chord above: cellSums);
 * - Σ(y − ȳ)² by the law of total variance over label cells: Σ_c m_c(μ_c − ȳ)² (exact from
 *   counts and sums) plus each cell's own Σ(y − μ_c)², which lies between (max − min)²/2
 *   (the cell's min and max are two of its values, and (a − μ)² + (b − μ)² ≥ (a − b)²/2) and
 *   m_c(max − μ_c)(μ_c − min) (Bhatia-Davis); a cell with min = max adds 0;
 * - r2 = 1 − SSE/SST falls as SSE grows and rises with SST: [1 − SSE_hi/SST_lo,
 *   1 − SSE_lo/SST_hi] (force_finite when SST is 0 exactly);
 * - MAPE from |e| per label bucket: each event's |e| / max(|y|, eps) lies between |e| over
 *   the bucket's largest and its smallest max(|y|, eps).
 */
export function regressionFromCells(cells: RegressionCells): RegressionBrackets {
  const residuals = cells.residuals.filter((c) => c.count > 0);
  const n = residuals.reduce((total, c) => total + c.count, 0);
  let absolute = exact(0);
  let squared = exact(0);
  for (const cell of residuals) {
    absolute = add(absolute, convexSumBounds(cell, Math.abs));
    squared = add(
      squared,
      convexSumBounds(cell, (e) => e * e),
    );
  }
  const deviations = squaredDeviationBounds(cells.labels.filter((c) => c.count > 0));
  return {
    mae: bracketOf({ lower: absolute.lower / n, upper: absolute.upper / n }),
    rmse: bracketOf({ lower: Math.sqrt(squared.lower / n), upper: Math.sqrt(squared.upper / n) }),
    mape: cells.errorsByLabel ? mapeBounds(cells.errorsByLabel) : null,
    r2: r2Bounds(squared, deviations),
  };
}

function squaredDeviationBounds(labels: readonly ValueCell[]): Interval {
  // copies of one value: every deviation is exactly 0 (sum / count may miss it by an ulp)
  const first = labels[0];
  if (first && labels.every((c) => c.min === first.min && c.max === first.min)) return exact(0);
  let count = 0;
  let sum = 0;
  for (const cell of labels) {
    count += cell.count;
    sum += cell.sum;
  }
  const mean = sum / count;
  let between = 0;
  let withinLow = 0;
  let withinHigh = 0;
  for (const cell of labels) {
    const cellAverage = cell.min === cell.max ? cell.min : cellMean(cell);
    between += cell.count * (cellAverage - mean) ** 2;
    if (cell.min === cell.max) continue;
    withinLow += (cell.max - cell.min) ** 2 / 2;
    withinHigh += cell.count * (cell.max - cellAverage) * (cellAverage - cell.min);
  }
  return { lower: between + withinLow, upper: between + Math.max(withinHigh, withinLow) };
}

function r2Bounds(squaredErrors: Interval, deviations: Interval): Bracket {
  if (deviations.upper === 0) {
    return bracketOf({
      lower: r2Of(squaredErrors.upper, 0),
      upper: r2Of(squaredErrors.lower, 0),
    });
  }
  const lower = deviations.lower === 0 ? -Infinity : 1 - squaredErrors.upper / deviations.lower;
  return bracketOf({ lower, upper: 1 - squaredErrors.lower / deviations.upper });
}

function mapeBounds(cells: readonly ErrorByLabelCell[]): Bracket {
  let n = 0;
  let lower = 0;
  let upper = 0;
  for (const cell of cells) {
    if (cell.count === 0) continue;
    n += cell.count;
    const largest = Math.max(Math.abs(cell.labelMin), Math.abs(cell.labelMax));
    const smallest =
      cell.labelMin <= 0 && cell.labelMax >= 0
        ? 0
        : Math.min(Math.abs(cell.labelMin), Math.abs(cell.labelMax));
    lower += cell.absoluteErrorSum / Math.max(largest, MAPE_EPS);
    upper += cell.absoluteErrorSum / Math.max(smallest, MAPE_EPS);
  }
  return bracketOf({ lower: lower / n, upper: upper / n });
}
