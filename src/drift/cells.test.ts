import fc from 'fast-check';
import { bucketed, cellsOf, scattered } from './cellShapes.testing.js';
import { describe, expect, it } from 'vitest';
import {
  binCounts,
  binEdgesFromQuantiles,
  jensenShannonDistance,
  ksStatistic,
  psi,
  quantileR7,
  wasserstein1,
} from '../stats/index.js';
import {
  atOrAbove,
  binCountRanges,
  cellsOfValues,
  distanceBrackets,
  exactBinCounts,
  jensenShannonBracket,
  ksBracket,
  outsideRange,
  psiBracket,
  sortCells,
  wassersteinBracket,
  type Cell,
} from './cells.js';

/**
 * Every bracket must contain the exact value, computed independently on the raw values by
 * src/stats' reference implementations (themselves checked against scipy), whatever the
 * cells: aligned buckets like the summaries', unaligned runs, or overlapping groups.
 */

/** Contiguous runs of the sorted values, cut at random places. */
function runs(values: number[], cuts: number[]): Cell[] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = [...new Set(cuts.map((c) => c % (sorted.length + 1)))].sort((a, b) => a - b);
  const groups: number[][] = [];
  let previous = 0;
  for (const cut of [...at, sorted.length]) {
    groups.push(sorted.slice(previous, cut));
    previous = cut;
  }
  return cellsOf(groups);
}

const ordinary = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const ties = fc.integer({ min: -3, max: 3 }).map((v) => v * 0.5);
const heavy = fc
  .double({ min: 0.001, max: 0.999, noNaN: true })
  .map((u) => Math.tan(Math.PI * (u - 0.5)) * 1000);
const nearLimits = fc.constantFrom(1.7e308, -1.7e308, 1e308, -1e308, 8.9e307, 0, 1, -1);
const subnormal = fc.constantFrom(5e-324, -5e-324, 1e-310, -2.5e-320, 2.2250738585072014e-308, 0);
const value = fc.oneof(ordinary, ties, heavy, nearLimits, subnormal);
const sample = fc.oneof(
  fc.array(value, { minLength: 1, maxLength: 60 }),
  fc.array(ties, { minLength: 1, maxLength: 60 }),
  fc
    .tuple(value, fc.integer({ min: 1, max: 40 }))
    .map(([repeated, n]) => Array.from({ length: n }, () => repeated)),
);
const partition = fc.oneof(
  fc
    .record({
      centre: fc.double({ min: -10, max: 10, noNaN: true }),
      scale: fc.double({ min: 0.01, max: 100, noNaN: true }),
      k: fc.constantFrom(1, 3, 5, 7),
    })
    .map((p) => (values: number[]) => bucketed(values, p.centre, p.scale, p.k)),
  fc.array(fc.nat(), { maxLength: 8 }).map((cuts) => (values: number[]) => runs(values, cuts)),
  fc
    .array(fc.nat(), { minLength: 1, maxLength: 8 })
    .map((assignment) => (values: number[]) => scattered(values, assignment, 4)),
  fc.constant((values: number[]) => cellsOfValues(values)),
);
/** The same cells in any order, with empty cells among them: none of it may change a bound. */
const arrangement = fc.constantFrom(
  (cells: Cell[]) => cells,
  (cells: Cell[]) => [...cells].sort((p, q) => p.min - q.min || p.max - q.max),
  (cells: Cell[]) => [...cells].sort((p, q) => q.max - p.max),
  (cells: Cell[]) => [{ count: 0, sum: 0, min: 9, max: -9 }, ...cells.reverse()],
);

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

function contains(bracket: { lower: number; upper: number } | null, exact: number, slack = 0) {
  expect(bracket).not.toBeNull();
  if (!bracket) return;
  expect(bracket.lower).toBeLessThanOrEqual(bracket.upper);
  expect(bracket.lower - slack).toBeLessThanOrEqual(exact);
  expect(exact).toBeLessThanOrEqual(bracket.upper + slack);
}

