import { describe, expect, it } from 'vitest';
import { casesOfKind, expectClose, expectPValue } from '../../test/helpers/oracle.js';
import { chiSquareHomogeneity, chiSquareSf } from './chiSquare.js';
import { jensenShannonDistance } from './jensenShannon.js';
import { psi } from './psi.js';

const counts = (values: (string | null)[]) => {
  const map = new Map<string, number>();
  for (const value of values) if (value !== null) map.set(value, (map.get(value) ?? 0) + 1);
  return map;
};

describe('categorical statistics against scipy', () => {
  it.each(casesOfKind('categorical'))('$name', (oracle) => {
    const reference = counts(oracle.reference);
    const current = counts(oracle.current);
    const result = chiSquareHomogeneity(reference, current);
    expectClose(result.statistic, oracle.expected.chi2_statistic, 1e-9, 'chi2');
    expectPValue(result.pValue, oracle.expected.chi2_pvalue, 'p-value');
    expect(result.dof).toBe(oracle.expected.chi2_dof);
    expect(result.newCategories).toEqual(oracle.expected.new_categories);
    const categories = oracle.expected.categories;
    const r = categories.map((c) => reference.get(c) ?? 0);
    const c = categories.map((c2) => current.get(c2) ?? 0);
    expectClose(psi(r, c), oracle.expected.psi, 1e-9, 'psi');
    expectClose(
      jensenShannonDistance(r, c),
      oracle.expected.jensen_shannon_distance_base2,
      1e-9,
      'js',
    );
  });
});

describe('chi-square distribution', () => {
  it('has the closed form e^(−x/2) for two degrees of freedom', () => {
    expect(chiSquareSf(7, 2)).toBeCloseTo(Math.exp(-3.5), 14);
  });

  it('gives p = 1 for a single category', () => {
    expect(chiSquareHomogeneity(new Map([['a', 3]]), new Map([['a', 5]]))).toEqual({
      statistic: 0,
      pValue: 1,
      dof: 0,
      newCategories: [],
    });
  });
});
