import { kolmogorovSf } from './kolmogorov.js';

/**
 * The p-value of the two-sample KS statistic D as scipy's `ks_2samp(method='asymp')`
 * reports it: the one-sample two-sided Kolmogorov distribution at the effective sample
 * size round(n·m/(n+m)), rounded half to even as numpy does.
 */
export function ksPValueAsymp(d: number, n: number, m: number): number {
  if (!(n > 0 && m > 0) || Number.isNaN(d)) return Number.NaN;
  const effective = roundHalfEven((n * m) / (n + m));
  return kolmogorovSf(Math.max(1, effective), d);
}

export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** sup |F_a − F_b| of two sorted samples (ties handled): the reference definition for tests. */
export function ksStatistic(sortedA: readonly number[], sortedB: readonly number[]): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < sortedA.length && j < sortedB.length) {
    const x = Math.min(sortedA[i] ?? Infinity, sortedB[j] ?? Infinity);
    while (i < sortedA.length && sortedA[i] === x) i += 1;
    while (j < sortedB.length && sortedB[j] === x) j += 1;
    d = Math.max(d, Math.abs(i / sortedA.length - j / sortedB.length));
  }
  return d;
}
