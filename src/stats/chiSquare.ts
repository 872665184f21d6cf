import gammainc from '@stdlib/math-base-special-gammainc';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  /** Degrees of freedom: the number of categories seen, minus one. */
  dof: number;
  /** Categories in the current sample that the reference never had, sorted. */
  newCategories: string[];
}

/**
 * Pearson's chi-square test of homogeneity on the 2 × k table of category counts (no
 * continuity correction, as scipy chi2_contingency(correction=False)), over the categories
 * seen in either sample; dof = k − 1. Throws a RangeError when either sample is empty.
 */
export function chiSquareHomogeneity(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): ChiSquareResult {
  const countIn = (sample: ReadonlyMap<string, number>, category: string) =>
    sample.get(category) ?? 0;
  const categories = [...new Set([...reference.keys(), ...current.keys()])]
    .filter((category) => countIn(reference, category) + countIn(current, category) > 0)
    .sort();
  const rows = [reference, current].map((sample) => categories.map((c) => countIn(sample, c)));
  const statistic = pearsonStatistic(rows);
  const dof = categories.length - 1;
  return {
    statistic,
    pValue: dof === 0 ? 1 : chiSquareSf(statistic, dof),
    dof,
    newCategories: categories.filter((c) => countIn(reference, c) === 0),
  };
}

/** Σ (observed − expected)² / expected, expected = row total · column total / total. */
function pearsonStatistic(rows: readonly (readonly number[])[]): number {
  const rowTotals = rows.map((row) => row.reduce((sum, count) => sum + count, 0));
  if (rowTotals.some((total) => !(total > 0)))
    throw new RangeError('chi-square test of an empty sample');
  const total = rowTotals.reduce((sum, rowTotal) => sum + rowTotal, 0);
  const columnTotals = (rows[0] ?? []).map((_, j) =>
    rows.reduce((sum, row) => sum + (row[j] ?? 0), 0),
  );
  let statistic = 0;
  rows.forEach((row, i) =>
    row.forEach((observed, j) => {
      const expected = ((rowTotals[i] ?? NaN) * (columnTotals[j] ?? NaN)) / total;
      statistic += (observed - expected) ** 2 / expected;
    }),
  );
  return statistic;
}

/**
 * P(X > x) for X ~ χ²(dof): the upper regularised incomplete gamma Q(dof/2, x/2), computed
 * directly (not as 1 − P) so p-values like 1e-59 keep their digits.
 */
export function chiSquareSf(x: number, dof: number): number {
  if (Number.isNaN(x) || !(dof > 0)) return NaN;
  if (x <= 0) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}
