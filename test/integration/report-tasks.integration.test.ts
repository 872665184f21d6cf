import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { writeCsv } from '../helpers/oracle.js';
import { tempDir } from '../helpers/store.js';
import {
  expectCloseOrUndefined,
  parseTaskCases,
  type BinaryTaskCase,
} from '../../src/stats/taskOracle.testing.js';

/**
 * `driftwatch report --task …` through the real binary, on files written from the
 * scikit-learn oracle cases (test/fixtures/task-cases.json, test/oracles/generate_task_cases.py):
 * every metric of the performance section is compared with sklearn's value from the fixture,
 * never with one our code computes. Cases sharing a threshold and bin count go in one file,
 * one slice each, so the slices are checked too.
 */
const cases = parseTaskCases(
  fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/task-cases.json'), 'utf8'),
);
const schema = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'schemas/report.schema.json'), 'utf8'),
) as object;

interface Entry {
  side: string;
  slice: string;
  task: string;
  n: number;
  metrics?: Record<string, number | null>;
  estimated?: Record<string, { value: number | null; sigma: number | null; band: number[] }>;
  confusion?: Record<string, number>;
  calibration?: {
    bins: number;
    reliability: { prob_true: number; prob_pred: number; count: number }[];
  };
  classes?: string[];
  per_class?: {
    class: string;
    precision: number;
    recall: number;
    f1: number;
    support: number;
    roc_auc?: number | null;
  }[];
  confusion_matrix?: number[][];
}

const dir = tempDir('driftwatch-report-tasks-');
const env = { DRIFTWATCH_DATA_DIR: path.join(dir, 'data') };

async function reportJson(args: string[]): Promise<Entry[]> {
  const result = await runCli(['report', ...args, '--format', 'json'], env);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const report = JSON.parse(result.stdout) as { performance?: Entry[] };
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  ajv.validate(schema, report);
  expect(ajv.errors ?? []).toEqual([]);
  expect(report.performance).toBeDefined();
  return report.performance ?? [];
}

function entryOf(entries: Entry[], side: string, slice: string): Entry {
  const entry = entries.find((e) => e.side === side && e.slice === slice);
  if (!entry) throw new Error(`no ${side} entry for slice ${slice}`);
  return entry;
}

/** null in the fixture (sklearn raises) is null in the JSON. */
function expectMetric(
  actual: number | null | undefined,
  expected: number | null | undefined,
  label: string,
): void {
  if (actual === undefined) throw new Error(`${label}: missing`);
  expectCloseOrUndefined(actual ?? NaN, expected, label);
}

const id = (i: number) => i % 7; // a feature column: the report compares at least one

describe('driftwatch report --task binary (scikit-learn oracle cases)', () => {
  const groups = new Map<string, BinaryTaskCase[]>();
  for (const oracle of cases.binary) {
    const key = `${oracle.threshold}/${oracle.expected.calibration.n_bins}`;
    groups.set(key, [...(groups.get(key) ?? []), oracle]);
  }
  it.each([...groups.entries()].map(([key, group]) => ({ key, group })))(
    'threshold/bins $key: every metric per side and slice',
    async ({ group }) => {
      const first = group[0];
      if (!first) throw new Error('empty group');
      const file = path.join(dir, `binary-${first.name}.csv`);
      writeCsv(
        file,
        ['case', 'score', 'label', 'x'],
        group.flatMap((oracle) =>
          oracle.scores.map((score, i) => [oracle.name, score, oracle.labels[i] ?? null, id(i)]),
        ),
      );
      const entries = await reportJson([
        '--baseline',
        file,
        '--current',
        file,
        '--slice',
        'case',
        '--task',
        'binary',
        '--score',
        'score',
        '--label',
        'label',
        '--threshold',
        String(first.threshold),
        '--calibration-bins',
        String(first.expected.calibration.n_bins),
      ]);
      for (const oracle of group)
        for (const side of ['baseline', 'current']) {
          const entry = entryOf(entries, side, oracle.name);
          const e = oracle.expected;
          const label = `${oracle.name} ${side}`;
          expect(entry.task).toBe('binary');
          expect(entry.n).toBe(oracle.scores.length);
          for (const name of [
            'roc_auc',
            'accuracy',
            'precision',
            'recall',
            'f1',
            'log_loss',
            'brier_score',
          ] as const)
            expectMetric(entry.metrics?.[name], e[name], `${label} ${name}`);
          expectMetric(entry.metrics?.ece, e.calibration.ece, `${label} ece`);
          expect(entry.confusion).toEqual(e.confusion);
          const reliability = entry.calibration?.reliability ?? [];
          expect(entry.calibration?.bins).toBe(e.calibration.n_bins);
          expect(reliability.map((p) => p.count)).toEqual(
            e.calibration.bin_counts.filter((count) => count > 0),
          );
          reliability.forEach((point, i) => {
            expectMetric(point.prob_true, e.calibration.prob_true[i], `${label} prob_true[${i}]`);
            expectMetric(point.prob_pred, e.calibration.prob_pred[i], `${label} prob_pred[${i}]`);
          });
        }
    },
  );
});

