import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  binCounts,
  binEdgesFromQuantiles,
  binIndex,
  binQuantileLevels,
  DEFAULT_BIN_COUNT,
  quantileR7,
} from './bins.js';
import {
  casesOfKind,
  expectClose,
  nonNullSorted,
  numericBins,
  parseOracleCases,
} from './oracle.testing.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('bin edges against numpy quantiles (R-7, deciles, unique)', () => {
  it.each(casesOfKind(cases, 'numeric'))('$name', ({ reference, current, expected }) => {
    const { edges } = numericBins(nonNullSorted(reference), nonNullSorted(current));
    expect(edges).toHaveLength(expected.psi_bin_edges.length);
    edges.forEach((edge, i) => expectClose(edge, expected.psi_bin_edges[i] ?? NaN, `${i}-th edge`));
  });

  it('merges tied quantiles of discrete data (poisson_ties keeps 5 of 9 edges)', () => {
    const ties = casesOfKind(cases, 'numeric').find((c) => c.name === 'poisson_ties');
    expect(ties?.expected.psi_bin_edges).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('binQuantileLevels', () => {
  it('gives k/B for k = 1..B−1, B = 10 by default', () => {
    expect(DEFAULT_BIN_COUNT).toBe(10);
    expect(binQuantileLevels()).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(binQuantileLevels(4)).toEqual([0.25, 0.5, 0.75]);
    expect(binQuantileLevels(1)).toEqual([]);
  });

  it('refuses a bin count that is not a positive integer', () => {
    expect(() => binQuantileLevels(0)).toThrow(RangeError);
    expect(() => binQuantileLevels(2.5)).toThrow(RangeError);
  });
});

describe('binEdgesFromQuantiles', () => {
  it('sorts, keeps unique edges and drops NaN (quantiles of an empty sample)', () => {
    expect(binEdgesFromQuantiles([3, 1, 2, 2, 3, 3])).toEqual([1, 2, 3]);
    expect(binEdgesFromQuantiles([NaN, NaN])).toEqual([]);
    expect(binEdgesFromQuantiles([])).toEqual([]);
  });
});

describe('binIndex (searchsorted side=right)', () => {
  it('puts a value equal to an edge in the bin above it', () => {
    expect(binIndex([1, 2, 3], 0.5)).toBe(0);
    expect(binIndex([1, 2, 3], 1)).toBe(1);
    expect(binIndex([1, 2, 3], 2.5)).toBe(2);
    expect(binIndex([1, 2, 3], 3)).toBe(3);
  });

  it('has open outer bins', () => {
    expect(binIndex([1, 2, 3], -Infinity)).toBe(0);
    expect(binIndex([1, 2, 3], Infinity)).toBe(3);
  });

  it('puts everything in one bin when there are no edges', () => {
    expect(binIndex([], 42)).toBe(0);
  });
});

describe('binCounts', () => {
  it('counts edges.length + 1 bins and skips NaN', () => {
    expect(binCounts([1, 2], [0, 1, 1, 1.5, 2, 9, NaN])).toEqual([1, 3, 2]);
    expect(binCounts([], [1, 2, 3])).toEqual([3]);
    expect(binCounts([1], [])).toEqual([0, 0]);
  });
});

describe('quantileR7 (numpy method="linear")', () => {
  it('interpolates at h = (n − 1) p', () => {
    expect(quantileR7([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileR7([1, 2, 3, 4, 5], 0.3)).toBeCloseTo(2.2, 15);
    expect(quantileR7([10, 20], 0.75)).toBe(17.5);
  });

  it('gives the extremes at p = 0 and p = 1 and the value itself for n = 1', () => {
    expect(quantileR7([1, 5, 9], 0)).toBe(1);
    expect(quantileR7([1, 5, 9], 1)).toBe(9);
    expect(quantileR7([7], 0.3)).toBe(7);
  });

  it('is NaN for an empty sample or a level outside [0, 1]', () => {
    expect(quantileR7([], 0.5)).toBeNaN();
    expect(quantileR7([1, 2], 1.5)).toBeNaN();
    expect(quantileR7([1, 2], NaN)).toBeNaN();
  });
});
