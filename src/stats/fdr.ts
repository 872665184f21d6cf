/**
 * Benjamini-Hochberg adjusted p-values (statsmodels `multipletests(method='fdr_bh')`):
 * controls the false discovery rate across a run's tests. NaN stays NaN and is not counted.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const ranked = pValues
    .map((p, index) => ({ p, index }))
    .filter(({ p }) => !Number.isNaN(p))
    .sort((a, b) => a.p - b.p);
  const m = ranked.length;
  const adjusted = pValues.map(() => Number.NaN);
  let runningMin = 1;
  for (let rank = m; rank >= 1; rank -= 1) {
    const entry = ranked[rank - 1];
    if (!entry) continue;
    runningMin = Math.min(runningMin, (entry.p * m) / rank);
    adjusted[entry.index] = runningMin;
  }
  return adjusted;
}
