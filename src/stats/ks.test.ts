import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ksPValueAsymp, ksPValueExact, ksStatistic, roundHalfEven } from './ks.js';
import {
  casesOfKind,
  expectAbsolute,
  expectPValue,
  nonNullSorted,
  nullRate,
  parseOracleCases,
} from './oracle.testing.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('KS against scipy ks_2samp', () => {
  it.each(casesOfKind(cases, 'numeric'))('$name', ({ reference, current, expected }) => {
    const a = nonNullSorted(reference);
    const b = nonNullSorted(current);
    const d = ksStatistic(a, b);
    expectAbsolute(d, expected.ks_statistic, 'D');
    expectPValue(ksPValueAsymp(d, a.length, b.length), expected.ks_pvalue_asymp, 'asymp p');
    if (expected.ks_pvalue_exact !== undefined)
      expectPValue(ksPValueExact(d, a.length, b.length), expected.ks_pvalue_exact, 'exact p');
  });

  it.each(casesOfKind(cases, 'numeric'))('null rates of $name', (oracle) => {
    expect(nullRate(oracle.reference)).toBeCloseTo(oracle.expected.null_rate_reference, 15);
    expect(nullRate(oracle.current)).toBeCloseTo(oracle.expected.null_rate_current, 15);
  });
});

describe('ksPValueAsymp', () => {
  it('is 1 at D = 0 and 0 at D = 1', () => {
    expect(ksPValueAsymp(0, 50, 60)).toBe(1);
    expect(ksPValueAsymp(1, 50, 60)).toBe(0);
  });

  it('uses round(n·m/(n+m)) half to even as the sample size, symmetric in n and m', () => {
    // 3·6/9 = 2 exactly; kstwo.sf(x, 2) = 2(1 − x)² for x >= 1/2
    expect(ksPValueAsymp(0.6, 3, 6)).toBeCloseTo(2 * 0.4 ** 2, 15);
    expect(ksPValueAsymp(0.6, 6, 3)).toBe(ksPValueAsymp(0.6, 3, 6));
    // 1·3/4 = 0.75 → 1; kstwo.sf(x, 1) = 2(1 − x)
    expect(ksPValueAsymp(0.75, 1, 3)).toBeCloseTo(0.5, 15);
  });

  it('is NaN for one observation against one (effective size 0, as scipy) and bad sizes', () => {
    expect(ksPValueAsymp(1, 1, 1)).toBeNaN();
    expect(ksPValueAsymp(0.5, 0, 10)).toBeNaN();
    expect(ksPValueAsymp(0.5, 10.5, 10)).toBeNaN();
    expect(ksPValueAsymp(NaN, 10, 10)).toBeNaN();
  });
});

describe('ksPValueExact against scipy ks_2samp(method="exact")', () => {
  // [n, m, D, p] from scipy 1.17.1 on random normal samples
  const scipyValues: [number, number, number, number][] = [
    [40, 35, 0.2892857142857143, 0.07015837885368471],
    [10, 10, 0.2, 0.9944575548290717],
    [50, 50, 0.18, 0.3959398631708505],
    [7, 3, 0.38095238095238093, 0.85],
    [1, 5, 1, 0.3333333333333333],
    [100, 60, 0.11666666666666667, 0.648951297255149],
    [200, 300, 0.075, 0.49346738086680964],
    [120, 80, 0.2708333333333333, 0.001459023967776785],
    [30, 45, 0.12222222222222222, 0.9314224657094162],
    [500, 400, 0.047, 0.6925044051725264],
    [1000, 999, 0.04083683683683684, 0.35715337325898355],
  ];
  it.each(scipyValues)('n=%i m=%i D=%f', (n, m, d, p) => {
    expectPValue(ksPValueExact(d, n, m), p, 'exact p');
    expectPValue(ksPValueExact(d, m, n), p, 'exact p, samples swapped');
  });

  it('is 1 at D = 0 and agrees with counting paths by hand for 1 against 1', () => {
    expect(ksPValueExact(0, 20, 30)).toBe(1);
    // two paths, (x then y) and (y then x), both reach D = 1
    expect(ksPValueExact(1, 1, 1)).toBe(1);
    // n = m = 2: 6 paths; D = 1 for the 2 that take both steps of one sample first
    expect(ksPValueExact(1, 2, 2)).toBeCloseTo(2 / 6, 15);
  });

  it('is NaN for bad sizes', () => {
    expect(ksPValueExact(0.5, 0, 3)).toBeNaN();
  });
});

describe('ksStatistic', () => {
  it('steps ties together', () => {
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 15);
    expect(ksStatistic([0], [1])).toBe(1);
  });

  it('is NaN for an empty sample', () => {
    expect(ksStatistic([], [1])).toBeNaN();
  });
});

describe('roundHalfEven (numpy round)', () => {
  it('rounds ties to the even neighbour', () => {
    expect(roundHalfEven(0.5)).toBe(0);
    expect(roundHalfEven(1.5)).toBe(2);
    expect(roundHalfEven(18.5)).toBe(18);
    expect(roundHalfEven(19.5)).toBe(20);
    expect(roundHalfEven(18.67)).toBe(19);
    expect(roundHalfEven(18.2)).toBe(18);
  });
});
