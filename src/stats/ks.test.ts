import { describe, expect, it } from 'vitest';
import { casesOfKind, expectPValue } from '../../test/helpers/oracle.js';
import { kolmogorovSf, smirnovSf } from './kolmogorov.js';
import { ksPValueAsymp, ksStatistic, roundHalfEven } from './ks.js';

const sortedNonNull = (values: (number | null)[]) =>
  values.filter((v): v is number => v !== null).sort((a, b) => a - b);

describe('KS against scipy ks_2samp(method="asymp")', () => {
  it.each(casesOfKind('numeric'))('$name', (oracle) => {
    const a = sortedNonNull(oracle.reference);
    const b = sortedNonNull(oracle.current);
    const d = ksStatistic(a, b);
    expect(Math.abs(d - oracle.expected.ks_statistic)).toBeLessThanOrEqual(1e-9);
    expectPValue(ksPValueAsymp(d, a.length, b.length), oracle.expected.ks_pvalue_asymp, 'p-value');
  });
});

describe('the Kolmogorov distribution', () => {
  it('is certain at the ends', () => {
    expect(kolmogorovSf(100, 0)).toBe(1);
    expect(kolmogorovSf(100, 1)).toBe(0);
    expect(ksPValueAsymp(0, 50, 60)).toBe(1);
  });

  it('matches the closed forms of n = 1 and of the Ruben-Gambino edges', () => {
    // n = 1: D_1 = max(U, 1 − U) so P(D_1 > x) = 2(1 − x) for x >= 1/2
    expect(kolmogorovSf(1, 0.7)).toBeCloseTo(0.6, 12);
    // x >= 1 − 1/n: P(D_n > x) = 2 (1 − x)^n
    expect(kolmogorovSf(5, 0.85)).toBeCloseTo(2 * 0.15 ** 5, 15);
  });

  it('is the one-sided Smirnov tail doubled for x >= 1/2', () => {
    expect(kolmogorovSf(30, 0.6)).toBeCloseTo(2 * smirnovSf(30, 0.6), 15);
    // Smirnov n = 1: P(D+ > x) = 1 − x
    expect(smirnovSf(1, 0.25)).toBe(0.75);
  });

  it('decreases in x for every algorithm region', () => {
    for (const n of [10, 100, 1000, 200_000]) {
      const xs = [0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6].filter((x) => n * x > 1);
      const values = xs.map((x) => kolmogorovSf(n, x));
      values.slice(1).forEach((value, i) => expect(value).toBeLessThanOrEqual(values[i] ?? 1));
    }
  });

  it('rounds the effective sample size half to even, as numpy does', () => {
    expect(roundHalfEven(18.5)).toBe(18);
    expect(roundHalfEven(19.5)).toBe(20);
    expect(roundHalfEven(18.67)).toBe(19);
  });
});
