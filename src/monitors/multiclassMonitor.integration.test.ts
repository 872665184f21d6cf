import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../stats/oracle.testing.js';
import { parseTaskCases, type MulticlassTaskCase } from '../stats/taskOracle.testing.js';
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
import type { CheckResult } from './checkResult.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';

/**
 * A multiclass monitor run on embedded ClickHouse (issue 19 item 2): each of scikit-learn's
 * multiclass cases (test/fixtures/task-cases.json) is one slice of the label window, so
 * every slice's accuracy, macro and weighted F1, macro precision and recall, per-class
 * precision and recall, confusion matrix and macro one-vs-rest AUROC must be sklearn's. The
 * judged window predicts each case's labels where the baseline file predicted its
 * predictions, and scores each class by the square of the baseline's score, so its
 * predicted-class and class-score drift are checked against counts written out here.
 */
const CASES = parseTaskCases(
  fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/task-cases.json'), 'utf8'),
).multiclass;

const MONITOR = `model: animals
task: multiclass
baseline: { file: base.csv }
features: { amount: numeric }
prediction: { class_scores: p_ }
slices: [case]
schedule: '*/30 * * * *'
window: 30m
labels: { delay: 2h, min_count: 2 }
min_samples: 20
checks:
  - { metric: accuracy, min: 0.5, warn: 0.68 }
  - { metric: f1_macro, min: 0.5 }
  - { metric: f1_weighted, min: 0.5 }
  - { metric: precision_macro, min: 0.5 }
  - { metric: recall_macro, min: 0.5 }
  - { metric: roc_auc_ovr, min: 0.8 }
  - { metric: prediction_psi, warn: 0.1, critical: 0.25 }
  - { metric: prediction_chi2, p_value: 0.01, min_statistic: 0.05 }
  - { metric: class_score_psi, warn: 0.1, critical: 0.25 }
`;

const AVERAGES = [
  'accuracy',
  'f1_macro',
  'f1_weighted',
  'precision_macro',
  'recall_macro',
] as const;

function prediction(
  id: string,
  start: Date,
  i: number,
  predicted: string,
  scores: Record<string, number> | undefined,
  c: string,
): TestPrediction {
  return testPrediction({
    event_id: `e-${id}`,
    model: 'animals',
    ts: toClickHouseTime(new Date(start.getTime() + i)),
    prediction_id: id,
    score: null,
    prediction: predicted,
    ...(scores ? { scores } : {}),
    features: { amount: i % 97 },
    attributes: { case: c },
  });
}

function label(id: string, value: string): LabelRow {
  return testLabel({
    event_id: `l-${id}`,
    model: 'animals',
    prediction_id: id,
    label: value,
    ts: toClickHouseTime(LABELS_AT),
  });
}

function scoresAt(c: MulticlassTaskCase, i: number): Record<string, number> | undefined {
  if (!c.class_scores) return undefined;
  return Object.fromEntries(
    Object.entries(c.class_scores).map(([name, column]) => [name, column[i] ?? NaN]),
  );
}

/** Every class of the fixture (no two cases share one): the baseline file's p_<class> columns. */
const ALL_CLASSES = [...new Set(CASES.flatMap((c) => Object.keys(c.class_scores ?? {})))].sort();

function squared(scores: Record<string, number> | undefined) {
  return scores && Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, v * v]));
}

/** R-7 quantile of sorted values (numpy's "linear"). */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? NaN;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? NaN;
  return a + (h - lo) * (b - a);
}

