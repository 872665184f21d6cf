import { aurocBracketFromCells, type WeightedScoreCell } from './aurocCells.js';
import type { ValueCell } from './cellSums.js';
import { ratioOrZero } from './classificationQuality.js';
import { calibrate, calibratedSumBounds, type IsotonicCalibration } from './isotonic.js';
import { add, bracketOf, exact, midpoint, type Bracket, type Interval } from './interval.js';

/**
 * Confidence-based performance estimation (CBPE, NannyML): performance expected in a window
 * before its labels arrive, from the scores alone.
 *
 * An isotonic calibration g is fitted on the labelled reference (isotonic.ts). In a window,
 * each event's p̂ = g(score) is taken as the probability that its label is 1, so the
 * confusion counts at the threshold are sums of independent Bernoulli(p̂):
 *   E[TP] = Σ p̂ and E[FP] = Σ (1 − p̂) over predicted positives (score ≥ t),
 *   E[FN] = Σ p̂ and E[TN] = Σ (1 − p̂) over predicted negatives,
 * and accuracy, precision, recall and F1 are taken at the expected counts (NannyML's
 * estimate_*). The expected AUROC is the AUROC of the expected positive and negative score
 * distributions (weights p̂ and 1 − p̂ at each raw score, ties half: aurocCells), which is
 * NannyML's estimate_roc_auc with tied scores grouped.
 *
 * Multiclass: one calibration per class on "label = that class" against that class's score
 * (one vs rest); each event's calibrated class probabilities are divided by their sum
 * (uniform when all are 0), as NannyML does; then each class is a binary problem with
 * "predicted that class" as the predicted positive, and the macro metrics are the means over
 * classes; accuracy is the mean p̂ of the predicted class.
 *
 * Assumptions (what CBPE cannot see): P(label | score) in the window is the reference's (no
 * concept drift: a shift in the scores is fine, a change in what a score means is not); the
 * calibration is right, which needs a labelled reference large enough in every score region
 * the windows reach (the fit's own error is not in the band); labels are independent given
 * the scores.
 *
 * The band (sampling error): the realized metric differs from its expectation because the
 * labels are random. Given the window's scores, realized TP and FN are independent sums of
 * Bernoulli(p̂), with variances V_TP = Σ p̂(1 − p̂) over predicted positives and V_FN over
 * predicted negatives, exact from Σ p̂ and Σ p̂²; the metrics' standard errors follow by the
 * delta method (first order; the remainder is O(1/n)). The band is the estimate ± z·σ, z = 3
 * by default (NannyML's SAMPLING_ERROR_RANGE), around the estimate's bracket when it is one.
 * Chosen over NannyML's sampling_error (the reference's variability scaled by
 * sqrt(n_ref / n)) because it is conditional on the window's own scores, which is what
 * changes under covariate shift, and because it is a sum, so it merges like the summaries.
 */
export const DEFAULT_BAND_WIDTH = 3;

export interface CbpeOptions {
  /** The band is the estimate ± bandWidth standard errors. */
  bandWidth?: number;
}

/** An estimated metric: its value (a bracket when from cells), standard error and band. */
export interface Estimate extends Bracket {
  sigma: number;
  band: Interval;
}

export interface ExpectedConfusion {
  tp: Interval;
  fp: Interval;
  fn: Interval;
  tn: Interval;
}

export interface BinaryEstimate {
  /** Events with a finite score. */
  n: number;
  expected: ExpectedConfusion;
  accuracy: Estimate;
  precision: Estimate;
  recall: Estimate;
  f1: Estimate;
  roc_auc: Estimate;
}

/** A group of events known by count, Σ p̂ and Σ p̂²: sums, so they merge by adding. */
export interface ProbabilitySums {
  count: number;
  sum: number;
  squareSum: number;
}

export function emptyProbabilitySums(): ProbabilitySums {
  return { count: 0, sum: 0, squareSum: 0 };
}

