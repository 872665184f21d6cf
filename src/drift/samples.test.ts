import { describe, expect, it } from 'vitest';
import type { CellGroup } from './summaryCells.js';
import { distanceBrackets, sortCells } from './cells.js';
import { ALL_SLICE_ID, finiteCount, foldCells, sortedNumbers } from './samples.js';
import { createRandom } from '../demo/random.js';

function numberGroup(frame: number, cells: [number, number, number, number, number][]): CellGroup {
  return {
    feature: 'x',
    sliceHash: 'h',
    state: 'number',
    frame,
    categories: [],
    buckets: cells.map(([bucket]) => bucket),
    counts: cells.map(([, count]) => count),
    sums: cells.map(([, , sum]) => sum),
    mins: cells.map(([, , , min]) => min),
    maxs: cells.map(([, , , , max]) => max),
  };
}

describe('folded cells', () => {
  // two parts of the same frame (merged per bucket) and a second frame overlapping the first
  const groups = [
    numberGroup(1, [
      [3, 2, 7, 3, 4],
      [-1, 1, -0.5, -0.5, -0.5],
      [0, 4, 1, 0.1, 0.4],
    ]),
    numberGroup(1, [[3, 1, 3.5, 3.5, 3.5]]),
    numberGroup(2, [[0, 5, 10, 1, 3]]),
  ];
  const sample = () =>
    foldCells(groups, [{ hash: 'h', attributes: {} }], [])
      .slices.get(ALL_SLICE_ID)
      ?.features.get('x');

  it('merges cells of the same frame and bucket, sorted by min, with a snapshot for the brackets', () => {
    const folded = sample();
    expect(folded?.numbers).toEqual([
      { count: 1, sum: -0.5, min: -0.5, max: -0.5 },
      { count: 4, sum: 1, min: 0.1, max: 0.4 },
      { count: 5, sum: 10, min: 1, max: 3 },
      { count: 3, sum: 10.5, min: 3, max: 4 },
    ]);
    if (!folded) return;
    expect(finiteCount(folded)).toBe(13);
    expect(sortedNumbers(folded)).toBe(folded.sorted);
    // the same snapshot as sorting the cells afresh from any order
    const afresh = sortCells([...folded.numbers].reverse());
    expect({ ...sortedNumbers(folded), source: null }).toEqual({ ...afresh, source: null });
  });

  it('orders one frame’s cells by value even where bucket keys do not follow the values', () => {
    const keyed = (cells: [number, number, number, number, number][]) =>
      foldCells([numberGroup(1, cells)], [{ hash: 'h', attributes: {} }], [])
        .slices.get(ALL_SLICE_ID)
        ?.features.get('x')
        ?.numbers.map((cell) => cell.min);
    expect(
      keyed([
        [2, 1, 5, 5, 5],
        [-3, 1, -1, -1, -1],
        [0, 1, 1, 1, 1],
      ]),
    ).toEqual([-1, 1, 5]);
    expect(
      keyed([
        [2, 1, -1, -1, -1],
        [-3, 1, 5, 5, 5],
        [0, 1, 1, 1, 1],
      ]),
    ).toEqual([-1, 1, 5]);
  });

  it('ignores a snapshot its cells have moved away from', () => {
    const folded = sample();
    if (!folded) return expect(folded).toBeDefined();
    const reference = sample()?.numbers ?? [];
    const before = distanceBrackets(sortedNumbers(folded), reference);
    folded.numbers.push({ count: 20, sum: 2000, min: 100, max: 100 });
    expect(finiteCount(folded)).toBe(33);
    expect(sortedNumbers(folded).size).toBe(33);
    const after = distanceBrackets(sortedNumbers(folded), reference);
    expect(after?.ks.lower).toBeGreaterThan(before?.ks.lower ?? 1);
    folded.numbers = folded.numbers.slice(0, 1);
    expect(sortedNumbers(folded).size).toBe(1);
  });
});

describe('folding one frame', () => {
  // the demo's seeded generator (mulberry32), so a failure replays
  const random = (seed: number): (() => number) => createRandom(seed).uniform;

  /** The merge written out plainly: per bucket in arrival order, then sorted by bucket. */
  function expectedCells(
    groups: CellGroup[],
  ): { count: number; sum: number; min: number; max: number }[] {
    const byBucket = new Map<number, { count: number; sum: number; min: number; max: number }>();
    for (const group of groups) {
      Array.from(group.buckets).forEach((bucket, i) => {
        const cell = byBucket.get(bucket);
        const [count, sum, min, max] = [
          group.counts[i],
          group.sums[i],
          group.mins[i],
          group.maxs[i],
        ] as number[];
        if (!cell)
          byBucket.set(bucket, { count: count ?? 0, sum: sum ?? 0, min: min ?? 0, max: max ?? 0 });
        else {
          cell.count += count ?? 0;
          cell.sum += sum ?? 0;
          cell.min = Math.min(cell.min, min ?? 0);
          cell.max = Math.max(cell.max, max ?? 0);
        }
      });
    }
    return [...byBucket.entries()].sort(([p], [q]) => p - q).map(([, cell]) => cell);
  }

  /** Groups of one frame whose bucket b holds values in [b, b + 1) · width. */
  function groupsOf(
    next: () => number,
    buckets: number[],
    parts: number,
    width: number,
  ): CellGroup[] {
    return Array.from({ length: parts }, () => {
      const cells = buckets
        .filter(() => next() < 0.6)
        .sort(() => next() - 0.5)
        .map((bucket): [number, number, number, number, number] => {
          const count = 1 + Math.floor(next() * 5);
          const lo = (bucket + next() / 2) * width;
          const hi = (bucket + 0.5 + next() / 2) * width;
          return [bucket, count, (count * (lo + hi)) / 2 + next() * 1e-9, lo, hi];
        });
      return numberGroup(1, cells);
    });
  }

  const fold = (groups: CellGroup[]) =>
    foldCells(groups, [{ hash: 'h', attributes: {} }], [])
      .slices.get(ALL_SLICE_ID)
      ?.features.get('x');

  it('merges each bucket in arrival order (the same sums to the last bit) and orders by bucket', () => {
    const next = random(11);
    for (let round = 0; round < 50; round += 1) {
      const buckets = Array.from({ length: 1 + Math.floor(next() * 60) }, (_, i) => i * 3 - 70);
      const groups = groupsOf(next, buckets, 1 + Math.floor(next() * 10), 0.1 + next());
      const folded = fold(groups);
      expect(folded?.numbers ?? []).toEqual(expectedCells(groups));
      expect(folded?.sorted?.size).toBe(expectedCells(groups).reduce((n, c) => n + c.count, 0));
    }
  });

  it('merges keys far apart (beyond a slot per bucket) the same way', () => {
    const next = random(12);
    const buckets = [-(2 ** 31), -5, 0, 7, 2 ** 31 - 1];
    const groups = groupsOf(next, buckets, 4, 1e-300);
    expect(fold(groups)?.numbers).toEqual(expectedCells(groups));
  });
});
