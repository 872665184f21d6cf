import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ValueCell } from './cellSums.js';
import {
  binaryQualityFromCells,
  binaryQualityMetrics,
  calibrationBin,
  emptyBinaryQuality,
  mergeBinaryQuality,
  updateBinaryQuality,
  type BinaryQualityMetrics,
  type BinaryQualityOptions,
  type BinaryQualitySums,
} from './classificationQuality.js';
import { expectClose } from './oracle.testing.js';
import {
  expectCloseOrUndefined,
  expectWithin,
  parseTaskCases,
  summaryScoreKey,
  type BinaryTaskCase,
} from './taskOracle.testing.js';

const cases = parseTaskCases(
  readFileSync(new URL('../../test/fixtures/task-cases.json', import.meta.url), 'utf8'),
).binary;

function accumulate(
  scores: readonly number[],
  labels: readonly number[],
  options: BinaryQualityOptions,
): BinaryQualitySums {
  const sums = emptyBinaryQuality(options);
  scores.forEach((score, i) => updateBinaryQuality(sums, score, labels[i] ?? 0));
  return sums;
}

function optionsOf(c: BinaryTaskCase): BinaryQualityOptions {
  return { threshold: c.threshold, calibrationBins: c.expected.calibration.n_bins };
}

function expectMatchesSklearn(metrics: BinaryQualityMetrics, c: BinaryTaskCase): void {
  const e = c.expected;
  expectCloseOrUndefined(metrics.roc_auc, e.roc_auc, `${c.name} roc_auc`);
  for (const key of ['accuracy', 'precision', 'recall', 'f1', 'log_loss', 'brier_score'] as const)
    expectClose(metrics[key], e[key], `${c.name} ${key}`);
  expect(metrics.confusion).toEqual(e.confusion);
  expectClose(metrics.ece, e.calibration.ece, `${c.name} ece`);
  expect(metrics.reliability.map((p) => p.count)).toEqual(
    e.calibration.bin_counts.filter((count) => count > 0),
  );
  metrics.reliability.forEach((point, i) => {
    expectClose(point.prob_true, e.calibration.prob_true[i] ?? NaN, `${c.name} prob_true[${i}]`);
    expectClose(point.prob_pred, e.calibration.prob_pred[i] ?? NaN, `${c.name} prob_pred[${i}]`);
  });
}

/** One cell per (label, distinct score): what exact summaries hold. */
function distinctScoreCells(scores: readonly number[], labels: readonly number[]) {
  return labelledCells(scores, labels, (score) => score);
}

function labelledCells(
  scores: readonly number[],
  labels: readonly number[],
  keyOf: (score: number, index: number) => number,
): { positives: ValueCell[]; negatives: ValueCell[] } {
  const groups = [new Map<number, ValueCell>(), new Map<number, ValueCell>()];
  scores.forEach((score, i) => {
    const group = groups[labels[i] === 1 ? 0 : 1] as Map<number, ValueCell>;
    const key = keyOf(score, i);
    const cell = group.get(key);
    if (cell === undefined) group.set(key, { count: 1, sum: score, min: score, max: score });
    else {
      cell.count += 1;
      cell.sum += score;
      cell.min = Math.min(cell.min, score);
      cell.max = Math.max(cell.max, score);
    }
  });
  return {
    positives: [...(groups[0]?.values() ?? [])],
    negatives: [...(groups[1]?.values() ?? [])],
  };
}

describe('binary classification quality against scikit-learn 1.2', () => {
  it.each(cases)('$name ($note)', (c) => {
    expectMatchesSklearn(binaryQualityMetrics(accumulate(c.scores, c.labels, optionsOf(c))), c);
  });

  it.each(cases)('$name: merged from three parts in any order, the same', (c) => {
    const third = Math.ceil(c.scores.length / 3);
    const part = (k: number) =>
      accumulate(
        c.scores.slice(k * third, (k + 1) * third),
        c.labels.slice(k * third, (k + 1) * third),
        optionsOf(c),
      );
    const merged = mergeBinaryQuality(part(2), mergeBinaryQuality(part(0), part(1)));
    expectMatchesSklearn(binaryQualityMetrics(merged), c);
  });

  it.each(cases)('$name: exact from cells of one distinct score each', (c) => {
    const brackets = binaryQualityFromCells(distinctScoreCells(c.scores, c.labels), optionsOf(c));
    for (const key of [
      'accuracy',
      'precision',
      'recall',
      'f1',
      'log_loss',
      'brier_score',
    ] as const) {
      expect(brackets[key].lower, `${c.name} ${key}`).toBe(brackets[key].upper);
      expectClose(brackets[key].value, c.expected[key], `${c.name} ${key}`);
    }
    expect(brackets.ece.lower).toBe(brackets.ece.upper);
    expectClose(brackets.ece.value, c.expected.calibration.ece, `${c.name} ece`);
    expectCloseOrUndefined(brackets.roc_auc.value, c.expected.roc_auc, `${c.name} roc_auc`);
    if (c.expected.roc_auc !== null) expect(brackets.roc_auc.lower).toBe(brackets.roc_auc.upper);
  });

  it('bins a score on an edge below it, as numpy.linspace edges and searchsorted do', () => {
    for (const c of cases) {
      const { n_bins, bin_edges } = c.expected.calibration;
      bin_edges.slice(1, -1).forEach((edge, k) => {
        expect(calibrationBin(edge, n_bins), `${n_bins} bins, edge ${edge}`).toBe(k);
        expect(calibrationBin(edge + 2 ** -52, n_bins)).toBe(k + 1);
      });
      expect(calibrationBin(0, n_bins)).toBe(0);
      expect(calibrationBin(1, n_bins)).toBe(n_bins - 1);
    }
  });

  it('refuses a score outside [0, 1], a label not 0 or 1, and merging other options', () => {
    const sums = emptyBinaryQuality({ threshold: 0.5, calibrationBins: 10 });
    expect(() => updateBinaryQuality(sums, 1.5, 1)).toThrow(/1.5 is not a probability/);
    expect(() => updateBinaryQuality(sums, NaN, 1)).toThrow(RangeError);
    expect(() => updateBinaryQuality(sums, 0.5, 2)).toThrow(/label 2/);
    expect(() =>
      mergeBinaryQuality(sums, emptyBinaryQuality({ threshold: 0.4, calibrationBins: 10 })),
    ).toThrow(/cannot merge/);
    expect(() => emptyBinaryQuality({ threshold: 0.5, calibrationBins: 0 })).toThrow(/bins/);
  });
});

