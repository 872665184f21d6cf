import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store/clickhouse.js';
import { toClickHouseTime } from '../store/clickhouse.js';
import { insertLabels, type LabelRow } from '../store/events.js';
import {
  insertTestPredictions,
  testLabel,
  testPrediction,
  type TestPrediction,
} from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { windowEndingAt, type TimeWindow } from '../timeWindow.js';
import { evaluateMonitorWindow, prepareMonitor } from './evaluateWindow.js';
import { writeMonitor } from '../../test/helpers/labelWindows.js';
import type { MonitorPlan } from './plan.js';

/**
 * A stored baseline version never changes, so what the checks read from it beyond its
 * profile — a multiclass model's predicted classes and class-score bins, a regression's
 * residuals — is read once, not once per window: counted at the store boundary (every query
 * naming `reference_rows`, the stored baselines' rows) over several windows of each model,
 * whose results must equal those of a run that reads everything afresh.
 */
const HOUR = 3_600_000;
const T0 = new Date('2026-11-20T00:00:00Z');
const WINDOWS: TimeWindow[] = [1, 2, 3, 4].map((k) =>
  windowEndingAt(new Date(T0.getTime() + k * HOUR), HOUR),
);
// every window's labels are due: each is its own label window
const NOW = new Date(T0.getTime() + 2 * 86_400_000);
const CLASSES = ['a', 'b', 'c'];

const MULTICLASS = `model: species
task: multiclass
baseline: { file: species.csv }
features: { amount: numeric }
prediction: { class_scores: p_ }
slices: [seg]
schedule: '0 * * * *'
window: 1h
labels: { delay: 1h, min_count: 5 }
min_samples: 10
checks:
  - { metric: prediction_psi, warn: 0.1, critical: 0.25 }
  - { metric: prediction_chi2, p_value: 0.01 }
  - { metric: class_score_psi, warn: 0.1, critical: 0.25 }
  - { metric: f1_macro, min: 0.2 }
`;

const REGRESSION = `model: price
task: regression
baseline: { file: price.csv }
features: { amount: numeric }
slices: [seg]
schedule: '0 * * * *'
window: 1h
labels: { delay: 1h, min_count: 5 }
min_samples: 10
checks:
  - { metric: mae, warn: 4, critical: 8 }
  - { metric: residual_ks, p_value: 0.01 }
`;

/** A deterministic value in [0, 1) for row i of stream k (no randomness between runs). */
function u(k: number, i: number): number {
  const x = Math.sin(12.9898 * (i + 1) + 78.233 * (k + 1)) * 43758.5453;
  return x - Math.floor(x);
}

function classScores(k: number, i: number): Record<string, number> {
  const raw = CLASSES.map((_, c) => u(k + c, i) + 0.01);
  const total = raw.reduce((a, b) => a + b, 0);
  return Object.fromEntries(CLASSES.map((name, c) => [name, (raw[c] ?? 0) / total]));
}

function predicted(scores: Record<string, number>): string {
  return CLASSES.reduce((best, name) => ((scores[name] ?? 0) > (scores[best] ?? 0) ? name : best));
}

/** Wraps a store so every query reading the stored baselines' rows is counted. */
function countingBaselineReads(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  const counted = (sql: string) => {
    if (sql.includes('reference_rows')) reads += 1;
  };
  return {
    reads: () => reads,
    store: {
      ...store,
      query: (sql, params, settings) => {
        counted(sql);
        return store.query(sql, params, settings);
      },
      command: (sql, params, settings) => {
        counted(sql);
        return store.command(sql, params, settings);
      },
    },
  };
}