function addProbabilities(sums: ProbabilitySums, p: number, count: number): void {
  sums.count += count;
  sums.sum += count * p;
  sums.squareSum += count * p * p;
}

function mergedProbabilities(a: ProbabilitySums, b: ProbabilitySums): ProbabilitySums {
  return { count: a.count + b.count, sum: a.sum + b.sum, squareSum: a.squareSum + b.squareSum };
}

/** Σ p̂(1 − p̂) = Σ p̂ − Σ p̂², never below 0 against rounding. */
function bernoulliVariance(sums: ProbabilitySums): number {
  return Math.max(0, sums.sum - sums.squareSum);
}

/** A score cell with its calibrated probabilities' Σ and Σ p̂(1 − p̂), bracketed. */
export interface ExpectedScoreCell extends WeightedScoreCell {
  variance: Interval;
}

// ---- binary: the sums a window's events give -------------------------------------------

/**
 * What CBPE needs of a binary window, exact and mergeable (empty / update / merge): per
 * side of the threshold the count, Σ p̂ and Σ p̂², and per distinct score the same (for the
 * expected AUROC). This is what a summary would hold if ingest applied the calibration.
 */
export interface BinaryCbpeSums {
  threshold: number;
  predictedPositive: ProbabilitySums;
  predictedNegative: ProbabilitySums;
  scores: Map<number, ProbabilitySums>;
}

export function emptyBinaryCbpe(threshold: number): BinaryCbpeSums {
  return {
    threshold,
    predictedPositive: emptyProbabilitySums(),
    predictedNegative: emptyProbabilitySums(),
    scores: new Map(),
  };
}

/** Adds one event: its raw score and its calibrated probability g(score). */
export function updateBinaryCbpe(sums: BinaryCbpeSums, score: number, calibrated: number): void {
  addBinaryCbpeCount(sums, score, calibrated, 1);
}

/**
 * Adds `count` events of one raw score (so one calibrated probability) at once: the same
 * sums as `count` updateBinaryCbpe calls (Σ p̂ and Σ p̂² as count × p̂, rounded once).
 */
export function addBinaryCbpeCount(
  sums: BinaryCbpeSums,
  score: number,
  calibrated: number,
  count: number,
): void {
  if (!Number.isFinite(score) || !(calibrated >= 0 && calibrated <= 1))
    throw new RangeError(`cbpe: score ${score} with calibrated probability ${calibrated}`);
  if (!(Number.isInteger(count) && count >= 0))
    throw new RangeError(`cbpe: count ${count} is not a whole number >= 0`);
  if (count === 0) return;
  addProbabilities(
    score >= sums.threshold ? sums.predictedPositive : sums.predictedNegative,
    calibrated,
    count,
  );
  const row = sums.scores.get(score);
  if (row) addProbabilities(row, calibrated, count);
  else
    sums.scores.set(score, {
      count,
      sum: count * calibrated,
      squareSum: count * calibrated * calibrated,
    });
}

export function mergeBinaryCbpe(a: BinaryCbpeSums, b: BinaryCbpeSums): BinaryCbpeSums {
  if (a.threshold !== b.threshold)
    throw new RangeError(`cbpe: cannot merge thresholds ${a.threshold} and ${b.threshold}`);
  const scores = new Map(a.scores);
  for (const [score, row] of b.scores)
    scores.set(score, mergedProbabilities(scores.get(score) ?? emptyProbabilitySums(), row));
  return {
    threshold: a.threshold,
    predictedPositive: mergedProbabilities(a.predictedPositive, b.predictedPositive),
    predictedNegative: mergedProbabilities(a.predictedNegative, b.predictedNegative),
    scores,
  };
}

/** CBPE on a window's raw scores (non-finite scores are skipped, as nulls are). */
export function estimateBinary(
  calibration: IsotonicCalibration,
  scores: readonly number[],
  threshold: number,
  options: CbpeOptions = {},
): BinaryEstimate {
  const sums = emptyBinaryCbpe(threshold);
  for (const score of scores)
    if (Number.isFinite(score)) updateBinaryCbpe(sums, score, calibrate(calibration, score));
  return estimateBinaryFromSums(sums, options);
}