// ---- brackets from bucketed cells ---------------------------------------------------------

const threshold = 0.5;
const options = { threshold, calibrationBins: 10 };

/** Scores with the adversarial values: ties, the threshold, bin edges, 0, 1, tiny, near 1. */
const score = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(
    0,
    1,
    threshold,
    0.1,
    0.2,
    0.30000000000000004,
    0.3,
    1e-300,
    2 ** -53,
    1 - 2 ** -53,
  ),
  fc.integer({ min: 0, max: 20 }).map((k) => k / 20),
);
const events = fc.array(fc.tuple(score, fc.integer({ min: 0, max: 1 })), {
  minLength: 1,
  maxLength: 150,
});

/** Three bucketings: the summaries' 1/128 grid split at t, runs of sorted values, any groups. */
const bucketing = fc.oneof(
  fc.constant('summary' as const),
  fc.integer({ min: 1, max: 40 }).map((width) => ({ runs: width })),
  fc.integer({ min: 1, max: 6 }).map((groups) => ({ groups })),
);

function keyFor(
  chosen: 'summary' | { runs: number } | { groups: number },
  scores: readonly number[],
): (score: number, index: number) => number {
  if (chosen === 'summary') return summaryScoreKey(threshold);
  if ('runs' in chosen) {
    const rank = new Map([...scores].sort((a, b) => a - b).map((s, i) => [s, i]));
    return (s) => Math.floor((rank.get(s) ?? 0) / chosen.runs);
  }
  return (_s, i) => (i * 7919) % chosen.groups;
}

describe('binary quality brackets from score cells', () => {
  it('contain the exact value for any cells of any events', () => {
    fc.assert(
      fc.property(events, bucketing, (pairs, chosen) => {
        const scores = pairs.map(([s]) => s);
        const labels = pairs.map(([, y]) => y);
        const exactMetrics = binaryQualityMetrics(accumulate(scores, labels, options));
        const brackets = binaryQualityFromCells(
          labelledCells(scores, labels, keyFor(chosen, scores)),
          options,
        );
        for (const key of [
          'accuracy',
          'precision',
          'recall',
          'f1',
          'log_loss',
          'brier_score',
        ] as const)
          expectWithin(exactMetrics[key], brackets[key], key);
        expectWithin(exactMetrics.ece, brackets.ece, 'ece');
        if (!Number.isNaN(exactMetrics.roc_auc))
          expectWithin(exactMetrics.roc_auc, brackets.roc_auc, 'roc_auc');
        else expect(brackets.roc_auc.value).toBeNaN();
        for (const key of ['tp', 'fp', 'fn', 'tn'] as const)
          expectWithin(exactMetrics.confusion[key], brackets.confusion[key], key);
      }),
      { numRuns: 400, seed: 19 },
    );
  });

  it('are exact at the threshold on the summaries grid, which splits there', () => {
    fc.assert(
      fc.property(events, (pairs) => {
        const scores = pairs.map(([s]) => s);
        const labels = pairs.map(([, y]) => y);
        const brackets = binaryQualityFromCells(
          labelledCells(scores, labels, summaryScoreKey(threshold)),
          options,
        );
        const exactMetrics = binaryQualityMetrics(accumulate(scores, labels, options));
        for (const key of ['accuracy', 'precision', 'recall', 'f1'] as const)
          expect(brackets[key].value).toBe(exactMetrics[key]);
      }),
      { numRuns: 200, seed: 20 },
    );
  });

  it('give the reliability curve over bins joined where a cell straddles an edge', () => {
    // two positives at 0.05 and 0.25 (bins 0 and 2) in one cell, three negatives at 0.15
    const cells = {
      positives: [{ count: 2, sum: 0.3, min: 0.05, max: 0.25 }],
      negatives: [{ count: 3, sum: 0.45, min: 0.15, max: 0.15 }],
    };
    const brackets = binaryQualityFromCells(cells, options);
    expect(brackets.reliability).toEqual([
      { fromBin: 0, toBin: 2, count: 5, prob_true: 0.4, prob_pred: 0.15 },
    ]);
    // joined bins: |2 − 0.75| / 5; apart: the negatives' |0 − 0.45| plus the positives'
    // Σ(1 − p) = 1.7, which the true bins reach: (0.95 + 0.45 + 0.75) / 5
    expectClose(brackets.ece.lower, 1.25 / 5, 'ece lower');
    expectClose(brackets.ece.upper, 2.15 / 5, 'ece upper');
    const exactEce = binaryQualityMetrics(
      accumulate([0.05, 0.25, 0.15, 0.15, 0.15], [1, 1, 0, 0, 0], options),
    ).ece;
    expectClose(exactEce, 2.15 / 5, 'exact ece');
  });
});
