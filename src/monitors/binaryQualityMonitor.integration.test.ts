import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceWindow } from '../alerts/advanceWindow.js';
import { itemOf } from '../alerts/notification.js';
import { itemLine } from '../alerts/render/text.js';
import { expectClose } from '../stats/oracle.testing.js';
import { parseTaskCases, type BinaryTaskCase } from '../stats/taskOracle.testing.js';
import type { Store } from '../store/clickhouse.js';
import { toClickHouseTime } from '../store/clickhouse.js';
import { insertLabels, type LabelRow } from '../store/events.js';
import { listLatestWindowResults } from '../store/results.js';
import {
  insertTestPredictions,
  testLabel,
  testPrediction,
  type TestPrediction,
} from '../../test/helpers/events.js';
import {
  HOUR,
  LABELS_AT,
  W1,
  W2,
  writeBaselineCsv,
  writeMonitor,
} from '../../test/helpers/labelWindows.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import type { CheckResult } from './checkResult.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';

/**
 * Binary classification quality monitored on embedded ClickHouse (issue 19 item 2): each of
 * scikit-learn's binary cases (test/fixtures/task-cases.json) is one slice of the label
 * window, so every slice's accuracy, precision, recall, F1, log loss, Brier score and
 * calibration (ECE and the reliability curve) must be sklearn's. A monitor has one threshold,
 * so the cases are grouped by theirs, one model and monitor per threshold, with one ECE check
 * per calibration bin count the group's cases use. "all" of the largest group is checked
 * against sums written out here.
 */
const CASES = parseTaskCases(
  fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/task-cases.json'), 'utf8'),
).binary;

const THRESHOLDS = [...new Set(CASES.map((c) => c.threshold))];
const GROUPS = THRESHOLDS.map((threshold, k) => ({
  model: `binary${k}`,
  threshold,
  cases: CASES.filter((c) => c.threshold === threshold),
}));
type Group = (typeof GROUPS)[number];

const binsOf = (c: BinaryTaskCase) => c.expected.calibration.n_bins;

/** The group whose "all" slice is checked against pooled sums. */
const LARGEST = GROUPS.reduce((a, b) => (b.cases.length > a.cases.length ? b : a));
/**
 * A slice whose scores are not all probabilities (a logit slipped in), in every other group
 * (in LARGEST's "all" it would leave no log loss to check).
 */
const OUTSIDE = { name: 'not_probabilities', scores: [0.2, 1.5, 0.7, 0.1], labels: [0, 1, 1, 0] };
const slicesOf = (group: Group) => (group === LARGEST ? group.cases : [...group.cases, OUTSIDE]);

function monitorYaml(group: Group): string {
  const bins = [...new Set(group.cases.map(binsOf))];
  return `model: ${group.model}
baseline: { file: base.csv }
features: { amount: numeric }
prediction: { threshold: ${group.threshold} }
slices: [case]
schedule: '*/30 * * * *'
window: 30m
labels: { delay: 2h, min_count: 3 }
checks:
  - { metric: accuracy, min: 0.6 }
  - { metric: precision, min: 0 }
  - { metric: recall, min: 0 }
  - { id: f1_floor, metric: f1, min: 0.55, warn: 0.6 }
  - { metric: log_loss, critical: 1 }
  - { metric: brier_score, critical: 0.25 }
${bins.map((b) => `  - { id: ece_${b}, metric: ece, bins: ${b}, critical: 0.1 }`).join('\n')}
`;
}

function prediction(
  model: string,
  id: string,
  start: Date,
  i: number,
  score: number,
  c: string,
): TestPrediction {
  return testPrediction({
    event_id: `e-${model}-${id}`,
    model,
    ts: toClickHouseTime(new Date(start.getTime() + i)),
    prediction_id: id,
    score,
    features: { amount: i % 97 },
    attributes: { case: c },
  });
}

function label(model: string, id: string, value: number): LabelRow {
  return testLabel({
    event_id: `l-${model}-${id}`,
    model,
    prediction_id: id,
    label: String(value),
    ts: toClickHouseTime(LABELS_AT),
  });
}

