import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeAllSorted, mergeSorted, sortFloat64 } from './sortFloat64.js';

/** Doubles with what makes float sorting hard: signed zeros, infinities, NaN, subnormals,
 * the float limits and many ties (a small pool of values drawn again and again). */
const awkward = fc.constantFrom(
  0,
  -0,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308, // smallest normal
  2.225073858507201e-308, // largest subnormal
  -2.225073858507201e-308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1e308,
  -1e308,
  1,
  -1,
  0.1,
);
const double = fc.oneof(
  { weight: 3, arbitrary: fc.double() },
  { weight: 2, arbitrary: awkward },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }) },
);
/** Long enough for the radix passes (short arrays take the built-in sort). */
const column = fc.oneof(
  fc.array(double, { maxLength: 40 }),
  fc.array(double, { minLength: 500, maxLength: 3000 }),
);

/** Same values, bit for bit where it matters: −0 apart from +0, NaN as NaN. */
function expectSameOrder(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i += 1) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`at ${i}: ${actual[i]} where Float64Array.sort has ${expected[i]}`);
    }
  }
}

describe('sortFloat64 (radix) against Float64Array.prototype.sort', () => {
  it('gives the same order on any doubles', () => {
    fc.assert(
      fc.property(column, (values) => {
        const expected = Float64Array.from(values).sort();
        expectSameOrder(sortFloat64(Float64Array.from(values)), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('sorts a million normal values and a million copies of one value', () => {
    const values = Float64Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i) * 1e3);
    expectSameOrder(sortFloat64(values.slice()), values.slice().sort());
    const constant = new Float64Array(1_000_000).fill(-2.5);
    expectSameOrder(sortFloat64(constant.slice()), constant);
  });

  it('orders values that share their high 32 bits (a narrow range, short and long runs)', () => {
    // 1 + k·2^-52 and −(1 + k·2^-52): one high word each for all k < 2^20, so the radix
    // passes leave them in one run whose low words alone decide the order
    const ulp = 2 ** -52;
    const shuffled = (length: number, spread: number) =>
      Float64Array.from({ length }, (_, i) => {
        const k = (i * 7919) % spread;
        return (i % 2 === 0 ? 1 : -1) * (1 + k * ulp) + (i % 5 === 0 ? 1 : 0);
      });
    for (const [length, spread] of [
      [600, 600],
      [600, 13],
      [100_000, 100_000],
      [100_000, 31],
    ] as const) {
      const values = shuffled(length, spread);
      expectSameOrder(sortFloat64(values.slice()), values.slice().sort());
    }
  });

  it('sorts in place a view that starts inside a larger buffer', () => {
    const buffer = Float64Array.from({ length: 2000 }, (_, i) => (i * 7919) % 1000);
    const view = buffer.subarray(500, 1500);
    const expected = view.slice().sort();
    expect(sortFloat64(view)).toBe(view);
    expectSameOrder(view, expected);
    expect(buffer[0]).toBe(0);
    expect(buffer[1999]).toBe((1999 * 7919) % 1000);
  });
});

describe('mergeSorted and mergeAllSorted', () => {
  it('give the sort of the concatenation', () => {
    fc.assert(
      fc.property(fc.array(column, { maxLength: 5 }), (columns) => {
        const sorted = columns.map((values) => Float64Array.from(values).sort());
        const expected = Float64Array.from(columns.flat()).sort();
        expectSameOrder(mergeAllSorted(sorted), expected);
        if (sorted.length >= 2) {
          const [a, b] = sorted as [Float64Array, Float64Array];
          expectSameOrder(mergeSorted(a, b), Float64Array.from([...a, ...b]).sort());
        }
      }),
      { numRuns: 200 },
    );
  });
});
