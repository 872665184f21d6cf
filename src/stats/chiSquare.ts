import gammainc from '@stdlib/math-base-special-gammainc';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
  /** Categories in the current sample that the reference never had, sorted. */
  newCategories: string[];
}

/**
 * Chi-square test of homogeneity on the 2 × k table of category counts (no continuity
 * correction) over every category seen in either sample; dof = k − 1.
 */
export function chiSquareHomogeneity(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): ChiSquareResult {
  const categories = [...new Set([...reference.keys(), ...current.keys()])]
    .filter((category) => (reference.get(category) ?? 0) + (current.get(category) ?? 0) > 0)
    .sort();
  const referenceTotal = sumOf(categories.map((c) => reference.get(c) ?? 0));
  const currentTotal = sumOf(categories.map((c) => current.get(c) ?? 0));
  const total = referenceTotal + currentTotal;
  if (referenceTotal === 0 || currentTotal === 0)
    throw new RangeError('chi-square of an empty sample');
  let statistic = 0;
  for (const category of categories) {
    const columnTotal = (reference.get(category) ?? 0) + (current.get(category) ?? 0);
    for (const [observed, rowTotal] of [
      [reference.get(category) ?? 0, referenceTotal],
      [current.get(category) ?? 0, currentTotal],
    ] as const) {
      const expected = (rowTotal * columnTotal) / total;
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  const dof = categories.length - 1;
  return {
    statistic,
    pValue: dof === 0 ? 1 : chiSquareSf(statistic, dof),
    dof,
    newCategories: categories.filter(
      (c) => (reference.get(c) ?? 0) === 0 && (current.get(c) ?? 0) > 0,
    ),
  };
}

/** P(X > x) for X ~ χ²(dof): the upper regularised incomplete gamma Q(dof/2, x/2). */
export function chiSquareSf(x: number, dof: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}

function sumOf(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}
