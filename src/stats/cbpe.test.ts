import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calibrateClasses,
  emptyBinaryCbpe,
  estimateBinary,
  estimateBinaryFromCells,
  estimateBinaryFromSums,
  emptyMulticlassCbpe,
  estimateMulticlass,
  estimateMulticlassFromSums,
  mergeBinaryCbpe,
  mergeMulticlassCbpe,
  summaryScoreCell,
  updateMulticlassCbpe,
  type ProbabilitySums,
  outsideBand,
  updateBinaryCbpe,
  type BinaryEstimate,
  type Estimate,
} from './cbpe.js';
import type { ValueCell } from './cellSums.js';
import {
  binaryQualityMetrics,
  emptyBinaryQuality,
  updateBinaryQuality,
} from './classificationQuality.js';
import { calibrate, fitIsotonic, type IsotonicCalibration } from './isotonic.js';
import {
  emptyMulticlassConfusion,
  emptyMulticlassScores,
  multiclassAuroc,
  multiclassMetrics,
  updateMulticlassConfusion,
  updateMulticlassScores,
} from './multiclass.js';
import { expectAbsolute, expectClose } from './oracle.testing.js';
import {
  cellsByKey,
  expectCloseOrUndefined,
  expectWithin,
  parseTaskCases,
  seededRandom,
  summaryScoreKey,
  type ExpectedConfusionCase,
} from './taskOracle.testing.js';

const fixture = parseTaskCases(
  readFileSync(new URL('../../test/fixtures/task-cases.json', import.meta.url), 'utf8'),
);

function expectConfusionMatches(
  estimate: Omit<BinaryEstimate, 'n'>,
  expected: ExpectedConfusionCase,
  label: string,
): void {
  for (const key of ['tp', 'fp', 'fn', 'tn'] as const) {
    expect(estimate.expected[key].lower, `${label} ${key} exact`).toBe(
      estimate.expected[key].upper,
    );
    expectClose(estimate.expected[key].lower, expected[key], `${label} ${key}`);
  }
  for (const key of ['accuracy', 'precision', 'recall', 'f1'] as const) {
    expect(estimate[key].lower).toBe(estimate[key].upper);
    expectClose(estimate[key].value, expected[key], `${label} ${key}`);
  }
  expectCloseOrUndefined(estimate.roc_auc.value, expected.roc_auc, `${label} roc_auc`);
}

