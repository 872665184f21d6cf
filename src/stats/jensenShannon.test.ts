import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jensenShannonDistance } from './jensenShannon.js';
import {
  casesOfKind,
  categoryCounts,
  countsIn,
  expectClose,
  nonNullSorted,
  numericBins,
  parseOracleCases,
} from './oracle.testing.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('Jensen-Shannon distance against scipy (base 2)', () => {
  it.each(casesOfKind(cases, 'numeric'))('numeric: $name', ({ reference, current, expected }) => {
    const bins = numericBins(nonNullSorted(reference), nonNullSorted(current));
    expectClose(
      jensenShannonDistance(bins.reference, bins.current),
      expected.jensen_shannon_distance_base2,
      'js',
    );
  });

  it.each(casesOfKind(cases, 'categorical'))(
    'categorical: $name',
    ({ reference, current, expected }) => {
      const r = countsIn(categoryCounts(reference), expected.categories);
      const c = countsIn(categoryCounts(current), expected.categories);
      expectClose(jensenShannonDistance(r, c), expected.jensen_shannon_distance_base2, 'js');
    },
  );

  it('matches scipy on hand-picked proportions', () => {
    // scipy.spatial.distance.jensenshannon([.5, .3, .2], [.2, .3, .5], base=2)
    expectClose(jensenShannonDistance([5, 3, 2], [2, 3, 5]), 0.3095409536771482, 'js');
    // disjoint supports, floored: jensenshannon([1, 1e-4], [1e-4, 1], base=2)
    expectClose(jensenShannonDistance([7, 0], [0, 3]), 0.9992632782879535, 'js');
  });
});

describe('Jensen-Shannon distance', () => {
  it('is 0 for identical proportions (never NaN from rounding)', () => {
    expect(jensenShannonDistance([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 7);
    expect(jensenShannonDistance([1, 1, 1], [1, 1, 1])).toBe(0);
  });

  it('is symmetric and within [0, 1]', () => {
    const forward = jensenShannonDistance([9, 1, 0], [0, 2, 8]);
    expect(jensenShannonDistance([0, 2, 8], [9, 1, 0])).toBeCloseTo(forward, 15);
    expect(forward).toBeGreaterThan(0);
    expect(forward).toBeLessThanOrEqual(1);
  });

  it('refuses bins of different lengths and empty samples', () => {
    expect(() => jensenShannonDistance([1], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannonDistance([0, 0], [1, 1])).toThrow(RangeError);
  });
});
