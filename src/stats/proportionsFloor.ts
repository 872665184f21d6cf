/** Proportions below this floor are raised to it, so a log of an empty bin stays finite. */
export const PROPORTION_FLOOR = 1e-4;

/** counts / total, each floored at 1e-4, not renormalised (PSI's convention). */
export function flooredProportions(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total <= 0) throw new RangeError('proportions of an empty sample');
  return counts.map((count) => Math.max(count / total, PROPORTION_FLOOR));
}

export function assertSameLength(a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length)
    throw new RangeError(`bin counts differ in length: ${a.length} and ${b.length}`);
}