describe('CBPE against the numpy oracle on scikit-learn calibrations', () => {
  for (const c of fixture.cbpe_binary) {
    const calibration = fitIsotonic(c.reference.scores, c.reference.labels);
    it.each(c.windows.map((w, i) => ({ ...w, i })))(`${c.name} window $i`, (window) => {
      window.scores.forEach((score, i) =>
        expectAbsolute(
          calibrate(calibration, score),
          window.expected.calibrated[i] ?? NaN,
          `g(${score})`,
          1e-12,
        ),
      );
      const estimate = estimateBinary(calibration, window.scores, c.threshold);
      expect(estimate.n).toBe(window.scores.length);
      expectConfusionMatches(estimate, window.expected, `${c.name} ${window.i}`);
      // NannyML's cumulative-sum formula agrees where no two scores tie
      if (window.expected.roc_auc_nannyml !== undefined)
        expectClose(estimate.roc_auc.value, window.expected.roc_auc_nannyml, 'nannyml roc_auc');
    });
  }

  for (const c of fixture.cbpe_multiclass) {
    const calibrations = c.classes.map((name) =>
      fitIsotonic(
        c.reference.class_scores[name] ?? [],
        c.reference.labels.map((label) => (label === name ? 1 : 0)),
      ),
    );
    it.each(c.windows.map((w, i) => ({ ...w, i })))(`${c.name} window $i`, (window) => {
      const rows = window.predictions.map((_, i) =>
        c.classes.map((name) => window.class_scores[name]?.[i] ?? NaN),
      );
      rows.forEach((row, i) =>
        calibrateClasses(calibrations, row).forEach((p, j) =>
          expectAbsolute(
            p,
            window.expected.calibrated[c.classes[j] ?? '']?.[i] ?? NaN,
            `p̂[${i}][${j}]`,
            1e-12,
          ),
        ),
      );
      const estimate = estimateMulticlass(calibrations, c.classes, window.predictions, rows);
      estimate.per_class.forEach((perClass, j) =>
        expectConfusionMatches(
          perClass,
          window.expected.per_class[j] as ExpectedConfusionCase,
          `${c.name} ${window.i} ${perClass.class}`,
        ),
      );
      for (const key of ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro'] as const)
        expectClose(estimate[key].value, window.expected[key], `${c.name} ${window.i} ${key}`);
      expectCloseOrUndefined(
        estimate.roc_auc_ovr.value,
        window.expected.roc_auc_ovr,
        'roc_auc_ovr',
      );
    });
  }
});

describe('CBPE sums merge', () => {
  it('gives the same estimate from merged halves as from the whole window', () => {
    const c = fixture.cbpe_binary[0];
    if (!c) throw new Error('no binary CBPE case');
    const calibration = fitIsotonic(c.reference.scores, c.reference.labels);
    const scores = c.windows[1]?.scores ?? [];
    const half = (from: number, to: number) => {
      const sums = emptyBinaryCbpe(c.threshold);
      for (const s of scores.slice(from, to)) updateBinaryCbpe(sums, s, calibrate(calibration, s));
      return sums;
    };
    const merged = estimateBinaryFromSums(mergeBinaryCbpe(half(200, scores.length), half(0, 200)));
    const whole = estimateBinary(calibration, scores, c.threshold);
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const) {
      expectClose(merged[key].value, whole[key].value, key, 1e-12);
      expectClose(merged[key].sigma, whole[key].sigma, `${key} sigma`, 1e-12);
    }
    expect(() => mergeBinaryCbpe(half(0, 1), emptyBinaryCbpe(0.2))).toThrow(/thresholds/);
  });
});

// ---- from score cells -------------------------------------------------------------------

/** g's knots and the threshold as split points: the cells the design note recommends. */
function knotAlignedKey(calibration: IsotonicCalibration, threshold: number) {
  const splits = [...calibration.x, threshold].sort((a, b) => a - b);
  const grid = summaryScoreKey(threshold);
  return (score: number) => {
    let below = 0;
    while (below < splits.length && (splits[below] ?? Infinity) <= score) below += 1;
    return grid(score) * 10_000 + below;
  };
}

function expectContains(exact: BinaryEstimate, cells: BinaryEstimate, label: string): void {
  for (const key of ['tp', 'fp', 'fn', 'tn'] as const)
    expectWithin(exact.expected[key].lower, cells.expected[key], `${label} ${key}`);
  for (const key of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const)
    if (!Number.isNaN(exact[key].value))
      expectWithin(exact[key].value, cells[key], `${label} ${key}`);
}

