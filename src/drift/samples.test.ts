import { describe, expect, it } from 'vitest';
import type { CellGroup } from '../store/summaryQueries.js';
import { distanceBrackets, sortCells } from './cells.js';
import { ALL_SLICE_ID, finiteCount, foldCells, sortedNumbers } from './samples.js';

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
