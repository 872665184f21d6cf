import {
  aurocFromCounts,
  aurocFromScoreHistogram,
  mannWhitneyOfSorted,
  type ScoreHistogramRow,
} from './auroc.js';
import { aurocBracketFromCells, labelledScoreCells } from './aurocCells.js';
import { convexSumBounds, monotoneSumBounds, type ValueCell } from './cellSums.js';
import { add, bracketOf, exact, type Bracket, type Interval } from './interval.js';

/**
 * A binary classifier's quality once labels arrive, at a threshold t (predicted 1 when
 * score ≥ t), with scikit-learn 1.2's definitions and names (DESIGN.md, "Model tasks").
 *
 * Two ways in:
 * - BinaryQualitySums, a mergeable accumulator (empty / update / merge) of per-event terms:
 *   what a summary of label-joined events holds per (model, slice, time bucket). Every metric
 *   is exact from it: the confusion counts; log loss and Brier as sums of their per-event
 *   terms; per calibration bin the count, Σ score and Σ label (ECE and the reliability curve);
 *   AUROC from the distinct scores' positive and negative counts.
 * - binaryQualityFromCells: only score cells per label (count, sum, min, max), the shape the
 *   summaries keep for distributions. Each metric is then a proven bracket, exact when cells
 *   do not straddle the threshold or a calibration bin edge (and, for log loss, Brier and
 *   AUROC, when each cell holds one distinct score).
 */
export interface BinaryQualityOptions {
  threshold: number;
  /** Equal-width bins on [0, 1] for the expected calibration error and the curve. */
  calibrationBins: number;
}

/**
 * 16 equal-width bins: their edges k/16 are edges of the summaries' 1/128 score cells, so the
 * ECE and the reliability curve are exact from those cells (see docs/TASKS.md).
 */
export const DEFAULT_CALIBRATION_BINS = 16;

/** float64 machine epsilon: log loss clips p to [eps, 1 − eps] (sklearn's eps='auto'). */
export const LOG_LOSS_EPS = 2 ** -52;

export interface BinaryQualitySums extends BinaryQualityOptions {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** Σ −ln(clip(p)) over positives + Σ −ln(1 − clip(p)) over negatives. */
  logLossSum: number;
  /** Σ (p − y)². */
  brierSum: number;
  /** Per calibration bin: events, Σ score, Σ label. */
  binCounts: number[];
  binScoreSums: number[];
  binPositives: number[];
  /** Per distinct score: positives and negatives (AUROC, ties half). */
  scores: Map<number, { positives: number; negatives: number }>;
}

export function emptyBinaryQuality(options: BinaryQualityOptions): BinaryQualitySums {
  const bins = checkedBinCount(options.calibrationBins);
  return {
    threshold: options.threshold,
    calibrationBins: bins,
    tp: 0,
    fp: 0,
    fn: 0,
    tn: 0,
    logLossSum: 0,
    brierSum: 0,
    binCounts: new Array<number>(bins).fill(0),
    binScoreSums: new Array<number>(bins).fill(0),
    binPositives: new Array<number>(bins).fill(0),
    scores: new Map(),
  };
}

/** Adds one labelled event (score in [0, 1], label 0 or 1). */
export function updateBinaryQuality(sums: BinaryQualitySums, score: number, label: number): void {
  if (!(score >= 0 && score <= 1))
    throw new RangeError(`binary quality: score ${score} is not a probability in [0, 1]`);
  if (label !== 0 && label !== 1)
    throw new RangeError(`binary quality: label ${label} is neither 0 nor 1`);
  addBinaryQualityCounts(sums, score, label, 1 - label);
}

/**
 * Adds `positives` events labelled 1 and `negatives` labelled 0, all at one score, at once:
 * the same sums as that many updateBinaryQuality calls (counts exactly; each float sum as
 * count × term, which rounds once where repeated addition rounds at every step). For a store's
 * histogram of counts per distinct score, one call a row instead of one a row's events.
 */
export function addBinaryQualityCounts(
  sums: BinaryQualitySums,
  score: number,
  positives: number,
  negatives: number,
): void {
  if (!(
    Number.isInteger(positives) &&
    positives >= 0 &&
    Number.isInteger(negatives) &&
    negatives >= 0
  ))
    throw new RangeError(
      `binary quality: counts ${positives} positives, ${negatives} negatives are not whole numbers >= 0`,
    );
  if (positives + negatives === 0) return;
  addConfusionAndTerms(sums, score, positives, negatives);
  const row = sums.scores.get(score);
  if (row) {
    row.positives += positives;
    row.negatives += negatives;
  } else sums.scores.set(score, { positives, negatives });
}

