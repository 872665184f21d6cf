/**
 * Test support for the explanation's pure parts (imported only by *.test.ts): generated
 * samples, cells cut from them as the summaries cut theirs (values grouped by a grid, so a
 * cell spans an edge and its counts are then only bounded), and the exact statistics
 * computed from the raw values, independently of the code under test.
 */
import { createRandom } from '../demo/random.js';
import { binCounts, binEdgesFromQuantiles, PROPORTION_FLOOR, quantileR7 } from '../stats/index.js';
import type { Cell } from './cells.js';

/** Cells of the values on a grid of `width`: one cell per occupied grid step. */
export function gridCells(values: readonly number[], width: number): Cell[] {
  const groups = new Map<number, Cell>();
  for (const value of values) {
    const key = Math.floor(value / width);
    const cell = groups.get(key);
    if (cell) {
      cell.count += 1;
      cell.sum += value;
      cell.min = Math.min(cell.min, value);
      cell.max = Math.max(cell.max, value);
    } else groups.set(key, { count: 1, sum: value, min: value, max: value });
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, cell]) => cell);
}

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The reference's decile edges, ties merged: the bins PSI is computed on. */
export function decileEdges(reference: readonly number[]): number[] {
  const sorted = sortedCopy(reference);
  return binEdgesFromQuantiles([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantileR7(sorted, k / 10)));
}

/** PSI's terms from exact counts, written out from the definition. */
export function exactPsiTerms(reference: readonly number[], current: readonly number[]): number[] {
  const nr = reference.reduce((s, c) => s + c, 0);
  const nc = current.reduce((s, c) => s + c, 0);
  return current.map((c, i) => {
    const x = Math.max(c / nc, PROPORTION_FLOOR);
    const y = Math.max((reference[i] ?? 0) / nr, PROPORTION_FLOOR);
    return (x - y) * Math.log(x / y);
  });
}

/** Jensen-Shannon's terms in bits from exact counts (floored, renormalised). */
export function exactJensenShannonTerms(
  reference: readonly number[],
  current: readonly number[],
): number[] {
  const normalise = (counts: readonly number[]) => {
    const n = counts.reduce((s, c) => s + c, 0);
    const floored = counts.map((c) => Math.max(c / n, PROPORTION_FLOOR));
    const total = floored.reduce((s, v) => s + v, 0);
    return floored.map((v) => v / total);
  };
  const p = normalise(reference);
  const q = normalise(current);
  return q.map((qi, i) => {
    const pi = p[i] ?? 0;
    const m = (pi + qi) / 2;
    return (pi * Math.log2(pi / m) + qi * Math.log2(qi / m)) / 2;
  });
}

/** The share of the values at or below x. */
export function ecdf(values: readonly number[], x: number): number {
  return values.filter((v) => v <= x).length / values.length;
}

export { binCounts };

/** A labelled sample: each value with the slice it belongs to. */
export interface SlicedValue {
  slice: string;
  value: number;
}

/**
 * Values in three slices ("a", "b", "c") of a key; the window's slice `shifted` moves by
 * `shift` standard deviations, the other slices stay as in the baseline.
 */
export function slicedSamples(options: {
  seed: number;
  reference: number;
  current: number;
  shifted: string;
  shift: number;
  /** The window's mix of slices (the baseline's is 0.5, 0.3, 0.2). */
  mix?: readonly number[];
}): { reference: SlicedValue[]; current: SlicedValue[] } {
  const random = createRandom(options.seed);
  const slices = ['a', 'b', 'c'];
  const means: Record<string, number> = { a: 10, b: 20, c: 30 };
  const draw = (n: number, mix: readonly number[], drifted: boolean) =>
    Array.from({ length: n }, () => {
      const slice = random.pick(slices, mix);
      const shift = drifted && slice === options.shifted ? options.shift * 5 : 0;
      return {
        slice,
        value: Math.round(random.normal((means[slice] ?? 0) + shift, 5) * 100) / 100,
      };
    });
  return {
    reference: draw(options.reference, [0.5, 0.3, 0.2], false),
    current: draw(options.current, options.mix ?? [0.5, 0.3, 0.2], true),
  };
}
