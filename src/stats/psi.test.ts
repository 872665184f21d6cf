import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  casesOfKind,
  categoryCounts,
  countsIn,
  expectClose,
  nonNullSorted,
  numericBins,
  parseOracleCases,
} from './oracle.testing.js';
import { flooredProportions, PROPORTION_FLOOR } from './proportionsFloor.js';
import { psi } from './psi.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('PSI against the oracle', () => {
  it.each(casesOfKind(cases, 'numeric'))('numeric: $name', ({ reference, current, expected }) => {
    const bins = numericBins(nonNullSorted(reference), nonNullSorted(current));
    expectClose(psi(bins.reference, bins.current), expected.psi, 'psi');
  });

  it.each(casesOfKind(cases, 'categorical'))(
    'categorical: $name',
    ({ reference, current, expected }) => {
      const r = countsIn(categoryCounts(reference), expected.categories);
      const c = countsIn(categoryCounts(current), expected.categories);
      expectClose(psi(r, c), expected.psi, 'psi');
    },
  );
});

describe('PSI', () => {
  it('is zero for identical proportions, whatever the sample sizes', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 15);
    expect(psi([5], [500])).toBe(0);
  });

  it('is symmetric and matches a hand computation', () => {
    // r = (0.5, 0.5), c = (0.25, 0.75)
    const expected = (0.25 - 0.5) * Math.log(0.25 / 0.5) + (0.75 - 0.5) * Math.log(0.75 / 0.5);
    expect(psi([2, 2], [1, 3])).toBeCloseTo(expected, 15);
    expect(psi([1, 3], [2, 2])).toBeCloseTo(expected, 15);
  });

  it('floors empty bins at 1e-4 instead of dividing by zero, without renormalising', () => {
    // r = (1, 0) → (1, 1e-4); c = (0.5, 0.5)
    const expected = (0.5 - 1) * Math.log(0.5 / 1) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4);
    expect(psi([10, 0], [5, 5])).toBeCloseTo(expected, 12);
  });

  it('refuses bins of different lengths, no bins, and empty samples', () => {
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => psi([], [])).toThrow(RangeError);
    expect(() => psi([0, 0], [1, 2])).toThrow(RangeError);
    expect(() => psi([1, 2], [0, 0])).toThrow(RangeError);
  });
});

describe('flooredProportions', () => {
  it('divides by the total and floors at 1e-4', () => {
    expect(PROPORTION_FLOOR).toBe(1e-4);
    expect(flooredProportions([3, 1, 0])).toEqual([0.75, 0.25, 1e-4]);
    expect(flooredProportions([1, 99_999])).toEqual([1e-4, 0.99999]);
  });
});
