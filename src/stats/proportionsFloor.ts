/** Bin proportions below this are raised to it, so ln(c/r) of an empty bin stays finite. */
export const PROPORTION_FLOOR = 1e-4;

/**
 * counts / total, each floored at 1e-4 and not renormalised (PSI's convention; Jensen-Shannon
 * renormalises afterwards). Throws a RangeError for an empty sample: no proportions exist.
 */
export function flooredProportions(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (!(total > 0)) throw new RangeError('bin proportions of an empty sample');
  return counts.map((count) => Math.max(count / total, PROPORTION_FLOOR));
}

/** Reference and current counts must be over the same bins. */
export function assertSameBins(reference: readonly number[], current: readonly number[]): void {
  if (reference.length !== current.length)
    throw new RangeError(
      `reference and current counts differ in length: ${reference.length} and ${current.length}`,
    );
  if (reference.length === 0) throw new RangeError('no bins');
}
