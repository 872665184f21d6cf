import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../demo/random.js';
import { calibrate, fitIsotonic, type IsotonicCalibration } from '../stats/isotonic.js';
import { toClickHouseTime, type Store } from '../store/clickhouse.js';
import { insertLabels, type LabelRow } from '../store/events.js';
import { insertTestPredictions, testLabel, testPrediction } from '../../test/helpers/events.js';
import {
  LABELS_AT,
  W1,
  W2,
  writeBaselineCsv,
  writeMonitor,
  allRowsResult,
  evaluateBothWindows,
  type TwoWindowRuns,
} from '../../test/helpers/labelWindows.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import type { CheckResult } from './checkResult.js';
import type { MonitorPlan } from './plan.js';
import { PERFORMANCE_RESULT_METRICS, performanceSeries } from './performanceSeries.js';
import { queryModelMetricResults } from '../store/results.js';

/**
 * Multiclass CBPE in a monitor run on embedded ClickHouse (issue 19 item 3): the per-class
 * calibrations fitted on the baseline file's class-score and label columns, each window
 * estimated from its events' class scores, and once a window's labels are due, the estimate
 * for it held against them. Two models send the same class scores under covariate shift:
 * `calibrated`'s labels are drawn from its scores, as on the baseline; `drifted`'s are not
 * (concept drift: the label is the class ranked second). Expected values are computed here
 * in plain loops from the definitions (NannyML's multiclass CBPE), not by src/stats.
 */
const CLASSES = ['ant', 'bee', 'wasp'];

const monitorYaml = (model: string) => `model: ${model}
task: multiclass
baseline: { file: base.csv }
features: { amount: numeric }
prediction: { class_scores: p_ }
schedule: '*/30 * * * *'
window: 30m
labels: { delay: 2h, min_count: 100 }
checks:
  - { metric: estimated_accuracy, min: 0.3 }
  - { metric: estimated_precision, min: 0.3 }
  - { metric: estimated_recall, min: 0.3 }
  - { metric: estimated_f1, min: 0.3 }
  - { metric: estimated_roc_auc, min: 0.6 }
  - { metric: accuracy, min: 0.1 }
  - { metric: f1_macro, min: 0.1 }
  - { id: accuracy_estimate, metric: estimation_error, estimate: accuracy }
  - { id: f1_estimate, metric: estimation_error, estimate: f1 }
  - { id: auroc_estimate, metric: estimation_error, estimate: roc_auc }
`;

const random = createRandom(1919);

interface Event {
  scores: number[];
  predicted: string;
  label: string;
}

/** A softmax model, calibrated by construction; 4 decimals as a CSV keeps it (ties happen). */
function draw(shift: readonly number[], concept: 'same' | 'second' = 'same'): Event {
  const logits = CLASSES.map((_, j) => 1.3 * random.normal(0, 1) + (shift[j] ?? 0));
  const top = Math.max(...logits);
  const weights = logits.map((l) => Math.exp(l - top));
  const total = weights.reduce((t, w) => t + w, 0);
  const scores = weights.map((w) => Number((w / total).toFixed(4)));
  const best = scores.indexOf(Math.max(...scores));
  let label = CLASSES.length - 1;
  let u = random.uniform() * scores.reduce((t, s) => t + s, 0);
  for (let j = 0; j < CLASSES.length; j += 1) {
    u -= scores[j] ?? 0;
    if (u < 0) {
      label = j;
      break;
    }
  }
  if (concept === 'second') {
    const order = scores.map((s, j) => [s, j] as const).sort((a, b) => b[0] - a[0]);
    label = order[1]?.[1] ?? 0;
  }
  return { scores, predicted: CLASSES[best] ?? '', label: CLASSES[label] ?? '' };
}

const baseline = Array.from({ length: 6000 }, () => draw([0, 0, 0]));
// covariate shift: wasp is likelier in the windows than on the baseline
const w1 = Array.from({ length: 1500 }, () => draw([-0.5, 0, 0.7]));
const w2 = Array.from({ length: 1500 }, () => draw([-0.5, 0, 0.7]));
const w1Drifted = w1.map((e) => {
  const order = e.scores.map((s, j) => [s, j] as const).sort((a, b) => b[0] - a[0]);
  return CLASSES[order[1]?.[1] ?? 0] ?? '';
});