/** PSI over the reference's unique deciles (DESIGN.md "Bins"), written out. */
function decilePsi(reference: readonly number[], current: readonly number[]): number {
  const sorted = [...reference].sort((a, b) => a - b);
  const edges = [...new Set([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantile(sorted, k / 10)))];
  const binOf = (x: number) => edges.filter((e) => e <= x).length;
  const ref = new Array<number>(edges.length + 1).fill(0);
  const cur = new Array<number>(edges.length + 1).fill(0);
  for (const x of reference) ref[binOf(x)] = (ref[binOf(x)] ?? 0) + 1;
  for (const x of current) cur[binOf(x)] = (cur[binOf(x)] ?? 0) + 1;
  let total = 0;
  ref.forEach((count, i) => {
    const r = Math.max(count / reference.length, 1e-4);
    const c = Math.max((cur[i] ?? 0) / current.length, 1e-4);
    total += (c - r) * Math.log(c / r);
  });
  return total;
}

function counts(values: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const value of values) found.set(value, (found.get(value) ?? 0) + 1);
  return found;
}

/** PSI and Pearson's statistic over the classes of both sides, written out (DESIGN.md). */
function classDrift(reference: readonly string[], current: readonly string[]) {
  const ref = counts(reference);
  const cur = counts(current);
  const classes = [...new Set([...ref.keys(), ...cur.keys()])].sort();
  let psi = 0;
  let chi2 = 0;
  const total = reference.length + current.length;
  for (const name of classes) {
    const r = Math.max((ref.get(name) ?? 0) / reference.length, 1e-4);
    const c = Math.max((cur.get(name) ?? 0) / current.length, 1e-4);
    psi += (c - r) * Math.log(c / r);
    const column = (ref.get(name) ?? 0) + (cur.get(name) ?? 0);
    for (const [observed, n] of [
      [ref.get(name) ?? 0, reference.length],
      [cur.get(name) ?? 0, current.length],
    ] as const) {
      const expected = (n * column) / total;
      chi2 += (observed - expected) ** 2 / expected;
    }
  }
  const unseen = classes.filter((name) => !ref.has(name));
  return { psi, chi2, dof: classes.length - 1, unseen };
}

/**
 * Accuracy and macro F1 of pairs, in plain loops (no code of ours), over the classes of the
 * labels, the predictions and the class scores.
 */
