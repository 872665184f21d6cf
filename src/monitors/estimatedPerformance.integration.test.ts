import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceWindow } from '../alerts/advanceWindow.js';
import { itemOf } from '../alerts/notification.js';
import { itemLine } from '../alerts/render/text.js';
import { resultsTable } from '../cli/commands/monitorCommands.js';
import { createRandom } from '../demo/random.js';
import { estimateBinary } from '../stats/cbpe.js';
import { fitIsotonic } from '../stats/isotonic.js';
import { toClickHouseTime, type Store } from '../store/clickhouse.js';
import { insertLabels, type LabelRow } from '../store/events.js';
import { listRunResults } from '../store/results.js';
import { insertTestPredictions, testLabel, testPrediction } from '../../test/helpers/events.js';
import {
  HOUR,
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
import { evaluateMonitorWindow } from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';

/**
 * Performance estimated before labels arrive (issue 19 item 3), as a monitor run on embedded
 * ClickHouse computes it: the calibration fitted on the baseline file's score and label
 * columns, each window estimated from its summaries' score cells, and once the labels of a
 * window are due, the estimate for it held against what they turned out to be. Two models
 * send the same scores under covariate shift: `calibrated`'s labels follow its scores as on
 * the baseline; `drifted`'s do not (concept drift: a coin toss whatever the score).
 */
const THRESHOLD = 0.5;

const monitorYaml = (model: string) => `model: ${model}
baseline: { file: base.csv }
features: { amount: numeric }
prediction: { threshold: ${THRESHOLD} }
schedule: '*/30 * * * *'
window: 30m
labels: { delay: 2h, min_count: 100 }
checks:
  - { metric: estimated_roc_auc, min: 0.6 }
  - { metric: estimated_accuracy, min: 0.95, warn: 0.99 }
  - { metric: estimated_precision, min: 0.1 }
  - { metric: estimated_recall, min: 0.1 }
  - { metric: estimated_f1, min: 0.1 }
  - { metric: auroc, min: 0.5 }
  - { id: auroc_estimate, metric: estimation_error, estimate: roc_auc }
  - { id: accuracy_estimate, metric: estimation_error, estimate: accuracy, tolerance: 0.01 }
`;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const random = createRandom(19);
/** A calibrated model's score (P(label 1 | amount)), six decimals as a CSV keeps it. */
const scoreOf = (amount: number) => Number(sigmoid(1.5 * amount - 1).toFixed(6));
const bernoulli = (p: number) => (random.uniform() < p ? 1 : 0);

const baseAmounts = Array.from({ length: 4000 }, () => random.normal(0, 1));
const baseScores = baseAmounts.map(scoreOf);
const baseLabels = baseScores.map(bernoulli);
// covariate shift: the windows' inputs are higher than the baseline's
const w1Scores = Array.from({ length: 1500 }, () => scoreOf(random.normal(0.6, 1)));
const w2Scores = Array.from({ length: 1500 }, () => scoreOf(random.normal(0.6, 1)));
const w1Labels = {
  calibrated: w1Scores.map(bernoulli),
  drifted: w1Scores.map(() => bernoulli(0.5)),
};

function prediction(model: string, id: string, start: Date, i: number, score: number) {
  return testPrediction({
    event_id: `e-${model}-${id}`,
    model,
    ts: toClickHouseTime(new Date(start.getTime() + i * 1000)),
    prediction_id: `${model}-${id}`,
    score,
    features: { amount: i % 7 },
  });
}

function label(model: string, id: string, value: number): LabelRow {
  return testLabel({
    event_id: `l-${model}-${id}`,
    model,
    prediction_id: `${model}-${id}`,
    label: String(value),
    ts: toClickHouseTime(LABELS_AT),
  });
}

/** AUROC by counting every (positive, negative) pair, ties half: no code of ours. */
function pairwiseAuroc(scores: readonly number[], labels: readonly number[]): number {
  const positives = scores.filter((_, i) => labels[i] === 1);
  const negatives = scores.filter((_, i) => labels[i] === 0);
  let won = 0;
  for (const p of positives) for (const n of negatives) won += p > n ? 1 : p === n ? 0.5 : 0;
  return won / (positives.length * negatives.length);
}

function accuracyAt(scores: readonly number[], labels: readonly number[]): number {
  const right = scores.filter((s, i) => (s >= THRESHOLD ? 1 : 0) === labels[i]).length;
  return right / scores.length;
}

describe('CBPE checks in a monitor run on embedded ClickHouse', () => {
  let store: Store;
  const plans: Record<string, MonitorPlan> = {};
  let runs: Record<string, TwoWindowRuns> = {};
  const dir = tempDir('driftwatch-cbpe-');
  const calibration = fitIsotonic(baseScores, baseLabels);

  beforeAll(async () => {
    store = await openTestStore();
    const rows = baseAmounts.map((a, i) => `${a},${baseScores[i]},${baseLabels[i]}`);
    writeBaselineCsv(dir, 'amount,score,label', rows);
    for (const model of ['calibrated', 'drifted'] as const) {
      plans[model] = writeMonitor(dir, model, monitorYaml(model));
      await insertTestPredictions(store, [
        ...w1Scores.map((s, i) => prediction(model, `w1-${i}`, W1.start, i, s)),
        ...w2Scores.map((s, i) => prediction(model, `w2-${i}`, W2.start, i, s)),
      ]);
      await insertLabels(
        store,
        w1Labels[model].map((y, i) => label(model, `w1-${i}`, y)),
      );
    }
    runs = await evaluateBothWindows(store, plans);
  }, 240_000);
  afterAll(async () => {
    await store.close();
  });

  const result = (model: string, window: keyof TwoWindowRuns, checkId: string): CheckResult =>
    allRowsResult(runs, model, window, checkId);

  it('estimates each metric of the window from its summaries: the exact estimate inside the bracket, the band around it', () => {
    const exact = estimateBinary(calibration, w2Scores, THRESHOLD);
    for (const metric of ['roc_auc', 'accuracy', 'precision', 'recall', 'f1'] as const) {
      const found = result('calibrated', 'w2', `estimated_${metric}`);
      const lower = found.valueLower ?? found.value ?? NaN;
      const upper = found.valueUpper ?? found.value ?? NaN;
      const want = exact[metric].value;
      expect(want, metric).toBeGreaterThanOrEqual(lower - 1e-12);
      expect(want, metric).toBeLessThanOrEqual(upper + 1e-12);
      // the cells' bracket: narrow (the AUROC's widest, its pairs within a cell are bracketed)
      expect(upper - lower, metric).toBeLessThan(0.02);
      const sigma = Number(found.details.sigma);
      expect(sigma, metric).toBeGreaterThan(0);
      expect(found.bandLower, metric).toBeCloseTo(Math.max(0, lower - 3 * sigma), 12);
      expect(found.bandUpper, metric).toBeCloseTo(Math.min(1, upper + 3 * sigma), 12);
      expect(found).toMatchObject({ nReference: 4000, nCurrent: 1500, estimatedValue: null });
    }
    // thresholds like any metric: the accuracy a calibrated model of these scores reaches is
    // well under 0.95
    expect(result('calibrated', 'w2', 'estimated_accuracy').status).toBe('critical');
    expect(result('calibrated', 'w2', 'estimated_roc_auc').status).toBe('ok');
  });

  it('recomputes exactly, from the window’s distinct scores, an estimate whose bracket straddles its threshold', async () => {
    const first = result('calibrated', 'w2', 'estimated_roc_auc');
    expect(first.valueLower).not.toBe(first.valueUpper);
    const plan = plans.calibrated as MonitorPlan;
    const straddling: MonitorPlan = {
      ...plan,
      checks: plan.checks.map((check) =>
        check.metric === 'estimated_roc_auc' ? { ...check, min: first.value ?? 0 } : check,
      ),
    };
    const again = await evaluateMonitorWindow(store, straddling, W2, {
      now: W2.end,
      persist: false,
    });
    const resolved = again.results.find(
      (r) => r.checkId === 'estimated_roc_auc' && r.sliceValue === 'all',
    );
    const exact = estimateBinary(calibration, w2Scores, THRESHOLD).roc_auc;
    expect(again.exactFallback).toMatchObject({ resolved: true });
    expect(resolved?.valueLower).toBeNull();
    expect(resolved?.value).toBeCloseTo(exact.value, 12);
    expect(resolved?.bandLower).toBeCloseTo(exact.band.lower, 12);
    expect(resolved?.status).toBe(exact.value < (first.value ?? 0) ? 'critical' : 'ok');
    expect(resolved?.details.judged_on).toBeUndefined();
  });

  it('shows the band beside the value in the CLI’s results, and the estimate beside the realized value', () => {
    const table = resultsTable(runs.calibrated?.w2.results ?? []);
    const row = (checkId: string) =>
      table.split('\n').find((line) => line.includes(` ${checkId} `) && line.includes(' all ')) ??
      '';
    const estimated = result('calibrated', 'w2', 'estimated_roc_auc');
    const f = (v: number | null) => (v ?? NaN).toFixed(4);
    expect(row('estimated_roc_auc')).toContain(
      `${f(estimated.value)} [${f(estimated.valueLower)}, ${f(estimated.valueUpper)}] band [${f(estimated.bandLower)}, ${f(estimated.bandUpper)}]`,
    );
    const error = result('calibrated', 'w2', 'auroc_estimate');
    expect(row('auroc_estimate')).toContain(
      `${f(error.value)} vs estimate ${f(error.estimatedValue)} band [${f(error.bandLower)}, ${f(error.bandUpper)}]`,
    );
  });

  it('stores the band beside the value, read back as the run returned it', async () => {
    const stored = await listRunResults(store, plans.calibrated?.monitor ?? '', W2.end);
    const estimated = stored.find(
      (r) => r.checkId === 'estimated_roc_auc' && r.sliceValue === 'all',
    );
    const returned = result('calibrated', 'w2', 'estimated_roc_auc');
    expect(estimated).toMatchObject({
      value: returned.value,
      valueLower: returned.valueLower,
      valueUpper: returned.valueUpper,
      bandLower: returned.bandLower,
      bandUpper: returned.bandUpper,
    });
  });

  it('holds the estimate for the label window beside its realized value: inside the band without concept drift', () => {
    const auroc = result('calibrated', 'w2', 'auroc_estimate');
    const realized = pairwiseAuroc(w1Scores, w1Labels.calibrated);
    expect(auroc.value).toBeCloseTo(realized, 12);
    expect(result('calibrated', 'w2', 'auroc').value).toBeCloseTo(realized, 12);
    // the estimate beside it is the one W1's own run stored, from the same summaries
    const earlier = result('calibrated', 'w1', 'estimated_roc_auc');
    expect(auroc).toMatchObject({
      status: 'ok',
      estimatedValue: earlier.value,
      bandLower: earlier.bandLower,
      bandUpper: earlier.bandUpper,
      nCurrent: 1500,
    });
    expect(auroc.details).toMatchObject({
      estimate: 'roc_auc',
      label_window: { start: W1.start.toISOString(), end: W1.end.toISOString() },
    });
    const accuracy = result('calibrated', 'w2', 'accuracy_estimate');
    expect(accuracy.value).toBeCloseTo(accuracyAt(w1Scores, w1Labels.calibrated), 12);
    expect(accuracy.status).toBe('ok');
  });

  it('alerts when the labels contradict the estimate (concept drift), naming both values and the band', () => {
    const auroc = result('drifted', 'w2', 'auroc_estimate');
    const realized = pairwiseAuroc(w1Scores, w1Labels.drifted);
    expect(auroc.value).toBeCloseTo(realized, 12);
    expect(auroc.status).toBe('critical');
    expect(realized).toBeLessThan(auroc.bandLower ?? NaN);
    // the estimate cannot see it: the drifted model's estimate is the calibrated one's
    expect(auroc.estimatedValue).toBe(result('calibrated', 'w2', 'auroc_estimate').estimatedValue);
    const w2 = runs.drifted?.w2;
    const plan = plans.drifted as MonitorPlan;
    const outcome = advanceWindow(
      [],
      {
        monitor: plan.monitor,
        model: plan.model,
        windowStart: W2.start,
        windowEnd: W2.end,
        monitorHash: plan.hash,
        baseline: 'base',
        baselineVersion: 1,
        results: (w2?.results ?? []).filter((r) => r.checkId === 'auroc_estimate'),
      },
      {
        settings: {
          forWindows: 1,
          resolveAfterWindows: 1,
          repeatIntervalMs: HOUR,
          sendResolved: true,
        },
        checks: plan.checks.filter((c) => c.id === 'auroc_estimate'),
        silences: [],
        acknowledged: new Set(),
        now: W2.end,
      },
    );
    const lines = outcome.notices.map((notice) => itemLine(itemOf(notice)));
    const f = (v: number | null) => String(Number((v ?? NaN).toPrecision(4)));
    expect(lines).toEqual([
      `[firing] auroc_estimate · (model) · all: realized ${f(auroc.value)} outside the estimate ${f(auroc.estimatedValue)}'s band [${f(auroc.bandLower)}, ${f(auroc.bandUpper)}]`,
    ]);
  });
});