/** CBPE from exact sums: every estimate exact (lower = upper). */
export function estimateBinaryFromSums(
  sums: BinaryCbpeSums,
  options: CbpeOptions = {},
): BinaryEstimate {
  const side = (s: ProbabilitySums) => ({
    count: s.count,
    positive: exact(s.sum),
    variance: bernoulliVariance(s),
  });
  const cells = [...sums.scores].map(([score, row]) => exactScoreCell(score, row));
  return binaryEstimate(
    confusionOf(side(sums.predictedPositive), side(sums.predictedNegative)),
    cells,
    options,
  );
}

/**
 * CBPE from distinct raw scores with their row counts, without the accumulator's Map: the
 * same sums in the same order as addBinaryCbpeCount once per distinct score (in the order
 * given) followed by estimateBinaryFromSums, so the same bits.
 */
export function estimateBinaryOfScoreCounts(
  calibration: IsotonicCalibration,
  counts: { score: Float64Array; count: Float64Array },
  threshold: number,
  options: CbpeOptions = {},
): BinaryEstimate {
  const predictedPositive = emptyProbabilitySums();
  const predictedNegative = emptyProbabilitySums();
  const cells: ExpectedScoreCell[] = [];
  for (let r = 0; r < counts.score.length; r += 1) {
    const score = counts.score[r] ?? NaN;
    const count = counts.count[r] ?? 0;
    const calibrated = calibrate(calibration, score);
    if (!Number.isFinite(score) || !(calibrated >= 0 && calibrated <= 1))
      throw new RangeError(`cbpe: score ${score} with calibrated probability ${calibrated}`);
    if (count === 0) continue;
    addProbabilities(score >= threshold ? predictedPositive : predictedNegative, calibrated, count);
    cells.push(
      exactScoreCell(score, {
        count,
        sum: count * calibrated,
        squareSum: count * calibrated * calibrated,
      }),
    );
  }
  const side = (s: ProbabilitySums) => ({
    count: s.count,
    positive: exact(s.sum),
    variance: bernoulliVariance(s),
  });
  return binaryEstimate(
    confusionOf(side(predictedPositive), side(predictedNegative)),
    cells,
    options,
  );
}

/**
 * A summary's score cell of calibrated sums: scores in [scoreMin, scoreMax], with the count,
 * Σ p̂ and Σ p̂² of its events (exact sums, filled where the calibration was applied). The
 * order of p̂ inside the cell is unknown (a multiclass p̂ is not monotone in one class's
 * score), so the AUROC's pairs inside it are bracketed.
 */
export function summaryScoreCell(
  scoreMin: number,
  scoreMax: number,
  sums: ProbabilitySums,
): ExpectedScoreCell {
  return {
    scoreMin,
    scoreMax,
    count: sums.count,
    positive: exact(sums.sum),
    monotoneSpread: null,
    variance: exact(bernoulliVariance(sums)),
  };
}

function exactScoreCell(score: number, row: ProbabilitySums): ExpectedScoreCell {
  return {
    scoreMin: score,
    scoreMax: score,
    count: row.count,
    positive: exact(row.sum),
    monotoneSpread: 0,
    variance: exact(bernoulliVariance(row)),
  };
}

// ---- binary from raw score cells --------------------------------------------------------

