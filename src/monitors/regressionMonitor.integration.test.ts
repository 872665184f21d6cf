import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../stats/oracle.testing.js';
import { parseTaskCases, type RegressionTaskCase } from '../stats/taskOracle.testing.js';
import type { Store } from '../store/clickhouse.js';
import { toClickHouseTime } from '../store/clickhouse.js';
import { insertLabels, type LabelRow } from '../store/events.js';
import {
  insertTestPredictions,
  testLabel,
  testPrediction,
  type TestPrediction,
} from '../../test/helpers/events.js';
import {
  LABELS_AT,
  W1,
  W2,
  writeBaselineCsv,
  writeMonitor,
} from '../../test/helpers/labelWindows.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';

/**
 * A regression monitor run on embedded ClickHouse (issue 19 item 2): each of scikit-learn's
 * regression cases (test/fixtures/task-cases.json) is one slice of the label window, so
 * every slice's MAE, RMSE, MAPE and R² must be sklearn's; "all" is every case together,
 * checked against sums written out here.
 */
const CASES = parseTaskCases(
  fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/task-cases.json'), 'utf8'),
).regression;

const MONITOR = `model: price
task: regression
baseline: { file: base.csv }
features: { amount: numeric }
slices: [case]
schedule: '*/30 * * * *'
window: 30m
labels: { delay: 2h, min_count: 2 }
checks:
  - { metric: mae, warn: 1, critical: 1000 }
  - { metric: rmse, critical: 1000 }
  - { metric: mape, critical: 1000 }
  - { metric: r2, min: 0.5 }
`;

function prediction(id: string, start: Date, i: number, score: number, c: string): TestPrediction {
  return testPrediction({
    event_id: `e-${id}`,
    model: 'price',
    ts: toClickHouseTime(new Date(start.getTime() + i)),
    prediction_id: id,
    score,
    features: { amount: i % 97 },
    attributes: { case: c },
  });
}

function label(id: string, value: string): LabelRow {
  return testLabel({
    event_id: `l-${id}`,
    model: 'price',
    prediction_id: id,
    label: value,
    ts: toClickHouseTime(LABELS_AT),
  });
}

/** Every case's pairs together, summed two-pass in plain loops (no code of ours). */
function pooled(cases: readonly RegressionTaskCase[]) {
  const y = cases.flatMap((c) => c.labels);
  const p = cases.flatMap((c) => c.predictions);
  const n = y.length;
  let abs = 0;
  let sq = 0;
  let ape = 0;
  let sum = 0;
  for (let i = 0; i < n; i += 1) {
    const e = (y[i] ?? 0) - (p[i] ?? 0);
    abs += Math.abs(e);
    sq += e * e;
    ape += Math.abs(e) / Math.max(Math.abs(y[i] ?? 0), 2 ** -52);
    sum += y[i] ?? 0;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of y) ss += (v - mean) * (v - mean);
  return { mae: abs / n, rmse: Math.sqrt(sq / n), mape: ape / n, r2: 1 - sq / ss, n };
}

describe('a regression monitor on embedded ClickHouse', () => {
  let store: Store;
  let run: WindowEvaluation;
  const dir = tempDir('driftwatch-regression-');

  beforeAll(async () => {
    store = await openTestStore();
    const rows = CASES.flatMap((c) =>
      c.predictions.map((p, i) => `${i % 97},${p},${c.labels[i]},${c.name}`),
    );
    writeBaselineCsv(dir, 'amount,score,label,case', rows);
    const plan = writeMonitor(dir, 'price', MONITOR);
    const predictions: TestPrediction[] = [];
    const labels: LabelRow[] = [];
    CASES.forEach((c, k) =>
      c.predictions.forEach((p, i) => {
        const id = `${k}-${i}`;
        predictions.push(prediction(id, W1.start, predictions.length, p, c.name));
        predictions.push(prediction(`w2-${id}`, W2.start, predictions.length, p, c.name));
        labels.push(label(id, String(c.labels[i])));
      }),
    );
    // counted among the label window's predictions, never in an error: one without a label,
    // one whose label is not a number
    const first = CASES[0]?.name ?? '';
    predictions.push(prediction('unlabelled', W1.start, 1, 5, first));
    predictions.push(prediction('text-label', W1.start, 2, 5, first));
    labels.push(label('text-label', 'n/a'));
    await insertTestPredictions(store, predictions);
    await insertLabels(store, labels);
    run = await evaluateMonitorWindow(store, plan, W2, { now: W2.end });
  });
  afterAll(async () => {
    await store.close();
  });

  const result = (metric: string, slice: string) => {
    const found = run.results.find(
      (r) =>
        r.metric === metric &&
        r.sliceValue === slice &&
        r.sliceKey === (slice === 'all' ? '' : 'case'),
    );
    if (!found) throw new Error(`no ${metric} result for ${slice}`);
    return found;
  };

  it.each(CASES.map((c) => [c.name, c] as const))(
    'judges %s’s MAE, RMSE, MAPE and R² at scikit-learn’s values',
    (name, c) => {
      for (const metric of ['mae', 'rmse', 'mape', 'r2'] as const) {
        const found = result(metric, name);
        expect(found.value, `${name} ${metric}`).not.toBeNull();
        expectClose(found.value ?? NaN, c.expected[metric], `${name} ${metric}`, 1e-9);
        expect(found.details.labelled).toBe(c.labels.length);
      }
    },
  );

  it('judges every slice together as the pooled pairs say, and counts unlabelled predictions apart', () => {
    const expected = pooled(CASES);
    for (const metric of ['mae', 'rmse', 'mape', 'r2'] as const)
      expectClose(result(metric, 'all').value ?? NaN, expected[metric], `all ${metric}`, 1e-9);
    expect(result('mae', 'all').details).toMatchObject({
      labelled: expected.n,
      predictions: expected.n + 2,
    });
    expect(result('mae', CASES[0]?.name ?? '').details.predictions).toBe(
      (CASES[0]?.labels.length ?? 0) + 2,
    );
  });

  it('gives each verdict against its thresholds', () => {
    const typical = CASES.find((c) => c.name === 'regression_typical');
    expect(typical && typical.expected.mae > 1).toBe(true);
    expect(result('mae', 'regression_typical').status).toBe('warn');
    expect(result('rmse', 'regression_typical').status).toBe('ok');
    // constant labels: R² is 0 when predictions miss them (sklearn's force_finite), below 0.5
    for (const c of CASES)
      expect(result('r2', c.name).status, c.name).toBe(c.expected.r2 < 0.5 ? 'critical' : 'ok');
  });
});