function pooledQuality(
  labels: readonly string[],
  predictions: readonly string[],
  scoreClasses: readonly string[],
) {
  const classes = [...new Set([...labels, ...predictions, ...scoreClasses])].sort();
  let correct = 0;
  labels.forEach((y, i) => (correct += y === predictions[i] ? 1 : 0));
  let f1Sum = 0;
  for (const name of classes) {
    let tp = 0;
    let predicted = 0;
    let actual = 0;
    labels.forEach((y, i) => {
      if (predictions[i] === name) predicted += 1;
      if (y === name) actual += 1;
      if (y === name && predictions[i] === name) tp += 1;
    });
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = actual === 0 ? 0 : tp / actual;
    f1Sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  return { accuracy: correct / labels.length, f1_macro: f1Sum / classes.length };
}

describe('a multiclass monitor on embedded ClickHouse', () => {
  let store: Store;
  let run: WindowEvaluation;
  const dir = tempDir('driftwatch-multiclass-');

  beforeAll(async () => {
    store = await openTestStore();
    const rows = CASES.flatMap((c) =>
      c.predictions.map((p, i) => {
        const scores = scoresAt(c, i) ?? {};
        const columns = ALL_CLASSES.map((name) => (name in scores ? String(scores[name]) : ''));
        return [i % 97, p, c.labels[i], c.name, ...columns].join(',');
      }),
    );
    const header = ['amount', 'prediction', 'label', 'case', ...ALL_CLASSES.map((n) => `p_${n}`)];
    writeBaselineCsv(dir, header.join(','), rows);
    const plan = writeMonitor(dir, 'animals', MONITOR);
    const predictions: TestPrediction[] = [];
    const labels: LabelRow[] = [];
    CASES.forEach((c, k) =>
      c.predictions.forEach((p, i) => {
        const id = `${k}-${i}`;
        predictions.push(prediction(id, W1.start, predictions.length, p, scoresAt(c, i), c.name));
        // the judged window predicts what the labels were: its classes drift from the baseline's
        const label_ = c.labels[i] ?? '';
        predictions.push(
          prediction(
            `w2-${id}`,
            W2.start,
            predictions.length,
            label_,
            squared(scoresAt(c, i)),
            c.name,
          ),
        );
        labels.push(label(id, label_));
      }),
    );
    // counted among the label window's predictions, never in a metric: one without a label
    const first = CASES[0];
    if (first)
      predictions.push(
        prediction('unlabelled', W1.start, 1, 'cat', scoresAt(first, 0), first.name),
      );
    await insertTestPredictions(store, predictions);
    await insertLabels(store, labels);
    run = await evaluateMonitorWindow(store, plan, W2, { now: W2.end });
  });
  afterAll(async () => {
    await store.close();
  });

  const result = (metric: string, slice: string): CheckResult => {
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
    'judges %s’s accuracy, F1, precision and recall averages at scikit-learn’s values',
    (name, c) => {
      for (const metric of AVERAGES) {
        const found = result(metric, name);
        expect(found.value, `${name} ${metric}`).not.toBeNull();
        expectClose(found.value ?? NaN, c.expected[metric], `${name} ${metric}`, 1e-12);
        expect(found.details).toMatchObject({
          labelled: c.labels.length,
          classes: c.expected.classes,
          confusion_matrix: c.expected.confusion_matrix,
        });
      }
    },
  );

  it.each(CASES.map((c) => [c.name, c] as const))(
    'keeps %s’s per-class precision, recall, F1 and support in the details',
    (name, c) => {
      const perClass = result('accuracy', name).details.per_class as {
        class: string;
        precision: number;
        recall: number;
        f1: number;
        support: number;
      }[];
      expect(perClass.map((row) => row.class)).toEqual(c.expected.classes);
      perClass.forEach((row, j) => {
        expectClose(
          row.precision,
          c.expected.precision_per_class[j] ?? NaN,
          `${name} precision ${row.class}`,
          1e-12,
        );
        expectClose(
          row.recall,
          c.expected.recall_per_class[j] ?? NaN,
          `${name} recall ${row.class}`,
          1e-12,
        );
        expectClose(row.f1, c.expected.f1_per_class[j] ?? NaN, `${name} f1 ${row.class}`, 1e-12);
        expect(row.support).toBe(c.expected.support[j]);
      });
    },
  );

  it.each(CASES.map((c) => [c.name, c] as const))(
    'judges %s’s macro one-vs-rest AUROC at scikit-learn’s value, or says why there is none',
    (name, c) => {
      const found = result('roc_auc_ovr', name);
      const expected = c.expected.roc_auc_ovr ?? null;
      if (expected === null) {
        expect(found.value).toBeNull();
        expect(found.status).toBe('insufficient_data');
        expect(found.details.reason).toMatch(
          c.class_scores
            ? /^one-vs-rest AUROC is undefined for /
            : /^no labelled prediction carries class scores$/,
        );
        return;
      }
      expectClose(found.value ?? NaN, expected, `${name} roc_auc_ovr`, 1e-12);
      const perClass = found.details.per_class as { class: string; roc_auc: number }[];
      perClass.forEach((row, j) =>
        expectClose(
          row.roc_auc,
          c.expected.roc_auc_per_class?.[j] ?? NaN,
          `${name} ${row.class}`,
          1e-12,
        ),
      );
      expect(found.status).toBe(expected < 0.8 ? 'critical' : 'ok');
    },
  );

  it('judges every slice together as the pooled pairs say, and counts unlabelled predictions apart', () => {
    const expected = pooledQuality(
      CASES.flatMap((c) => c.labels),
      CASES.flatMap((c) => c.predictions),
      CASES.flatMap((c) => Object.keys(c.class_scores ?? {})),
    );
    const n = CASES.reduce((total, c) => total + c.labels.length, 0);
    expectClose(result('accuracy', 'all').value ?? NaN, expected.accuracy, 'all accuracy', 1e-12);
    expectClose(result('f1_macro', 'all').value ?? NaN, expected.f1_macro, 'all f1_macro', 1e-12);
    expect(result('accuracy', 'all').details).toMatchObject({ labelled: n, predictions: n + 1 });
    expect(result('accuracy', CASES[0]?.name ?? '').details.predictions).toBe(
      (CASES[0]?.labels.length ?? 0) + 1,
    );
    // the cases' classes differ: no labelled prediction scores every class of "all"
    expect(result('roc_auc_ovr', 'all')).toMatchObject({
      value: null,
      status: 'insufficient_data',
    });
    expect(result('roc_auc_ovr', 'all').details.reason).toMatch(
      /^some labelled predictions with class scores have no score for /,
    );
  });

  it('gives each quality verdict against its thresholds', () => {
    for (const c of CASES) {
      const accuracy = c.expected.accuracy;
      expect(result('accuracy', c.name).status, c.name).toBe(
        accuracy < 0.5 ? 'critical' : accuracy < 0.68 ? 'warn' : 'ok',
      );
      expect(result('f1_macro', c.name).status, c.name).toBe(
        c.expected.f1_macro < 0.5 ? 'critical' : 'ok',
      );
    }
    expect(result('accuracy', 'multiclass_three').details.label_window).toEqual({
      start: W1.start.toISOString(),
      end: W1.end.toISOString(),
    });
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'compares %s’s predicted classes with the baseline file’s prediction column',
    (name, c) => {
      const expected = classDrift(c.predictions, c.labels);
      const psi = result('prediction_psi', name);
      expectClose(psi.value ?? NaN, expected.psi, `${name} psi`, 1e-12);
      expect(psi).toMatchObject({ nReference: c.predictions.length, nCurrent: c.labels.length });
      expect(psi.status).toBe(
        expected.psi >= 0.25 ? 'critical' : expected.psi >= 0.1 ? 'warn' : 'ok',
      );
      const chi2 = result('prediction_chi2', name);
      expectClose(chi2.value ?? NaN, expected.chi2, `${name} chi2`, 1e-12);
      expect(chi2.details.dof).toBe(expected.dof);
      expect(chi2.pValue).not.toBeNull();
      if (expected.unseen.length > 0) expect(chi2.details.new_categories).toEqual(expected.unseen);
    },
  );

  it('compares the predicted classes of every slice together', () => {
    const expected = classDrift(
      CASES.flatMap((c) => c.predictions),
      CASES.flatMap((c) => c.labels),
    );
    expectClose(result('prediction_psi', 'all').value ?? NaN, expected.psi, 'all psi', 1e-12);
    expectClose(result('prediction_chi2', 'all').value ?? NaN, expected.chi2, 'all chi2', 1e-12);
  });

  it('compares each class’s score with the baseline file’s class-score column, per slice and for all', () => {
    let compared = 0;
    for (const c of CASES) {
      for (const [name, column] of Object.entries(c.class_scores ?? {})) {
        const expected = decilePsi(
          column,
          column.map((v) => v * v),
        );
        for (const slice of [c.name, 'all']) {
          const found = run.results.find(
            (r) =>
              r.metric === 'class_score_psi' &&
              r.feature === `scores.${name}` &&
              r.sliceValue === slice,
          );
          expect(found, `${slice} ${name}`).toBeDefined();
          expectClose(found?.value ?? NaN, expected, `${slice} ${name} psi`, 1e-12);
          expect(found).toMatchObject({ nReference: column.length, nCurrent: column.length });
          expect(found?.status).toBe(
            expected >= 0.25 ? 'critical' : expected >= 0.1 ? 'warn' : 'ok',
          );
        }
        compared += 1;
      }
    }
    expect(compared).toBe(ALL_CLASSES.length);
    // no class scores in a case whose events carry none
    expect(
      run.results.filter(
        (r) => r.metric === 'class_score_psi' && r.sliceValue === 'multiclass_predictions_only',
      ),
    ).toEqual([]);
  });
});
