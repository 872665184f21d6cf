import { kolmogorovSf } from './kolmogorov.js';

/**
 * The two-sample Kolmogorov-Smirnov test on D = sup |F_ref − F_cur|, which SQL computes.
 * p-values as scipy's `ks_2samp` (scipy/stats/_stats_py.py, scipy 1.10) reports them.
 */

/**
 * `ks_2samp(method='asymp')`, two-sided: the one-sample Kolmogorov distribution's survival
 * function at the effective sample size round(n·m/(n+m)), rounded half to even as numpy
 * does. NaN for sizes that are not positive integers and for 1 against 1, where that size
 * rounds to 0 (scipy gives NaN too).
 */
export function ksPValueAsymp(d: number, n: number, m: number): number {
  if (!isSampleSize(n) || !isSampleSize(m) || Number.isNaN(d)) return NaN;
  const [larger, smaller] = n >= m ? [n, m] : [m, n];
  const effective = roundHalfEven((larger * smaller) / (larger + smaller));
  return effective === 0 ? NaN : kolmogorovSf(effective, d);
}

/**
 * `ks_2samp(method='exact')`, two-sided: the share of lattice paths from (0,0) to (n,m)
 * that leave the band |x/n − y/m| < D (Hodges 1958; Viehmann's recursion for 1 − p, as in
 * scipy's `_compute_outer_prob_inside_method`; `_compute_prob_outside_square` when n = m).
 * O(n·m) time: for small samples. NaN where scipy would give up and fall back to 'asymp'.
 */
export function ksPValueExact(d: number, n: number, m: number): number {
  if (!isSampleSize(n) || !isSampleSize(m) || Number.isNaN(d)) return NaN;
  const g = gcd(n, m);
  const ng = n / g;
  const mg = m / g;
  if (ng >= 2_147_483_647 / mg) return NaN; // lcm beyond int32: scipy switches to asymp
  const lcm = ng * m;
  // D is a multiple of 1/lcm: recover that integer exactly from the rounded D
  const h = roundHalfEven(d * lcm);
  if (h <= 0) return 1;
  const p = n === m ? probabilityOutsideSquare(n, h) : probabilityOutsideBand(n, m, g, h);
  return p >= 0 && p <= 1 ? p : NaN;
}

function isSampleSize(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

/**
 * For n = m, P(D >= h/n) = 2 Σ_k (−1)^(k+1) C(2n, n − kh) / C(2n, n), each ratio a product of
 * h simple factors, nested Horner-style so the alternating sum does not cancel.
 */
function probabilityOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k -= 1) {
    let ratio = 1;
    for (let j = 0; j < h; j += 1) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * The share of monotone lattice paths (0,0) → (n,m) that touch |x/n − y/m| >= h/lcm, by a
 * column-by-column recursion on the probability of having left the band (Viehmann 2021,
 * arXiv:2102.08037), keeping only the window of rows the band allows in each column.
 */
function probabilityOutsideBand(n1: number, n2: number, g: number, h: number): number {
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const mg = m / g;
  const ng = n / g;
  let minJ = 0;
  let maxJ = Math.min(Math.ceil(h / mg), n + 1);
  let currentLength = maxJ - minJ;
  const A = new Float64Array(Math.min(2 * maxJ + 2, n + 1)).fill(1);
  A.fill(0, minJ, maxJ);
  for (let i = 1; i <= m; i += 1) {
    const lastMinJ = minJ;
    const lastLength = currentLength;
    minJ = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxJ = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxJ <= minJ) return 1;
    let value = minJ === 0 ? 0 : 1;
    for (let jj = 0; jj < maxJ - minJ; jj += 1) {
      const j = jj + minJ;
      value = ((A[jj + minJ - lastMinJ] ?? 0) * i + value * j) / (i + j);
      A[jj] = value;
    }
    currentLength = maxJ - minJ;
    if (lastLength > currentLength) A.fill(1, currentLength, lastLength);
  }
  return A[maxJ - minJ - 1] ?? NaN;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** numpy's round(): to the nearest integer, ties to even. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * D = sup |F_a − F_b| of two ascending samples, ties stepped together (scipy's searchsorted
 * side='right'): the reference definition for tests; production sweeps sorted typed arrays
 * (sortedSample.ts).
 */
export function ksStatistic(sortedA: readonly number[], sortedB: readonly number[]): number {
  if (sortedA.length === 0 || sortedB.length === 0) return NaN;
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
