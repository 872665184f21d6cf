/**
 * Benjamini-Hochberg adjusted p-values (statsmodels multipletests(method='fdr_bh')):
 * p_(i) · m / i for the i-th smallest, made monotone from the top and capped at 1. Controls
 * the false discovery rate across one run's tests. NaN stays NaN and is not counted in m.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const ranked = pValues
    .map((p, index) => ({ p, index }))
    .filter(({ p }) => !Number.isNaN(p))
    .sort((a, b) => a.p - b.p);
  const m = ranked.length;
  const adjusted = pValues.map(() => NaN);
  let runningMin = 1;
  for (let rank = m; rank >= 1; rank -= 1) {
    const entry = ranked[rank - 1];
    if (entry === undefined) continue;
    runningMin = Math.min(runningMin, entry.p / (rank / m)); // statsmodels: p / ecdf factor
    adjusted[entry.index] = runningMin;
  }
  return adjusted;
}
