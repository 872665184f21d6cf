import { assertSameLength, flooredProportions } from './proportionsFloor.js';

/**
 * Jensen-Shannon distance in base 2 (0..1) over the floored bin proportions, each vector
 * renormalised to sum 1 first, as scipy.spatial.distance.jensenshannon does.
 */
export function jensenShannonDistance(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): number {
  assertSameLength(referenceCounts, currentCounts);
  const p = normalise(flooredProportions(referenceCounts));
  const q = normalise(flooredProportions(currentCounts));
  let divergence = 0;
  p.forEach((pi, i) => {
    const qi = q[i] ?? 0;
    const mi = (pi + qi) / 2;
    divergence += relativeEntropyTerm(pi, mi) + relativeEntropyTerm(qi, mi);
  });
  return Math.sqrt(Math.max(divergence / 2, 0) / Math.LN2);
}

function normalise(values: readonly number[]): number[] {
  const total = values.reduce((sum, value) => sum + value, 0);
  return values.map((value) => value / total);
}

function relativeEntropyTerm(x: number, y: number): number {
  return x > 0 ? x * Math.log(x / y) : 0;
}
