import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binQuantileLevels, edgesFromQuantiles } from './bins.js';
import {
  addToCells,
  cellStatistics,
  clearPairCells,
  createPairCells,
  frameOf,
  populationStdDevOfValues,
} from './exactCells.js';
import { ksStatistic } from './ks.js';
import { casesOfKind, expectClose, nonNullSorted, parseOracleCases } from './oracle.testing.js';
import { quantileExactInclusive, sortedBinCounts, sortedDistances } from './sortedSample.js';
import { sortFloat64 } from './sortFloat64.js';

const LEVELS = binQuantileLevels(10);
const cells = createPairCells();

/** The cells' statistics of two samples, each given as a few arrays (as slices are). */
function fromCells(reference: readonly number[], current: readonly number[], parts = 1) {
  const split = (values: readonly number[]) =>
    Array.from({ length: parts }, (_, p) =>
      Float64Array.from(values.filter((_, i) => i % parts === p)),
    );
  const a = split(reference);
  const b = split(current);
  clearPairCells(cells, frameOf([...a, ...b]));
  for (const values of a) addToCells(cells, 'reference', values);
  for (const values of b) addToCells(cells, 'current', values);
  return { statistics: cellStatistics(cells, a, b, LEVELS), a, b };
}

const sorted = (values: readonly number[]) => sortFloat64(Float64Array.from(values));

// ---- an independent computation in exact integer arithmetic ---------------------------------

/** A finite double as an integer multiple of 2^-1074 (every double is one). */
function exactly(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const exponent = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  const magnitude = exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
  return high >>> 31 ? -magnitude : magnitude;
}

const bits = (x: bigint) => (x === 0n ? 0 : x.toString(2).length);

/** num / den · 2^exponent as the nearest double (to within an ulp), num ≥ 0, den > 0. */
function ratioToNumber(num: bigint, den: bigint, exponent: number): number {
  if (num === 0n) return 0;
  const shift = bits(num) - bits(den) - 64;
  const quotient = shift > 0 ? num / (den << BigInt(shift)) : (num << BigInt(-shift)) / den;
  const scale = shift + exponent;
  // 2^scale in two factors: either alone may over- or underflow
  return Number(quotient) * 2 ** Math.trunc(scale / 2) * 2 ** (scale - Math.trunc(scale / 2));
}

function integerSqrt(x: bigint): bigint {
  if (x < 2n) return x;
  let guess = 1n << BigInt(Math.ceil(bits(x) / 2));
  for (;;) {
    const next = (guess + x / guess) >> 1n;
    if (next >= guess) return guess;
    guess = next;
  }
}

/** W1 = Σ |i·m − j·n| · (x_{k+1} − x_k) / (n·m) over the distinct values, exactly. */
function exactWasserstein(reference: readonly number[], current: readonly number[]): number {
  const n = reference.length;
  const m = current.length;
  const a = [...reference].sort((x, y) => x - y);
  const b = [...current].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let total = 0n;
  let previous = 0n;
  let difference = 0n;
  while (i < n || j < m) {
    const x = Math.min(a[i] ?? Infinity, b[j] ?? Infinity);
    const here = exactly(x);
    total += difference * (here - previous);
    while (i < n && a[i] === x) i += 1;
    while (j < m && b[j] === x) j += 1;
    const d = BigInt(i * m - j * n);
    difference = d < 0n ? -d : d;
    previous = here;
  }
  return ratioToNumber(total, BigInt(n * m), -1074);
}

/** sqrt((n·Σx² − (Σx)²) / n²), exactly, then rounded. */
function exactStdDev(values: readonly number[]): number {
  const n = BigInt(values.length);
  let sum = 0n;
  let squares = 0n;
  for (const v of values) {
    const x = exactly(v);
    sum += x;
    squares += x * x;
  }
  const numerator = n * squares - sum * sum; // in units of 2^-2148
  return ratioToNumber(integerSqrt(numerator << 256n), n, -1074 - 128);
}

/** Plain KS from a sort: the largest |i·m − j·n| after each distinct value, over n·m. */
function plainKs(reference: readonly number[], current: readonly number[]): number {
  const n = reference.length;
  const m = current.length;
  const a = [...reference].sort((x, y) => x - y);
  const b = [...current].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let largest = 0;
  while (i < n || j < m) {
    const x = Math.min(a[i] ?? Infinity, b[j] ?? Infinity);
    while (i < n && a[i] === x) i += 1;
    while (j < m && b[j] === x) j += 1;
    largest = Math.max(largest, Math.abs(i * m - j * n));
  }
  return largest / (n * m);
}

function expectNear(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(
    relative * Math.abs(expected) + 8 * Number.MIN_VALUE,
  );
}

// ---- generated samples -------------------------------------------------------------------

/** Samples with ties, −0 and +0, huge and tiny magnitudes, one value, all in one cell. */
const sample = fc.oneof(
  fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 300 }),
  fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
  fc.array(fc.double({ min: -1e300, max: 1e300, noNaN: true }), { minLength: 1, maxLength: 100 }),
  fc.array(fc.constantFrom(0, -0, 1, 2.5, -2.5, 5e-324, -5e-324, 1e-310), {
    minLength: 1,
    maxLength: 100,
  }),
  // one cell: [1, 1 + 2^-8)
  fc.array(fc.double({ min: 1, max: 1.0039, noNaN: true }), { minLength: 1, maxLength: 200 }),
  fc
    .tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.integer({ min: 1, max: 50 }))
    .map(([value, count]) => new Array<number>(count).fill(value)),
  // far from zero with a small spread
  fc
    .array(fc.double({ min: 0, max: 1e-3, noNaN: true }), { minLength: 1, maxLength: 200 })
    .map((noise) => noise.map((e) => 1e9 + e)),
);

