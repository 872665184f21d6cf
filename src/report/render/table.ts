import type { DriftReport } from '../compareFiles.js';
import type { FeatureDrift } from '../../drift/featureDrift.js';
import { CBPE_ASSUMPTIONS, metricNames, type PerformanceEntry } from '../performance.js';

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
    'non-finite',
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
      ` (p < ${report.criteria.p_value} with effect >= ${report.criteria.min_effect}, or PSI >= ${report.criteria.psi},` +
      ` or the null rate up by more than ${pointsOf(report.criteria.max_null_increase)})`,
    ...notes(report),
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
  if (report.regression_drift) {
    const { prediction, residual } = report.regression_drift;
    lines.push(
      '',
      'regression: drift of the predictions, and of the residuals (label - prediction) where both files have labels',
      ...alignColumns([header, ...[...prediction, ...residual].map(featureRow)]),
    );
  }
  if (report.performance) lines.push('', ...performanceLines(report.performance));
  return `${lines.join('\n')}\n`;
}

/**
 * The model's quality per side and slice, one column per metric; an estimated value shows
 * its band. Multiclass adds per-class precision and recall of the whole population.
 */
function performanceLines(entries: readonly PerformanceEntry[]): string[] {
  const names = metricNames(entries);
  const task = entries[0]?.task ?? 'binary';
  const lines = [
    `performance (${task})`,
    ...alignColumns([
      ['side', 'slice', 'n', ...names],
      ...entries.map((entry) => [
        entry.estimated ? `${entry.side} (est.)` : entry.side,
        entry.slice,
        String(entry.n),
        ...names.map((name) => {
          const estimate = entry.estimated?.[name];
          if (estimate)
            return `${fixed(estimate.value)} [${fixed(estimate.band[0], 3)}, ${fixed(estimate.band[1], 3)}]`;
          return fixed(entry.metrics?.[name] ?? null);
        }),
      ]),
    ]),
  ];
  if (entries.some((entry) => entry.estimated))
    lines.push(`est.: ${CBPE_ASSUMPTIONS}; [lower, upper] is the band`);
  const perClass = entries.filter((entry) => entry.per_class && entry.slice === 'all');
  if (perClass.length > 0)
    lines.push(
      '',
      ...alignColumns([
        ['side', 'class', 'precision', 'recall', 'f1', 'support'],
        ...perClass.flatMap((entry) =>
          (entry.per_class ?? []).map((c) => [
            entry.side,
            c.class,
            fixed(c.precision),
            fixed(c.recall),
            fixed(c.f1),
            String(c.support),
          ]),
        ),
      ]),
    );
  return lines;
}

/** What a reader must know that the rows do not say: brackets, columns left out, non-finite values. */
function notes(report: DriftReport): string[] {
  const lines: string[] = [];
  if (!report.exact)
    lines.push(
      'KS and Wasserstein are bracketed on these files (shown as value ±half-width; [lower, upper] in --format json); --exact computes them exactly',
    );
  for (const excluded of report.excluded_columns)
    lines.push(`left out: ${excluded.column} (${excluded.reason})`);
  const nonFinite = report.features.filter(
    (f) =>
      f.slice === 'all' && (f.quality.current.non_finite > 0 || f.quality.reference.non_finite > 0),
  );
  for (const feature of nonFinite)
    lines.push(
      `non-finite values (NaN, ±inf) in ${feature.name}: ${feature.quality.reference.non_finite} in the baseline, ${feature.quality.current.non_finite} in the current file; counted apart and left out of every distribution statistic`,
    );
  const scores = excludedScoresNote(report);
  if (scores) lines.push(scores);
  return lines;
}

/**
 * Scores the classification section left out (all rows' counts), said once for the table
 * and the HTML page; undefined when every row had a finite score.
 */
export function excludedScoresNote(report: DriftReport): string | undefined {
  const all = report.classification?.[0];
  if (!all || all.excluded_scores.nulls + all.excluded_scores.non_finite === 0) return undefined;
  const { nulls, non_finite } = all.excluded_scores;
  return `${non_finite} scores in the current file are NaN or ±inf and ${nulls} are empty: the classification section leaves them out of AUROC and the positive rates (n counts them)`;
}

function pointsOf(rate: number): string {
  return `${Number((rate * 100).toFixed(2))} points`;
}

function featureRow(feature: FeatureDrift): string[] {
  const test =
    feature.kind === 'numeric'
      ? [
          'ks',
          withBracket(feature.ks.statistic, feature.brackets?.ks_statistic),
          pValue(feature.ks.p_value),
        ]
      : ['chi2', fixed(feature.chi2.statistic, 2), pValue(feature.chi2.p_value)];
  const reasons = [
    feature.method === 'null_rate' ? '' : feature.method,
    feature.null_rate_drift ? 'null rate' : '',
    feature.kind === 'categorical' && feature.new_categories.length > 0
      ? `new: ${feature.new_categories.join(', ')}`
      : '',
    feature.undecided ? 'bracket straddles a criterion' : '',
  ].filter(Boolean);
  return [
    feature.drift ? 'DRIFT' : '',
    feature.name,
    feature.slice,
    feature.kind,
    String(feature.n_reference),
    String(feature.n_current),
    percent(feature.null_rate.reference),
    percent(feature.null_rate.current),
    String(feature.quality.current.non_finite),
    withBracket(feature.psi, feature.brackets?.psi),
    withBracket(feature.jensen_shannon, feature.brackets?.jensen_shannon),
    ...test,
    reasons.join('; ') || feature.method,
  ];
}

function withBracket(value: number | null, bracket: [number, number] | undefined): string {
  if (!bracket || value === null) return fixed(value);
  return `${fixed(value)}±${((bracket[1] - bracket[0]) / 2).toExponential(0)}`;
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
  return /^[-+]?[\d.]+(e[-+]?\d+)?(±[\d.]+e[-+]?\d+)?%?$/i.test(cell);
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
