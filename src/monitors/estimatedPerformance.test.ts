import { describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../demo/random.js';
import type { Samples } from '../drift/samples.js';
import type { Cell } from '../drift/cells.js';
import { DEFAULT_BAND_WIDTH, type BinaryEstimate } from '../stats/cbpe.js';
import { fitIsotonic } from '../stats/isotonic.js';
import { estimateSlices } from './estimatedPerformance.js';

/**
 * Issue 19's test of CBPE (item 3, "done when"): on generated data from a calibrated model
 * under covariate shift, the estimate lies within its band of the realized value in at least
 * 95% of windows. The band is the estimate ± 3 standard errors (DEFAULT_BAND_WIDTH: 99.7%
 * two-sided under a normal approximation), so 95% leaves room for the calibration's own error,
 * which the band does not hold. The windows are estimated as a monitor run estimates them:
 * from score cells built as the summaries build them (width 1/128, split at the threshold).
 */

const THRESHOLD = 0.5;
const WINDOWS = 200;
const EVENTS_PER_WINDOW = 1000;
const REFERENCE_EVENTS = 20_000;
const METRICS = ['roc_auc', 'accuracy', 'precision', 'recall', 'f1'] as const;
type MetricName = (typeof METRICS)[number];

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** A calibrated model: score = P(label 1 | x), x shifted by `shift`; labels drawn from `truth`. */
function draw(
  random: Random,
  n: number,
  shift: number,
  truth: (score: number) => number = (s) => s,
): { scores: number[]; labels: number[] } {
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const score = sigmoid(1.5 * random.normal(shift, 1) - 1);
    scores.push(score);
    labels.push(random.uniform() < truth(score) ? 1 : 0);
  }
  return { scores, labels };
}

/** The summaries' score cells (migration 0006): bucket floor(s·128)·2 + (s ≥ threshold). */
function summaryCells(scores: readonly number[]): Cell[] {
  const cells = new Map<number, Cell>();
  for (const s of scores) {
    const bucket = Math.floor(s * 128) * 2 + (s >= THRESHOLD ? 1 : 0);
    const cell = cells.get(bucket);
    if (cell) {
      cell.count += 1;
      cell.sum += s;
      cell.min = Math.min(cell.min, s);
      cell.max = Math.max(cell.max, s);
    } else cells.set(bucket, { count: 1, sum: s, min: s, max: s });
  }
  return [...cells.values()];
}

function samplesOf(scores: readonly number[]): Samples {
  const slice = {
    key: '',
    value: 'all',
    events: scores.length,
    firstEvent: null,
    lastEvent: null,
    score: summaryCells(scores),
    features: new Map(),
  };
  return { slices: new Map([['all', slice]]), featureNames: new Set() };
}

/** The realized metrics, written out: counts at the threshold, AUROC by ranks with ties half. */
function realized(
  scores: readonly number[],
  labels: readonly number[],
): Record<MetricName, number> {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  scores.forEach((s, i) => {
    const positive = labels[i] === 1;
    if (s >= THRESHOLD && positive) tp += 1;
    else if (s >= THRESHOLD) fp += 1;
    else if (positive) fn += 1;
    else tn += 1;
  });
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] ?? 0] === scores[order[start] ?? 0])
      end += 1;
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k += 1) if (labels[order[k] ?? 0] === 1) rankSum += meanRank;
    start = end + 1;
  }
  const positives = tp + fn;
  const negatives = fp + tn;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = positives === 0 ? 0 : tp / positives;
  return {
    roc_auc: (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives),
    accuracy: (tp + tn) / scores.length,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  };
}

/** Per metric, the share of windows whose realized value lies in the estimate's band. */
function coverage(
  truth?: (score: number) => number,
  bandWidth = DEFAULT_BAND_WIDTH,
): Record<MetricName, number> {
  const random = createRandom(20261207);
  const reference = draw(random, REFERENCE_EVENTS, 0);
  const calibration = fitIsotonic(reference.scores, reference.labels);
  const inside = Object.fromEntries(METRICS.map((m) => [m, 0])) as Record<MetricName, number>;
  for (let w = 0; w < WINDOWS; w += 1) {
    // covariate shift: from well below the reference's inputs to well above them
    const shift = -0.8 + (1.6 * w) / (WINDOWS - 1);
    const window = draw(random, EVENTS_PER_WINDOW, shift, truth);
    const [estimate] = estimateSlices(
      calibration,
      samplesOf(window.scores),
      THRESHOLD,
      bandWidth,
    ) as unknown as [BinaryEstimate];
    expect(estimate.n).toBe(EVENTS_PER_WINDOW);
    const actual = realized(window.scores, window.labels);
    for (const metric of METRICS) {
      const { band } = estimate[metric];
      if (actual[metric] >= band.lower && actual[metric] <= band.upper) inside[metric] += 1;
    }
  }
  return Object.fromEntries(METRICS.map((m) => [m, inside[m] / WINDOWS])) as Record<
    MetricName,
    number
  >;
}

describe('CBPE on a calibrated model under covariate shift (issue 19)', () => {
  it(`puts the realized value inside the estimate's ±${DEFAULT_BAND_WIDTH}σ band in at least 95% of ${WINDOWS} windows, for every metric`, () => {
    const shares = coverage();
    for (const metric of METRICS) expect(shares[metric], metric).toBeGreaterThanOrEqual(0.95);
  });

  it('is not wide for nothing: ±1σ (68% nominal) holds well under all of the windows', () => {
    // above 68% where the cells' bracket widens the band (it is drawn around the bracket):
    // the AUROC's most, its pairs inside a cell on a ramp of the calibration are bracketed
    const shares = coverage(undefined, 1);
    for (const metric of METRICS) {
      expect(shares[metric], metric).toBeGreaterThan(0.55);
      expect(shares[metric], metric).toBeLessThan(0.93);
    }
  });

  it('does not: under concept drift (P(label | score) changed), the bands miss the realized values', () => {
    // the same scores, labels now drawn from score²: the model over-predicts, CBPE cannot see it
    const shares = coverage((s) => s * s);
    expect(shares.accuracy).toBeLessThan(0.5);
    expect(shares.precision).toBeLessThan(0.5);
  });
});
