import fs from 'node:fs';
import {
  casesOfKind as pickCases,
  expectClose as expectRelative,
  expectPValue as expectPValueOf,
  parseOracleCases,
  type OracleCase,
} from '../../src/stats/oracle.testing.js';

export type {
  CategoricalCase,
  ClassificationCase,
  NumericCase,
  OracleCase,
  ProportionCase,
} from '../../src/stats/oracle.testing.js';

/** The scipy / scikit-learn reference values, copied from shared/oracles into the repo. */
export function loadOracleCases(): OracleCase[] {
  return parseOracleCases(
    fs.readFileSync(new URL('../fixtures/stats-cases.json', import.meta.url), 'utf8'),
  );
}

export function casesOfKind<K extends OracleCase['kind']>(
  kind: K,
): Extract<OracleCase, { kind: K }>[] {
  return pickCases(loadOracleCases(), kind);
}

/** Relative closeness, as the issue states the tolerances; a missing value fails. */
export function expectClose(
  actual: number | null | undefined,
  expected: number,
  relative: number,
  label: string,
): void {
  if (actual === null || actual === undefined)
    throw new Error(`${label}: expected ${expected}, got ${actual}`);
  expectRelative(actual, expected, label, relative);
}

/** p-values: relative 1e-4, but absolute 1e-12 below 1e-8. */
export function expectPValue(
  actual: number | null | undefined,
  expected: number,
  label: string,
): void {
  if (actual === null || actual === undefined)
    throw new Error(`${label}: expected ${expected}, got ${actual}`);
  expectPValueOf(actual, expected, label);
}

export function writeCsv(file: string, header: string[], rows: (string | number | null)[][]): void {
  const lines = [
    header.join(','),
    ...rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell))).join(',')),
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