/**
 * CBPE from a window's raw score cells (count, Σ score, min, max: the summaries' score
 * cells) and the calibration, bracketed:
 * - a cell's Σ p̂ is bracketed by g's envelopes (calibratedSumBounds), exact when no knot of
 *   g lies strictly inside the cell;
 * - a cell below the threshold (max < t) adds to E[FN] and E[TN], one at or above (min ≥ t)
 *   to E[TP] and E[FP]; a straddling cell's events split in an unknown way: its events at or
 *   above t have p̂ in [g(t), g(max)], those below in [g(min), g(t)], so it adds
 *   [0, min(m·g(max), Σp̂_hi)] to TP, [0, m(1 − g(t))] to FP, [0, min(m·g(t), Σp̂_hi)] to FN
 *   and [0, m(1 − g(min))] to TN;
 * - each metric is non-decreasing in TP and TN and non-increasing in FP and FN (accuracy =
 *   (TP + TN)/n with n known), so its bracket is its value at the two corners of the box;
 * - Σ p̂(1 − p̂): h(p) = p(1 − p) is concave, so Σ h ≤ m·h(mean p̂) over the mean's interval
 *   (Jensen) and ≥ m times its chord over [g(min), g(max)]; the band takes the upper bound.
 * So with cells split at the threshold and at g's knots, E[TP], E[FP], E[FN], E[TN],
 * accuracy, precision, recall and F1 are exact; the AUROC is exact where g is flat and
 * bracketed on g's ramps (aurocCells, the monotone case).
 */
export function estimateBinaryFromCells(
  calibration: IsotonicCalibration,
  cells: readonly ValueCell[],
  threshold: number,
  options: CbpeOptions = {},
): BinaryEstimate {
  const atThreshold = calibrate(calibration, threshold);
  let tp = exact(0);
  let fp = exact(0);
  let fn = exact(0);
  let tn = exact(0);
  let positiveVariance = 0;
  let negativeVariance = 0;
  let n = 0;
  const scoreCells: ExpectedScoreCell[] = [];
  for (const cell of cells) {
    if (cell.count === 0) continue;
    n += cell.count;
    const expected = expectedScoreCell(calibration, cell);
    scoreCells.push(expected);
    const m = cell.count;
    const complement = { lower: m - expected.positive.upper, upper: m - expected.positive.lower };
    if (cell.min >= threshold) {
      tp = add(tp, expected.positive);
      fp = add(fp, complement);
      positiveVariance += expected.variance.upper;
    } else if (cell.max < threshold) {
      fn = add(fn, expected.positive);
      tn = add(tn, complement);
      negativeVariance += expected.variance.upper;
    } else {
      const high = expected.positive.upper;
      tp = add(tp, { lower: 0, upper: Math.min(m * calibrate(calibration, cell.max), high) });
      fp = add(fp, { lower: 0, upper: m * (1 - atThreshold) });
      fn = add(fn, { lower: 0, upper: Math.min(m * atThreshold, high) });
      tn = add(tn, { lower: 0, upper: m * (1 - calibrate(calibration, cell.min)) });
      positiveVariance += expected.variance.upper;
      negativeVariance += expected.variance.upper;
    }
  }
  return binaryEstimate(
    { n, tp, fp, fn, tn, positiveVariance, negativeVariance },
    scoreCells,
    options,
  );
}

function expectedScoreCell(calibration: IsotonicCalibration, cell: ValueCell): ExpectedScoreCell {
  const positive = calibratedSumBounds(calibration, cell);
  const low = calibrate(calibration, cell.min);
  const high = calibrate(calibration, cell.max);
  return {
    scoreMin: cell.min,
    scoreMax: cell.max,
    count: cell.count,
    positive,
    monotoneSpread: high - low,
    variance: bernoulliVarianceBounds(cell.count, positive, low, high),
  };
}

/** Σ p(1 − p) over m probabilities in [low, high] whose sum lies in `sum`. */
function bernoulliVarianceBounds(m: number, sum: Interval, low: number, high: number): Interval {
  const h = (p: number) => p * (1 - p);
  const meanLow = sum.lower / m;
  const meanHigh = sum.upper / m;
  const upper = m * (meanLow <= 0.5 && 0.5 <= meanHigh ? 0.25 : Math.max(h(meanLow), h(meanHigh)));
  if (low === high) return { lower: m * h(low), upper: m * h(low) };
  const chordAt = (p: number) => h(low) + ((h(high) - h(low)) * (p - low)) / (high - low);
  const lower = m * Math.min(chordAt(meanLow), chordAt(meanHigh));
  return { lower: Math.max(0, Math.min(lower, upper)), upper };
}