/** The confusion counts, log loss, Brier and calibration bins' terms of one score's events. */
function addConfusionAndTerms(
  sums: BinaryQualitySums,
  score: number,
  positives: number,
  negatives: number,
): void {
  if (!(score >= 0 && score <= 1))
    throw new RangeError(`binary quality: score ${score} is not a probability in [0, 1]`);
  const events = positives + negatives;
  if (score >= sums.threshold) {
    sums.tp += positives;
    sums.fp += negatives;
  } else {
    sums.fn += positives;
    sums.tn += negatives;
  }
  if (positives > 0) sums.logLossSum += positives * logLossTerm(score, 1);
  if (negatives > 0) sums.logLossSum += negatives * logLossTerm(score, 0);
  sums.brierSum += positives * (score - 1) ** 2 + negatives * score ** 2;
  const bin = calibrationBin(score, sums.calibrationBins);
  sums.binCounts[bin] = (sums.binCounts[bin] ?? 0) + events;
  sums.binScoreSums[bin] = (sums.binScoreSums[bin] ?? 0) + events * score;
  sums.binPositives[bin] = (sums.binPositives[bin] ?? 0) + positives;
}

export function mergeBinaryQuality(a: BinaryQualitySums, b: BinaryQualitySums): BinaryQualitySums {
  if (a.threshold !== b.threshold || a.calibrationBins !== b.calibrationBins)
    throw new RangeError(
      `binary quality: cannot merge threshold ${a.threshold} / ${a.calibrationBins} bins with ${b.threshold} / ${b.calibrationBins}`,
    );
  const scores = new Map<number, { positives: number; negatives: number }>();
  for (const source of [a.scores, b.scores])
    for (const [score, row] of source) {
      const merged = scores.get(score) ?? { positives: 0, negatives: 0 };
      scores.set(score, {
        positives: merged.positives + row.positives,
        negatives: merged.negatives + row.negatives,
      });
    }
  const sum = (x: readonly number[], y: readonly number[]) => x.map((v, i) => v + (y[i] ?? 0));
  return {
    threshold: a.threshold,
    calibrationBins: a.calibrationBins,
    tp: a.tp + b.tp,
    fp: a.fp + b.fp,
    fn: a.fn + b.fn,
    tn: a.tn + b.tn,
    logLossSum: a.logLossSum + b.logLossSum,
    brierSum: a.brierSum + b.brierSum,
    binCounts: sum(a.binCounts, b.binCounts),
    binScoreSums: sum(a.binScoreSums, b.binScoreSums),
    binPositives: sum(a.binPositives, b.binPositives),
    scores,
  };
}

export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** One non-empty calibration bin (or, from cells, a run of merged bins). */
export interface ReliabilityPoint {
  /** The bins it covers, first to last (the same bin when exact). */
  fromBin: number;
  toBin: number;
  count: number;
  /** Fraction of positives: sklearn calibration_curve's prob_true. */
  prob_true: number;
  /** Mean score: calibration_curve's prob_pred. */
  prob_pred: number;
}

export interface BinaryQualityMetrics {
  roc_auc: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  log_loss: number;
  brier_score: number;
  /** Σ over non-empty bins of count/n · |prob_true − prob_pred|. */
  ece: number;
  calibration_bins: number;
  reliability: ReliabilityPoint[];
  confusion: ConfusionCounts;
}

/** Every metric, exact, from the accumulator. NaN where sklearn raises (AUROC of one class). */
export function binaryQualityMetrics(sums: BinaryQualitySums): BinaryQualityMetrics {
  const rows: ScoreHistogramRow[] = [...sums.scores].map(([score, row]) => ({ score, ...row }));
  return metricsOfSums(sums, aurocFromScoreHistogram(rows));
}

/** The metrics the accumulator's sums give, beside an AUROC computed from its scores. */
function metricsOfSums(sums: BinaryQualitySums, rocAuc: number): BinaryQualityMetrics {
  const n = sums.tp + sums.fp + sums.fn + sums.tn;
  const { ece, reliability } = calibrationOfBins(sums, n);
  return {
    roc_auc: rocAuc,
    ...thresholdMetrics(sums),
    log_loss: sums.logLossSum / n,
    brier_score: sums.brierSum / n,
    ece,
    calibration_bins: sums.calibrationBins,
    reliability,
    confusion: { tp: sums.tp, fp: sums.fp, fn: sums.fn, tn: sums.tn },
  };
}

