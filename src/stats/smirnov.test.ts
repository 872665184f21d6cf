import { describe, expect, it } from 'vitest';
import { expectClose } from './oracle.testing.js';
import { smirnov, smirnovSf, smirnovSfLowerBound, splitProduct } from './smirnov.js';

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

describe('smirnovSfLowerBound', () => {
  // large n (the long sums it is for), x from the body of the distribution to its far tail,
  // n·x an integer or not, and n on both sides of where the bound starts to differ
  const cases: [number, number][] = [];
  for (const n of [9_999, 10_000, 20_011, 90_000, 99_137, 300_000, 909_090, 1_000_000])
    for (const k of [0.6, 1.05, 1.5, 2.2, 3, 5, 8, 12, 19])
      if (k / Math.sqrt(n) < 1) cases.push([n, (k / Math.sqrt(n)) * (1 + 1e-7)]);
  cases.push([100_000, 0.01], [400_000, 0.005]);

  it.each(cases)('n=%i x=%f: at most the value, and within 10%% of it', (n, x) => {
    const value = smirnovSf(n, x);
    const bound = smirnovSfLowerBound(n, x);
    expect(bound).toBeLessThanOrEqual(value);
    expect(bound).toBeGreaterThanOrEqual(0.9 * value * (1 - 1e-8));
  });

  it('is the value itself below n = 10000 and outside the lower sum', () => {
    expect(smirnovSfLowerBound(5000, 0.03)).toBe(smirnovSf(5000, 0.03));
    expect(smirnovSfLowerBound(100, 0.02)).toBe(smirnovSf(100, 0.02)); // upper sum
    expect(smirnovSfLowerBound(2_000_000, 0.0015)).toBe(smirnovSf(2_000_000, 0.0015)); // Miller
    expect(smirnovSfLowerBound(50_000, 0.6)).toBe(0); // underflow
    expect(smirnovSfLowerBound(0, 0.5)).toBeNaN();
    expect(smirnovSfLowerBound(50_000, NaN)).toBeNaN();
  });

  it('agrees with scipy within its bound: n = 300000, x = 0.00547722557505166', () => {
    // scipy.special.smirnov(300000, 0.00547722557505166) = 1.5172850065619882e-8
    const bound = smirnovSfLowerBound(300_000, 0.00547722557505166);
    expect(bound).toBeLessThanOrEqual(1.5172850065619882e-8);
    expect(bound).toBeGreaterThan(0.9 * 1.5172850065619882e-8);
  });
});