/** NannyML's multiclass CBPE written out: calibrate each class, renormalise, expected counts. */
function directEstimate(calibrations: readonly IsotonicCalibration[], events: readonly Event[]) {
  const p = events.map((e) => {
    const raw = calibrations.map((c, j) => calibrate(c, e.scores[j] ?? NaN));
    const total = raw.reduce((t, x) => t + x, 0);
    return raw.map((x) => (total === 0 ? 1 / raw.length : x / total));
  });
  let correct = 0;
  events.forEach((e, i) => (correct += p[i]?.[CLASSES.indexOf(e.predicted)] ?? 0));
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  let auroc = 0;
  CLASSES.forEach((name, j) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    events.forEach((e, i) => {
      const pj = p[i]?.[j] ?? 0;
      if (e.predicted === name) {
        tp += pj;
        fp += 1 - pj;
      } else fn += pj;
    });
    precision += tp / (tp + fp);
    recall += tp / (tp + fn);
    f1 += (2 * tp) / (2 * tp + fp + fn);
    // expected AUROC: the AUROC of the expected positive and negative distributions (NannyML's
    // estimate_roc_auc: cumulative Σ p̂ and Σ (1 − p̂) over the sorted scores), so every pair
    // (k, l), k = l too (a tie, half), weighted p_k,j (1 − p_l,j)
    let won = 0;
    let pairs = 0;
    events.forEach((a, k) => {
      const pa = p[k]?.[j] ?? 0;
      events.forEach((b, l) => {
        const w = pa * (1 - (p[l]?.[j] ?? 0));
        const sa = a.scores[j] ?? 0;
        const sb = b.scores[j] ?? 0;
        pairs += w;
        won += w * (sa > sb ? 1 : sa === sb ? 0.5 : 0);
      });
    });
    auroc += won / pairs;
  });
  const k = CLASSES.length;
  return {
    accuracy: correct / events.length,
    precision: precision / k,
    recall: recall / k,
    f1: f1 / k,
    roc_auc: auroc / k,
  };
}

/** Realized accuracy and macro F1 over CLASSES, in plain loops. */
function realized(events: readonly Event[], labels: readonly string[]) {
  let correct = 0;
  let f1 = 0;
  events.forEach((e, i) => (correct += e.predicted === labels[i] ? 1 : 0));
  for (const name of CLASSES) {
    let tp = 0;
    let predicted = 0;
    let actual = 0;
    events.forEach((e, i) => {
      if (e.predicted === name) predicted += 1;
      if (labels[i] === name) actual += 1;
      if (e.predicted === name && labels[i] === name) tp += 1;
    });
    f1 += predicted + actual === 0 ? 0 : (2 * tp) / (predicted + actual);
  }
  return { accuracy: correct / events.length, f1: f1 / CLASSES.length };
}

function prediction(model: string, id: string, start: Date, i: number, e: Event) {
  return testPrediction({
    event_id: `e-${model}-${id}`,
    model,
    ts: toClickHouseTime(new Date(start.getTime() + i * 1000)),
    prediction_id: `${model}-${id}`,
    score: null,
    prediction: e.predicted,
    scores: Object.fromEntries(CLASSES.map((name, j) => [name, e.scores[j] ?? NaN])),
    features: { amount: i % 7 },
  });
}

function label(model: string, id: string, value: string): LabelRow {
  return testLabel({
    event_id: `l-${model}-${id}`,
    model,
    prediction_id: `${model}-${id}`,
    label: value,
    ts: toClickHouseTime(LABELS_AT),
  });
}

