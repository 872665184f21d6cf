/**
 * Test support for src/stats (imported only by *.test.ts): the shape of the scipy /
 * scikit-learn oracle cases in test/fixtures/stats-cases.json, the tolerances they are
 * checked to, and reference aggregates computed from their raw arrays (what ClickHouse
 * computes in production). Pure: the test files read the fixture themselves.
 */
import type { ScoreHistogramRow } from './auroc.js';
import { binCounts, binEdgesFromQuantiles, binQuantileLevels, quantileR7 } from './bins.js';

export interface NumericCase {
  name: string;
  kind: 'numeric';
  reference: (number | null)[];
  current: (number | null)[];
  expected: {
    null_rate_reference: number;
    null_rate_current: number;
    ks_statistic: number;
    ks_pvalue_asymp: number;
    ks_pvalue_exact?: number;
    psi_bin_edges: number[];
    psi: number;
    jensen_shannon_distance_base2: number;
    wasserstein: number;
    wasserstein_normed: number;
  };
}

export interface CategoricalCase {
  name: string;
  kind: 'categorical';
  reference: (string | null)[];
  current: (string | null)[];
  expected: {
    categories: string[];
    chi2_statistic: number;
    chi2_pvalue: number;
    chi2_dof: number;
    psi: number;
    jensen_shannon_distance_base2: number;
    new_categories: string[];
  };
}

export interface ClassificationCase {
  name: string;
  kind: 'classification';
  scores: number[];
  labels: number[];
  threshold: number;
  expected: { auroc: number; positive_rate_labels: number; positive_rate_predicted: number };
}

export interface ProportionCase {
  name: string;
  kind: 'proportion';
  reference: { positives: number; n: number };
  current: { positives: number; n: number };
  expected: { z: number; pvalue_two_sided: number };
}

export type OracleCase = NumericCase | CategoricalCase | ClassificationCase | ProportionCase;

export function parseOracleCases(json: string): OracleCase[] {
  const parsed = JSON.parse(json) as { cases?: OracleCase[] };
  if (!Array.isArray(parsed.cases)) throw new Error('oracle fixture without cases[]');
  return parsed.cases;
}

export function casesOfKind<K extends OracleCase['kind']>(
  cases: readonly OracleCase[],
  kind: K,
): Extract<OracleCase, { kind: K }>[] {
  const matching = cases.filter((c): c is Extract<OracleCase, { kind: K }> => c.kind === kind);
  if (matching.length === 0) throw new Error(`oracle fixture has no ${kind} case`);
  return matching;
}

// ---- tolerances -----------------------------------------------------------------------

/** |actual − expected| / |expected| (absolute when expected is 0). */
export function relativeError(actual: number, expected: number): number {
  const difference = Math.abs(actual - expected);
  return expected === 0 ? difference : difference / Math.abs(expected);
}

/** Throws unless actual is within a relative tolerance (1e-9 for everything but p-values). */
export function expectClose(
  actual: number,
  expected: number,
  label: string,
  relative = 1e-9,
): void {
  const error = relativeError(actual, expected);
  if (!(error <= relative))
    throw new Error(
      `${label}: expected ${expected}, got ${actual} (relative error ${error.toExponential(2)} > ${relative})`,
    );
}

/** Throws unless actual is within an absolute tolerance (KS D: 1e-9). */
export function expectAbsolute(
  actual: number,
  expected: number,
  label: string,
  absolute = 1e-9,
): void {
  const error = Math.abs(actual - expected);
  if (!(error <= absolute))
    throw new Error(
      `${label}: expected ${expected}, got ${actual} (|error| ${error} > ${absolute})`,
    );
}

/** p-values: relative 1e-4, or absolute 1e-12 when the expected value is below 1e-8. */
export function expectPValue(actual: number, expected: number, label: string): void {
  if (expected < 1e-8 && Math.abs(actual - expected) <= 1e-12) return;
  expectClose(actual, expected, label, 1e-4);
}

// ---- reference aggregates from raw values ---------------------------------------------

/** Nulls are excluded from distribution statistics. */
export function nonNullSorted(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null).sort((a, b) => a - b);
}

export function nullRate(values: readonly unknown[]): number {
  return values.filter((v) => v === null).length / values.length;
}

/** Edges from the reference's R-7 deciles and both samples' counts over them. */
export function numericBins(
  sortedReference: readonly number[],
  sortedCurrent: readonly number[],
): { edges: number[]; reference: number[]; current: number[] } {
  const edges = binEdgesFromQuantiles(
    binQuantileLevels().map((p) => quantileR7(sortedReference, p)),
  );
  return {
    edges,
    reference: binCounts(edges, sortedReference),
    current: binCounts(edges, sortedCurrent),
  };
}

export function categoryCounts(values: readonly (string | null)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Counts in the order of the given categories, 0 for one the sample never had. */
export function countsIn(counts: ReadonlyMap<string, number>, categories: readonly string[]) {
  return categories.map((category) => counts.get(category) ?? 0);
}

export function populationStd(values: readonly number[]): number {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
}

/** One row per distinct score with its positive (label 1) and negative counts. */
export function scoreHistogram(
  scores: readonly number[],
  labels: readonly number[],
): ScoreHistogramRow[] {
  const rows = new Map<number, ScoreHistogramRow>();
  scores.forEach((score, i) => {
    const row = rows.get(score) ?? { score, positives: 0, negatives: 0 };
    if (labels[i] === 1) row.positives += 1;
    else row.negatives += 1;
    rows.set(score, row);
  });
  return [...rows.values()];
}

/** AUROC by the definition, over every (positive, negative) pair: slow, for small inputs. */
export function aurocByPairs(scores: readonly number[], labels: readonly number[]): number {
  let won = 0;
  let pairs = 0;
  scores.forEach((positive, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((negative, j) => {
      if (labels[j] === 1) return;
      pairs += 1;
      won += positive > negative ? 1 : positive === negative ? 0.5 : 0;
    });
  });
  return pairs === 0 ? NaN : won / pairs;
}
