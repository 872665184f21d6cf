import fc from 'fast-check';
import { bucketed, scattered } from './cellShapes.testing.js';
import { describe, expect, it } from 'vitest';
import { wasserstein1 } from '../stats/index.js';
import { cellsOfValues, distanceBrackets, sortCells, type Bracket, type Cell } from './cells.js';
import {
  coarseReference,
  createReplayDistances,
  locatedKsBracket,
  mergeCells,
} from './replayDistances.js';

/**
 * The replay's distance brackets against the sweep's: KS D must be the sweep's bracket to
 * the last bit (a backtest's KS verdicts and values rest on it), Wasserstein must contain
 * the exact value computed from the raw values (src/stats, checked against scipy).
 */

const ordinary = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const ties = fc.integer({ min: -3, max: 3 }).map((v) => v * 0.5);
const heavy = fc
  .double({ min: 0.001, max: 0.999, noNaN: true })
  .map((u) => Math.tan(Math.PI * (u - 0.5)) * 1000);
const signedZero = fc.constantFrom(0, -0);
const subnormal = fc.constantFrom(5e-324, -5e-324, 1e-310, -2.5e-320, 0);
const value = fc.oneof(ordinary, ties, heavy, signedZero, subnormal);
const partition = fc.oneof(
  fc
    .record({
      centre: fc.double({ min: -10, max: 10, noNaN: true }),
      scale: fc.double({ min: 0.01, max: 1e4, noNaN: true }),
      k: fc.constantFrom(1, 3, 5, 7),
    })
    .map((p) => (values: number[]) => bucketed(values, p.centre, p.scale, p.k)),
  fc
    .array(fc.nat(), { minLength: 1, maxLength: 8 })
    .map((assignment) => (values: number[]) => scattered(values, assignment, 5)),
  fc.constant((values: number[]) => cellsOfValues(values)),
);
/** A reference of many values and a window of few (a backtest's pairs), or two of any size. */
const pairOfSamples = fc.oneof(
  fc.tuple(
    fc.array(fc.oneof(ordinary, ties, heavy), { minLength: 50, maxLength: 600 }),
    fc.array(value, { minLength: 1, maxLength: 40 }),
  ),
  fc.tuple(
    fc.array(value, { minLength: 1, maxLength: 80 }),
    fc.array(value, { minLength: 1, maxLength: 80 }),
  ),
  fc.tuple(fc.array(ties, { minLength: 1, maxLength: 60 }), fc.array(ties, { minLength: 1 })),
);
/** The window side shares the reference's bucketing half the time, as summaries do. */
const cellPair = fc
  .tuple(pairOfSamples, partition, partition, fc.boolean())
  .map(([[reference, window], cutReference, cutWindow, aligned]) => ({
    reference,
    window,
    referenceCells: cutReference(reference),
    windowCells: (aligned ? cutReference : cutWindow)(window),
  }));

const sameBits = (actual: Bracket, expected: Bracket) => {
  expect(
    Object.is(actual.lower, expected.lower),
    `lower ${actual.lower} vs ${expected.lower}`,
  ).toBe(true);
  expect(
    Object.is(actual.upper, expected.upper),
    `upper ${actual.upper} vs ${expected.upper}`,
  ).toBe(true);
  expect(Object.is(actual.value, expected.value)).toBe(true);
};

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

describe('the located KS bracket', () => {
  it('is the sweep’s bracket to the last bit, whichever side is walked', () => {
    fc.assert(
      fc.property(cellPair, ({ referenceCells, windowCells }) => {
        const a = sortCells(referenceCells);
        const b = sortCells(windowCells);
        const swept = distanceBrackets(a, b);
        if (!swept) return;
        sameBits(locatedKsBracket(a, b), swept.ks);
        sameBits(locatedKsBracket(b, a), swept.ks);
      }),
      { numRuns: 3000 },
    );
  });

  it('is the sweep’s bracket on touching and nested cells and point masses', () => {
    const touching: Cell[] = [
      { count: 3, sum: 1.5, min: 0, max: 1 },
      { count: 2, sum: 3, min: 1, max: 2 },
      { count: 4, sum: 10, min: 2, max: 3 },
    ];
    const nested: Cell[] = [
      { count: 5, sum: 7.5, min: 0, max: 3 },
      { count: 1, sum: 1.5, min: 1.5, max: 1.5 },
    ];
    const points = cellsOfValues([-0, 0, 1, 1, 2, 3, 3, 3]);
    for (const [a, b] of [
      [touching, nested],
      [nested, points],
      [points, touching],
      [touching, touching],
    ] as const) {
      const swept = distanceBrackets(a, b);
      expect(swept).not.toBeNull();
      if (swept) sameBits(locatedKsBracket(sortCells(a), sortCells(b)), swept.ks);
    }
  });
});