describe('driftwatch report --task regression (scikit-learn oracle cases)', () => {
  it('mae, rmse, mape and r2 per side and slice', async () => {
    const file = path.join(dir, 'regression.csv');
    writeCsv(
      file,
      ['case', 'predicted', 'actual', 'x'],
      cases.regression.flatMap((oracle) =>
        oracle.labels.map((label, i) => [oracle.name, oracle.predictions[i] ?? null, label, id(i)]),
      ),
    );
    const entries = await reportJson([
      '--baseline',
      file,
      '--current',
      file,
      '--slice',
      'case',
      '--task',
      'regression',
      '--prediction',
      'predicted',
      '--label',
      'actual',
    ]);
    for (const oracle of cases.regression)
      for (const side of ['baseline', 'current']) {
        const entry = entryOf(entries, side, oracle.name);
        expect(entry.n).toBe(oracle.labels.length);
        for (const name of ['mae', 'rmse', 'mape', 'r2'] as const) {
          // constant labels of 3.75: sklearn's own r2 is exact here (docs/TASKS.md)
          expectMetric(
            entry.metrics?.[name],
            oracle.expected[name],
            `${oracle.name} ${side} ${name}`,
          );
        }
      }
  });
});

describe('driftwatch report --task multiclass (scikit-learn oracle cases)', () => {
  it.each(cases.multiclass)('$name', async (oracle) => {
    const classes = oracle.class_scores ? Object.keys(oracle.class_scores) : [];
    const file = path.join(dir, `${oracle.name}.csv`);
    writeCsv(
      file,
      ['predicted', 'actual', ...classes.map((c) => `p_${c}`), 'x'],
      oracle.labels.map((label, i) => [
        oracle.predictions[i] ?? null,
        label,
        ...classes.map((c) => oracle.class_scores?.[c]?.[i] ?? null),
        id(i),
      ]),
    );
    const entries = await reportJson([
      '--baseline',
      file,
      '--current',
      file,
      '--task',
      'multiclass',
      '--prediction',
      'predicted',
      '--label',
      'actual',
      ...(oracle.class_scores ? ['--class-scores', 'p_'] : []),
    ]);
    const e = oracle.expected;
    for (const side of ['baseline', 'current']) {
      const entry = entryOf(entries, side, 'all');
      const label = `${oracle.name} ${side}`;
      expect(entry.classes).toEqual(e.classes);
      expect(entry.confusion_matrix).toEqual(e.confusion_matrix);
      for (const name of [
        'accuracy',
        'f1_macro',
        'f1_weighted',
        'precision_macro',
        'recall_macro',
      ] as const)
        expectMetric(entry.metrics?.[name], e[name], `${label} ${name}`);
      if (oracle.class_scores)
        expectMetric(entry.metrics?.roc_auc_ovr, e.roc_auc_ovr, `${label} roc_auc_ovr`);
      else expect(entry.metrics).not.toHaveProperty('roc_auc_ovr');
      e.classes.forEach((name, i) => {
        const c = entry.per_class?.[i];
        expect(c?.class).toBe(name);
        expectMetric(c?.precision, e.precision_per_class[i], `${label} precision[${name}]`);
        expectMetric(c?.recall, e.recall_per_class[i], `${label} recall[${name}]`);
        expectMetric(c?.f1, e.f1_per_class[i], `${label} f1[${name}]`);
        expect(c?.support).toBe(e.support[i]);
        if (e.roc_auc_per_class)
          expectMetric(c?.roc_auc, e.roc_auc_per_class[i], `${label} roc_auc[${name}]`);
      });
    }
  });
});

