import type { Cell } from './cells.js';

/**
 * Cells of test values shaped as the summaries and their adversaries make them: aligned
 * buckets (the summaries' key), contiguous runs, groups dealt at random (cells overlap).
 * Shared by the cells' and the replay distances' tests, whose brackets must hold for any.
 */

/** The summaries' key for z = (x − centre)/scale with k bits (see migration 0006). */
export function bucketKey(z: number, k: number): number {
  if (Math.abs(z) < 1) return Math.floor(z * 2 ** k);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(z));
  const bits = view.getBigUint64(0) >> BigInt(52 - k);
  const key = Number(bits) - (1023 * 2 ** k - 2 ** k);
  return z > 0 ? key : -key - 1;
}

export function cellsOf(groups: number[][]): Cell[] {
  return groups
    .filter((group) => group.length > 0)
    .map((group) => ({
      count: group.length,
      sum: group.reduce((s, v) => s + v, 0),
      min: Math.min(...group),
      max: Math.max(...group),
    }));
}

export function bucketed(values: number[], centre: number, scale: number, k: number): Cell[] {
  const groups = new Map<number, number[]>();
  for (const value of values) {
    const key = bucketKey((value - centre) / scale, k);
    groups.set(key, [...(groups.get(key) ?? []), value]);
  }
  return cellsOf([...groups.values()]);
}

/** Values dealt at random into `groups` groups: cells overlap. */
export function scattered(values: number[], assignment: number[], groups: number): Cell[] {
  const dealt: number[][] = Array.from({ length: groups }, () => []);
  values.forEach((value, i) =>
    dealt[(assignment[i % assignment.length] ?? 0) % groups]?.push(value),
  );
  return cellsOf(dealt);
}