// ---- binary: the estimate from expected counts ------------------------------------------

interface ConfusionWithVariance extends ExpectedConfusion {
  n: number;
  /** Upper bounds of Var(realized TP) and Var(realized FN) given the scores. */
  positiveVariance: number;
  negativeVariance: number;
}

function confusionOf(
  positives: { count: number; positive: Interval; variance: number },
  negatives: { count: number; positive: Interval; variance: number },
): ConfusionWithVariance {
  const complement = (side: typeof positives) => ({
    lower: side.count - side.positive.upper,
    upper: side.count - side.positive.lower,
  });
  return {
    n: positives.count + negatives.count,
    tp: positives.positive,
    fp: complement(positives),
    fn: negatives.positive,
    tn: complement(negatives),
    positiveVariance: positives.variance,
    negativeVariance: negatives.variance,
  };
}

function binaryEstimate(
  confusion: ConfusionWithVariance,
  scoreCells: readonly ExpectedScoreCell[],
  options: CbpeOptions,
): BinaryEstimate {
  const z = options.bandWidth ?? DEFAULT_BAND_WIDTH;
  const metrics = confusionMetrics(confusion);
  const sigmas = confusionSigmas(confusion);
  return {
    n: confusion.n,
    expected: { tp: confusion.tp, fp: confusion.fp, fn: confusion.fn, tn: confusion.tn },
    accuracy: estimateOf(metrics.accuracy, sigmas.accuracy, z),
    precision: estimateOf(metrics.precision, sigmas.precision, z),
    recall: estimateOf(metrics.recall, sigmas.recall, z),
    f1: estimateOf(metrics.f1, sigmas.f1, z),
    roc_auc: expectedAuroc(scoreCells, z),
  };
}

type ConfusionMetric = 'accuracy' | 'precision' | 'recall' | 'f1';

/** Each metric at the expected counts, over the box: lowest at (TP, TN low; FP, FN high). */
function confusionMetrics(c: ConfusionWithVariance): Record<ConfusionMetric, Interval> {
  const at = (tp: number, fp: number, fn: number, tn: number) => ({
    accuracy: c.n === 0 ? NaN : (tp + tn) / c.n,
    precision: ratioOrZero(tp, tp + fp),
    recall: ratioOrZero(tp, tp + fn),
    f1: ratioOrZero(2 * tp, 2 * tp + fp + fn),
  });
  const low = at(c.tp.lower, c.fp.upper, c.fn.upper, c.tn.lower);
  const high = at(c.tp.upper, c.fp.lower, c.fn.lower, c.tn.upper);
  const range = (key: ConfusionMetric) => ({
    lower: low[key],
    upper: Math.max(low[key], high[key]),
  });
  return {
    accuracy: range('accuracy'),
    precision: range('precision'),
    recall: range('recall'),
    f1: range('f1'),
  };
}

/**
 * Delta-method standard errors at the expected counts (T = TP, N = FN, PP = TP + FP, all at
 * their midpoints), from V_T = Var(TP) and V_N = Var(FN), independent:
 * accuracy (TP + TN)/n with TN = NP − FN: (V_T + V_N)/n²; precision TP/PP: V_T/PP²;
 * recall T/(T + N): (N²V_T + T²V_N)/(T + N)⁴; F1 2T/(PP + T + N):
 * 4((PP + N)²V_T + T²V_N)/(PP + T + N)⁴.
 */
function confusionSigmas(c: ConfusionWithVariance): Record<ConfusionMetric, number> {
  const t = midpoint(c.tp);
  const f = midpoint(c.fp);
  const fn = midpoint(c.fn);
  const vt = c.positiveVariance;
  const vn = c.negativeVariance;
  const pp = t + f;
  const actual = t + fn;
  const f1Denominator = pp + t + fn;
  return {
    accuracy: c.n === 0 ? 0 : Math.sqrt(vt + vn) / c.n,
    precision: pp === 0 ? 0 : Math.sqrt(vt) / pp,
    recall: actual === 0 ? 0 : Math.sqrt(fn * fn * vt + t * t * vn) / actual ** 2,
    f1:
      f1Denominator === 0
        ? 0
        : (2 * Math.sqrt((pp + fn) ** 2 * vt + t * t * vn)) / f1Denominator ** 2,
  };
}