/** Distinct scores, ascending, with their positives and negatives (scoreHistogram.ts). */
export interface SortedScoreCounts {
  score: Float64Array;
  positives: Float64Array;
  negatives: Float64Array;
}

/**
 * Every metric from a histogram of distinct scores in ascending order, in one sweep and
 * without the accumulator's Map: the same sums in the same order as addBinaryQualityCounts
 * once per distinct score followed by binaryQualityMetrics, so the same bits.
 */
export function binaryQualityOfSortedCounts(
  counts: SortedScoreCounts,
  options: BinaryQualityOptions,
): BinaryQualityMetrics {
  const sums = emptyBinaryQuality(options);
  for (let r = 0; r < counts.score.length; r += 1) {
    const positives = counts.positives[r] ?? 0;
    const negatives = counts.negatives[r] ?? 0;
    if (positives + negatives === 0) continue;
    addConfusionAndTerms(sums, counts.score[r] ?? NaN, positives, negatives);
  }
  // a score with no events adds nothing to the Mann-Whitney counts either
  return metricsOfSums(
    sums,
    aurocFromCounts(mannWhitneyOfSorted(counts.positives, counts.negatives)),
  );
}

/** Per calibration bin (calibrationBin's order): events, Σ score and Σ label. */
export interface CalibrationBinTotals {
  binCounts: readonly number[];
  binScoreSums: readonly number[];
  binPositives: readonly number[];
}

/**
 * The expected calibration error and the reliability curve (its non-empty bins) of bin
 * totals over n events: exact, whoever summed them (the accumulator, or a store's aggregate).
 */
export function calibrationOfBins(
  totals: CalibrationBinTotals,
  n: number,
): { ece: number; reliability: ReliabilityPoint[] } {
  const reliability = reliabilityPoints(
    totals.binCounts.map((count, bin) => ({
      fromBin: bin,
      toBin: bin,
      count,
      positives: totals.binPositives[bin] ?? 0,
      scoreSum: totals.binScoreSums[bin] ?? 0,
    })),
  );
  return { ece: expectedCalibrationError(reliability, n), reliability };
}

/** accuracy, precision, recall and F1 at the threshold (sklearn, zero_division=0). */
export function thresholdMetrics(c: ConfusionCounts): {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
} {
  const precision = ratioOrZero(c.tp, c.tp + c.fp);
  const recall = ratioOrZero(c.tp, c.tp + c.fn);
  return {
    accuracy: (c.tp + c.tn) / (c.tp + c.fp + c.fn + c.tn),
    precision,
    recall,
    f1: f1Of(precision, recall),
  };
}

