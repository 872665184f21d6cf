import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calibrate,
  calibratedSumBounds,
  fitIsotonic,
  fitIsotonicFromHistogram,
  knotsInside,
  type IsotonicCalibration,
} from './isotonic.js';
import { expectAbsolute, scoreHistogram } from './oracle.testing.js';
import { cellsByKey, expectWithin, parseTaskCases } from './taskOracle.testing.js';

const fixture = parseTaskCases(
  readFileSync(new URL('../../test/fixtures/task-cases.json', import.meta.url), 'utf8'),
);

function expectSameCalibration(
  fitted: IsotonicCalibration,
  expected: { x_thresholds: number[]; y_thresholds: number[] },
  label: string,
): void {
  expect(fitted.x, `${label} knots`).toEqual(expected.x_thresholds);
  fitted.y.forEach((y, k) =>
    expectAbsolute(y, expected.y_thresholds[k] ?? NaN, `${label} y[${k}]`, 1e-12),
  );
}

describe('isotonic calibration against scikit-learn 1.2 IsotonicRegression', () => {
  it.each(fixture.isotonic)('$name ($note)', (c) => {
    const fitted = fitIsotonic(c.x, c.y);
    expectSameCalibration(fitted, c.expected, c.name);
    expect(fitIsotonicFromHistogram(scoreHistogram(c.x, c.y))).toEqual(fitted);
    c.points.forEach((point, i) =>
      expectAbsolute(
        calibrate(fitted, point),
        c.expected.predictions[i] ?? NaN,
        `${c.name} g(${point})`,
        1e-12,
      ),
    );
  });

  it.each(fixture.cbpe_binary)('$name: the reference fit', (c) => {
    expectSameCalibration(
      fitIsotonic(c.reference.scores, c.reference.labels),
      c.calibrator,
      c.name,
    );
  });

  it.each(fixture.cbpe_multiclass)('$name: one fit per class', (c) => {
    for (const name of c.classes) {
      const labels = c.reference.labels.map((label) => (label === name ? 1 : 0));
      const expected = c.calibrators[name];
      if (!expected) throw new Error(`no calibrator for ${name}`);
      expectSameCalibration(
        fitIsotonic(c.reference.class_scores[name] ?? [], labels),
        expected,
        `${c.name} ${name}`,
      );
    }
  });

  it('refuses mismatched, empty or non-finite input', () => {
    expect(() => fitIsotonic([0.1, 0.2], [1])).toThrow(/2 scores but 1 labels/);
    expect(() => fitIsotonic([], [])).toThrow(/no labelled scores/);
    expect(() => fitIsotonic([0.1, NaN], [1, 0])).toThrow(/event 1 has score NaN/);
  });
});

/**
 * The isotonic regression by its min-max characterisation (Robertson, Wright & Dykstra):
 * at point i, max over j ≤ i of min over k ≥ i of the weighted mean of points j..k. Slow
 * (cubic) and independent of pool-adjacent-violators.
 */
function isotonicByMinMax(y: readonly number[], w: readonly number[]): number[] {
  return y.map((_, i) => {
    let best = -Infinity;
    for (let j = 0; j <= i; j += 1) {
      let worst = Infinity;
      for (let k = i; k < y.length; k += 1) {
        let sum = 0;
        let weight = 0;
        for (let m = j; m <= k; m += 1) {
          sum += (y[m] ?? 0) * (w[m] ?? 0);
          weight += w[m] ?? 0;
        }
        worst = Math.min(worst, sum / weight);
      }
      best = Math.max(best, worst);
    }
    return best;
  });
}

const grid = fc.integer({ min: 0, max: 30 }).map((k) => k / 30);
const labelled = fc.array(fc.tuple(grid, fc.integer({ min: 0, max: 1 })), {
  minLength: 1,
  maxLength: 40,
});

describe('fitIsotonic', () => {
  it('is the least-squares non-decreasing fit at every distinct score', () => {
    fc.assert(
      fc.property(labelled, (pairs) => {
        const scores = pairs.map(([s]) => s);
        const labels = pairs.map(([, y]) => y);
        const fitted = fitIsotonic(scores, labels);
        expect(fitIsotonicFromHistogram(scoreHistogram(scores, labels))).toEqual(fitted);
        const distinct = [...new Set(scores)].sort((a, b) => a - b);
        const means = distinct.map((s) => {
          const at = labels.filter((_, i) => scores[i] === s);
          return at.reduce((t, y) => t + y, 0) / at.length;
        });
        const weights = distinct.map((s) => scores.filter((v) => v === s).length);
        const expected = isotonicByMinMax(means, weights);
        distinct.forEach((s, i) =>
          expectAbsolute(calibrate(fitted, s), expected[i] ?? NaN, `g(${s})`, 1e-12),
        );
        for (let k = 1; k < fitted.x.length; k += 1) {
          expect(fitted.x[k]).toBeGreaterThan(fitted.x[k - 1] ?? Infinity);
          expect(fitted.y[k]).toBeGreaterThanOrEqual(fitted.y[k - 1] ?? Infinity);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('clips outside the reference scores and interpolates between blocks', () => {
    const fitted = fitIsotonic([0.2, 0.4, 0.6, 0.8], [0, 0, 1, 1]);
    expect(fitted).toEqual({ x: [0.2, 0.4, 0.6, 0.8], y: [0, 0, 1, 1] });
    expect(calibrate(fitted, -3)).toBe(0);
    expect(calibrate(fitted, 0.5)).toBeCloseTo(0.5, 15);
    expect(calibrate(fitted, 7)).toBe(1);
    expect(calibrate(fitted, NaN)).toBeNaN();
  });
});

describe('calibratedSumBounds', () => {
  it('contains Σ g(s) over any cell, and is exact when no knot lies inside it', () => {
    fc.assert(
      fc.property(
        labelled,
        fc.array(fc.double({ min: -0.2, max: 1.2, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        (reference, scores, buckets) => {
          const fitted = fitIsotonic(
            reference.map(([s]) => s),
            reference.map(([, y]) => y),
          );
          for (const cell of cellsByKey(scores, (s) => Math.floor(s * buckets))) {
            const inside = scores.filter(
              (s) => Math.floor(s * buckets) === Math.floor(cell.min * buckets),
            );
            const exactSum = inside.reduce((t, s) => t + calibrate(fitted, s), 0);
            const bounds = calibratedSumBounds(fitted, cell);
            expectWithin(exactSum, bounds, 'Σ g');
            if (knotsInside(fitted, cell.min, cell.max) === 0)
              expect(bounds.upper - bounds.lower).toBeLessThanOrEqual(
                1e-12 * Math.max(1, exactSum),
              );
          }
        },
      ),
      { numRuns: 300, seed: 12 },
    );
  });
});
