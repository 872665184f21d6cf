import { assertSameBins, flooredProportions } from './proportionsFloor.js';

/**
 * Population Stability Index Σ (c_i − r_i) · ln(c_i / r_i) over bins, with r and c the
 * reference and current proportions floored at 1e-4 (not renormalised). Symmetric, >= 0.
 */
export function psi(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  assertSameBins(referenceCounts, currentCounts);
  const reference = flooredProportions(referenceCounts);
  const current = flooredProportions(currentCounts);
  let total = 0;
  current.forEach((c, i) => {
    const r = reference[i] ?? NaN;
    total += (c - r) * Math.log(c / r);
  });
  return total;
}
