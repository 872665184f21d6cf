/** Wasserstein-1 divided by the reference's population standard deviation (scale-free). */
export function normedWasserstein(wasserstein: number, referenceStdPop: number): number {
  return referenceStdPop > 0 ? wasserstein / referenceStdPop : Number.NaN;
}

/** ∫ |F_a − F_b| dx between two sorted samples: the reference definition for tests. */
export function wasserstein1(sortedA: readonly number[], sortedB: readonly number[]): number {
  const all = [...sortedA, ...sortedB].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let total = 0;
  for (let k = 0; k < all.length - 1; k += 1) {
    const x = all[k] ?? 0;
    while (i < sortedA.length && (sortedA[i] ?? Infinity) <= x) i += 1;
    while (j < sortedB.length && (sortedB[j] ?? Infinity) <= x) j += 1;
    total += Math.abs(i / sortedA.length - j / sortedB.length) * ((all[k + 1] ?? x) - x);
  }
  return total;
}