/** Every case's pairs together, in plain loops (no code of ours): the "all" slice's metrics. */
function pooled(cases: readonly BinaryTaskCase[], threshold: number, bins: number) {
  const scores = cases.flatMap((c) => c.scores);
  const labels = cases.flatMap((c) => c.labels);
  const n = scores.length;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let logLoss = 0;
  let brier = 0;
  const count = new Array<number>(bins).fill(0);
  const scoreSum = new Array<number>(bins).fill(0);
  const positives = new Array<number>(bins).fill(0);
  const eps = 2 ** -52;
  for (let i = 0; i < n; i += 1) {
    const p = scores[i] ?? NaN;
    const y = labels[i] ?? NaN;
    if (p >= threshold) {
      if (y === 1) tp += 1;
      else fp += 1;
    } else if (y === 1) fn += 1;
    else tn += 1;
    const clipped = Math.min(Math.max(p, eps), 1 - eps);
    logLoss -= y === 1 ? Math.log(clipped) : Math.log(1 - clipped);
    brier += (p - y) * (p - y);
    let bin = 0;
    while (bin < bins - 1 && (bin + 1) * (1 / bins) < p) bin += 1;
    count[bin] = (count[bin] ?? 0) + 1;
    scoreSum[bin] = (scoreSum[bin] ?? 0) + p;
    positives[bin] = (positives[bin] ?? 0) + y;
  }
  let ece = 0;
  count.forEach((m, b) => {
    if (m > 0) ece += (m / n) * Math.abs((positives[b] ?? 0) / m - (scoreSum[b] ?? 0) / m);
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    log_loss: logLoss / n,
    brier_score: brier / n,
    ece,
  };
}

describe('a binary monitor’s quality checks on embedded ClickHouse', () => {
  let store: Store;
  const plans = new Map<string, MonitorPlan>();
  const runs = new Map<string, { plan: MonitorPlan; run: WindowEvaluation }>();
  const dir = tempDir('driftwatch-binary-quality-');

  beforeAll(async () => {
    store = await openTestStore();
    const predictions: TestPrediction[] = [];
    const labels: LabelRow[] = [];
    for (const group of GROUPS) {
      const rows = slicesOf(group).flatMap((c) =>
        c.scores.map((p, i) => `${i % 97},${p},${c.labels[i]},${c.name}`),
      );
      const groupDir = path.join(dir, group.model);
      fs.mkdirSync(groupDir);
      writeBaselineCsv(groupDir, 'amount,score,label,case', rows);
      plans.set(group.model, writeMonitor(groupDir, 'monitor', monitorYaml(group)));
      slicesOf(group).forEach((c, k) =>
        c.scores.forEach((p, i) => {
          const id = `${k}-${i}`;
          const at = predictions.length;
          predictions.push(prediction(group.model, id, W1.start, at, p, c.name));
          predictions.push(prediction(group.model, `w2-${id}`, W2.start, at, p, c.name));
          labels.push(label(group.model, id, c.labels[i] ?? NaN));
        }),
      );
      // a prediction whose label never came: counted among the predictions, in no metric
      predictions.push(
        prediction(group.model, 'unlabelled', W1.start, 1, 0.99, group.cases[0]?.name ?? ''),
      );
    }
    await insertTestPredictions(store, predictions);
    await insertLabels(store, labels);
    for (const group of GROUPS) {
      const plan = plans.get(group.model) as MonitorPlan;
      runs.set(group.model, {
        plan,
        run: await evaluateMonitorWindow(store, plan, W2, { now: W2.end }),
      });
    }
  });
  afterAll(async () => {
    await store.close();
  });

  const result = (group: Group, checkId: string, slice: string): CheckResult => {
    const found = runs
      .get(group.model)
      ?.run.results.find(
        (r) =>
          r.checkId === checkId &&
          r.sliceValue === slice &&
          r.sliceKey === (slice === 'all' ? '' : 'case'),
      );
    if (!found) throw new Error(`no ${checkId} result for ${group.model} ${slice}`);
    return found;
  };

  const cases = GROUPS.flatMap((group) => group.cases.map((c) => [c.name, group, c] as const));

  it.each(cases)(
    'judges %s’s accuracy, precision, recall, F1, log loss and Brier score at scikit-learn’s',
    (name, group, c) => {
      for (const metric of [
        'accuracy',
        'precision',
        'recall',
        'log_loss',
        'brier_score',
      ] as const) {
        const found = result(group, metric, name);
        expect(found.value, `${name} ${metric}`).not.toBeNull();
        expectClose(found.value ?? NaN, c.expected[metric], `${name} ${metric}`, 1e-9);
        expect(found.details.labelled).toBe(c.labels.length);
      }
      const f1 = result(group, 'f1_floor', name);
      expectClose(f1.value ?? NaN, c.expected.f1, `${name} f1`, 1e-9);
      expect(f1.details).toMatchObject({ ...c.expected.confusion, threshold: c.threshold });
    },
  );

  it.each(cases)(
    'measures %s’s calibration as calibration_curve does: the ECE and the reliability curve',
    (name, group, c) => {
      const calibration = c.expected.calibration;
      const found = result(group, `ece_${calibration.n_bins}`, name);
      expectClose(found.value ?? NaN, calibration.ece, `${name} ece`, 1e-9);
      const curve = found.details.reliability as {
        bin: number;
        lower: number;
        upper: number;
        count: number;
        mean_predicted: number;
        fraction_positive: number;
      }[];
      const nonEmpty = calibration.bin_counts.flatMap((count, bin) => (count > 0 ? [bin] : []));
      expect(curve.map((point) => point.bin)).toEqual(nonEmpty);
      curve.forEach((point, i) => {
        expect(point.count).toBe(calibration.bin_counts[point.bin]);
        expect([point.lower, point.upper]).toEqual([
          calibration.bin_edges[point.bin],
          calibration.bin_edges[point.bin + 1],
        ]);
        expectClose(point.mean_predicted, calibration.prob_pred[i] ?? NaN, `${name} prob_pred`);
        expectClose(point.fraction_positive, calibration.prob_true[i] ?? NaN, `${name} prob_true`);
      });
    },
  );

  it('judges every slice together as the pooled pairs say', () => {
    const group = LARGEST;
    expect(group.cases.length).toBeGreaterThan(1);
    for (const bins of new Set(group.cases.map(binsOf))) {
      const expected = pooled(group.cases, group.threshold, bins);
      expectClose(result(group, `ece_${bins}`, 'all').value ?? NaN, expected.ece, 'all ece');
      for (const metric of ['accuracy', 'precision', 'recall', 'log_loss', 'brier_score'] as const)
        expectClose(result(group, metric, 'all').value ?? NaN, expected[metric], `all ${metric}`);
      expectClose(result(group, 'f1_floor', 'all').value ?? NaN, expected.f1, 'all f1');
    }
    const labelled = group.cases.reduce((total, c) => total + c.labels.length, 0);
    // the unlabelled prediction is among the predictions, not the labelled
    expect(result(group, 'accuracy', 'all').details).toMatchObject({
      labelled,
      predictions: labelled + 1,
    });
  });

  it('judges a slice with a score outside [0, 1] at the threshold, but gives it no log loss, Brier score or ECE', () => {
    const others = GROUPS.filter((group) => group !== LARGEST);
    expect(others.length).toBeGreaterThan(0);
    for (const group of others) {
      const accuracy = result(group, 'accuracy', OUTSIDE.name);
      // predicted 1 at or above the threshold; 1.5 is above every group's
      const right = OUTSIDE.scores.filter(
        (p, i) => (p >= group.threshold ? 1 : 0) === OUTSIDE.labels[i],
      ).length;
      expect(accuracy.value).toBe(right / OUTSIDE.scores.length);
      for (const id of [
        'log_loss',
        'brier_score',
        ...new Set(group.cases.map((c) => `ece_${binsOf(c)}`)),
      ]) {
        const found = result(group, id, OUTSIDE.name);
        expect(found.status, id).toBe('insufficient_data');
        expect(found.value).toBeNull();
        expect(found.details.reason).toBe(
          '1 labelled predictions are scored outside [0, 1]: not probabilities',
        );
      }
    }
  });

  it('gives each verdict against its thresholds: lower is worse for F1, higher for log loss', () => {
    for (const [name, group, c] of cases) {
      const f1 = c.expected.f1;
      expect(result(group, 'f1_floor', name).status, name).toBe(
        f1 < 0.55 ? 'critical' : f1 < 0.6 ? 'warn' : 'ok',
      );
      expect(result(group, 'log_loss', name).status, name).toBe(
        c.expected.log_loss >= 1 ? 'critical' : 'ok',
      );
      expect(result(group, `ece_${binsOf(c)}`, name).status, name).toBe(
        c.expected.calibration.ece >= 0.1 ? 'critical' : 'ok',
      );
    }
  });

  it('stores each verdict as the history and the API read it: the value, thresholds and curve', async () => {
    const group = LARGEST;
    const stored = await listLatestWindowResults(store, group.model);
    const c = group.cases[0];
    if (!c) throw new Error('no case');
    const find = (checkId: string) =>
      stored.find((r) => r.check_id === checkId && r.slice_value === c.name);
    const f1 = find('f1_floor');
    expect(f1).toMatchObject({ metric: 'f1', warn_threshold: 0.6, critical_threshold: 0.55 });
    expectClose(f1?.value ?? NaN, c.expected.f1, 'stored f1');
    const ece = find(`ece_${binsOf(c)}`);
    expect(ece?.details).toEqual(result(group, `ece_${binsOf(c)}`, c.name).details);
    expect(ece?.details).toHaveProperty('label_window', {
      start: W1.start.toISOString(),
      end: W1.end.toISOString(),
    });
  });

  it('alerts on a breached F1 with its value, its floor and its slice', () => {
    const group = GROUPS.find((g) => g.cases.some((c) => c.name === 'binary_calibrated'));
    if (!group) throw new Error('no group holds binary_calibrated');
    const entry = runs.get(group.model);
    const breached = result(group, 'f1_floor', 'binary_calibrated');
    expect(breached.status).toBe('critical');
    const outcome = advanceWindow(
      [],
      {
        monitor: breached.monitor,
        model: breached.model,
        windowStart: W2.start,
        windowEnd: W2.end,
        monitorHash: breached.monitorHash,
        baseline: breached.baseline,
        baselineVersion: breached.baselineVersion,
        results: [breached],
      },
      {
        settings: {
          forWindows: 1,
          resolveAfterWindows: 1,
          repeatIntervalMs: HOUR,
          sendResolved: true,
        },
        checks: entry?.plan.checks.filter((check) => check.id === 'f1_floor') ?? [],
        silences: [],
        acknowledged: new Set(),
        now: W2.end,
      },
    );
    expect(outcome.notices.map((notice) => itemLine(itemOf(notice)))).toEqual([
      '[firing] f1_floor · (model) · case=binary_calibrated: 0.5459 < 0.55',
    ]);
  });
});
