/**
 * Wasserstein-1 over the reference's population standard deviation: a scale-free distance
 * (0.1 = the distributions sit a tenth of a reference σ apart on average). NaN when the
 * reference has no spread (or no data), where no scale exists.
 */
export function normedWasserstein(wasserstein: number, referenceStdPop: number): number {
  return referenceStdPop > 0 ? wasserstein / referenceStdPop : NaN;
}

/**
 * Wasserstein-1 = ∫ |F_a(x) − F_b(x)| dx between two ascending samples (scipy
 * wasserstein_distance): the reference definition for tests; production sweeps sorted typed
 * arrays (sortedSample.ts).
 */
export function wasserstein1(sortedA: readonly number[], sortedB: readonly number[]): number {
  if (sortedA.length === 0 || sortedB.length === 0) return NaN;
  const all = [...sortedA, ...sortedB].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let total = 0;
  for (let k = 0; k < all.length - 1; k += 1) {
    const x = all[k] ?? NaN;
    const next = all[k + 1] ?? NaN;
    while (i < sortedA.length && (sortedA[i] ?? Infinity) <= x) i += 1;
    while (j < sortedB.length && (sortedB[j] ?? Infinity) <= x) j += 1;
    total += Math.abs(i / sortedA.length - j / sortedB.length) * (next - x);
  }
  return total;
}
