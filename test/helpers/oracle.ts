import fs from 'node:fs';

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

/** The scipy / scikit-learn reference values, copied from shared/oracles into the repo. */
export function loadOracleCases(): OracleCase[] {
  const url = new URL('../fixtures/stats-cases.json', import.meta.url);
  return (JSON.parse(fs.readFileSync(url, 'utf8')) as { cases: OracleCase[] }).cases;
}

export function casesOfKind<K extends OracleCase['kind']>(
  kind: K,
): Extract<OracleCase, { kind: K }>[] {
  return loadOracleCases().filter((c): c is Extract<OracleCase, { kind: K }> => c.kind === kind);
}

/** Relative closeness, as the issue states the tolerances. */
export function expectClose(
  actual: number | null | undefined,
  expected: number,
  relative: number,
  label: string,
): void {
  if (actual === null || actual === undefined || !Number.isFinite(actual)) {
    throw new Error(`${label}: expected ${expected}, got ${actual}`);
  }
  const error = Math.abs(actual - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
  if (!(error <= relative)) {
    throw new Error(
      `${label}: expected ${expected}, got ${actual} (relative error ${error.toExponential(2)} > ${relative})`,
    );
  }
}

/** p-values: relative 1e-4, but absolute 1e-12 below 1e-8. */
export function expectPValue(
  actual: number | null | undefined,
  expected: number,
  label: string,
): void {
  if (
    expected < 1e-8 &&
    actual !== null &&
    actual !== undefined &&
    Math.abs(actual - expected) <= 1e-12
  )
    return;
  expectClose(actual, expected, 1e-4, label);
}

export function writeCsv(file: string, header: string[], rows: (string | number | null)[][]): void {
  const lines = [
    header.join(','),
    ...rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell))).join(',')),
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