describe('CBPE from score cells', () => {
  const c = fixture.cbpe_binary[0];
  if (!c) throw new Error('no binary CBPE case');
  const calibration = fitIsotonic(c.reference.scores, c.reference.labels);

  it.each(c.windows.map((w, i) => ({ ...w, i })))(
    'window $i: brackets hold; exact on knots',
    (w) => {
      const exact = estimateBinary(calibration, w.scores, c.threshold);
      const grid = estimateBinaryFromCells(
        calibration,
        cellsByKey(w.scores, summaryScoreKey(c.threshold)),
        c.threshold,
      );
      expectContains(exact, grid, 'summary grid');
      const aligned = estimateBinaryFromCells(
        calibration,
        cellsByKey(w.scores, knotAlignedKey(calibration, c.threshold)),
        c.threshold,
      );
      expectContains(exact, aligned, 'knot-aligned');
      for (const key of ['accuracy', 'precision', 'recall', 'f1'] as const) {
        expectClose(
          aligned[key].lower,
          aligned[key].upper,
          `${key} exact on knot-aligned cells`,
          1e-12,
        );
        expectClose(aligned[key].value, exact[key].value, key, 1e-12);
      }
      const distinct = estimateBinaryFromCells(
        calibration,
        cellsByKey(w.scores, (s) => s),
        c.threshold,
      );
      expect(distinct.roc_auc.lower).toBe(distinct.roc_auc.upper);
      expectClose(
        distinct.roc_auc.value,
        exact.roc_auc.value,
        'roc_auc from distinct scores',
        1e-12,
      );
    },
  );

  it('brackets contain the per-event estimate for any reference, window and cells', () => {
    const grid = fc.integer({ min: 0, max: 50 }).map((k) => k / 50);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(grid, fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 60 }),
        fc.array(fc.oneof(grid, fc.double({ min: -0.1, max: 1.1, noNaN: true })), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom(0.3, 0.5, 0.52),
        (reference, scores, buckets, threshold) => {
          const fitted = fitIsotonic(
            reference.map(([s]) => s),
            reference.map(([, y]) => y),
          );
          const exact = estimateBinary(fitted, scores, threshold);
          const cells: ValueCell[] = cellsByKey(scores, (s) => Math.floor(s * buckets));
          expectContains(exact, estimateBinaryFromCells(fitted, cells, threshold), 'random cells');
        },
      ),
      { numRuns: 300, seed: 13 },
    );
  });
});

describe('multiclass CBPE from summary sums', () => {
  const c = fixture.cbpe_multiclass[0];
  if (!c) throw new Error('no multiclass CBPE case');
  const calibrations = c.classes.map((name) =>
    fitIsotonic(
      c.reference.class_scores[name] ?? [],
      c.reference.labels.map((label) => (label === name ? 1 : 0)),
    ),
  );

  it.each(c.windows.map((w, i) => ({ ...w, i })))(
    'window $i: merged sums are exact; 1/128 score cells bracket the AUROC',
    (w) => {
      const rows = w.predictions.map((_, i) =>
        c.classes.map((name) => w.class_scores[name]?.[i] ?? NaN),
      );
      const part = (from: number, to: number) => {
        const sums = emptyMulticlassCbpe(c.classes);
        for (let i = from; i < to; i += 1)
          updateMulticlassCbpe(
            sums,
            w.predictions[i] ?? '',
            calibrateClasses(calibrations, rows[i] ?? []),
            rows[i] ?? [],
          );
        return sums;
      };
      const half = Math.floor(rows.length / 2);
      const merged = mergeMulticlassCbpe(part(half, rows.length), part(0, half));
      const exact = estimateMulticlass(calibrations, c.classes, w.predictions, rows);
      const fromSums = estimateMulticlassFromSums(merged);
      for (const key of [
        'accuracy',
        'precision_macro',
        'recall_macro',
        'f1_macro',
        'roc_auc_ovr',
      ] as const)
        expectClose(fromSums[key].value, exact[key].value, key, 1e-12);

      // the wiring's cells: per class, 1/128 buckets of its score with Σ p̂ and Σ p̂²
      const cells = c.classes.map((_, j) => {
        const buckets = new Map<number, { min: number; max: number; sums: ProbabilitySums }>();
        rows.forEach((row) => {
          const score = row[j] ?? NaN;
          const p = calibrateClasses(calibrations, row)[j] ?? NaN;
          const key = Math.floor(score * 128);
          const cell = buckets.get(key) ?? {
            min: score,
            max: score,
            sums: { count: 0, sum: 0, squareSum: 0 },
          };
          cell.min = Math.min(cell.min, score);
          cell.max = Math.max(cell.max, score);
          cell.sums.count += 1;
          cell.sums.sum += p;
          cell.sums.squareSum += p * p;
          buckets.set(key, cell);
        });
        return [...buckets.values()].map((b) => summaryScoreCell(b.min, b.max, b.sums));
      });
      const bucketed = estimateMulticlassFromSums(merged, {}, cells);
      expectWithin(exact.roc_auc_ovr.value, bucketed.roc_auc_ovr, 'roc_auc_ovr from cells');
      expect(bucketed.roc_auc_ovr.upper - bucketed.roc_auc_ovr.lower).toBeLessThan(0.05);
      expectClose(bucketed.f1_macro.value, exact.f1_macro.value, 'f1_macro', 1e-12);
    },
  );
});