function estimateOf(interval: Interval, sigma: number, z: number): Estimate {
  const bracket = bracketOf(interval);
  return {
    ...bracket,
    sigma,
    band: {
      lower: Math.max(0, bracket.lower - z * sigma),
      upper: Math.min(1, bracket.upper + z * sigma),
    },
  };
}

/**
 * The expected AUROC, bracketed (aurocCells), and its delta-method standard error. The
 * realized AUROC is A(y) = U(y) / (P(y)·N(y)); at y = p̂ its derivative in one event k's
 * label is a_k / (PN) − A(1/P − 1/N), with a_k = (expected negatives scored below k, ties
 * half) − (expected positives scored above k, ties half), so Var ≈ Σ_k (∂A/∂y_k)² p̂_k(1 − p̂_k).
 * Events of one cell share one a (the cell counted as tied with itself): exact for cells of
 * one score; for wider cells an approximation of the band, not of the estimate.
 */
function expectedAuroc(cells: readonly ExpectedScoreCell[], z: number): Estimate {
  const bracket = aurocBracketFromCells(cells);
  if (Number.isNaN(bracket.value))
    return { ...bracket, sigma: NaN, band: { lower: NaN, upper: NaN } };
  const ordered = [...cells]
    .filter((cell) => cell.count > 0)
    .sort((a, b) => a.scoreMin + a.scoreMax - (b.scoreMin + b.scoreMax));
  const weights = ordered.map((cell) => midpoint(cell.positive));
  const positives = weights.reduce((total, w) => total + w, 0);
  const n = ordered.reduce((total, cell) => total + cell.count, 0);
  const negatives = n - positives;
  if (!(positives > 0 && negatives > 0)) return estimateOf(bracket, 0, z);
  const shift = bracket.value * (1 / positives - 1 / negatives);
  let negativesBelow = 0;
  let positivesAbove = positives;
  let variance = 0;
  ordered.forEach((cell, i) => {
    const w = weights[i] ?? 0;
    const own = cell.count - w;
    positivesAbove -= w;
    const a = negativesBelow + own / 2 - positivesAbove - w / 2;
    const derivative = a / (positives * negatives) - shift;
    variance += derivative * derivative * cell.variance.upper;
    negativesBelow += own;
  });
  return estimateOf(bracket, Math.sqrt(variance), z);
}

/** True when a realized value lies outside the estimate's band: the estimator was wrong. */
export function outsideBand(estimate: Estimate, realized: number): boolean {
  return realized < estimate.band.lower || realized > estimate.band.upper;
}

// ---- multiclass --------------------------------------------------------------------------

/**
 * Each event's class probabilities: every class's calibration applied to its score, divided
 * by their sum (uniform 1/K when every calibrated probability is 0), as NannyML does.
 */
export function calibrateClasses(
  calibrations: readonly IsotonicCalibration[],
  scores: readonly number[],
): number[] {
  const calibrated = calibrations.map((calibration, j) => calibrate(calibration, scores[j] ?? NaN));
  const total = calibrated.reduce((sum, p) => sum + p, 0);
  return total === 0
    ? calibrated.map(() => 1 / calibrated.length)
    : calibrated.map((p) => p / total);
}

/**
 * The multiclass window's sums, exact and mergeable: for the events predicted each class k,
 * their count and per class j Σ p̂_j and Σ p̂_j²; per class j, the same per distinct score
 * of column j (expected one-vs-rest AUROC). Ingest would fill them with the baseline's
 * calibrations; the normalisation needs every class score of an event at once.
 */
