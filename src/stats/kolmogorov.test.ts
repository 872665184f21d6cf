import { describe, expect, it } from 'vitest';
import {
  durbinMatrixCdf,
  kolmogorovSf,
  kolmogorovSfLowerBound,
  pelzGoodCdf,
  pomeranzCdf,
} from './kolmogorov.js';
import { expectPValue } from './oracle.testing.js';
import { smirnovSf } from './smirnov.js';

describe('kolmogorovSf against scipy.stats.kstwo.sf, one point per algorithm', () => {
  // [n, x, kstwo.sf(x, n)] from scipy 1.17.1 (same _ksstats.py algorithms as 1.10.1)
  const scipyValues: [number, number, number, string][] = [
    [10, 0.25, 0.4841115325000003, 'Durbin matrix, n <= 140'],
    [100, 0.08, 0.5182193645480672, 'Durbin matrix, n <= 140'],
    [100, 0.1, 0.2526927570063874, 'Pomeranz'],
    [19, 0.3678571428571429, 0.00818745008186672, 'Pomeranz'],
    [140, 0.2, 2.1981563302200222e-5, '2 × Smirnov, n <= 140'],
    [1000, 0.012, 0.9984464668620097, 'Durbin matrix, n > 140'],
    [1000, 0.02, 0.8108971656895577, 'Pelz-Good'],
    [1200, 0.031, 0.19496920300392295, 'Pelz-Good'],
    [200_000, 0.002, 0.39995085369038097, 'Pelz-Good, n > 100000'],
    [1540, 0.05, 0.0008731693704633268, '2 × Smirnov, n > 140'],
    [2_000_000, 0.0015, 0.00024657290508461606, '2 × Smirnov (Miller), n > 10^6'],
  ];
  it.each(scipyValues)('n=%i x=%f (%s)', (n, x, expected) => {
    expectPValue(kolmogorovSf(n, x), expected, 'kstwo.sf');
  });
});

describe('kolmogorovSf in closed form', () => {
  it('is certain at and beyond the ends', () => {
    expect(kolmogorovSf(100, 0)).toBe(1);
    expect(kolmogorovSf(100, -0.1)).toBe(1);
    expect(kolmogorovSf(100, 1)).toBe(0);
    expect(kolmogorovSf(100, 1.5)).toBe(0);
  });

  it('has n = 1: D_1 = max(U, 1 − U), so P(D_1 > x) = 2(1 − x) for x >= 1/2, else 1', () => {
    expect(kolmogorovSf(1, 0.3)).toBe(1);
    expect(kolmogorovSf(1, 0.5)).toBe(1);
    expect(kolmogorovSf(1, 0.7)).toBeCloseTo(0.6, 15);
    expect(kolmogorovSf(1, 0.999)).toBeCloseTo(0.002, 15);
  });

  it('has n = 2: 1 − (4x − 1)²/2 on [1/4, 1/2], 2(1 − x)² on [1/2, 1]', () => {
    expect(kolmogorovSf(2, 0.2)).toBe(1);
    expect(kolmogorovSf(2, 0.4)).toBeCloseTo(1 - 0.6 ** 2 / 2, 15);
    expect(kolmogorovSf(2, 0.8)).toBeCloseTo(2 * 0.2 ** 2, 15);
  });

  it('has the Ruben-Gambino edges: n!/n^n (2nx − 1)^n below 1/n, 2(1 − x)^n above 1 − 1/n', () => {
    // n = 5, x = 0.15: 5!/5^5 · 0.5^5 = 0.0012
    expect(kolmogorovSf(5, 0.15)).toBeCloseTo(1 - 0.0012, 15);
    expect(kolmogorovSf(5, 0.85)).toBeCloseTo(2 * 0.15 ** 5, 17);
    expectPValue(kolmogorovSf(20, 0.96), 2 * 0.04 ** 20, 'tail');
    expect(kolmogorovSf(500, 0.0009)).toBe(1); // n·x <= 1/2
  });

  it('is exactly twice the one-sided tail from x = 1/2 on', () => {
    // n = 3, x = 1/2: P(D+ > 1/2) = ½ (0.5³/0.5 + 3 (1/6)²) = 1/6
    expect(kolmogorovSf(3, 0.5)).toBeCloseTo(1 / 3, 15);
    expect(kolmogorovSf(30, 0.6)).toBe(2 * smirnovSf(30, 0.6));
  });

  it('underflows to 0 once n·x² >= 370 (n > 140)', () => {
    expect(kolmogorovSf(10_000, 0.2)).toBe(0);
  });

  it('is NaN unless n is a positive integer or x is NaN', () => {
    expect(kolmogorovSf(0, 0.5)).toBeNaN();
    expect(kolmogorovSf(2.5, 0.5)).toBeNaN();
    expect(kolmogorovSf(10, NaN)).toBeNaN();
  });
});

describe('kolmogorovSf shape', () => {
  it('decreases in x through every algorithm region', () => {
    for (const n of [5, 19, 100, 140, 141, 1000, 150_000]) {
      const xs = Array.from({ length: 60 }, (_, i) => (i + 1) / 61);
      const values = xs.map((x) => kolmogorovSf(n, x));
      values.slice(1).forEach((value, i) => expect(value).toBeLessThanOrEqual(values[i] ?? 1));
    }
  });

  it('has its algorithms agree where their regions meet', () => {
    // Durbin's matrix and Pomeranz are both exact: they agree to rounding
    for (const [n, x] of [
      [50, 0.1],
      [100, 0.09],
      [19, 0.3678571428571429],
    ] as const)
      expect(pomeranzCdf(n, x)).toBeCloseTo(durbinMatrixCdf(n, x), 12);
    // Pelz-Good is asymptotic: close to exact at n = 1000
    expect(pelzGoodCdf(1000, 0.03)).toBeCloseTo(durbinMatrixCdf(1000, 0.03), 5);
  });
});

describe('kolmogorovSfLowerBound', () => {
  it('is at most kolmogorovSf, within 10% of it on the Smirnov branch, equal elsewhere', () => {
    for (const n of [50, 140, 5_000, 40_000, 909_090])
      for (const k of [0.3, 1, 1.49, 1.5, 2, 4, 9])
        if (k / Math.sqrt(n) < 1) {
          const x = k / Math.sqrt(n);
          const value = kolmogorovSf(n, x);
          const bound = kolmogorovSfLowerBound(n, x);
          expect(bound).toBeLessThanOrEqual(value);
          if (n > 140 && n * x * x >= 2.2 && n >= 10_000)
            expect(bound).toBeGreaterThanOrEqual(0.9 * value * (1 - 1e-8));
          else expect(bound).toBe(value);
        }
  });
});
