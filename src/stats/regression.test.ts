import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectClose } from './oracle.testing.js';
import {
  emptyRegression,
  mergeRegression,
  regressionFromCells,
  regressionMetrics,
  updateRegression,
  type ErrorByLabelCell,
  type RegressionSums,
} from './regression.js';
import { cellsByKey, expectWithin, parseTaskCases } from './taskOracle.testing.js';

const cases = parseTaskCases(
  readFileSync(new URL('../../test/fixtures/task-cases.json', import.meta.url), 'utf8'),
).regression;

function accumulate(labels: readonly number[], predictions: readonly number[]): RegressionSums {
  const sums = emptyRegression();
  labels.forEach((y, i) => updateRegression(sums, y, predictions[i] ?? NaN));
  return sums;
}

describe('regression metrics against scikit-learn 1.2', () => {
  it.each(cases)('$name ($note)', (c) => {
    const metrics = regressionMetrics(accumulate(c.labels, c.predictions));
    for (const key of ['mae', 'rmse', 'mape', 'r2'] as const)
      expectClose(metrics[key], c.expected[key], `${c.name} ${key}`);
  });

  it.each(cases)('$name: merged from parts (Chan), the same', (c) => {
    const n = c.labels.length;
    const cut = [...new Set([0, Math.min(3, n), Math.floor(n / 2), n])].sort((a, b) => a - b);
    let merged = emptyRegression();
    for (let k = 0; k + 1 < cut.length; k += 1)
      merged = mergeRegression(
        accumulate(c.labels.slice(cut[k], cut[k + 1]), c.predictions.slice(cut[k], cut[k + 1])),
        merged,
      );
    const metrics = regressionMetrics(merged);
    for (const key of ['mae', 'rmse', 'mape', 'r2'] as const)
      expectClose(metrics[key], c.expected[key], `${c.name} ${key}`);
  });

  it('gives r2 = 0 for constant labels whose mean float64 cannot sum exactly', () => {
    // sklearn's mean of 50 × 3.7 is off by an ulp, so its Σ(y − ȳ)² is ~1e-29 and its r2 is
    // −1.4e30; the deviations are 0 by the definition, and force_finite makes r2 0.
    const labels = new Array<number>(50).fill(3.7);
    const predictions = labels.map((y, i) => y + (i % 2 === 0 ? 0.5 : -0.5));
    expect(regressionMetrics(accumulate(labels, predictions)).r2).toBe(0);
    expect(regressionMetrics(accumulate(labels, labels)).r2).toBe(1);
  });

  it('refuses a non-finite label or prediction', () => {
    expect(() => updateRegression(emptyRegression(), NaN, 1)).toThrow(/label NaN/);
    expect(() => updateRegression(emptyRegression(), 1, Infinity)).toThrow(RangeError);
  });
});

describe('regression brackets from cells', () => {
  const value = fc.oneof(
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom(0, 1e-12, -1e-300, 1e8 + 0.5, 1e8),
  );
  const events = fc.array(fc.tuple(value, value), { minLength: 2, maxLength: 120 });

  it('contain the exact mae, rmse, mape and r2 for any bucketing', () => {
    fc.assert(
      fc.property(events, fc.double({ min: 1e-3, max: 1e4, noNaN: true }), (pairs, width) => {
        const labels = pairs.map(([y]) => y);
        const predictions = pairs.map(([y, e]) => y - e / 1e3);
        const exactMetrics = regressionMetrics(accumulate(labels, predictions));
        const residuals = labels.map((y, i) => y - (predictions[i] ?? NaN));
        const key = (x: number) => Math.floor(x / width);
        const byLabel = new Map<number, ErrorByLabelCell>();
        labels.forEach((y, i) => {
          const cell = byLabel.get(key(y)) ?? {
            labelMin: y,
            labelMax: y,
            count: 0,
            absoluteErrorSum: 0,
          };
          cell.labelMin = Math.min(cell.labelMin, y);
          cell.labelMax = Math.max(cell.labelMax, y);
          cell.count += 1;
          cell.absoluteErrorSum += Math.abs(residuals[i] ?? NaN);
          byLabel.set(key(y), cell);
        });
        const brackets = regressionFromCells({
          residuals: cellsByKey(residuals, key),
          labels: cellsByKey(labels, key),
          errorsByLabel: [...byLabel.values()],
        });
        expectWithin(exactMetrics.mae, brackets.mae, 'mae');
        expectWithin(exactMetrics.rmse, brackets.rmse, 'rmse');
        if (brackets.mape) expectWithin(exactMetrics.mape, brackets.mape, 'mape');
        if (Number.isFinite(exactMetrics.r2)) expectWithin(exactMetrics.r2, brackets.r2, 'r2');
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it.each(cases)('$name: exact from cells of one value each', (c) => {
    const residuals = c.labels.map((y, i) => y - (c.predictions[i] ?? NaN));
    const brackets = regressionFromCells({
      residuals: cellsByKey(residuals, (x) => x),
      labels: cellsByKey(c.labels, (x) => x),
    });
    for (const key of ['mae', 'rmse'] as const) {
      expect(brackets[key].lower).toBe(brackets[key].upper);
      expectClose(brackets[key].value, c.expected[key], `${c.name} ${key}`);
    }
    expect(brackets.r2.lower).toBe(brackets.r2.upper);
    expectClose(brackets.r2.value, c.expected.r2, `${c.name} r2`, 1e-7);
    expect(brackets.mape).toBeNull();
  });
});