describe('what a monitor reads from a stored baseline version', () => {
  let store: Store;
  const dir = tempDir('driftwatch-baseline-reads-');
  const plans: Record<string, MonitorPlan> = {};

  beforeAll(async () => {
    store = await openTestStore();
    const speciesRows = Array.from({ length: 300 }, (_, i) => {
      const scores = classScores(0, i);
      const label = CLASSES[Math.floor(u(9, i) * 3)] ?? 'a';
      return [i % 50, predicted(scores), label, `s${i % 3}`, ...CLASSES.map((c) => scores[c])];
    });
    fs.writeFileSync(
      path.join(dir, 'species.csv'),
      [
        ['amount', 'prediction', 'label', 'seg', ...CLASSES.map((c) => `p_${c}`)].join(','),
        ...speciesRows.map((row) => row.join(',')),
      ].join('\n'),
    );
    const priceRows = Array.from({ length: 300 }, (_, i) => {
      const score = 10 + 5 * u(1, i);
      return [i % 50, score, score + 2 * (u(2, i) - 0.5), `s${i % 3}`];
    });
    fs.writeFileSync(
      path.join(dir, 'price.csv'),
      ['amount,score,label,seg', ...priceRows.map((row) => row.join(','))].join('\n'),
    );
    for (const [name, text] of [
      ['species', MULTICLASS],
      ['price', REGRESSION],
    ] as const) {
      plans[name] = writeMonitor(dir, name, text);
    }
    const predictions: TestPrediction[] = [];
    const labels: LabelRow[] = [];
    WINDOWS.forEach((window, w) => {
      for (let i = 0; i < 120; i += 1) {
        const ts = toClickHouseTime(new Date(window.start.getTime() + i * 1000));
        const scores = classScores(10 + w, i);
        const common = { ts, features: { amount: (i * 7) % 60 }, attributes: { seg: `s${i % 3}` } };
        predictions.push(
          testPrediction({
            event_id: `sp-${w}-${i}`,
            model: 'species',
            prediction_id: `sp-${w}-${i}`,
            prediction: predicted(scores),
            scores,
            ...common,
          }),
          testPrediction({
            event_id: `pr-${w}-${i}`,
            model: 'price',
            prediction_id: `pr-${w}-${i}`,
            score: 10 + 6 * u(20 + w, i),
            ...common,
          }),
        );
        const labelTs = toClickHouseTime(new Date(window.end.getTime() + 60_000));
        labels.push(
          testLabel({
            event_id: `lsp-${w}-${i}`,
            model: 'species',
            prediction_id: `sp-${w}-${i}`,
            label: CLASSES[Math.floor(u(30 + w, i) * 3)] ?? 'a',
            ts: labelTs,
          }),
          testLabel({
            event_id: `lpr-${w}-${i}`,
            model: 'price',
            prediction_id: `pr-${w}-${i}`,
            label: String(12 + 4 * u(40 + w, i)),
            ts: labelTs,
          }),
        );
      }
    });
    await insertTestPredictions(store, predictions);
    await insertLabels(store, labels);
  });
  afterAll(async () => {
    await store.close();
  });

  it.each([
    ['species', ['prediction_psi', 'prediction_chi2', 'class_score_psi']],
    ['price', ['residual_ks']],
  ])(
    'reads %s’s baseline rows for its first window only, and judges every window as a fresh read does',
    async (name, baselineChecks) => {
      const plan = plans[name] as MonitorPlan;
      const first = WINDOWS[0] as TimeWindow;
      // the baseline loaded and profiled before counting: what is left is the windows' reads
      await prepareMonitor(store, plan, first);
      const counting = countingBaselineReads(store);
      const runs = [];
      const readsAfter: number[] = [];
      for (const window of WINDOWS) {
        runs.push(await evaluateMonitorWindow(counting.store, plan, window, { now: NOW }));
        readsAfter.push(counting.reads());
      }
      const firstReads = readsAfter[0] ?? 0;
      expect(firstReads).toBeGreaterThan(0);
      expect(readsAfter, 'reads of reference_rows after each window').toEqual(
        WINDOWS.map(() => firstReads),
      );
      // each window afresh (a store wrapper of its own: nothing cached) judges the same
      for (const [w, window] of WINDOWS.entries()) {
        const fresh = await evaluateMonitorWindow(
          countingBaselineReads(store).store,
          plan,
          window,
          {
            now: NOW,
            persist: false,
          },
        );
        const judged = (run: typeof fresh) =>
          run.results.map((r) => [
            r.checkId,
            r.sliceKey,
            r.sliceValue,
            r.feature,
            r.status,
            r.value,
          ]);
        expect(judged(runs[w] as typeof fresh)).toEqual(judged(fresh));
        for (const metric of baselineChecks)
          expect(
            fresh.results.filter((r) => r.metric === metric && r.value !== null).length,
            `${metric} judged in window ${w}`,
          ).toBeGreaterThan(1);
      }
    },
  );
});