/** sklearn's F-score: 2PR / (P + R), 0 when both are 0. */
export function f1Of(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

export function ratioOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** −ln of the probability given to the true label, p clipped to [eps, 1 − eps]. */
export function logLossTerm(score: number, label: number): number {
  const p = Math.min(Math.max(score, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
  return label === 1 ? -Math.log(p) : -Math.log(1 - p);
}

/**
 * The bin of a score among B equal-width bins: sklearn's calibration_curve(strategy='uniform')
 * takes the edges numpy.linspace(0, 1, B + 1) (i·(1/B), the last 1) and the bin
 * searchsorted(inner edges, score) (side left), so a score on an inner edge falls in the bin
 * below it: bins are (e_k, e_k+1], the first [0, e_1].
 */
export function calibrationBin(score: number, bins: number): number {
  const step = 1 / bins;
  let low = 0;
  let high = bins - 1; // inner edges are k·step, k = 1..bins−1
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((mid + 1) * step < score) low = mid + 1;
    else high = mid;
  }
  return low;
}

interface BinTotals {
  fromBin: number;
  toBin: number;
  count: number;
  positives: number;
  scoreSum: number;
}

function reliabilityPoints(bins: readonly BinTotals[]): ReliabilityPoint[] {
  return bins
    .filter((bin) => bin.count > 0)
    .map((bin) => ({
      fromBin: bin.fromBin,
      toBin: bin.toBin,
      count: bin.count,
      prob_true: bin.positives / bin.count,
      prob_pred: bin.scoreSum / bin.count,
    }));
}

function expectedCalibrationError(points: readonly ReliabilityPoint[], n: number): number {
  let ece = 0;
  for (const point of points)
    ece += (point.count / n) * Math.abs(point.prob_true - point.prob_pred);
  return ece;
}

function checkedBinCount(bins: number): number {
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new RangeError(`calibration bins must be a positive integer, got ${bins}`);
  return bins;
}

// ---- from score cells per label ---------------------------------------------------------

/** Score cells of labelled events: one list for label 1, one for label 0. */
export interface LabelledScoreCells {
  positives: readonly ValueCell[];
  negatives: readonly ValueCell[];
}

export interface BinaryQualityBrackets {
  roc_auc: Bracket;
  accuracy: Bracket;
  precision: Bracket;
  recall: Bracket;
  f1: Bracket;
  log_loss: Bracket;
  brier_score: Bracket;
  ece: Bracket;
  calibration_bins: number;
  /** Exact for what each point covers: bins joined where a cell straddles an edge. */
  reliability: ReliabilityPoint[];
  confusion: { tp: Interval; fp: Interval; fn: Interval; tn: Interval };
}

/**
 * Every binary metric bracketed from score cells per label.
 *
 * Threshold metrics: a cell below t (max < t) is predicted 0, one at or above (min ≥ t)
 * predicted 1; a straddling cell splits in an unknown way. With x of the straddling
 * positives counted as TP (the rest FN) and z of the straddling negatives as FP (the rest
 * TN), accuracy, precision, recall and F1 are each non-decreasing in x and non-increasing in
 * z (F1 = 2TP / (TP + P + FP), P fixed), so their extremes are at the corners x ∈ {0, all},
 * z ∈ {0, all}, which are attained: the brackets are tight.
 *
 * Log loss and Brier: per-event terms summed per cell by convexity (cellSums): (p − y)² is
 * convex; −ln clip(p) is convex on [eps, 1] and −ln(1 − clip(p)) on [0, 1 − eps]; a cell
 * reaching past those falls back to the monotone bound.
 *
 * ECE: let each event add y − p to its bin. Joining the bins a straddling cell spans can only
 * lower Σ|Y_b − S_b| (triangle inequality), so the ECE of the joined runs is a lower bound;
 * an upper bound adds to the fixed cells' per-bin totals, for each straddling cell, the most
 * its events can add in total: Σ|y − p| = m − Σp for a cell of positives, Σp for negatives.
 */
export function binaryQualityFromCells(
  cells: LabelledScoreCells,
  options: BinaryQualityOptions,
): BinaryQualityBrackets {
  const bins = checkedBinCount(options.calibrationBins);
  const positives = cells.positives.filter((c) => c.count > 0);
  const negatives = cells.negatives.filter((c) => c.count > 0);
  const n = [...positives, ...negatives].reduce((total, c) => total + c.count, 0);
  const confusion = confusionRanges(positives, negatives, options.threshold);
  let logLoss = exact(0);
  let brier = exact(0);
  for (const cell of positives) {
    logLoss = add(logLoss, logLossBounds(cell, 1));
    brier = add(
      brier,
      convexSumBounds(cell, (p) => (p - 1) ** 2),
    );
  }
  for (const cell of negatives) {
    logLoss = add(logLoss, logLossBounds(cell, 0));
    brier = add(
      brier,
      convexSumBounds(cell, (p) => p * p),
    );
  }
  const calibration = calibrationFromCells(positives, negatives, bins, n);
  return {
    roc_auc: aurocBracketFromCells(labelledScoreCells(positives, negatives)),
    ...thresholdBrackets(confusion),
    log_loss: bracketOf({ lower: logLoss.lower / n, upper: logLoss.upper / n }),
    brier_score: bracketOf({ lower: brier.lower / n, upper: brier.upper / n }),
    ece: calibration.ece,
    calibration_bins: bins,
    reliability: calibration.reliability,
    confusion: {
      tp: { lower: confusion.tp, upper: confusion.tp + confusion.straddlingPositives },
      fn: { lower: confusion.fn, upper: confusion.fn + confusion.straddlingPositives },
      fp: { lower: confusion.fp, upper: confusion.fp + confusion.straddlingNegatives },
      tn: { lower: confusion.tn, upper: confusion.tn + confusion.straddlingNegatives },
    },
  };
}

interface ConfusionRanges extends ConfusionCounts {
  /** Events of cells with min < t ≤ max, whose side is unknown. */
  straddlingPositives: number;
  straddlingNegatives: number;
}

function confusionRanges(
  positives: readonly ValueCell[],
  negatives: readonly ValueCell[],
  threshold: number,
): ConfusionRanges {
  const ranges = { tp: 0, fp: 0, fn: 0, tn: 0, straddlingPositives: 0, straddlingNegatives: 0 };
  for (const cell of positives) {
    if (cell.min >= threshold) ranges.tp += cell.count;
    else if (cell.max < threshold) ranges.fn += cell.count;
    else ranges.straddlingPositives += cell.count;
  }
  for (const cell of negatives) {
    if (cell.min >= threshold) ranges.fp += cell.count;
    else if (cell.max < threshold) ranges.tn += cell.count;
    else ranges.straddlingNegatives += cell.count;
  }
  return ranges;
}

function thresholdBrackets(r: ConfusionRanges): {
  accuracy: Bracket;
  precision: Bracket;
  recall: Bracket;
  f1: Bracket;
} {
  const corner = (x: number, z: number) =>
    thresholdMetrics({
      tp: r.tp + x,
      fn: r.fn + r.straddlingPositives - x,
      fp: r.fp + z,
      tn: r.tn + r.straddlingNegatives - z,
    });
  const low = corner(0, r.straddlingNegatives);
  const high = corner(r.straddlingPositives, 0);
  const between = (key: 'accuracy' | 'precision' | 'recall' | 'f1') =>
    bracketOf({ lower: low[key], upper: high[key] });
  return {
    accuracy: between('accuracy'),
    precision: between('precision'),
    recall: between('recall'),
    f1: between('f1'),
  };
}

function logLossBounds(cell: ValueCell, label: number): Interval {
  const term = (p: number) => logLossTerm(p, label);
  const convex = label === 1 ? cell.min >= LOG_LOSS_EPS : cell.max <= 1 - LOG_LOSS_EPS;
  return convex ? convexSumBounds(cell, term) : monotoneSumBounds(cell, term);
}

interface LabelledCell {
  cell: ValueCell;
  label: number;
  fromBin: number;
  toBin: number;
}

function calibrationFromCells(
  positives: readonly ValueCell[],
  negatives: readonly ValueCell[],
  bins: number,
  n: number,
): { ece: Bracket; reliability: ReliabilityPoint[] } {
  const labelled: LabelledCell[] = [
    ...positives.map((cell) => ({ cell, label: 1 })),
    ...negatives.map((cell) => ({ cell, label: 0 })),
  ].map(({ cell, label }) => ({
    cell,
    label,
    fromBin: calibrationBin(cell.min, bins),
    toBin: calibrationBin(cell.max, bins),
  }));
  const runs = joinedRuns(labelled, bins);
  const totals = runs.map((run) => ({ ...run, count: 0, positives: 0, scoreSum: 0 }));
  const fixed = Array.from({ length: bins }, (_, bin) => ({
    fromBin: bin,
    toBin: bin,
    count: 0,
    positives: 0,
    scoreSum: 0,
  }));
  let straddlingExcess = 0;
  for (const { cell, label, fromBin, toBin } of labelled) {
    const run = totals.find((r) => r.fromBin <= fromBin && toBin <= r.toBin);
    if (run) {
      run.count += cell.count;
      run.positives += label * cell.count;
      run.scoreSum += cell.sum;
    }
    if (fromBin === toBin) {
      const bin = fixed[fromBin];
      if (bin) {
        bin.count += cell.count;
        bin.positives += label * cell.count;
        bin.scoreSum += cell.sum;
      }
    } else straddlingExcess += label === 1 ? cell.count - cell.sum : cell.sum;
  }
  const reliability = reliabilityPoints(totals);
  const lower = expectedCalibrationError(reliability, n);
  const upper =
    expectedCalibrationError(reliabilityPoints(fixed), n) + Math.max(0, straddlingExcess) / n;
  return { ece: bracketOf({ lower, upper: Math.max(lower, upper) }), reliability };
}

/** Runs of bins joined by the cells that span more than one; every bin is in one run. */
function joinedRuns(
  cells: readonly LabelledCell[],
  bins: number,
): { fromBin: number; toBin: number }[] {
  const reach = Array.from({ length: bins }, (_, bin) => bin);
  for (const { fromBin, toBin } of cells)
    reach[fromBin] = Math.max(reach[fromBin] ?? fromBin, toBin);
  const runs: { fromBin: number; toBin: number }[] = [];
  let start = 0;
  let end = reach[0] ?? 0;
  for (let bin = 1; bin < bins; bin += 1) {
    if (bin > end) {
      runs.push({ fromBin: start, toBin: end });
      start = bin;
    }
    end = Math.max(end, reach[bin] ?? bin);
  }
  runs.push({ fromBin: start, toBin: end });
  return runs;
}