describe('statistics from cells', () => {
  it('give KS D, quantiles, range and bin counts bit for bit as the sorted samples do', () => {
    fc.assert(
      fc.property(sample, sample, fc.integer({ min: 1, max: 3 }), (reference, current, parts) => {
        const { statistics } = fromCells(reference, current, parts);
        if (!statistics) throw new Error('finite samples below 1e300 are read from cells');
        const a = sorted(reference);
        const b = sorted(current);
        const quantiles = LEVELS.map((level) => quantileExactInclusive(a, level));
        const edges = edgesFromQuantiles(quantiles);
        expect(statistics.ks).toBe(sortedDistances(a, b).ks);
        expect(statistics.ks).toBe(plainKs(reference, current));
        expect(Math.abs(statistics.ks - ksStatistic([...a], [...b]))).toBeLessThanOrEqual(1e-15);
        expect(statistics.quantiles).toEqual(quantiles);
        expect(statistics.min).toBe(a[0]);
        expect(statistics.max).toBe(a[a.length - 1]);
        expect(statistics.binCounts).toEqual({
          reference: sortedBinCounts(a, edges),
          current: sortedBinCounts(b, edges),
        });
      }),
      { numRuns: 400 },
    );
  });

  it('give W1 and the spread within 1e-12 of an exact integer computation', () => {
    fc.assert(
      fc.property(sample, sample, fc.integer({ min: 1, max: 3 }), (reference, current, parts) => {
        const { statistics, a } = fromCells(reference, current, parts);
        expectNear(statistics?.wasserstein ?? NaN, exactWasserstein(reference, current), 1e-12);
        const largest = Math.max(...reference.map(Math.abs));
        expectNear(populationStdDevOfValues(a, largest), exactStdDev(reference), 1e-12);
      }),
      { numRuns: 400 },
    );
  });

  it('keep the spread of values near 1e9 with a noise of 1e-3 (ill-conditioned)', () => {
    // 200k values: a naive or sorted sum of the mean loses the noise's digits
    const values = Array.from({ length: 200_000 }, (_, i) => 1e9 + ((i * 7919) % 1000) * 1e-6);
    const spread = populationStdDevOfValues([Float64Array.from(values)], 1e9);
    expectNear(spread, exactStdDev(values), 1e-12);
  });

  it('resolve large samples: crossings, ties and one cell', () => {
    const uniform = (seed: number, size: number) =>
      Array.from({ length: size }, (_, i) => {
        const u = Math.sin((i + 1) * 12.9898 + seed) * 43758.5453;
        return u - Math.floor(u);
      });
    const cases: [number[], number[]][] = [
      [uniform(1, 20_000).map((u) => Math.log(u)), uniform(2, 15_000).map((u) => Math.log(u))],
      [
        uniform(3, 20_000).map((u) => Math.round(u * 10)),
        uniform(4, 9_000).map((u) => Math.round(u * 11)),
      ],
      [uniform(5, 5_000).map((u) => 1 + u / 512), uniform(6, 5_000).map((u) => 1 + u / 600)],
    ];
    for (const [reference, current] of cases) {
      const { statistics } = fromCells(reference, current, 3);
      const a = sorted(reference);
      const b = sorted(current);
      expect(statistics?.ks).toBe(sortedDistances(a, b).ks);
      expectNear(statistics?.wasserstein ?? NaN, exactWasserstein(reference, current), 1e-12);
      expect(statistics?.quantiles).toEqual(LEVELS.map((l) => quantileExactInclusive(a, l)));
    }
  });

  it('leave values near the float limits, and non-finite ones, to the sort', () => {
    expect(fromCells([-1.7e308, 1e308], [1.5e308]).statistics).toBeUndefined();
    expect(fromCells([1, Infinity], [2]).statistics).toBeUndefined();
    expect(fromCells([1, 2], [NaN]).statistics).toBeUndefined();
    expect(fromCells([], [2]).statistics).toBeUndefined();
  });
});

describe('statistics from cells against scipy', () => {
  const cases = parseOracleCases(
    readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
  );
  it.each(casesOfKind(cases, 'numeric'))('$name', ({ reference, current, expected }) => {
    const a = nonNullSorted(reference);
    const b = nonNullSorted(current);
    const { statistics, a: parts } = fromCells(a, b, 2);
    expect(Math.abs((statistics?.ks ?? NaN) - expected.ks_statistic)).toBeLessThanOrEqual(1e-9);
    expectClose(statistics?.wasserstein ?? NaN, expected.wasserstein, 'wasserstein');
    const largest = Math.max(...a.map(Math.abs));
    const spread = populationStdDevOfValues(parts, largest);
    expectClose((statistics?.wasserstein ?? NaN) / spread, expected.wasserstein_normed, 'normed');
    // the oracle's edges are numpy's quantiles with ties merged
    const edges = edgesFromQuantiles(statistics?.quantiles ?? []);
    expect(edges).toHaveLength(expected.psi_bin_edges.length);
    edges.forEach((edge, k) => expectClose(edge, expected.psi_bin_edges[k] ?? NaN, `edge ${k}`));
  });
});
