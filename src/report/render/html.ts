import type { DriftReport } from '../compareFiles.js';
import type { FeatureDrift, Histogram } from '../../drift/featureDrift.js';
import { CBPE_ASSUMPTIONS, metricNames, type PerformanceEntry } from '../performance.js';
import { excludedScoresNote } from './table.js';

/**
 * One self-contained page: a summary table and, per feature and slice, the baseline and
 * current histograms overlaid as inline SVG (shares of each sample per bin). No scripts,
 * no external assets, so it opens anywhere and can be attached to a ticket.
 */
export function renderReportHtml(report: DriftReport): string {
  const cards = report.features.map(featureCard).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>driftwatch report: ${escapeHtml(report.current.file)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fafbfc}
h1{font-size:20px} .muted{color:#57606a}
table{border-collapse:collapse;margin:12px 0} td,th{padding:4px 8px;border-bottom:1px solid #d0d7de;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.drift{color:#b42318;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:16px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px;width:380px}
.histogram text{fill:#57606a}
.card.drifted{border-color:#b42318}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
</style></head><body>
<h1>driftwatch report</h1>
<p class="muted">Current <b>${escapeHtml(report.current.file)}</b> (${report.current.rows} rows) against baseline
<b>${escapeHtml(report.baseline.file)}</b> (${report.baseline.rows} rows)${report.slice_column ? `, sliced by <b>${escapeHtml(report.slice_column)}</b>` : ''}.
Generated ${escapeHtml(report.generated_at)}.</p>
<p id="summary"><b>${report.summary.drifted}</b> of ${report.summary.entries} feature/slice entries drifted
(p &lt; ${report.criteria.p_value} with effect &ge; ${report.criteria.min_effect}, or PSI &ge; ${report.criteria.psi}, or the null rate up by more than ${(report.criteria.max_null_increase * 100).toFixed(1)} points).</p>
${notesHtml(report)}
${summaryTable(report.features)}
${report.regression_drift ? regressionDriftSection(report.regression_drift) : ''}
${report.classification ? classificationTable(report) : ''}
${report.performance ? performanceSection(report.performance) : ''}
<p class="legend"><span style="background:#8c959f"></span>baseline<span style="background:#0969da"></span>current</p>
<div class="cards">
${cards}
</div>
</body></html>
`;
}

function summaryTable(features: readonly FeatureDrift[], id = 'features'): string {
  const rows = features
    .map(
      (
        feature,
      ) => `<tr${feature.drift ? ' class="drift"' : ''}><td>${feature.drift ? 'DRIFT' : ''}</td>
<td>${escapeHtml(feature.name)}</td><td>${escapeHtml(feature.slice)}</td><td>${feature.kind}</td>
<td class="num">${rate(feature.null_rate.reference)}</td><td class="num${feature.null_rate_drift ? ' drift' : ''}">${rate(feature.null_rate.current)}</td>
<td class="num">${feature.quality.current.non_finite}</td>
<td class="num">${format(feature.psi)}${bracket(feature.brackets?.psi)}</td><td class="num">${format(feature.jensen_shannon)}${bracket(feature.brackets?.jensen_shannon)}</td>
<td class="num p-value">${format(feature.kind === 'numeric' ? feature.ks.p_value : feature.chi2.p_value, true)}</td><td>${escapeHtml(decidedBy(feature))}</td></tr>`,
    )
    .join('\n');
  return `<table id="${id}"><thead><tr><th></th><th>feature</th><th>slice</th><th>kind</th><th>null rate (baseline)</th><th>null rate (current)</th><th>non-finite</th><th>PSI</th><th>JS</th><th>p-value</th><th>decided by</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** A regression's predictions and residuals, compared like numeric features, with their histograms. */
function regressionDriftSection(drift: NonNullable<DriftReport['regression_drift']>): string {
  const entries = [...drift.prediction, ...drift.residual];
  return `<h2>Regression: drift of the predictions and of the residuals (label &minus; prediction)</h2>
${summaryTable(entries, 'regression-drift')}
<div class="cards">
${entries.map(featureCard).join('\n')}
</div>`;
}

function decidedBy(feature: FeatureDrift): string {
  return [
    feature.method === 'null_rate' ? '' : feature.method,
    feature.null_rate_drift ? 'null rate' : '',
    feature.undecided ? 'bracket straddles a criterion' : '',
  ]
    .filter(Boolean)
    .join('; ');
}

function rate(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}

function bracket(range: [number, number] | undefined): string {
  return range ? ` <span class="muted">[${format(range[0])}, ${format(range[1])}]</span>` : '';
}

function notesHtml(report: DriftReport): string {
  const notes: string[] = [];
  if (!report.exact)
    notes.push(
      'KS and Wasserstein are bracketed on these files: [lower, upper] contains the exact value (--exact computes them exactly).',
    );
  for (const excluded of report.excluded_columns)
    notes.push(`Left out: <b>${escapeHtml(excluded.column)}</b> (${escapeHtml(excluded.reason)}).`);
  for (const feature of report.features.filter(
    (f) =>
      f.slice === 'all' && (f.quality.current.non_finite > 0 || f.quality.reference.non_finite > 0),
  ))
    notes.push(
      `Non-finite values (NaN, ±inf) in <b>${escapeHtml(feature.name)}</b>: ${feature.quality.reference.non_finite} in the baseline, ${feature.quality.current.non_finite} in the current file; counted apart and left out of every distribution statistic.`,
    );
  const scores = excludedScoresNote(report);
  if (scores) notes.push(`${escapeHtml(scores)}.`);
  return notes.length === 0
    ? ''
    : `<ul id="notes">${notes.map((n) => `<li>${n}</li>`).join('')}</ul>`;
}

function classificationTable(report: DriftReport): string {
  const rows = (report.classification ?? [])
    .map(
      (
        entry,
      ) => `<tr><td>${escapeHtml(entry.slice)}</td><td class="num">${entry.n}</td><td class="num">${format(entry.auroc)}</td>
<td class="num">${format(entry.positive_rate.labels)}</td><td class="num">${format(entry.positive_rate.predicted)}</td></tr>`,
    )
    .join('\n');
  return `<h2>Classification (current file)</h2><table id="classification"><thead><tr><th>slice</th><th>n</th><th>AUROC</th><th>positive rate (labels)</th><th>positive rate (predicted)</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/**
 * The model's quality per side and slice (estimated values with their band and what CBPE
 * assumes), then for the whole population the reliability curve (binary) or the per-class
 * quality and confusion matrix (multiclass).
 */
function performanceSection(entries: readonly PerformanceEntry[]): string {
  const names = metricNames(entries);
  const cell = (entry: PerformanceEntry, name: string) => {
    const estimate = entry.estimated?.[name];
    if (estimate)
      return `<td class="num estimated">${format(estimate.value)} <span class="muted">[${format(estimate.band[0])}, ${format(estimate.band[1])}]</span></td>`;
    return `<td class="num">${format(entry.metrics?.[name] ?? null)}</td>`;
  };
  const rows = entries
    .map(
      (entry) =>
        `<tr data-side="${entry.side}" data-slice="${escapeHtml(entry.slice)}"><td>${entry.side}${entry.estimated ? ' (estimated)' : ''}</td><td>${escapeHtml(entry.slice)}</td><td class="num">${entry.n}</td>${names.map((name) => cell(entry, name)).join('')}</tr>`,
    )
    .join('\n');
  const estimated = entries.some((entry) => entry.estimated)
    ? `<p class="muted" id="cbpe-note">Estimated: ${escapeHtml(CBPE_ASSUMPTIONS)}.</p>`
    : '';
  const whole = entries.filter((entry) => entry.slice === 'all' && entry.metrics);
  return `<h2>Performance (${escapeHtml(entries[0]?.task ?? '')})</h2>
<table id="performance"><thead><tr><th>side</th><th>slice</th><th>n</th>${names.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}</tr></thead><tbody>
${rows}
</tbody></table>
${estimated}
${whole.map(wholePopulationDetails).join('\n')}`;
}

function wholePopulationDetails(entry: PerformanceEntry): string {
  const title = `<h3>${entry.side}, all rows</h3>`;
  if (entry.calibration) {
    const points = entry.calibration.reliability;
    const size = 160;
    const at = (x: number, y: number) => `${(x * size).toFixed(1)},${((1 - y) * size).toFixed(1)}`;
    return `${title}<div class="reliability" data-side="${entry.side}"><svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img"><title>reliability curve, ${entry.calibration.bins} bins</title>
<line x1="0" y1="${size}" x2="${size}" y2="0" stroke="#8c959f" stroke-dasharray="3"/>
<polyline fill="none" stroke="#0969da" points="${points.map((p) => at(p.prob_pred, p.prob_true)).join(' ')}"/></svg>
<table><thead><tr><th>mean score</th><th>fraction positive</th><th>rows</th></tr></thead><tbody>${points.map((p) => `<tr><td class="num">${format(p.prob_pred)}</td><td class="num">${format(p.prob_true)}</td><td class="num">${p.count}</td></tr>`).join('')}</tbody></table></div>`;
  }
  if (entry.per_class && entry.classes && entry.confusion_matrix) {
    const classes = entry.classes;
    const perClass = entry.per_class
      .map(
        (c) =>
          `<tr><td>${escapeHtml(c.class)}</td><td class="num">${format(c.precision)}</td><td class="num">${format(c.recall)}</td><td class="num">${format(c.f1)}</td><td class="num">${c.support}</td><td class="num">${format(c.roc_auc ?? null)}</td></tr>`,
      )
      .join('');
    const matrix = entry.confusion_matrix
      .map(
        (row, i) =>
          `<tr><th>${escapeHtml(classes[i] ?? '')}</th>${row.map((count) => `<td class="num">${count}</td>`).join('')}</tr>`,
      )
      .join('');
    return `${title}<table class="per-class" data-side="${entry.side}"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>f1</th><th>support</th><th>roc_auc</th></tr></thead><tbody>${perClass}</tbody></table>
<table class="confusion-matrix" data-side="${entry.side}"><thead><tr><th>label \\ predicted</th>${classes.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${matrix}</tbody></table>`;
  }
  return '';
}

function featureCard(feature: FeatureDrift): string {
  return `<div class="card${feature.drift ? ' drifted' : ''}" data-feature="${escapeHtml(feature.name)}" data-slice="${escapeHtml(feature.slice)}">
<div><b>${escapeHtml(feature.name)}</b> <span class="muted">slice ${escapeHtml(feature.slice)}</span>${feature.drift ? ' <span class="drift">DRIFT</span>' : ''}</div>
<div class="muted">PSI ${format(feature.psi)} · JS ${format(feature.jensen_shannon)} · nulls ${rate(feature.null_rate.reference)} → ${rate(feature.null_rate.current)}</div>
${histogramSvg(feature.histogram, feature.name)}
</div>`;
}

const WIDTH = 360;
const HEIGHT = 170;
/** Room for the y axis's labels on the left and the x axis's below the plot. */
const PLOT = { left: 42, right: 8, top: 8, bottom: 36 };
const PLOT_WIDTH = WIDTH - PLOT.left - PLOT.right;
const PLOT_HEIGHT = HEIGHT - PLOT.top - PLOT.bottom;

/**
 * The baseline's and the current sample's share of each bin as bars side by side, on axes: a
 * y axis of shares from zero (so equal shares look equal) and an x axis labelled with the
 * bins' edges (numeric) or their categories.
 */
export function histogramSvg(histogram: Histogram, feature = 'value'): string {
  const reference = shares(histogram.reference);
  const current = shares(histogram.current);
  const bins = Math.max(reference.length, current.length, 1);
  const ticks = shareTicks(Math.max(...reference, ...current, 0));
  const axisTop = ticks.at(-1) ?? 1;
  const slot = PLOT_WIDTH / bins;
  const x = (position: number) => PLOT.left + position * slot;
  const y = (share: number) => PLOT.top + PLOT_HEIGHT * (1 - share / axisTop);
  const baseline = y(0);
  const bar = (value: number, index: number, offset: number, color: string, side: string) => {
    const top = y(value);
    return `<rect class="bar-${side}" data-share="${value}" x="${(x(index) + offset).toFixed(1)}" y="${top.toFixed(1)}" width="${(slot * 0.42).toFixed(1)}" height="${(baseline - top).toFixed(1)}" fill="${color}"><title>${side} ${(value * 100).toFixed(1)}%</title></rect>`;
  };
  const yAxis = ticks
    .map(
      (tick) =>
        `<line x1="${PLOT.left - 3}" x2="${WIDTH - PLOT.right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="${tick === 0 ? '#57606a' : '#eaeef2'}"/><text class="y-tick" data-value="${tick}" x="${PLOT.left - 5}" y="${(y(tick) + 3).toFixed(1)}" font-size="9" text-anchor="end">${percentTick(tick, ticks)}</text>`,
    )
    .join('');
  const xAxis = xTicks(histogram, bins)
    .map(
      (tick) =>
        `<line x1="${x(tick.at).toFixed(1)}" x2="${x(tick.at).toFixed(1)}" y1="${baseline.toFixed(1)}" y2="${(baseline + 3).toFixed(1)}" stroke="#57606a"/><text class="x-tick" data-at="${tick.at}" x="${x(tick.at).toFixed(1)}" y="${(baseline + 12).toFixed(1)}" font-size="8" text-anchor="middle">${escapeHtml(tick.label)}</text>`,
    )
    .join('');
  return `<svg class="histogram" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" data-axis-top="${axisTop}">
<g class="y-axis">${yAxis}<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${baseline.toFixed(1)}" stroke="#57606a"/>
<text class="axis-title" x="10" y="${(PLOT.top + PLOT_HEIGHT / 2).toFixed(1)}" font-size="9" text-anchor="middle" transform="rotate(-90 10 ${(PLOT.top + PLOT_HEIGHT / 2).toFixed(1)})">share</text></g>
${reference.map((value, index) => bar(value, index, slot * 0.06, '#8c959f', 'reference')).join('')}
${current.map((value, index) => bar(value, index, slot * 0.52, '#0969da', 'current')).join('')}
<g class="x-axis">${xAxis}
<text class="axis-title" x="${(PLOT.left + PLOT_WIDTH / 2).toFixed(1)}" y="${HEIGHT - 4}" font-size="9" text-anchor="middle">${escapeHtml(histogram.categories ? `${feature} (category)` : feature)}</text></g>
</svg>`;
}

/**
 * Share ticks from 0 up to the first "nice" step (1, 2, 2.5 or 5 times a power of ten) at or
 * above the largest share, at most 6 of them: the axis always starts at zero.
 */
export function shareTicks(largest: number): number[] {
  if (!(largest > 0)) return [0, 1];
  const rough = largest / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const count = Math.ceil(largest / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function percentTick(tick: number, ticks: readonly number[]): string {
  const step = (ticks[1] ?? 1) - (ticks[0] ?? 0);
  const decimals = Math.max(0, Math.ceil(-Math.log10(step * 100) + 1e-9));
  return `${(tick * 100).toFixed(decimals)}%`;
}

/**
 * Numeric bins are open at both ends: a tick at each inner edge, between the bars it
 * separates. Categories: a label under each pair of bars.
 */
function xTicks(histogram: Histogram, bins: number): { at: number; label: string }[] {
  if (histogram.categories)
    return histogram.categories.map((category, index) => ({
      at: index + 0.5,
      label: category.length > 10 ? `${category.slice(0, 9)}…` : category,
    }));
  const edges = histogram.edges ?? [];
  if (edges.length === 0) return bins === 1 ? [{ at: 0.5, label: 'all' }] : [];
  return edges.map((edge, index) => ({ at: index + 1, label: compact(edge) }));
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total === 0 ? 0 : count / total));
}

function compact(value: number): string {
  return Math.abs(value) >= 1000 || (Math.abs(value) < 0.01 && value !== 0)
    ? value.toExponential(1)
    : String(Number(value.toFixed(2)));
}

function format(value: number | null, exponential = false): string {
  if (value === null || Number.isNaN(value)) return '-';
  return exponential && value < 1e-4 ? value.toExponential(2) : value.toFixed(4);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