// ---- coverage: the band holds the realized metric --------------------------------------

/**
 * Covariate shift without concept drift: an event's true probability p is drawn as u^k
 * with k varying by window (the score distribution shifts), its label is Bernoulli(p), and
 * the model's score is a fixed monotone function of p, so P(y | score) never changes.
 */
function simulateBinary(options: {
  windows: number;
  size: number;
  distort: (p: number) => number;
}) {
  const random = seededRandom(20261206);
  const draw = (k: number) => {
    const p = random() ** k;
    return { score: options.distort(p), label: random() < p ? 1 : 0 };
  };
  const reference = Array.from({ length: 5000 }, () => draw(1));
  const calibration = fitIsotonic(
    reference.map((e) => e.score),
    reference.map((e) => e.label),
  );
  return Array.from({ length: options.windows }, (_, w) => {
    const k = 0.3 + (2.7 * w) / (options.windows - 1);
    return { calibration, events: Array.from({ length: options.size }, () => draw(k)) };
  });
}

const BINARY_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const;

function binaryCoverage(
  windows: ReturnType<typeof simulateBinary>,
  estimateOf: (calibration: IsotonicCalibration, scores: number[]) => BinaryEstimate,
  bandWidths: readonly number[],
) {
  const hits = bandWidths.map(() => Object.fromEntries(BINARY_METRICS.map((m) => [m, 0])));
  const counted = Object.fromEntries(BINARY_METRICS.map((m) => [m, 0]));
  for (const { calibration, events } of windows) {
    const scores = events.map((e) => e.score);
    const estimate = estimateOf(calibration, scores);
    const sums = emptyBinaryQuality({ threshold: 0.5, calibrationBins: 10 });
    for (const e of events) updateBinaryQuality(sums, e.score, e.label);
    const realized = binaryQualityMetrics(sums);
    for (const metric of BINARY_METRICS) {
      if (Number.isNaN(realized[metric])) continue;
      counted[metric] = (counted[metric] ?? 0) + 1;
      bandWidths.forEach((z, b) => {
        const e: Estimate = estimate[metric];
        const band = {
          lower: e.lower - z * e.sigma,
          upper: e.upper + z * e.sigma,
        };
        const row = hits[b] as Record<string, number>;
        if (realized[metric] >= band.lower && realized[metric] <= band.upper)
          row[metric] = (row[metric] ?? 0) + 1;
      });
    }
  }
  return bandWidths.map((z, b) => ({
    z,
    coverage: Object.fromEntries(
      BINARY_METRICS.map((m) => [
        m,
        ((hits[b] as Record<string, number>)[m] ?? 0) / (counted[m] ?? 1),
      ]),
    ) as Record<(typeof BINARY_METRICS)[number], number>,
  }));
}

