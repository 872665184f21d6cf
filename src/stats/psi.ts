import { assertSameLength, flooredProportions } from './proportionsFloor.js';

/** Population Stability Index: Σ (c_i − r_i) · ln(c_i / r_i) over bins, proportions floored at 1e-4. */
export function psi(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  assertSameLength(referenceCounts, currentCounts);
  const reference = flooredProportions(referenceCounts);
  const current = flooredProportions(currentCounts);
  return current.reduce((sum, c, i) => {
    const r = reference[i] ?? Number.NaN;
    return sum + (c - r) * Math.log(c / r);
  }, 0);
}
