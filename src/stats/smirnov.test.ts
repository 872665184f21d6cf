import { describe, expect, it } from 'vitest';
import { expectClose } from './oracle.testing.js';
import { smirnov, smirnovSf, splitProduct } from './smirnov.js';

describe('smirnovSf against scipy.special.smirnov', () => {
  // [n, x, smirnov(n, x)] from scipy 1.17.1
  const scipyValues: [number, number, number, string][] = [
    [1000, 0.05, 0.006506037390545166, 'lower sum'],
    [100, 0.1, 0.1265906584562817, 'lower sum, n·x an integer'],
    [100, 0.02, 0.9109784815556481, 'upper sum (3 terms)'],
    [1540, 0.05, 0.0008731693704633268 / 2, 'lower sum, n > 1013'],
    [300_000, 0.00547722557505166, 1.5172850065619882e-8, 'lower sum, n = 300000'],
    [2_000_000, 0.0015, 0.00012328645254230803, 'Miller approximation, n > 10^6'],
    [30, 0.6, 3.696003146107146e-11, 'deep tail'],
  ];
  it.each(scipyValues)('n=%i x=%f (%s)', (n, x, expected) => {
    expectClose(smirnovSf(n, x), expected, 'smirnov', 1e-10);
  });
});

describe('smirnovSf in closed form', () => {
  it('sums the Birnbaum-Tingey terms exactly for small n', () => {
    // n = 5, x = 0.3: 0.3 (0.7⁵/0.3 + 5·0.5⁴ + 10·0.3³·0.7 + 10·0.1²·0.9²) = 0.34282
    expectClose(smirnovSf(5, 0.3), 0.34282, 'n=5', 1e-14);
    expectClose(smirnovSf(10, 0.5), 0.003888705, 'n=10', 1e-13);
  });

  it('is 1 − x for n = 1 and certain at the ends', () => {
    expect(smirnovSf(1, 0.25)).toBe(0.75);
    expect(smirnovSf(7, 0)).toBe(1);
    expect(smirnovSf(7, 1)).toBe(0);
  });

  it('is 1 − x(1 + x)^(n−1) for x <= 1/n and (1 − x)^n for x >= 1 − 1/n', () => {
    expectClose(smirnovSf(10, 0.05), 1 - 0.05 * 1.05 ** 9, 'small x', 1e-14);
    expectClose(smirnovSf(10, 0.1), 1 - 0.1 * 1.1 ** 9, 'x = 1/n', 1e-14);
    expectClose(smirnovSf(10, 0.95), 0.05 ** 10, 'large x', 1e-12);
  });

  it('gives both tails, summing to 1', () => {
    const { sf, cdf } = smirnov(100, 0.02);
    expect(sf + cdf).toBeCloseTo(1, 15);
  });

  it('is 0 once exp(−2nx²) underflows, and NaN outside its domain', () => {
    expect(smirnovSf(1000, 0.6)).toBe(0);
    expect(smirnovSf(0, 0.5)).toBeNaN();
    expect(smirnovSf(3.5, 0.5)).toBeNaN();
    expect(smirnovSf(10, 1.5)).toBeNaN();
    expect(smirnovSf(10, NaN)).toBeNaN();
  });
});

describe('splitProduct (cephes modNX)', () => {
  it('splits n·x exactly even when the rounded product is an integer', () => {
    // 0.7 is stored as 0.69999999999999995559…: 10 · 0.7 = 6.9999999999999995559…
    expect(10 * 0.7).toBe(7);
    const below = splitProduct(10, 0.7);
    expect(below.floor).toBe(6);
    expect(below.fraction).toBeCloseTo(1, 15);
    expect(below.fraction).toBeLessThan(1);
    // 0.1 is stored as 0.10000000000000000555…: 10 · 0.1 = 1.0000000000000000555…
    const above = splitProduct(10, 0.1);
    expect(above.floor).toBe(1);
    expect(above.fraction).toBeGreaterThan(0);
    expect(above.fraction).toBeLessThan(1e-15);
    expect(splitProduct(8, 0.25)).toEqual({ floor: 2, fraction: 0 });
    expect(splitProduct(3, 0.5)).toEqual({ floor: 1, fraction: 0.5 });
  });
});
