import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/store.js';
import { advanceWindow } from '../../alerts/advanceWindow.js';
import { itemOf } from '../../alerts/notification.js';
import { formatNumber, itemLine, measureText, thresholdOf } from '../../alerts/render/text.js';
import { pickFields, VERDICT_FIELDS, type CheckResult } from '../checkResult.js';
import { judgeWindow, type Verdict } from '../judge.js';
import { loadMonitorFile } from '../monitorFile.js';
import type { ModelTask } from '../modelTask.js';
import type { MonitorPlan } from '../plan.js';
import type { WindowAggregates } from '../windowAggregates.js';
import type { BinaryEstimate } from '../../stats/cbpe.js';
import {
  checkEntry,
  isFeatureScope,
  METRICS,
  renderOf,
  severityOf,
  type Metric,
} from './registry.js';

/**
 * "A new statistic is one registry entry, its math and its tests" (docs/ARCHITECTURE.md,
 * Adding a statistic), checked for every entry the registry holds: each one, with nothing
 * written for it outside its entry, is accepted by a monitor file (the schema and the
 * validation), planned with its kind's fields, judged on a window that breaches every check,
 * opens an alert whose line states its value against its threshold, says "no data" of an
 * empty window, and is documented in docs/MONITORS.md. A new entry that any step does not know
 * fails here, named.
 */

/**
 * The tasks a monitor file can declare (its `task:` key): one monitor file each, holding
 * that task's entries.
 */
const FILE_TASKS: readonly ModelTask[] = ['binary', 'multiclass', 'regression'];
const entriesOf = (task: ModelTask) =>
  METRICS.filter((metric) => checkEntry(metric).tasks.includes(task));

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const END = Date.parse('2026-12-06T12:00:00Z');
const HOUR = 3_600_000;

/**
 * Every field of the entry's kind, from its JSON Schema: numbers 0.5, integers 5, durations 1h,
 * severity warn; none is a default, so the plan shows each field was read.
 */
function exampleFields(metric: Metric): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(checkEntry(metric).kind.fields)) {
    if (schema.$ref === '#/$defs/severity') fields[name] = 'warn';
    else if (schema.$ref === '#/$defs/duration') fields[name] = '1h';
    else if (schema.type === 'number') fields[name] = 0.5;
    else if (schema.type === 'integer') fields[name] = 5;
    // the last of a list of names: its first is the default
    else if (Array.isArray(schema.enum)) fields[name] = schema.enum.at(-1);
    else throw new Error(`${metric}.${name}: no example for ${JSON.stringify(schema)}`);
  }
  return fields;
}

function monitorFileOfEveryEntry(task: ModelTask): string {
  const checks = entriesOf(task).map((metric) => {
    const fields = { metric, ...exampleFields(metric) };
    return `  - ${JSON.stringify(fields)}`;
  });
  const dir = tempDir('driftwatch-every-entry-');
  fs.writeFileSync(
    path.join(dir, 'base.csv'),
    'amount,country,score,label,prediction,p_a\n1,de,0.2,0,a,0.2\n',
  );
  const file = path.join(dir, 'every.yaml');
  fs.writeFileSync(
    file,
    [
      'model: every',
      ...(task === 'binary' ? [] : [`task: ${task}`]),
      'baseline: { file: base.csv }',
      'features: { amount: numeric, country: categorical }',
      task === 'multiclass' ? 'prediction: { class_scores: p_ }' : 'prediction: { threshold: 0.5 }',
      "schedule: '0 * * * *'",
      'window: 1h',
      'labels: { delay: 1d, min_count: 50 }',
      'checks:',
      ...checks,
      '',
    ].join('\n'),
  );
  return file;
}

function planOfEveryEntry(task: ModelTask): MonitorPlan {
  const loaded = loadMonitorFile(monitorFileOfEveryEntry(task));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors, null, 2));
  return loaded.plan;
}

const quality = (rows: number, nulls = 0) => ({ rows, nulls, non_finite: 0, wrong_type: 0 });

