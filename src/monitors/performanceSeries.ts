import type { CheckResultJson } from './checkResult.js';

/**
 * Estimated and realized performance of a model over time, side by side (issue 19 item 3):
 * each CBPE estimate at the window it was estimated for, and each realized value at the
 * window its labels belong to (its label window), so the two meet at the same window. The
 * realized value comes from the metric's own check once labels are due (`auroc`, and
 * `accuracy`, `precision`, `recall`, `f1` where a monitor has them), else from an
 * `estimation_error` check's, which carries it beside the estimate it was held against. Pure.
 */
/** What CBPE assumes, said wherever a monitor's estimates are shown (docs/MONITORS.md). */
export const CBPE_ASSUMPTIONS =
  'estimated by CBPE from the window’s scores, calibrated (isotonic) on the labelled baseline: it assumes P(label | score) has not changed since the baseline (no concept drift), that the calibration fitted on the baseline holds (the baseline is representative and large enough where the scores now fall) and that labels are independent given the scores; the band is ±3 standard errors of the labels’ randomness given the scores (99.7% under a normal approximation) around the estimate’s bracket, not of the calibration';

/**
 * Each estimated check with its realized counterparts: a binary model's metric, then a
 * multiclass model's (the estimated checks are one name for both tasks, as `accuracy` is).
 */
export const PERFORMANCE_PAIRS = [
  { metric: 'roc_auc', estimated: 'estimated_roc_auc', realized: ['auroc', 'roc_auc_ovr'] },
  { metric: 'accuracy', estimated: 'estimated_accuracy', realized: ['accuracy'] },
  {
    metric: 'precision',
    estimated: 'estimated_precision',
    realized: ['precision', 'precision_macro'],
  },
  { metric: 'recall', estimated: 'estimated_recall', realized: ['recall', 'recall_macro'] },
  { metric: 'f1', estimated: 'estimated_f1', realized: ['f1', 'f1_macro'] },
] as const;

/** The result metrics a performance series is made of. */
export const PERFORMANCE_RESULT_METRICS: readonly string[] = [
  ...PERFORMANCE_PAIRS.flatMap((pair) => [pair.estimated, ...pair.realized]),
  'estimation_error',
];

export interface EstimatedPoint {
  check_id: string;
  window_start: string;
  window_end: string;
  status: string;
  /** Null when there was nothing to estimate from (insufficient data): a gap in the line. */
  value: number | null;
  value_lower: number | null;
  value_upper: number | null;
  band_lower: number | null;
  band_upper: number | null;
}

export interface RealizedPoint {
  check_id: string;
  /** The check it was read from: the metric's own, or estimation_error. */
  source: 'realized' | 'estimation_error';
  /** The label window: the window whose predictions the labels are of. */
  window_start: string;
  window_end: string;
  /** The end of the window whose run judged it (a label delay after). */
  judged_in: string;
  status: string;
  value: number;
  /** The estimate for the same window, beside it (null when none was stored). */
  estimated_value: number | null;
  band_lower: number | null;
  band_upper: number | null;
  /** Whether the realized value lies inside the estimate's band; null without an estimate. */
  within_band: boolean | null;
}

export interface PerformanceMetricSeries {
  metric: string;
  estimated_check: string;
  realized_check: string;
  estimated: EstimatedPoint[];
  realized: RealizedPoint[];
}

export function performanceSeries(results: readonly CheckResultJson[]): PerformanceMetricSeries[] {
  const ordered = [...results].sort(
    (a, b) => a.window_end.localeCompare(b.window_end) || a.check_id.localeCompare(b.check_id),
  );
  return PERFORMANCE_PAIRS.map((pair) => {
    const estimated = estimatedPoints(ordered.filter((r) => r.metric === pair.estimated));
    const byWindow = new Map(estimated.map((point) => [point.window_end, point]));
    const names: readonly string[] = pair.realized;
    // the model's task shows in which realized check it has: a binary one's, or a multiclass one's
    const own = names.find((name) => ordered.some((r) => r.metric === name));
    const realized = realizedPoints(
      ordered.filter(
        (r) =>
          r.metric === own ||
          (r.metric === 'estimation_error' && r.details.estimate === pair.metric),
      ),
      byWindow,
    );
    return {
      metric: pair.metric,
      estimated_check: pair.estimated,
      // without a check of its own the realized values are estimation_error's
      realized_check: own ?? (realized.length > 0 ? 'estimation_error' : (names[0] ?? '')),
      estimated,
      realized,
    };
  }).filter((series) => series.estimated.length > 0 || series.realized.length > 0);
}

/** One point per window (the first check by id when several estimate the same metric). */
function estimatedPoints(results: readonly CheckResultJson[]): EstimatedPoint[] {
  const points = new Map<string, EstimatedPoint>();
  for (const r of results)
    if (!points.has(r.window_end))
      points.set(r.window_end, {
        check_id: r.check_id,
        window_start: r.window_start,
        window_end: r.window_end,
        status: r.status,
        value: r.value,
        value_lower: r.value_lower,
        value_upper: r.value_upper,
        band_lower: r.band_lower,
        band_upper: r.band_upper,
      });
  return [...points.values()];
}

function labelWindowOf(result: CheckResultJson): { start: string; end: string } | null {
  const window = result.details.label_window;
  if (typeof window !== 'object' || window === null) return null;
  const { start, end } = window as Record<string, unknown>;
  return typeof start === 'string' && typeof end === 'string' ? { start, end } : null;
}

/**
 * One point per label window: the metric's own check first, then estimation_error's; only
 * values that were measured. Its estimate is the one estimation_error held it against, else
 * the stored estimate of the same window.
 */
function realizedPoints(
  results: readonly CheckResultJson[],
  estimates: ReadonlyMap<string, EstimatedPoint>,
): RealizedPoint[] {
  const points = new Map<string, RealizedPoint>();
  const own = results.filter((r) => r.metric !== 'estimation_error');
  const fromErrors = results.filter((r) => r.metric === 'estimation_error');
  for (const r of [...own, ...fromErrors]) {
    const window = labelWindowOf(r);
    if (r.value === null || window === null || points.has(window.end)) continue;
    const estimate = estimates.get(window.end);
    const fromError = r.metric === 'estimation_error';
    const band = fromError
      ? { lower: r.band_lower, upper: r.band_upper, value: r.estimated_value }
      : {
          lower: estimate?.band_lower ?? null,
          upper: estimate?.band_upper ?? null,
          value: estimate?.value ?? null,
        };
    points.set(window.end, {
      check_id: r.check_id,
      source: fromError ? 'estimation_error' : 'realized',
      window_start: window.start,
      window_end: window.end,
      judged_in: r.window_end,
      status: r.status,
      value: r.value,
      estimated_value: band.value,
      band_lower: band.lower,
      band_upper: band.upper,
      within_band:
        band.lower === null || band.upper === null
          ? null
          : r.value >= band.lower && r.value <= band.upper,
    });
  }
  return [...points.values()].sort((a, b) => a.window_end.localeCompare(b.window_end));
}