export interface MulticlassCbpeSums {
  classes: readonly string[];
  predicted: { count: number; sums: number[]; squareSums: number[] }[];
  scores: Map<number, ProbabilitySums>[];
}

export function emptyMulticlassCbpe(classes: readonly string[]): MulticlassCbpeSums {
  const k = classes.length;
  return {
    classes,
    predicted: classes.map(() => ({
      count: 0,
      sums: new Array<number>(k).fill(0),
      squareSums: new Array<number>(k).fill(0),
    })),
    scores: classes.map(() => new Map()),
  };
}

/** Adds one event: its predicted class, calibrated probabilities and raw class scores. */
export function updateMulticlassCbpe(
  sums: MulticlassCbpeSums,
  predicted: string,
  calibrated: readonly number[],
  scores: readonly number[],
): void {
  addMulticlassCbpeCount(sums, predicted, calibrated, scores, 1);
}

/**
 * Adds `count` events with the same predicted class and class scores at once: the same sums
 * as `count` updateMulticlassCbpe calls (each Σ as count × term, rounded once).
 */
export function addMulticlassCbpeCount(
  sums: MulticlassCbpeSums,
  predicted: string,
  calibrated: readonly number[],
  scores: readonly number[],
  count: number,
): void {
  if (!(Number.isInteger(count) && count >= 0))
    throw new RangeError(`cbpe: count ${count} is not a whole number >= 0`);
  const k = sums.classes.indexOf(predicted);
  const row = sums.predicted[k];
  if (row === undefined)
    throw new RangeError(
      `cbpe: predicted class ${predicted} is not one of ${sums.classes.join(', ')}`,
    );
  if (count === 0) return;
  row.count += count;
  calibrated.forEach((p, j) => {
    row.sums[j] = (row.sums[j] ?? 0) + count * p;
    row.squareSums[j] = (row.squareSums[j] ?? 0) + count * p * p;
    const score = scores[j] ?? NaN;
    const column = sums.scores[j];
    if (column === undefined || !Number.isFinite(score)) return;
    const cell = column.get(score) ?? emptyProbabilitySums();
    addProbabilities(cell, p, count);
    column.set(score, cell);
  });
}

export function mergeMulticlassCbpe(
  a: MulticlassCbpeSums,
  b: MulticlassCbpeSums,
): MulticlassCbpeSums {
  if (a.classes.join('\u0000') !== b.classes.join('\u0000'))
    throw new RangeError('cbpe: cannot merge sums over different classes');
  const plus = (x: readonly number[], y: readonly number[]) => x.map((v, i) => v + (y[i] ?? 0));
  return {
    classes: a.classes,
    predicted: a.predicted.map((row, k) => {
      const other = b.predicted[k] ?? { count: 0, sums: [], squareSums: [] };
      return {
        count: row.count + other.count,
        sums: plus(row.sums, other.sums),
        squareSums: plus(row.squareSums, other.squareSums),
      };
    }),
    scores: a.scores.map((column, j) => {
      const merged = new Map(column);
      for (const [score, cell] of b.scores[j] ?? new Map<number, ProbabilitySums>())
        merged.set(score, mergedProbabilities(merged.get(score) ?? emptyProbabilitySums(), cell));
      return merged;
    }),
  };
}

export interface MulticlassEstimate {
  n: number;
  classes: readonly string[];
  /** Each class against the rest, 'predicted that class' as the predicted positive. */
  per_class: (BinaryEstimate & { class: string })[];
  accuracy: Estimate;
  precision_macro: Estimate;
  recall_macro: Estimate;
  f1_macro: Estimate;
  /** NaN when a class has no expected positive or negative (or no score column). */
  roc_auc_ovr: Estimate;
}