describe('driftwatch report on a current file without labels: CBPE', () => {
  it.each(cases.cbpe_binary)(
    'binary $name: the estimate per window (a slice), with its band',
    async (oracle) => {
      const baseline = path.join(dir, `${oracle.name}-ref.csv`);
      const current = path.join(dir, `${oracle.name}-cur.csv`);
      writeCsv(
        baseline,
        ['window', 'score', 'label', 'x'],
        oracle.reference.scores.map((score, i) => [
          'reference',
          score,
          oracle.reference.labels[i] ?? null,
          id(i),
        ]),
      );
      // the first case has no label column at all; the second an empty one (labels not arrived)
      const emptyLabels = oracle === cases.cbpe_binary[1];
      writeCsv(
        current,
        ['window', 'score', ...(emptyLabels ? ['label'] : []), 'x'],
        oracle.windows.flatMap((window, w) =>
          window.scores.map((score, i) => [`w${w}`, score, ...(emptyLabels ? [null] : []), id(i)]),
        ),
      );
      const entries = await reportJson([
        '--baseline',
        baseline,
        '--current',
        current,
        '--slice',
        'window',
        '--score',
        'score',
        '--label',
        'label',
        '--threshold',
        String(oracle.threshold),
      ]);
      expect(entryOf(entries, 'baseline', 'all').metrics).toBeDefined();
      oracle.windows.forEach((window, w) => {
        const entry = entryOf(entries, 'current', `w${w}`);
        expect(entry.metrics).toBeUndefined();
        expect(entry.n).toBe(window.scores.length);
        for (const name of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const) {
          const estimate = entry.estimated?.[name];
          expectMetric(estimate?.value, window.expected[name], `${oracle.name} w${w} ${name}`);
          const [lower, upper] = estimate?.band ?? [];
          const value = estimate?.value ?? NaN;
          expect(estimate?.sigma).toBeGreaterThan(0);
          expect(lower).toBeLessThan(value);
          expect(upper).toBeGreaterThan(value);
          expect(lower).toBeGreaterThanOrEqual(0);
          expect(upper).toBeLessThanOrEqual(1);
        }
      });
    },
  );

  it.each(cases.cbpe_multiclass)('multiclass $name: the estimate per window', async (oracle) => {
    const baseline = path.join(dir, `${oracle.name}-ref.csv`);
    const current = path.join(dir, `${oracle.name}-cur.csv`);
    const columns = oracle.classes.map((c) => `p_${c}`);
    writeCsv(
      baseline,
      ['window', 'actual', ...columns, 'x'],
      oracle.reference.labels.map((label, i) => [
        'reference',
        label,
        ...oracle.classes.map((c) => oracle.reference.class_scores[c]?.[i] ?? null),
        id(i),
      ]),
    );
    writeCsv(
      current,
      ['window', 'predicted', ...columns, 'x'],
      oracle.windows.flatMap((window, w) =>
        window.predictions.map((predicted, i) => [
          `w${w}`,
          predicted,
          ...oracle.classes.map((c) => window.class_scores[c]?.[i] ?? null),
          id(i),
        ]),
      ),
    );
    const entries = await reportJson([
      '--baseline',
      baseline,
      '--current',
      current,
      '--slice',
      'window',
      '--task',
      'multiclass',
      '--prediction',
      'predicted',
      '--label',
      'actual',
      '--class-scores',
      'p_',
    ]);
    oracle.windows.forEach((window, w) => {
      const entry = entryOf(entries, 'current', `w${w}`);
      expect(entry.classes).toEqual(oracle.classes);
      for (const name of [
        'accuracy',
        'precision_macro',
        'recall_macro',
        'f1_macro',
        'roc_auc_ovr',
      ] as const) {
        const estimate = entry.estimated?.[name];
        expectMetric(estimate?.value, window.expected[name], `${oracle.name} w${w} ${name}`);
        const [lower, upper] = estimate?.band ?? [];
        expect(lower).toBeLessThan(estimate?.value ?? NaN);
        expect(upper).toBeGreaterThan(estimate?.value ?? NaN);
      }
    });
  });
});