describe('CBPE band coverage under covariate shift (no concept drift)', () => {
  it('holds the realized binary metrics in at least 95% of 400 windows, and ±1σ in about 68%', () => {
    const windows = simulateBinary({ windows: 400, size: 800, distort: (p) => p ** 0.6 });
    const [three, one] = binaryCoverage(
      windows,
      (calibration, scores) => estimateBinary(calibration, scores, 0.5),
      [3, 1],
    );
    for (const metric of BINARY_METRICS) {
      expect(three?.coverage[metric], `${metric} within ±3σ`).toBeGreaterThanOrEqual(0.95);
      // the standard error is the right size, not merely wide: ±1σ holds about 68%
      expect(one?.coverage[metric], `${metric} within ±1σ`).toBeGreaterThan(0.55);
      expect(one?.coverage[metric], `${metric} within ±1σ`).toBeLessThan(0.8);
    }
  });

  it('holds them from the summaries score cells too (band around the bracket)', () => {
    const windows = simulateBinary({ windows: 200, size: 800, distort: (p) => p });
    const [three] = binaryCoverage(
      windows,
      (calibration, scores) =>
        estimateBinaryFromCells(calibration, cellsByKey(scores, summaryScoreKey(0.5)), 0.5),
      [3],
    );
    for (const metric of BINARY_METRICS)
      expect(three?.coverage[metric], `${metric} within the band`).toBeGreaterThanOrEqual(0.95);
  });

  it('holds the realized multiclass metrics in at least 95% of 200 windows', () => {
    const random = seededRandom(7);
    const classes = ['ant', 'bee', 'wasp'];
    const draw = (shift: readonly number[]) => {
      const logits = classes.map((_, j) => 1.2 * gaussian(random) + (shift[j] ?? 0));
      const top = Math.max(...logits);
      const weights = logits.map((l) => Math.exp(l - top));
      const total = weights.reduce((t, w) => t + w, 0);
      const scores = weights.map((w) => w / total); // calibrated: P(label | scores) = scores
      let u = random();
      let label = classes.length - 1;
      for (let j = 0; j < classes.length; j += 1) {
        u -= scores[j] ?? 0;
        if (u < 0) {
          label = j;
          break;
        }
      }
      return { scores, label: classes[label] ?? '' };
    };
    const reference = Array.from({ length: 6000 }, () => draw([0, 0, 0]));
    const calibrations = classes.map((name, j) =>
      fitIsotonic(
        reference.map((e) => e.scores[j] ?? NaN),
        reference.map((e) => (e.label === name ? 1 : 0)),
      ),
    );
    const metrics = [
      'accuracy',
      'precision_macro',
      'recall_macro',
      'f1_macro',
      'roc_auc_ovr',
    ] as const;
    const hits = Object.fromEntries(metrics.map((m) => [m, 0]));
    const windows = 200;
    for (let w = 0; w < windows; w += 1) {
      const t = w / (windows - 1);
      const events = Array.from({ length: 600 }, () => draw([2 * t - 1, 0, 1 - 2 * t]));
      const predictions = events.map((e) => {
        const best = e.scores.indexOf(Math.max(...e.scores));
        return classes[best] ?? '';
      });
      const estimate = estimateMulticlass(
        calibrations,
        classes,
        predictions,
        events.map((e) => e.scores),
      );
      const confusion = emptyMulticlassConfusion();
      const scores = emptyMulticlassScores();
      events.forEach((e, i) => {
        updateMulticlassConfusion(confusion, e.label, predictions[i] ?? '');
        updateMulticlassScores(
          scores,
          e.label,
          new Map(classes.map((name, j) => [name, e.scores[j] ?? NaN])),
        );
      });
      const realized = {
        ...multiclassMetrics(confusion, classes),
        ...multiclassAuroc(scores, classes),
      };
      for (const metric of metrics)
        if (!outsideBand(estimate[metric], realized[metric]))
          hits[metric] = (hits[metric] ?? 0) + 1;
    }
    for (const metric of metrics)
      expect((hits[metric] ?? 0) / windows, `${metric} within the band`).toBeGreaterThanOrEqual(
        0.95,
      );
  });

  it('says when the estimator was wrong: concept drift moves the realized value out of the band', () => {
    const windows = simulateBinary({ windows: 20, size: 2000, distort: (p) => p });
    let missed = 0;
    for (const { calibration, events } of windows) {
      const estimate = estimateBinary(
        calibration,
        events.map((e) => e.score),
        0.5,
      );
      // concept drift: the same scores now mean a 20-point lower chance of a positive
      const random = seededRandom(missed + 99);
      const sums = emptyBinaryQuality({ threshold: 0.5, calibrationBins: 10 });
      for (const e of events)
        updateBinaryQuality(sums, e.score, random() < Math.max(0, e.score - 0.2) ? 1 : 0);
      if (outsideBand(estimate.precision, binaryQualityMetrics(sums).precision)) missed += 1;
    }
    expect(missed).toBeGreaterThanOrEqual(18);
  });
});

/** A standard normal draw (Box-Muller) from a uniform source. */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
