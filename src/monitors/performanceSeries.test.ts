import { describe, expect, it } from 'vitest';
import { NULL_FIELDS, checkResultToJson, type CheckResult } from './checkResult.js';
import { performanceSeries } from './performanceSeries.js';

/** Stored results built by hand: each pairing below is worked out from the windows given. */
const HALF_HOUR = 1_800_000;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const end = (k: number) => new Date(T0 + k * HALF_HOUR);

function result(
  fields: Partial<CheckResult> & { metric: string; k: number },
): ReturnType<typeof checkResultToJson> {
  const { k, ...rest } = fields;
  return checkResultToJson(
    {
      ...NULL_FIELDS,
      model: 'm',
      monitor: 'm',
      windowStart: end(k - 1),
      windowEnd: end(k),
      checkId: fields.metric,
      feature: '',
      sliceKey: '',
      sliceValue: 'all',
      status: 'ok',
      correction: 'none',
      nReference: 1000,
      nCurrent: 500,
      baseline: 'file:base.csv',
      baselineVersion: 1,
      monitorHash: 'h',
      details: {},
      ...rest,
    },
    new Date(0),
  );
}

const labelWindow = (k: number) => ({
  label_window: { start: end(k - 1).toISOString(), end: end(k).toISOString() },
});

describe('estimated beside realized performance', () => {
  const estimate = (k: number, value: number) =>
    result({
      metric: 'estimated_roc_auc',
      k,
      value,
      bandLower: value - 0.05,
      bandUpper: value + 0.05,
    });

  it('places each realized value at the window its labels are of, beside that window’s estimate', () => {
    const series = performanceSeries([
      estimate(1, 0.8),
      estimate(2, 0.82),
      estimate(5, 0.81),
      // window 5's run judged the labels of window 1; window 6's those of window 2
      result({ metric: 'auroc', k: 5, value: 0.79, details: labelWindow(1) }),
      result({ metric: 'auroc', k: 6, value: 0.6, status: 'warn', details: labelWindow(2) }),
      // too few labels: nothing realized to draw
      result({
        metric: 'auroc',
        k: 7,
        value: null,
        status: 'insufficient_data',
        details: labelWindow(3),
      }),
    ]);
    expect(series).toHaveLength(1);
    const [roc] = series;
    expect(roc?.metric).toBe('roc_auc');
    expect(roc?.estimated.map((p) => [p.window_end, p.value, p.band_lower])).toEqual([
      [end(1).toISOString(), 0.8, 0.8 - 0.05],
      [end(2).toISOString(), 0.82, 0.82 - 0.05],
      [end(5).toISOString(), 0.81, 0.81 - 0.05],
    ]);
    expect(roc?.realized).toEqual([
      {
        check_id: 'auroc',
        source: 'realized',
        window_start: end(0).toISOString(),
        window_end: end(1).toISOString(),
        judged_in: end(5).toISOString(),
        status: 'ok',
        value: 0.79,
        estimated_value: 0.8,
        band_lower: 0.8 - 0.05,
        band_upper: 0.8 + 0.05,
        within_band: true,
      },
      expect.objectContaining({
        window_end: end(2).toISOString(),
        value: 0.6,
        estimated_value: 0.82,
        within_band: false,
      }),
    ]);
  });

  it('takes the realized value from estimation_error where the metric has no check of its own', () => {
    const series = performanceSeries([
      result({ metric: 'estimated_accuracy', k: 1, value: 0.9, bandLower: 0.88, bandUpper: 0.92 }),
      result({
        metric: 'estimation_error',
        checkId: 'accuracy_estimate',
        k: 5,
        value: 0.7,
        estimatedValue: 0.9,
        bandLower: 0.88,
        bandUpper: 0.92,
        status: 'critical',
        details: { estimate: 'accuracy', ...labelWindow(1) },
      }),
      // an estimation_error of another metric is not accuracy's
      result({
        metric: 'estimation_error',
        checkId: 'auroc_estimate',
        k: 5,
        value: 0.5,
        details: { estimate: 'roc_auc', ...labelWindow(1) },
      }),
    ]);
    const accuracy = series.find((s) => s.metric === 'accuracy');
    expect(accuracy?.realized).toEqual([
      expect.objectContaining({
        check_id: 'accuracy_estimate',
        source: 'estimation_error',
        value: 0.7,
        estimated_value: 0.9,
        within_band: false,
      }),
    ]);
    expect(series.find((s) => s.metric === 'roc_auc')?.realized.map((p) => p.value)).toEqual([0.5]);
  });

  it('prefers the metric’s own check over estimation_error for the same label window', () => {
    const series = performanceSeries([
      result({
        metric: 'estimation_error',
        checkId: 'a_first_by_id',
        k: 5,
        value: 0.75,
        details: { estimate: 'roc_auc', ...labelWindow(1) },
      }),
      result({ metric: 'auroc', k: 5, value: 0.75, details: labelWindow(1) }),
    ]);
    expect(series[0]?.realized.map((p) => p.source)).toEqual(['realized']);
  });
});
