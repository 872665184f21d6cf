import type { DriftReport } from '../compareFiles.js';
import type { FeatureDrift } from '../../drift/featureDrift.js';

/** The report for people: one aligned row per feature and slice, drifted rows marked, worst first. */
export function renderReportTable(report: DriftReport): string {
  const header = [
    '',
    'feature',
    'slice',
    'kind',
    'n ref',
    'n cur',
    'null ref',
    'null cur',
    'psi',
    'js',
    'test',
    'stat',
    'p-value',
    'decided by',
  ];
  const rows = report.features.map(featureRow);
  const lines = [
    `driftwatch report: ${report.current.file} (${report.current.rows} rows) against ${report.baseline.file} (${report.baseline.rows} rows)`,
    `${report.summary.drifted} of ${report.summary.entries} feature/slice entries drifted` +
      ` (p < ${report.criteria.p_value} with effect >= ${report.criteria.min_effect}, or PSI >= ${report.criteria.psi})`,
    '',
    ...alignColumns([header, ...rows]),
  ];
  if (report.classification) {
    lines.push(
      '',
      ...alignColumns([
        ['slice', 'n', 'auroc', 'positive rate (labels)', 'positive rate (predicted)'],
        ...report.classification.map((entry) => [
          entry.slice,
          String(entry.n),
          fixed(entry.auroc),
          fixed(entry.positive_rate.labels),
          fixed(entry.positive_rate.predicted),
        ]),
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

function featureRow(feature: FeatureDrift): string[] {
  const test =
    feature.kind === 'numeric'
      ? ['ks', fixed(feature.ks.statistic), pValue(feature.ks.p_value)]
      : ['chi2', fixed(feature.chi2.statistic, 2), pValue(feature.chi2.p_value)];
  const method =
    feature.kind === 'categorical' && feature.new_categories.length > 0
      ? `${feature.method}; new: ${feature.new_categories.join(', ')}`
      : feature.method;
  return [
    feature.drift ? 'DRIFT' : '',
    feature.name,
    feature.slice,
    feature.kind,
    String(feature.n_reference),
    String(feature.n_current),
    percent(feature.null_rate.reference),
    percent(feature.null_rate.current),
    fixed(feature.psi),
    fixed(feature.jensen_shannon),
    ...test,
    method,
  ];
}

export function alignColumns(rows: string[][]): string[] {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) =>
        isNumeric(cell) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

function isNumeric(cell: string): boolean {
  return /^[-+]?[\d.]+(e[-+]?\d+)?%?$/i.test(cell);
}

function fixed(value: number | null, digits = 4): string {
  return value === null || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

function pValue(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '-';
  return value < 1e-4 ? value.toExponential(2) : value.toFixed(4);
}

function percent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}