/** CBPE on a multiclass window: predictions and, per event, the class scores in class order. */
export function estimateMulticlass(
  calibrations: readonly IsotonicCalibration[],
  classes: readonly string[],
  predictions: readonly string[],
  classScores: readonly (readonly number[])[],
  options: CbpeOptions = {},
): MulticlassEstimate {
  const sums = emptyMulticlassCbpe(classes);
  predictions.forEach((predicted, i) => {
    const scores = classScores[i] ?? [];
    updateMulticlassCbpe(sums, predicted, calibrateClasses(calibrations, scores), scores);
  });
  return estimateMulticlassFromSums(sums, options);
}

/**
 * CBPE from the multiclass sums. Per class j: E[TP_j] = Σ p̂_j over events predicted j,
 * E[FP_j] = their count − that, E[FN_j] = Σ p̂_j over the others, E[TN_j] = the others'
 * count − that; variances Σ p̂_j − Σ p̂_j². Accuracy = Σ_j E[TP_j] / n with variance
 * Σ_j V_TP_j / n² (each event's correctness is Bernoulli(p̂ of its predicted class)).
 * The macro metrics' standard error is the mean of the classes' (the standard deviation of a
 * sum is at most the sum of the standard deviations: Minkowski), so their bands are wide
 * enough whatever the correlation between classes.
 */
export function estimateMulticlassFromSums(
  sums: MulticlassCbpeSums,
  options: CbpeOptions = {},
  /**
   * Per class, score cells of its column with Σ p̂ and Σ p̂² (summaryScoreCell), in place of
   * sums.scores' distinct scores: the expected AUROC is then bracketed.
   */
  scoreCells?: readonly (readonly ExpectedScoreCell[])[],
): MulticlassEstimate {
  const z = options.bandWidth ?? DEFAULT_BAND_WIDTH;
  const n = sums.predicted.reduce((total, row) => total + row.count, 0);
  let correct = 0;
  let variance = 0;
  const perClass = sums.classes.map((name, j) => {
    const { predicted, others } = oneVersusRest(sums, j);
    correct += predicted.sum;
    variance += bernoulliVariance(predicted);
    const side = (s: ProbabilitySums) => ({
      count: s.count,
      positive: exact(s.sum),
      variance: bernoulliVariance(s),
    });
    const cells =
      scoreCells?.[j] ??
      [...(sums.scores[j] ?? [])].map(([score, row]) => exactScoreCell(score, row));
    const estimate = binaryEstimate(confusionOf(side(predicted), side(others)), cells, {
      bandWidth: z,
    });
    return { class: name, ...estimate };
  });
  const accuracy = n === 0 ? NaN : correct / n;
  return {
    n,
    classes: sums.classes,
    per_class: perClass,
    accuracy: estimateOf(exact(accuracy), n === 0 ? 0 : Math.sqrt(variance) / n, z),
    precision_macro: macroEstimate(
      perClass.map((c) => c.precision),
      z,
    ),
    recall_macro: macroEstimate(
      perClass.map((c) => c.recall),
      z,
    ),
    f1_macro: macroEstimate(
      perClass.map((c) => c.f1),
      z,
    ),
    roc_auc_ovr: macroEstimate(
      perClass.map((c) => c.roc_auc),
      z,
    ),
  };
}

/** Class j's probability sums over the events predicted j and over all the others. */
function oneVersusRest(
  sums: MulticlassCbpeSums,
  j: number,
): { predicted: ProbabilitySums; others: ProbabilitySums } {
  const predicted = emptyProbabilitySums();
  const others = emptyProbabilitySums();
  sums.predicted.forEach((row, k) => {
    const side = k === j ? predicted : others;
    side.count += row.count;
    side.sum += row.sums[j] ?? 0;
    side.squareSum += row.squareSums[j] ?? 0;
  });
  return { predicted, others };
}

function macroEstimate(estimates: readonly Estimate[], z: number): Estimate {
  const mean = (values: number[]) => values.reduce((total, v) => total + v, 0) / values.length;
  return estimateOf(
    { lower: mean(estimates.map((e) => e.lower)), upper: mean(estimates.map((e) => e.upper)) },
    mean(estimates.map((e) => e.sigma)),
    z,
  );
}