/**
 * One window in which everything is wrong: far drift on both features, nine in ten values
 * null, out of range, of the wrong type, non-finite and duplicated, a new category and a new
 * field, a tenth of the usual volume two hours after the last event, a model that
 * predicts and is labelled positive far more often than its baseline, ranked worse than
 * chance and wrong on every label, a regression far off its labels, and a multiclass model
 * that predicts the other class every time, ranks it worse than chance and predicts classes
 * the baseline hardly did.
 */
function breachingWindow(plan: MonitorPlan): WindowAggregates {
  const rows = 1000;
  const counted = { lower: 900, upper: 900 };
  const drift = { n_reference: 1000, n_current: rows, psi: 2, jensen_shannon: 0.9, drift: true };
  const nullRate = { reference: 0, current: 0.9 };
  const qualities = { reference: quality(1000), current: quality(rows, 900) };
  return {
    drift: [
      {
        ...drift,
        kind: 'numeric',
        name: 'amount',
        slice: 'all',
        null_rate: nullRate,
        quality: qualities,
        null_rate_drift: true,
        method: 'ks',
        exact: true,
        histogram: { edges: [1], reference: [1000, 0], current: [0, rows] },
        ks: { statistic: 0.9, p_value: 1e-12 },
        wasserstein: 50,
        wasserstein_normed: 5,
        reference_range: { min: 0, max: 1 },
      },
      {
        ...drift,
        kind: 'categorical',
        name: 'country',
        slice: 'all',
        null_rate: nullRate,
        quality: qualities,
        null_rate_drift: true,
        method: 'chi2',
        exact: true,
        histogram: { categories: ['de', 'xx'], reference: [1000, 0], current: [0, rows] },
        chi2: { statistic: 900, p_value: 1e-12, dof: 1 },
        new_categories: ['xx'],
      },
    ],
    quality: [
      {
        key: '',
        value: 'all',
        rows,
        scored: rows,
        predictedPositives: counted,
        duplicateIds: 900,
        wrongType: { amount: 900, country: 900 },
        nonFinite: { amount: 900 },
        outOfRange: { amount: counted },
      },
    ],
    baselineScores: [
      {
        key: '',
        value: 'all',
        scored: 1000,
        predictedPositives: 100,
        labelled: 1000,
        labelPositives: 100,
      },
    ],
    paths: { baseline: ['amount', 'country'], current: ['amount', 'country', 'surprise'] },
    classification: [
      {
        slice: 'all',
        key: '',
        value: 'all',
        n: rows,
        labelled: rows,
        positives: 900,
        negatives: 100,
        predictedPositives: 900,
        scored: rows,
        pairsWon: 0.1 * 900 * 100,
        // every positive scored 0 and every negative 1: wrong at any threshold, and as
        // miscalibrated as can be (the 5 calibration bins of the example ece check)
        quality: {
          tp: 0,
          fp: 100,
          fn: 900,
          tn: 0,
          logLossSum: 1000 * -Math.log(2 ** -52),
          brierSum: 1000,
          outsideUnit: 0,
          calibration: {
            5: {
              binCounts: [900, 0, 0, 0, 100],
              binScoreSums: [0, 0, 0, 0, 100],
              binPositives: [900, 0, 0, 0, 0],
            },
          },
        },
      },
    ],
    // predictions 50 off labels near 100 that hardly vary: every error metric far up, R² far below 0
    regression: [
      {
        slice: 'all',
        key: '',
        value: 'all',
        n: rows,
        count: rows,
        absoluteErrorSum: 50 * rows,
        squaredErrorSum: 2500 * rows,
        absolutePercentageErrorSum: 0.9 * rows,
        labelMean: 100,
        labelM2: 100 * rows,
      },
    ],
    // the label window's residuals wholly apart from the baseline's
    residuals: [
      { slice: 'all', key: '', value: 'all', statistic: 1, nReference: rows, nCurrent: rows },
    ],
    // as a run gathers it: for a multiclass monitor only (accuracy judges either task's)
    multiclass:
      plan.task !== 'multiclass'
        ? null
        : [
            {
              slice: 'all',
              key: '',
              value: 'all',
              n: rows,
              confusion: [
                { label: 'a', predicted: 'b', count: 900 },
                { label: 'b', predicted: 'a', count: 100 },
              ],
              scored: rows,
              classScores: [
                { class: 'a', positives: 900, negatives: 100, pairsWon: 0.1 * 900 * 100 },
                { class: 'b', positives: 100, negatives: 900, pairsWon: 0.1 * 100 * 900 },
              ],
            },
          ],
    predictedClasses: [
      {
        ...drift,
        kind: 'categorical',
        name: 'prediction',
        slice: 'all',
        null_rate: { reference: 0, current: 0 },
        quality: { reference: quality(1000), current: quality(rows) },
        null_rate_drift: false,
        method: 'chi2',
        exact: true,
        histogram: { categories: ['a', 'b'], reference: [1000, 0], current: [100, 900] },
        chi2: { statistic: 900, p_value: 1e-12, dof: 1 },
        new_categories: ['b'],
      },
    ],
    // every score of class a below the baseline's lowest decile edge
    classScores: [
      {
        slice: 'all',
        key: '',
        value: 'all',
        class: 'a',
        edges: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        reference: [100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
        current: [rows, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      },
    ],
    // estimated far below any floor; the label window estimated near 1 and labelled at 0
    estimated: {
      calibration: { labelled: 1000, knots: 8 },
      bandWidth: 3,
      window: [{ ...ALL_SLICE, ...estimateAt(0.1, rows) }],
      labelWindow: [{ ...ALL_SLICE, ...estimateAt(0.95, rows) }],
      realized: [{ ...ALL_SLICE, tp: 0, fp: 900, fn: 100, tn: 0 }],
    },
    activity: {
      events: rows,
      lastEvent: END - 2 * HOUR,
      windowEnd: END,
      expectedEvents: Object.fromEntries(plan.checks.map((check) => [check.id, 10 * rows])),
    },
  };
}

const ALL_SLICE = { key: '', value: 'all' };

/** A CBPE estimate whose every metric is `value`, give or take 0.03. */
function estimateAt(value: number, n: number): BinaryEstimate {
  const metric = { value, lower: value, upper: value, sigma: 0.01 };
  const estimate = { ...metric, band: { lower: value - 0.03, upper: value + 0.03 } };
  const count = { lower: n / 4, upper: n / 4 };
  return {
    n,
    expected: { tp: count, fp: count, fn: count, tn: count },
    accuracy: estimate,
    precision: estimate,
    recall: estimate,
    f1: estimate,
    roc_auc: estimate,
  };
}

/** A verdict as a run stores it (evaluateWindow.ts adds the same run fields). */
function stored(verdict: Verdict): CheckResult {
  return {
    ...pickFields(verdict, VERDICT_FIELDS),
    monitor: 'every',
    model: 'every',
    windowStart: new Date(END - HOUR),
    windowEnd: new Date(END),
    correction: 'none',
    baseline: 'base',
    baselineVersion: 1,
    monitorHash: 'h',
    details: verdict.details,
  };
}

it('every entry of the checks registry applies to a task a monitor file can declare', () => {
  const undeclarable = METRICS.filter(
    (metric) => !FILE_TASKS.some((task) => checkEntry(metric).tasks.includes(task)),
  );
  expect(undeclarable).toEqual([]);
});

describe.each(FILE_TASKS)(
  'every %s entry of the checks registry, with nothing written for it elsewhere',
  (task) => {
    const plan = planOfEveryEntry(task);
    const ENTRIES = entriesOf(task);
    const verdicts = judgeWindow(plan, breachingWindow(plan));

    it('is accepted by a monitor file and planned with its kind’s fields', () => {
      expect(plan.checks.map((check) => check.metric)).toEqual(ENTRIES);
      for (const check of plan.checks) {
        const entry = checkEntry(check.metric);
        // each field given reached the plan: 0.5, an hour in milliseconds, warn
        const given = Object.values(exampleFields(check.metric));
        const planned: unknown[] = Object.values(check);
        const planValue = (value: unknown) => (value === '1h' ? HOUR : value);
        for (const value of new Set(given.map(planValue)))
          expect(
            planned.filter((v) => v === value).length,
            `${check.metric}: ${String(value)}`,
          ).toBeGreaterThanOrEqual(given.filter((v) => planValue(v) === value).length);
        if (isFeatureScope(entry.appliesTo))
          expect('features' in check && check.features.length, check.metric).toBeGreaterThan(0);
      }
    });

    it.each(ENTRIES)(
      '%s is judged, and breaches on a window where everything is wrong',
      (metric) => {
        const own = verdicts.filter((verdict) => verdict.metric === metric);
        expect(own.length).toBeGreaterThan(0);
        const check = plan.checks.find((c) => c.metric === metric);
        for (const verdict of own) {
          // at the check's severity: warn as the file says, critical for distances and scores
          expect(verdict.status, JSON.stringify(verdict.details)).toBe(check && severityOf(check));
          expect(verdict.value).not.toBeNull();
          expect(verdict.undecided).toBe(false);
        }
      },
    );

    it.each(ENTRIES)(
      '%s opens an alert whose line states its value against its threshold',
      (metric) => {
        const check = plan.checks.find((c) => c.metric === metric);
        const results = verdicts.filter((verdict) => verdict.metric === metric).map(stored);
        const outcome = advanceWindow(
          [],
          {
            monitor: 'every',
            model: 'every',
            windowStart: new Date(END - HOUR),
            windowEnd: new Date(END),
            monitorHash: 'h',
            baseline: 'base',
            baselineVersion: 1,
            results,
          },
          {
            settings: {
              forWindows: 1,
              resolveAfterWindows: 1,
              repeatIntervalMs: HOUR,
              sendResolved: true,
            },
            checks: check ? [check] : [],
            silences: [],
            acknowledged: new Set(),
            now: new Date(END),
          },
        );
        expect(outcome.notices.length).toBe(results.length);
        for (const notice of outcome.notices) {
          const item = itemOf(notice);
          const line = itemLine(item);
          expect(line).toMatch(new RegExp(`^\\[firing\\] ${check?.id}\\b`));
          expect(measureText(item)).not.toMatch(/undefined|NaN|null|\[object/);
          // the value, and the threshold it breached (a count is a number of things: no threshold)
          const render = renderOf(metric);
          expect(line).toContain(
            render.kind === 'count' ? String(item.value) : formatNumber(item.value),
          );
          if (render.kind !== 'count') {
            const limit = render.kind === 'test' ? item.critical_threshold : thresholdOf(item);
            expect(limit, line).not.toBeNull();
            expect(line).toContain(formatNumber(limit));
          }
        }
      },
    );

    it('says "no data" of a window without events, once per check', () => {
      const empty = breachingWindow(plan);
      const silent = judgeWindow(plan, { ...empty, activity: { ...empty.activity, events: 0 } });
      for (const check of plan.checks) {
        const own = silent.filter((verdict) => verdict.checkId === check.id);
        expect(own.length, check.metric).toBeGreaterThan(0);
        const labelled = checkEntry(check.metric).needs?.labels === true;
        // label checks judge their own, earlier window
        for (const verdict of own)
          expect(verdict.status, check.metric).toBe(labelled ? severityOf(check) : 'no_data');
      }
    });

    it('is documented in the list of metrics (docs/MONITORS.md)', () => {
      const readme = fs.readFileSync(path.join(REPO_ROOT, 'docs/MONITORS.md'), 'utf8');
      const metrics = /^Metrics: [\s\S]*?\n\n/m.exec(readme)?.[0] ?? '';
      expect(METRICS.filter((metric) => !metrics.includes(`\`${metric}\``))).toEqual([]);
    });
  },
);
