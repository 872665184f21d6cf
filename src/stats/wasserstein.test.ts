import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  casesOfKind,
  expectClose,
  nonNullSorted,
  parseOracleCases,
  populationStd,
} from './oracle.testing.js';
import { normedWasserstein, wasserstein1 } from './wasserstein.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('Wasserstein-1 against scipy.stats.wasserstein_distance', () => {
  it.each(casesOfKind(cases, 'numeric'))('$name', ({ reference, current, expected }) => {
    const a = nonNullSorted(reference);
    const b = nonNullSorted(current);
    const w = wasserstein1(a, b);
    expectClose(w, expected.wasserstein, 'wasserstein');
    expectClose(normedWasserstein(w, populationStd(a)), expected.wasserstein_normed, 'normed');
  });

  it('matches scipy on small samples', () => {
    expect(wasserstein1([0, 1, 3], [5, 6, 8])).toBe(5);
    expectClose(wasserstein1([0, 0, 1], [0, 1, 1]), 1 / 3, 'w');
    expectClose(wasserstein1([1, 2, 2, 7], [3, 3.5]), 2, 'w');
  });
});

describe('Wasserstein-1', () => {
  it('is 0 between a sample and itself, and the shift between shifted samples', () => {
    expect(wasserstein1([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(wasserstein1([0], [2.5])).toBe(2.5);
    expect(wasserstein1([1, 2, 3], [1.5, 2.5, 3.5])).toBeCloseTo(0.5, 15);
  });

  it('is symmetric', () => {
    expect(wasserstein1([0, 4, 5], [1, 1])).toBeCloseTo(wasserstein1([1, 1], [0, 4, 5]), 15);
  });

  it('is NaN for an empty sample', () => {
    expect(wasserstein1([], [1])).toBeNaN();
  });
});

describe('normedWasserstein', () => {
  it('divides by the reference population standard deviation', () => {
    expect(normedWasserstein(0.5, 2)).toBe(0.25);
  });

  it('is NaN when the reference has no spread', () => {
    expect(normedWasserstein(0.5, 0)).toBeNaN();
    expect(normedWasserstein(0, 0)).toBeNaN();
    expect(normedWasserstein(0.5, NaN)).toBeNaN();
  });
});