describe('driftwatch report --task: bad flags and bad labels name what is wrong', () => {
  const file = path.join(dir, 'bad-flags.csv');
  writeCsv(
    file,
    ['score', 'label', 'predicted', 'kind', 'p_cat', 'p_dog', 'x'],
    Array.from({ length: 40 }, (_, i) => [
      (i % 10) / 10,
      i % 2,
      i % 3,
      i % 2 === 0 ? 'cat' : 'dog',
      (i % 10) / 10,
      1 - (i % 10) / 10,
      id(i),
    ]),
  );
  const run = (...args: string[]) =>
    runCli(['report', '--baseline', file, '--current', file, ...args], env);

  it.each([
    {
      args: ['--task', 'regression', '--label', 'label'],
      error:
        /^driftwatch: --prediction: --task regression needs it: a regression is measured by its --prediction column/,
    },
    {
      args: ['--task', 'multiclass', '--prediction', 'kind'],
      error: /^driftwatch: --label: --task multiclass needs it/,
    },
    {
      args: [
        '--task',
        'regression',
        '--prediction',
        'predicted',
        '--label',
        'label',
        '--score',
        'score',
      ],
      error: /^driftwatch: --score: not for --task regression: /,
    },
    {
      args: ['--score', 'score', '--label', 'label', '--prediction', 'predicted'],
      error: /^driftwatch: --prediction: not for --task binary \(the default\): /,
    },
    {
      args: ['--task', 'binary', '--score', 'score'],
      error: /^driftwatch: --label: --score and --label go together/,
    },
    {
      args: ['--task', 'regression', '--prediction', 'nope', '--label', 'label'],
      error: /column "nope": unknown column given to --prediction; the file has: score, label/,
    },
    {
      args: [
        '--task',
        'multiclass',
        '--prediction',
        'kind',
        '--label',
        'kind',
        '--class-scores',
        'q_',
      ],
      error:
        /--class-scores q_ names no column: a multiclass model needs one score column per class/,
    },
  ])('$error', async ({ args, error }) => {
    const result = await run(...args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(error);
  });

  it('refuses labels outside the classes the score columns name, and binary labels that are not 0/1', async () => {
    const outside = await run(
      '--task',
      'multiclass',
      '--prediction',
      'kind',
      '--label',
      'predicted',
      '--class-scores',
      'p_',
    );
    expect(outside.status).toBe(2);
    expect(outside.stderr).toMatch(
      /column "predicted": --label holds "0", "1", "2", outside the classes --class-scores p_ names \(cat, dog\)/,
    );
    const notBinary = await run('--score', 'score', '--label', 'predicted');
    expect(notBinary.status).toBe(2);
    expect(notBinary.stderr).toMatch(
      /column "predicted": --label of a binary model must be 0 or 1 .*; 13 rows hold other values, such as "2"/,
    );
    const notProbability = await run('--score', 'predicted', '--label', 'label');
    expect(notProbability.status).toBe(2);
    expect(notProbability.stderr).toMatch(
      /column "predicted": --score must be a probability in \[0, 1\]; the column holds 2/,
    );
    const notNumber = await run('--task', 'regression', '--prediction', 'kind', '--label', 'label');
    expect(notNumber.status).toBe(2);
    expect(notNumber.stderr).toMatch(
      /column "kind": --prediction of a regression must hold numbers; 40 rows hold text, such as "(cat|dog)"/,
    );
  });

  it('the table and the HTML page show the performance section, estimates with their band', async () => {
    const [oracle] = cases.cbpe_binary;
    if (!oracle) throw new Error('no CBPE case');
    const baseline = path.join(dir, 'render-ref.csv');
    const current = path.join(dir, 'render-cur.csv');
    writeCsv(
      baseline,
      ['score', 'label', 'x'],
      oracle.reference.scores.map((score, i) => [score, oracle.reference.labels[i] ?? null, id(i)]),
    );
    writeCsv(
      current,
      ['score', 'x'],
      (oracle.windows[0]?.scores ?? []).map((score, i) => [score, id(i)]),
    );
    const args = [
      '--baseline',
      baseline,
      '--current',
      current,
      '--score',
      'score',
      '--label',
      'label',
    ];
    const table = await runCli(['report', ...args], env);
    expect(table.status).toBe(0);
    const lines = table.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('performance (binary)'));
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toMatch(
      /^side\s+slice\s+n\s+roc_auc\s+accuracy\s+precision\s+recall\s+f1\s+log_loss\s+brier_score\s+ece$/,
    );
    expect(lines[header + 2]).toMatch(/^baseline\s+all\s+3000\s+0\.\d{4}/);
    const accuracy = oracle.windows[0]?.expected.accuracy ?? NaN;
    expect(lines[header + 3]).toContain(`${accuracy.toFixed(4)} [`);
    expect(lines[header + 3]).toMatch(/^current \(est\.\)\s+all\s+400\s/);
    expect(table.stdout).toContain('no concept drift');
    const html = await runCli(['report', ...args, '--format', 'html'], env);
    expect(html.status).toBe(0);
    expect(html.stdout).toContain('<table id="performance">');
    expect(html.stdout).toMatch(
      /<td>current \(estimated\)<\/td><td>all<\/td><td class="num">400<\/td>/,
    );
    expect(html.stdout).toContain(`${accuracy.toFixed(4)} <span class="muted">[`);
    expect(html.stdout).toContain('id="cbpe-note"');
    expect(html.stdout).toMatch(/<div class="reliability" data-side="baseline"><svg/);
  });
});