describe('multiclass CBPE checks in a monitor run on embedded ClickHouse', () => {
  let store: Store;
  const plans: Record<string, MonitorPlan> = {};
  let runs: Record<string, TwoWindowRuns> = {};
  const dir = tempDir('driftwatch-mcbpe-');
  const calibrations = CLASSES.map((name, j) =>
    fitIsotonic(
      baseline.map((e) => e.scores[j] ?? NaN),
      baseline.map((e) => (e.label === name ? 1 : 0)),
    ),
  );

  beforeAll(async () => {
    store = await openTestStore();
    const header = ['amount', 'prediction', 'label', ...CLASSES.map((c) => `p_${c}`)];
    const rows = baseline.map((e, i) => [i % 7, e.predicted, e.label, ...e.scores].join(','));
    writeBaselineCsv(dir, header.join(','), rows);
    for (const model of ['calibrated', 'drifted'] as const) {
      plans[model] = writeMonitor(dir, model, monitorYaml(model));
      await insertTestPredictions(store, [
        ...w1.map((e, i) => prediction(model, `w1-${i}`, W1.start, i, e)),
        ...w2.map((e, i) => prediction(model, `w2-${i}`, W2.start, i, e)),
      ]);
      const labels = model === 'calibrated' ? w1.map((e) => e.label) : w1Drifted;
      await insertLabels(
        store,
        labels.map((y, i) => label(model, `w1-${i}`, y)),
      );
    }
    runs = await evaluateBothWindows(store, plans);
  }, 300_000);
  afterAll(async () => {
    await store.close();
  });

  const result = (model: string, window: keyof TwoWindowRuns, checkId: string): CheckResult =>
    allRowsResult(runs, model, window, checkId);

  it('estimates accuracy and the macro averages as the definitions give them, exact, with a band', () => {
    const want = directEstimate(calibrations, w2);
    for (const metric of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const) {
      const found = result('calibrated', 'w2', `estimated_${metric}`);
      expect(found.value, metric).toBeCloseTo(want[metric], 9);
      // from the raw rows' score vectors: exact, no bracket
      expect(found.valueLower, metric).toBeNull();
      const sigma = Number(found.details.sigma);
      expect(sigma, metric).toBeGreaterThan(0);
      expect(sigma, metric).toBeLessThan(0.05);
      expect(found.bandLower, metric).toBeCloseTo(Math.max(0, want[metric] - 3 * sigma), 9);
      expect(found.bandUpper, metric).toBeCloseTo(Math.min(1, want[metric] + 3 * sigma), 9);
      expect(found).toMatchObject({ nReference: 6000, nCurrent: 1500, status: 'ok' });
    }
    expect(result('calibrated', 'w2', 'estimated_f1').details).toMatchObject({
      classes: CLASSES,
    });
  });

  it('holds the estimate against the labels once due: inside the band when calibrated, outside under concept drift', () => {
    const truth = realized(
      w1,
      w1.map((e) => e.label),
    );
    const estimate = directEstimate(calibrations, w1);
    for (const [id, metric] of [
      ['accuracy_estimate', 'accuracy'],
      ['f1_estimate', 'f1'],
    ] as const) {
      const ok = result('calibrated', 'w2', id);
      expect(ok.value, id).toBeCloseTo(truth[metric], 12);
      expect(ok.estimatedValue, id).toBeCloseTo(estimate[metric], 9);
      expect(ok.status, id).toBe('ok');
      const drifted = result('drifted', 'w2', id);
      expect(drifted.value, id).toBeCloseTo(realized(w1, w1Drifted)[metric], 12);
      expect(drifted.status, id).toBe('critical');
      expect(Number(drifted.details.outside_band_by), id).toBeGreaterThan(0);
    }
    expect(result('calibrated', 'w2', 'auroc_estimate').status).toBe('ok');
    expect(result('drifted', 'w2', 'auroc_estimate').status).toBe('critical');
    // the realized accuracy agrees with the model's own accuracy check
    expect(result('calibrated', 'w2', 'accuracy').value).toBeCloseTo(truth.accuracy, 12);
  });

  it('says insufficient data before the labels are due, and pairs estimate and labels in the performance series', async () => {
    expect(result('calibrated', 'w1', 'accuracy_estimate').status).toBe('insufficient_data');
    // what GET /v1/models/:model/performance reads and returns
    const stored = await queryModelMetricResults(store, {
      model: 'calibrated',
      metrics: PERFORMANCE_RESULT_METRICS,
      sliceKey: '',
      sliceValue: 'all',
    });
    const series = performanceSeries(stored);
    const f1 = series.find((s) => s.metric === 'f1');
    expect(f1?.realized_check).toBe('f1_macro');
    expect(f1?.estimated.map((p) => p.window_end)).toHaveLength(2);
    expect(f1?.realized[0]).toMatchObject({ window_end: W1.end.toISOString(), within_band: true });
  });
});
