import { assertSameBins, flooredProportions } from './proportionsFloor.js';

/**
 * Jensen-Shannon distance in base 2 (0..1) between the floored bin proportions, each vector
 * renormalised to sum 1, as scipy.spatial.distance.jensenshannon(p, q, base=2) computes it:
 * sqrt((KL(p‖m) + KL(q‖m)) / 2 / ln 2) with m = (p + q)/2.
 */
export function jensenShannonDistance(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): number {
  assertSameBins(referenceCounts, currentCounts);
  const p = normalised(flooredProportions(referenceCounts));
  const q = normalised(flooredProportions(currentCounts));
  const m = p.map((pi, i) => (pi + (q[i] ?? NaN)) / 2);
  const divergence = relativeEntropy(p, m) + relativeEntropy(q, m);
  // rounding can leave a hair below zero for identical inputs, where scipy would give NaN
  return Math.sqrt(Math.max(divergence / Math.LN2 / 2, 0));
}

function normalised(values: readonly number[]): number[] {
  const total = values.reduce((sum, value) => sum + value, 0);
  return values.map((value) => value / total);
}

/** Σ x_i ln(x_i / y_i) (scipy.special.rel_entr summed; every x_i, y_i > 0 after the floor). */
function relativeEntropy(x: readonly number[], y: readonly number[]): number {
  return x.reduce((sum, xi, i) => sum + (xi > 0 ? xi * Math.log(xi / (y[i] ?? NaN)) : 0), 0);
}