describe('cell brackets contain the exact value', () => {
  it('KS D', () => {
    fc.assert(
      fc.property(sample, sample, partition, partition, (a, b, cutA, cutB) => {
        contains(ksBracket(cutA(a), cutB(b)), ksStatistic(sorted(a), sorted(b)), 1e-12);
      }),
      { numRuns: 400 },
    );
  });

  it('Wasserstein-1, near the float limits too', () => {
    fc.assert(
      fc.property(sample, sample, partition, partition, (a, b, cutA, cutB) => {
        const exact = exactWasserstein(a, b);
        const bracket = wassersteinBracket(cutA(a), cutB(b));
        if (!Number.isFinite(exact)) {
          expect(bracket?.upper).toBe(Infinity);
          return;
        }
        contains(bracket, exact, Math.abs(exact) * 1e-9);
      }),
      { numRuns: 400 },
    );
  });

  it('PSI and Jensen-Shannon over reference deciles', () => {
    fc.assert(
      fc.property(sample, sample, partition, (reference, current, cut) => {
        const s = sorted(reference);
        const edges = binEdgesFromQuantiles(
          [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantileR7(s, k / 10)),
        ).filter(Number.isFinite);
        const referenceCounts = binCounts(edges, reference);
        const currentCounts = binCounts(edges, current);
        const ranges = binCountRanges(edges, cut(current));
        contains(
          psiBracket(exactBinCounts(referenceCounts), ranges),
          psi(referenceCounts, currentCounts),
          1e-9,
        );
        contains(
          jensenShannonBracket(exactBinCounts(referenceCounts), ranges),
          jensenShannonDistance(referenceCounts, currentCounts),
          1e-9,
        );
      }),
      { numRuns: 400 },
    );
  });

  it('PSI and Jensen-Shannon on large bucketed samples (the chain bounds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 2 }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.constantFrom(3, 5, 7),
        (seed, shift, k) => {
          let state = seed;
          const uniform = () => {
            state = (state * 48271) % 2147483647;
            return state / 2147483647;
          };
          const normal = () =>
            Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
          const reference = Array.from({ length: 3000 }, () => Math.round(normal() * 1000) / 100);
          const current = Array.from(
            { length: 3000 },
            () => Math.round((normal() + shift) * 1000) / 100,
          );
          const s = sorted(reference);
          const edges = binEdgesFromQuantiles(
            [1, 2, 3, 4, 5, 6, 7, 8, 9].map((q) => quantileR7(s, q / 10)),
          );
          const referenceCounts = binCounts(edges, reference);
          const currentCounts = binCounts(edges, current);
          const ranges = binCountRanges(edges, bucketed(current, 0, 1, k));
          contains(
            psiBracket(exactBinCounts(referenceCounts), ranges),
            psi(referenceCounts, currentCounts),
            1e-9,
          );
          contains(
            jensenShannonBracket(exactBinCounts(referenceCounts), ranges),
            jensenShannonDistance(referenceCounts, currentCounts),
            1e-9,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts outside a range and at or above a threshold', () => {
    fc.assert(
      fc.property(sample, partition, value, value, (values, cut, x, y) => {
        const [min, max] = x <= y ? [x, y] : [y, x];
        const outside = values.filter((v) => v < min || v > max).length;
        const above = values.filter((v) => v >= x).length;
        const cells = cut(values);
        contains(outsideRange(cells, min, max), outside);
        contains(atOrAbove(cells, x), above);
      }),
    );
  });
});

describe('the distance sweep', () => {
  it('gives KS the ECDF bounds at every endpoint, counted directly', () => {
    fc.assert(
      fc.property(sample, sample, partition, partition, arrangement, (a, b, cutA, cutB, order) => {
        const cellsA = order(cutA(a));
        const cellsB = order(cutB(b));
        // F_lo(x) = mass of cells with max <= x, F_hi(x) = mass of cells with min <= x
        const mass = (cells: Cell[], inside: (cell: Cell) => boolean) =>
          cells.filter(inside).reduce((total, cell) => total + cell.count, 0);
        const n = mass(cellsA, () => true);
        const m = mass(cellsB, () => true);
        let lower = 0;
        let upper = 0;
        for (const x of [...cellsA, ...cellsB].flatMap((cell) => [cell.min, cell.max])) {
          const fLo = mass(cellsA, (cell) => cell.count > 0 && cell.max <= x) / n;
          const fHi = mass(cellsA, (cell) => cell.count > 0 && cell.min <= x) / n;
          const gLo = mass(cellsB, (cell) => cell.count > 0 && cell.max <= x) / m;
          const gHi = mass(cellsB, (cell) => cell.count > 0 && cell.min <= x) / m;
          lower = Math.max(lower, fLo - gHi, gLo - fHi);
          upper = Math.max(upper, fHi - gLo, gHi - fLo);
        }
        expect(ksBracket(cellsA, cellsB)).toMatchObject({
          lower: Math.min(lower, 1),
          upper: Math.min(upper, 1),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the cells’ order or on sorting them beforehand', () => {
    fc.assert(
      fc.property(
        sample,
        sample,
        partition,
        partition,
        arrangement,
        arrangement,
        (a, b, cutA, cutB, orderA, orderB) => {
          const cellsA = cutA(a);
          const cellsB = cutB(b);
          const plain = distanceBrackets(cellsA, cellsB);
          const snapshots = distanceBrackets(sortCells(cellsA), sortCells(cellsB));
          const rearranged = distanceBrackets(orderA([...cellsA]), orderB([...cellsB]));
          expect(snapshots).toEqual(plain);
          expect(rearranged?.ks).toEqual(plain?.ks);
          // cells tied on min may be summed in another order: the last bits may differ
          const w = plain?.wasserstein;
          const v = rearranged?.wasserstein;
          if (!w || !v) return expect(v).toEqual(w);
          for (const end of ['lower', 'upper'] as const) {
            if (v[end] === w[end]) continue;
            expect(Math.abs(v[end] - w[end])).toBeLessThanOrEqual(Math.abs(w[end]) * 1e-12);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  // The sweep steps through a run of the first side's cells that are each alone in their
  // cluster on a path of its own; every bound it computes is symmetric in the two sides, so
  // swapping them (which moves that path onto the other side's cells) must change no bit.
  it('gives the same brackets to the last bit with the sides swapped', () => {
    const grid = fc
      .record({
        reference: fc.array(fc.oneof(ordinary, ties, heavy), { minLength: 50, maxLength: 400 }),
        window: fc.array(fc.oneof(ordinary, ties, heavy, subnormal), { maxLength: 30 }),
        centre: fc.double({ min: -10, max: 10, noNaN: true }),
        scale: fc.double({ min: 0.01, max: 1e5, noNaN: true }),
        k: fc.constantFrom(3, 5, 7),
      })
      .map(({ reference, window, centre, scale, k }) => [
        bucketed(reference, centre, scale, k),
        bucketed(window.length > 0 ? window : [0], centre, scale, k),
      ]);
    const mixed = fc
      .tuple(sample, sample, partition, partition)
      .map(([a, b, cutA, cutB]) => [cutA(a), cutB(b)]);
    fc.assert(
      fc.property(fc.oneof(grid, mixed), ([a, b]) => {
        if (!a || !b) return;
        expect(distanceBrackets(b, a)).toEqual(distanceBrackets(a, b));
      }),
      { numRuns: 600 },
    );
  });

  it('is null when a side is empty or holds only empty cells, and handles min = max cells', () => {
    const some = cellsOfValues([1, 2, 2, 3]);
    expect(distanceBrackets([], some)).toBeNull();
    expect(distanceBrackets(some, [{ count: 0, sum: 0, min: 1, max: 2 }])).toBeNull();
    const point = [{ count: 4, sum: 8, min: 2, max: 2 }];
    expect(ksBracket(point, point)).toMatchObject({ lower: 0, upper: 0 });
    // (Wasserstein's upper end steps one double outwards from 0)
    expect(wassersteinBracket(point, point)).toMatchObject({ lower: 0, upper: Number.MIN_VALUE });
    // the mass at 2 vs the mass at 5: D = 1 and W = 3 exactly
    const far = [{ count: 1, sum: 5, min: 5, max: 5 }];
    expect(ksBracket(point, far)).toMatchObject({ lower: 1, upper: 1 });
    const w = wassersteinBracket(point, far);
    expect(w?.lower).toBeLessThanOrEqual(3);
    expect(w?.upper).toBeGreaterThanOrEqual(3);
    expect((w?.upper ?? 0) - (w?.lower ?? 0)).toBeLessThan(1e-12);
  });
});

describe('cell brackets are exact or tight where they should be', () => {
  it('is exact on exact values', () => {
    const a = [1, 2, 2, 3, 7.5];
    const b = [2, 2, 4, 9];
    expect(ksBracket(cellsOfValues(a), cellsOfValues(b))).toMatchObject({
      lower: ksStatistic(a, sorted(b)),
      upper: ksStatistic(a, sorted(b)),
    });
    const w = wassersteinBracket(cellsOfValues(a), cellsOfValues(b));
    expect(w?.value).toBeCloseTo(wasserstein1(a, sorted(b)), 12);
    expect((w?.upper ?? 0) - (w?.lower ?? 0)).toBeLessThan(1e-12);
  });

  it('brackets KS of a shifted N(19, 1) narrowly with the summaries’ frames (k = 7)', () => {
    const normal = (seed: number, n: number, mean: number) => {
      let state = seed;
      const uniform = () => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return (state + 0.5) / 2 ** 31;
      };
      return Array.from(
        { length: n },
        () => mean + Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
      );
    };
    const reference = normal(1, 20000, 19);
    const current = normal(2, 20000, 19.05);
    const bracket = ksBracket(bucketed(reference, 19, 1, 7), bucketed(current, 19, 1, 7));
    const exact = ksStatistic(sorted(reference), sorted(current));
    contains(bracket, exact);
    expect((bracket?.upper ?? 1) - (bracket?.lower ?? 0)).toBeLessThan(0.005);
    const w = wassersteinBracket(bucketed(reference, 19, 1, 7), bucketed(current, 19, 1, 7));
    contains(w, wasserstein1(sorted(reference), sorted(current)));
    expect(((w?.upper ?? 1) - (w?.lower ?? 0)) / (w?.value ?? 1)).toBeLessThan(0.1);
  });
});

/** ∫|F_a − F_b| in plain arithmetic on the merged sample, halved to stay finite near the limits. */
function exactWasserstein(a: number[], b: number[]): number {
  const all = sorted([...a, ...b]);
  const sa = sorted(a);
  const sb = sorted(b);
  let i = 0;
  let j = 0;
  // A width that does not overflow is exact as a difference (among subnormals too, where
  // halving each end would round); only widths beyond the largest double are halved.
  let whole = 0;
  let half = 0;
  for (let k = 0; k < all.length - 1; k += 1) {
    const x = all[k] ?? 0;
    const next = all[k + 1] ?? 0;
    while (i < sa.length && (sa[i] ?? Infinity) <= x) i += 1;
    while (j < sb.length && (sb[j] ?? Infinity) <= x) j += 1;
    const gap = Math.abs(i / sa.length - j / sb.length);
    const width = next - x;
    if (Number.isFinite(width)) whole += gap * width;
    else half += gap * (next / 2 - x / 2);
  }
  return whole + half * 2;
}