describe('the replay’s distance brackets', () => {
  it('give the sweep’s KS bracket and a Wasserstein bracket containing the exact value', () => {
    fc.assert(
      fc.property(
        cellPair,
        fc.constantFrom(1, 2, 4, 16),
        ({ reference, window, referenceCells, windowCells }, coarseCells) => {
          const distances = createReplayDistances({ coarseCells });
          const a = sortCells(referenceCells);
          const b = sortCells(windowCells);
          const swept = distanceBrackets(a, b);
          const cheap = distances(a, b, 'x');
          if (!swept || !cheap) return expect(cheap).toEqual(swept);
          sameBits(cheap.ks, swept.ks);
          const exact = wasserstein1(sorted(reference), sorted(window));
          expect(cheap.wasserstein.lower).toBeLessThanOrEqual(exact);
          expect(exact).toBeLessThanOrEqual(cheap.wasserstein.upper);
          expect(cheap.wasserstein.lower).toBeLessThanOrEqual(cheap.wasserstein.upper);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('sweep the features a check reads Wasserstein of, and a window as fine as its reference', () => {
    const values = Array.from({ length: 400 }, (_, i) => Math.sin(i) * 10);
    const reference = sortCells(bucketed(values, 0, 1, 5));
    const window = sortCells(cellsOfValues([1, 2.5, 3, 7]));
    const distances = createReplayDistances({ exactFeatures: new Set(['read']), coarseCells: 4 });
    expect(distances(reference, window, 'read')).toEqual(distanceBrackets(reference, window));
    const cheap = distances(reference, window, 'other');
    // the Wasserstein bracket is the coarse reference's: wider than the sweep's here
    const swept = distanceBrackets(reference, window);
    expect(cheap?.ks).toEqual(swept?.ks);
    expect(cheap?.wasserstein).toEqual(
      distanceBrackets(window, coarseReference(reference, 4))?.wasserstein,
    );
    expect(cheap?.wasserstein).not.toEqual(swept?.wasserstein);
    // a window with as many cells as the reference: the sweep
    expect(distances(window, reference, 'other')).toEqual(distanceBrackets(window, reference));
  });

  it('take the sweep where an endpoint is not finite, and are null for an empty side', () => {
    const distances = createReplayDistances();
    const reference = sortCells(cellsOfValues(Array.from({ length: 50 }, (_, i) => i)));
    const odd = sortCells([
      { count: 1, sum: NaN, min: NaN, max: NaN },
      { count: 2, sum: 4, min: 2, max: 2 },
    ]);
    expect(distances(reference, odd, 'x')).toEqual(distanceBrackets(reference, odd));
    const infinite = sortCells([{ count: 1, sum: Infinity, min: 3, max: Infinity }]);
    expect(distances(reference, infinite, 'x')).toEqual(distanceBrackets(reference, infinite));
    expect(distances(reference, sortCells([]), 'x')).toBeNull();
    expect(distances(sortCells([]), reference, 'x')).toBeNull();
  });
});

describe('merged reference cells', () => {
  it('keep every value inside a merged cell and the count whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(ordinary, ties), { minLength: 1, maxLength: 300 }),
        partition,
        fc.integer({ min: 1, max: 40 }),
        (values, cut, most) => {
          const cells = cut(values);
          const merged = mergeCells(cells, most);
          expect(merged.length).toBeLessThanOrEqual(Math.max(most, 1));
          expect(merged.reduce((n, cell) => n + cell.count, 0)).toBe(values.length);
          for (const v of values) expect(merged.some((c) => c.min <= v && v <= c.max)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
