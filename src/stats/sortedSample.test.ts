import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binCounts, binEdgesFromQuantiles, quantileR7 } from './bins.js';
import { ksStatistic } from './ks.js';
import {
  populationStdDev,
  quantileExactInclusive,
  sortedBinCounts,
  sortedDistances,
} from './sortedSample.js';
import { sortFloat64 } from './sortFloat64.js';
import { wasserstein1 } from './wasserstein.js';

/** Finite samples with heavy ties (small integers), spread values, or one repeated value. */
const sample = fc.oneof(
  fc.array(fc.integer({ min: -4, max: 4 }), { maxLength: 300 }),
  fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 300 }),
  fc
    .tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.nat({ max: 50 }))
    .map(([value, count]) => new Array<number>(count).fill(value)),
  fc.array(fc.constantFrom(0, -0, 1, 2.5), { maxLength: 100 }),
);

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);
const sorted = (values: readonly number[]) => sortFloat64(Float64Array.from(values));

/** Within `tolerance` of the expected value's magnitude, or of `scale` (the sample's largest
 * magnitude) where rounding of the values themselves is what differs. */
function expectRelative(actual: number, expected: number, tolerance = 1e-12, scale = 0): void {
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
    return;
  }
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(
    tolerance * Math.max(Math.abs(expected), scale) + 4 * Number.MIN_VALUE,
  );
}

const largest = (values: readonly number[]) => Math.max(0, ...values.map(Math.abs));

describe('sortedDistances against ks.ts and wasserstein.ts on plain arrays', () => {
  it('gives the same D (exactly) and W1 on samples with ties, repeats and empties', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const { ks, wasserstein } = sortedDistances(sorted(a), sorted(b));
        const expectedD = ksStatistic(ascending(a), ascending(b));
        if (Number.isNaN(expectedD)) expect(ks).toBeNaN();
        else expect(Math.abs(ks - expectedD)).toBeLessThanOrEqual(1e-15);
        expectRelative(wasserstein, wasserstein1(ascending(a), ascending(b)), 1e-9);
      }),
      { numRuns: 500 },
    );
  });

  it('is 0 for one value repeated on both sides, and NaN against an empty sample', () => {
    expect(sortedDistances(sorted([3, 3, 3]), sorted([3, 3]))).toEqual({ ks: 0, wasserstein: 0 });
    const empty = sortedDistances(sorted([]), sorted([1]));
    expect(empty.ks).toBeNaN();
    expect(empty.wasserstein).toBeNaN();
  });

  it('stays finite near ±1e308 and exact among subnormals (scaled by powers of two)', () => {
    const huge = [-1.5e308, -1e308, 0, 1e308, 1.7e308, 1.7e308];
    const wide = [-1.7e308, 1e308, 1.2e308];
    const { ks, wasserstein } = sortedDistances(sorted(huge), sorted(wide));
    expect(Math.abs(ks - ksStatistic(ascending(huge), ascending(wide)))).toBeLessThanOrEqual(1e-15);
    // W1 scales with its values: the same samples divided by 2^4 give W1 / 2^4 exactly
    const scaledDown = (values: number[]) => ascending(values.map((v) => v / 16));
    expectRelative(wasserstein, 16 * wasserstein1(scaledDown(huge), scaledDown(wide)));
    expect(Number.isFinite(wasserstein)).toBe(true);

    const tiny = [Number.MIN_VALUE, 3 * Number.MIN_VALUE, -2 * Number.MIN_VALUE, 2.2e-308];
    const tiny2 = [0, 5 * Number.MIN_VALUE, 1e-310];
    const scaledUp = (values: number[]) => ascending(values.map((v) => v * 2 ** 600));
    const small = sortedDistances(sorted(tiny), sorted(tiny2));
    expectRelative(small.wasserstein, wasserstein1(scaledUp(tiny), scaledUp(tiny2)) / 2 ** 600);
    expect(Math.abs(small.ks - ksStatistic(ascending(tiny), ascending(tiny2)))).toBeLessThan(1e-15);
  });
});

describe('quantileExactInclusive', () => {
  it('agrees with numpy R-7 (quantileR7) to rounding', () => {
    fc.assert(
      fc.property(sample, fc.double({ min: 0, max: 1, noNaN: true }), (values, level) => {
        expectRelative(
          quantileExactInclusive(sorted(values), level),
          quantileR7(ascending(values), level),
          1e-12,
          largest(values),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('takes the ends at levels 0 and 1 and NaN when empty', () => {
    const values = sorted([5, 1, 3]);
    expect(quantileExactInclusive(values, 0)).toBe(1);
    expect(quantileExactInclusive(values, 1)).toBe(5);
    expect(quantileExactInclusive(sorted([]), 0.5)).toBeNaN();
  });
});

describe('sortedBinCounts against bins.ts (searchsorted side right)', () => {
  it('counts the same per bin, on edges from the sample itself or from elsewhere', () => {
    fc.assert(
      fc.property(sample, sample, (reference, current) => {
        const levels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
        const edges = binEdgesFromQuantiles(
          levels.map((level) => quantileR7(ascending(reference), level)),
        );
        expect(sortedBinCounts(sorted(current), edges)).toEqual(binCounts(edges, current));
        expect(sortedBinCounts(sorted(reference), edges)).toEqual(binCounts(edges, reference));
      }),
      { numRuns: 500 },
    );
  });
});

describe('populationStdDev', () => {
  const twoPass = (values: readonly number[]) => {
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
  };

  it('is numpy’s std (ddof 0) on ordinary samples', () => {
    fc.assert(
      fc.property(sample, (values) => {
        if (values.length === 0) {
          expect(populationStdDev(sorted(values))).toBeNaN();
          return;
        }
        // subnormal samples: their squares would vanish, so the reference is taken on the
        // values scaled up by an exact power of two
        const up = largest(values) < 1e-150 ? 2 ** 600 : 1;
        const expected = twoPass(values.map((v) => v * up)) / up;
        expectRelative(populationStdDev(sorted(values)), expected, 1e-9, largest(values));
      }),
      { numRuns: 300 },
    );
  });

  it('neither overflows near ±1e308 nor vanishes among subnormals', () => {
    const huge = [-1.7e308, 1.7e308, 1e308];
    expectRelative(populationStdDev(sorted(huge)), twoPass(huge.map((v) => v / 4)) * 4);
    const tiny = [Number.MIN_VALUE, 7 * Number.MIN_VALUE, 0];
    expectRelative(
      populationStdDev(sorted(tiny)),
      twoPass(tiny.map((v) => v * 2 ** 600)) / 2 ** 600,
      1e-9,
    );
    expect(populationStdDev(sorted([4, 4, 4]))).toBe(0);
  });

  it('keeps the spread of a small sample near 1e9 with a noise of 1e-3 (ill-conditioned)', () => {
    // 5,000 values (the sorted path's size): a plain sum of the mean loses the noise's digits
    const values = Array.from({ length: 5000 }, (_, i) => 1e9 + ((i * 7919) % 1000) * 1e-6);
    const mean = values.reduce((sum, v) => sum + (v - 1e9), 0) / values.length;
    const offsets = values.map((v) => v - 1e9 - mean); // exact: v − 1e9 is a small multiple of 2^-23
    const expected = Math.sqrt(offsets.reduce((sum, d) => sum + d * d, 0) / values.length);
    expectRelative(populationStdDev(sorted(values)), expected, 1e-9);
  });
});
