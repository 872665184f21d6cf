import erfc from '@stdlib/math-base-special-erfc';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity, chiSquareSf } from './chiSquare.js';
import {
  casesOfKind,
  categoryCounts,
  expectClose,
  expectPValue,
  parseOracleCases,
} from './oracle.testing.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('chi-square test of homogeneity against scipy chi2_contingency', () => {
  it.each(casesOfKind(cases, 'categorical'))('$name', ({ reference, current, expected }) => {
    const result = chiSquareHomogeneity(categoryCounts(reference), categoryCounts(current));
    expectClose(result.statistic, expected.chi2_statistic, 'statistic');
    expectPValue(result.pValue, expected.chi2_pvalue, 'p-value');
    expect(result.dof).toBe(expected.chi2_dof);
    expect(result.newCategories).toEqual(expected.new_categories);
  });

  it('keeps the digits of a p-value near 1e-59 (new_category)', () => {
    const oracle = casesOfKind(cases, 'categorical').find((c) => c.name === 'new_category');
    if (!oracle) throw new Error('missing oracle case new_category');
    const result = chiSquareHomogeneity(
      categoryCounts(oracle.reference),
      categoryCounts(oracle.current),
    );
    expectClose(result.pValue, oracle.expected.chi2_pvalue, 'p-value', 1e-4);
  });
});

describe('chiSquareHomogeneity', () => {
  it('matches a 2 × 2 table by hand', () => {
    // rows (10, 20) and (20, 10): every expected count is 15, χ² = 4 · 25/15
    const result = chiSquareHomogeneity(
      new Map([
        ['a', 10],
        ['b', 20],
      ]),
      new Map([
        ['a', 20],
        ['b', 10],
      ]),
    );
    expect(result.statistic).toBeCloseTo(100 / 15, 13);
    expect(result.dof).toBe(1);
    expect(result.pValue).toBeCloseTo(erfc(Math.sqrt(100 / 15 / 2)), 14);
  });

  it('ignores categories with no count in either sample and names new ones, sorted', () => {
    const result = chiSquareHomogeneity(
      new Map([
        ['web', 5],
        ['gone', 0],
      ]),
      new Map([
        ['web', 5],
        ['zeta', 1],
        ['alpha', 2],
      ]),
    );
    expect(result.dof).toBe(2);
    expect(result.newCategories).toEqual(['alpha', 'zeta']);
  });

  it('gives statistic 0, p = 1 for identical proportions and for a single category', () => {
    const same = chiSquareHomogeneity(
      new Map([
        ['a', 1],
        ['b', 3],
      ]),
      new Map([
        ['a', 10],
        ['b', 30],
      ]),
    );
    expect(same.statistic).toBeCloseTo(0, 14);
    expect(same.pValue).toBeCloseTo(1, 12);
    expect(chiSquareHomogeneity(new Map([['a', 3]]), new Map([['a', 5]]))).toEqual({
      statistic: 0,
      pValue: 1,
      dof: 0,
      newCategories: [],
    });
  });

  it('refuses an empty sample', () => {
    expect(() => chiSquareHomogeneity(new Map(), new Map([['a', 1]]))).toThrow(RangeError);
    expect(() => chiSquareHomogeneity(new Map([['a', 1]]), new Map([['a', 0]]))).toThrow(
      RangeError,
    );
  });
});

describe('chiSquareSf', () => {
  it('has the closed forms of 1 and 2 degrees of freedom', () => {
    expect(chiSquareSf(7, 2)).toBeCloseTo(Math.exp(-3.5), 15);
    expect(chiSquareSf(3.84, 1)).toBeCloseTo(erfc(Math.sqrt(3.84 / 2)), 15);
  });

  it('stays accurate far in the tail', () => {
    expectClose(chiSquareSf(300, 2), Math.exp(-150), 'dof 2', 1e-12);
    // scipy.stats.chi2.sf(500, 7)
    expectClose(chiSquareSf(500, 7), 8.0167910013494e-104, 'dof 7', 1e-10);
  });

  it('is 1 at x <= 0 and NaN for a bad dof', () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(1, 0)).toBeNaN();
    expect(chiSquareSf(NaN, 3)).toBeNaN();
  });
});
