import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../stats/oracle.testing.js';
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
 * A regression monitor's drift checks on embedded ClickHouse (issue 19 item 2): the drift of
 * its predictions (the events' score, profiled like a numeric feature) and of its residuals
 * (label − prediction) in the label window, each against scipy's values on the same data
 * (test/fixtures/regression-drift-cases.json, written by the .py beside it).
 */
interface Side {
  seg: string[];
  prediction: number[];
  label: number[];
}
interface Expected {
  prediction: {
    ks_statistic: number;
    ks_p_value: number;
    psi: number;
    wasserstein_normed: number;
  };
  residual: { ks_statistic: number; ks_p_value: number };
}
const CASES = JSON.parse(
  fs.readFileSync(
    path.resolve(import.meta.dirname, '../../test/fixtures/regression-drift-cases.json'),
    'utf8',
  ),
) as { baseline: Side; window: Side; label_window: Side; expected: Record<string, Expected> };

const MONITOR = `model: price
task: regression
baseline: { file: base.csv }
features: { amount: numeric }
slices: [seg]
schedule: '*/30 * * * *'
window: 30m
min_samples: 50
labels: { delay: 2h, min_count: 50 }
checks:
  - { metric: ks, features: [prediction], p_value: 0.01 }
  - { metric: psi, features: [prediction], warn: 0.1, critical: 0.25 }
  - { metric: wasserstein_normed, features: [prediction], critical: 0.5 }
  - { metric: schema }
  - { metric: residual_ks, p_value: 0.01 }
`;

function predictionEvent(id: string, start: Date, i: number, score: number, seg: string) {
  const event: TestPrediction = testPrediction({
    event_id: `e-${id}`,
    model: 'price',
    ts: toClickHouseTime(new Date(start.getTime() + i)),
    prediction_id: id,
    score,
    features: { amount: i % 97 },
    attributes: { seg },
  });
  return event;
}

function labelEvent(id: string, value: number): LabelRow {
  return testLabel({
    event_id: `l-${id}`,
    model: 'price',
    prediction_id: id,
    label: String(value),
    ts: toClickHouseTime(LABELS_AT),
  });
}

describe('a regression monitor’s prediction and residual drift on embedded ClickHouse', () => {
  let store: Store;
  let run: WindowEvaluation;
  const dir = tempDir('driftwatch-regression-drift-');

  beforeAll(async () => {
    store = await openTestStore();
    const base = CASES.baseline;
    const lines = base.prediction.map((p, i) => `${i % 97},${p},${base.label[i]},${base.seg[i]}`);
    writeBaselineCsv(dir, 'amount,score,label,seg', lines);
    const plan = writeMonitor(dir, 'price', MONITOR);
    const predictions: TestPrediction[] = [];
    const labels: LabelRow[] = [];
    CASES.label_window.prediction.forEach((p, i) => {
      predictions.push(predictionEvent(`w1-${i}`, W1.start, i, p, CASES.label_window.seg[i] ?? ''));
      labels.push(labelEvent(`w1-${i}`, CASES.label_window.label[i] ?? NaN));
    });
    CASES.window.prediction.forEach((p, i) =>
      predictions.push(predictionEvent(`w2-${i}`, W2.start, i, p, CASES.window.seg[i] ?? '')),
    );
    await insertTestPredictions(store, predictions);
    await insertLabels(store, labels);
    run = await evaluateMonitorWindow(store, plan, W2, { now: W2.end });
  });
  afterAll(async () => {
    await store.close();
  });

  const result = (metric: string, slice: string, feature = 'prediction') => {
    const found = run.results.find(
      (r) =>
        r.metric === metric &&
        r.feature === feature &&
        (slice === 'all' ? r.sliceKey === '' : `${r.sliceKey}=${r.sliceValue}` === slice),
    );
    if (!found) throw new Error(`no ${metric} result for ${feature} in ${slice}`);
    return found;
  };

  it.each(Object.keys(CASES.expected))(
    'judges the prediction’s drift in %s at scipy’s values, exactly',
    (slice) => {
      const expected = CASES.expected[slice]?.prediction;
      if (!expected) throw new Error(slice);
      const ks = result('ks', slice);
      expectClose(ks.value ?? NaN, expected.ks_statistic, `${slice} D`, 1e-12);
      // one distinct value per score cell: exact, no bracket
      expect([ks.valueLower ?? ks.value, ks.valueUpper ?? ks.value]).toEqual([ks.value, ks.value]);
      expectClose(ks.pValue ?? NaN, expected.ks_p_value, `${slice} p`, 1e-9);
      expect(ks.status).toBe('critical');
      expectClose(result('psi', slice).value ?? NaN, expected.psi, `${slice} psi`, 1e-12);
      const w = result('wasserstein_normed', slice);
      expectClose(w.value ?? NaN, expected.wasserstein_normed, `${slice} W1/sd`, 1e-9);
      expect(w.status).toBe('critical');
    },
  );

  it.each(Object.keys(CASES.expected))(
    'judges the residuals’ drift in %s at scipy’s values, from every residual',
    (slice) => {
      const expected = CASES.expected[slice]?.residual;
      if (!expected) throw new Error(slice);
      const ks = result('residual_ks', slice, '');
      expectClose(ks.value ?? NaN, expected.ks_statistic, `${slice} D`, 1e-12);
      expectClose(ks.pValue ?? NaN, expected.ks_p_value, `${slice} p`, 1e-9);
      expect(ks.status).toBe('critical');
      const side = (data: typeof CASES.baseline) =>
        data.seg.filter((seg) => slice === 'all' || `seg=${seg}` === slice).length;
      expect([ks.nReference, ks.nCurrent]).toEqual([
        side(CASES.baseline),
        side(CASES.label_window),
      ]);
    },
  );

  it('never counts the prediction among the features the events lack', () => {
    expect(result('schema', 'all', '').status).toBe('ok');
  });
});
