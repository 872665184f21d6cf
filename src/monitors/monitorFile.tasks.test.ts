import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { formatMonitorError, loadMonitorFile } from './monitorFile.js';

/** A monitor file's `task:` key (issue 19 item 2): binary by default, multiclass or regression. */
function monitorFile(
  task: string | null,
  checks: string[],
  labels = true,
  header = 'amount,score,label,prediction,p_cat',
): string {
  const dir = tempDir('driftwatch-monitor-task-');
  fs.writeFileSync(path.join(dir, 'base.csv'), `${header}\n1,10.5,11,cat,0.9\n`);
  const file = path.join(dir, 'price.yaml');
  fs.writeFileSync(
    file,
    [
      'model: price',
      ...(task === null ? [] : [`task: ${task}`]),
      'baseline: { file: base.csv }',
      'features: { amount: numeric }',
      "schedule: '0 * * * *'",
      'window: 1h',
      ...(labels ? ['labels: { delay: 1d }'] : []),
      'checks:',
      ...checks.map((check) => `  - ${check}`),
      '',
    ].join('\n'),
  );
  return file;
}

function errorsOf(file: string): string[] {
  const result = loadMonitorFile(file);
  return result.ok ? [] : result.errors.map(formatMonitorError);
}

describe('a monitor file’s task', () => {
  it('is binary when absent, and regression when the file says so', () => {
    const binary = loadMonitorFile(monitorFile(null, ['{ metric: auroc, min: 0.7 }']));
    expect(binary.ok && binary.plan.task).toBe('binary');
    const regression = loadMonitorFile(
      monitorFile('regression', ['{ metric: psi, critical: 0.25 }']),
    );
    expect(regression.ok && regression.plan.task).toBe('regression');
  });

  it('names an unknown task at its file, line and column', () => {
    const file = monitorFile('ranking', ['{ metric: psi, critical: 0.25 }']);
    expect(errorsOf(file)).toEqual([
      `${file}:2:7: task: expected one of "binary", "multiclass", "regression", got "ranking"`,
    ]);
  });

  it('refuses a check that does not fit the task, naming both', () => {
    const file = monitorFile('regression', [
      '{ metric: psi, critical: 0.25 }',
      '{ metric: auroc, min: 0.7 }',
    ]);
    expect(errorsOf(file)).toEqual([
      `${file}:10:15: checks[1].metric: auroc applies to binary models; this monitor's task is regression`,
    ]);
  });

  it('refuses a binary quality check on a regression monitor, naming both', () => {
    const file = monitorFile('regression', [
      '{ metric: mae, critical: 10 }',
      '{ metric: f1, min: 0.6 }',
      '{ metric: ece, bins: 10, critical: 0.1 }',
    ]);
    // only the task is named: what else the check would need does not matter here
    expect(errorsOf(file)).toEqual([
      `${file}:10:15: checks[1].metric: f1 applies to binary models; this monitor's task is regression`,
      `${file}:11:15: checks[2].metric: ece applies to binary models; this monitor's task is regression`,
    ]);
  });

  it('accepts the binary quality checks on a binary monitor with a threshold, and asks for one without', () => {
    const checks = [
      '{ metric: accuracy, min: 0.7 }',
      '{ metric: f1, min: 0.5, warn: 0.6 }',
      '{ metric: log_loss, critical: 0.69 }',
      '{ metric: ece, bins: 10, critical: 0.1 }',
    ];
    const file = monitorFile(null, checks);
    expect(errorsOf(file)).toEqual([
      `${file}:8:15: checks[0].metric: accuracy needs prediction.threshold`,
      `${file}:9:15: checks[1].metric: f1 needs prediction.threshold`,
      `${file}:10:15: checks[2].metric: log_loss needs prediction.threshold`,
      `${file}:11:15: checks[3].metric: ece needs prediction.threshold`,
    ]);
    fs.appendFileSync(file, 'prediction: { threshold: 0.4 }\n');
    const loaded = loadMonitorFile(file);
    expect(loaded.ok && loaded.plan.checks.find((check) => check.metric === 'ece')).toMatchObject({
      bins: 10,
      critical: 0.1,
    });
  });

  it('measures calibration over 16 bins unless the check says', () => {
    const file = monitorFile(null, ['{ metric: ece, critical: 0.1 }']);
    fs.appendFileSync(file, 'prediction: { threshold: 0.4 }\n');
    const loaded = loadMonitorFile(file);
    expect(loaded.ok && loaded.plan.checks[0]).toMatchObject({ metric: 'ece', bins: 16 });
  });

  it('refuses calibration bins that are not a whole number from 1 up', () => {
    const file = monitorFile(null, ['{ metric: ece, bins: 2.5, critical: 0.1 }']);
    fs.appendFileSync(file, 'prediction: { threshold: 0.4 }\n');
    expect(errorsOf(file).join('\n')).toMatch(/checks\[0\]\.bins/);
  });

  it('lets a regression’s checks name its prediction, never declared, beside the features', () => {
    const loaded = loadMonitorFile(
      monitorFile('regression', [
        '{ metric: ks, features: [prediction, amount] }',
        '{ metric: psi, critical: 0.25 }',
        '{ metric: residual_ks }',
      ]),
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    expect(loaded.plan.checks.map((check) => 'features' in check && check.features)).toEqual([
      ['prediction', 'amount'],
      ['amount'],
      false,
    ]);
    expect(loaded.plan.features.at(-1)).toEqual({
      name: 'prediction',
      kind: 'numeric',
      fromScore: true,
    });
  });

  it('refuses the prediction in a binary monitor, and a regression feature named prediction', () => {
    const binary = monitorFile(null, ['{ metric: ks, features: [prediction] }']);
    expect(errorsOf(binary)).toEqual([
      `${binary}:8:30: checks[0].features[0]: "prediction" is not a declared feature`,
    ]);
    const regression = monitorFile('regression', ['{ metric: psi, critical: 0.25 }']);
    fs.writeFileSync(
      regression,
      fs.readFileSync(regression, 'utf8').replace('{ amount: numeric }', '{ prediction: numeric }'),
    );
    fs.writeFileSync(
      path.join(path.dirname(regression), 'base.csv'),
      'prediction,score,label\n1,10.5,11\n',
    );
    expect(errorsOf(regression)[0]).toMatch(
      /features\.prediction: in a regression monitor "prediction" is the model's prediction/,
    );
  });

  it('takes multiclass with its checks', () => {
    const multiclass = loadMonitorFile(
      monitorFile('multiclass', [
        '{ metric: accuracy, min: 0.7 }',
        '{ metric: roc_auc_ovr, min: 0.8, warn: 0.9 }',
        '{ metric: prediction_chi2 }',
        '{ metric: prediction_psi, critical: 0.25 }',
      ]),
    );
    if (!multiclass.ok) throw new Error(JSON.stringify(multiclass.errors));
    expect(multiclass.plan.task).toBe('multiclass');
    expect(multiclass.plan.checks).toEqual([
      { id: 'accuracy', metric: 'accuracy', min: 0.7, warn: null },
      { id: 'roc_auc_ovr', metric: 'roc_auc_ovr', min: 0.8, warn: 0.9 },
      {
        id: 'prediction_chi2',
        metric: 'prediction_chi2',
        pValue: 0.01,
        minStatistic: 0.1,
        severity: 'critical',
      },
      { id: 'prediction_psi', metric: 'prediction_psi', warn: null, critical: 0.25 },
    ]);
  });

  it('refuses a class-score check on a binary monitor and a binary one on a multiclass monitor, naming both', () => {
    const binary = monitorFile(null, ['{ metric: roc_auc_ovr, min: 0.8 }']);
    expect(errorsOf(binary)).toEqual([
      `${binary}:8:15: checks[0].metric: roc_auc_ovr applies to multiclass models; this monitor's task is binary`,
    ]);
    const multiclass = monitorFile('multiclass', [
      '{ metric: f1_macro, min: 0.6 }',
      '{ metric: auroc, min: 0.7 }',
      '{ metric: mae, critical: 3 }',
    ]);
    expect(errorsOf(multiclass)).toEqual([
      `${multiclass}:10:15: checks[1].metric: auroc applies to binary models; this monitor's task is multiclass`,
      `${multiclass}:11:15: checks[2].metric: mae applies to regression models; this monitor's task is multiclass`,
    ]);
  });

  it('refuses a multiclass quality check without labels, and one without its minimum, where they are', () => {
    const unlabelled = monitorFile(
      'multiclass',
      ['{ metric: recall_macro, min: 0.6 }', '{ metric: prediction_psi, critical: 0.2 }'],
      false,
    );
    expect(errorsOf(unlabelled)).toEqual([
      `${unlabelled}:8:15: checks[0].metric: recall_macro needs labels: add a \`labels\` section`,
    ]);
    const minless = monitorFile('multiclass', ['{ metric: precision_macro, warn: 0.6 }']);
    expect(errorsOf(minless)).toEqual([`${minless}:9:5: checks[0].min: required field is missing`]);
  });

  it('refuses class_score_psi without the baseline’s class-score columns, and those columns on a binary monitor', () => {
    const unnamed = monitorFile('multiclass', ['{ metric: class_score_psi, critical: 0.25 }']);
    expect(errorsOf(unnamed)).toEqual([
      `${unnamed}:9:15: checks[0].metric: class_score_psi needs prediction.class_scores (the baseline file's class-score columns)`,
    ]);
    const binary = monitorFile(null, ['{ metric: psi, critical: 0.25 }']);
    fs.writeFileSync(
      binary,
      fs
        .readFileSync(binary, 'utf8')
        .replace('window: 1h', 'window: 1h\nprediction: { class_scores: p_ }'),
    );
    expect(errorsOf(binary)).toEqual([
      `${binary}:6:29: prediction.class_scores: only a multiclass model has class scores; this monitor's task is binary`,
    ]);
  });

  it('refuses predicted-class and class-score checks whose baseline file lacks those columns', () => {
    const file = monitorFile(
      'multiclass',
      ['{ metric: prediction_psi, critical: 0.25 }', '{ metric: class_score_psi, critical: 0.25 }'],
      true,
      'amount,score,label',
    );
    fs.writeFileSync(
      file,
      fs
        .readFileSync(file, 'utf8')
        .replace('window: 1h', 'window: 1h\nprediction: { class_scores: p_ }'),
    );
    expect(errorsOf(file)).toEqual([
      `${file}:10:15: checks[0].metric: prediction_psi compares with the baseline's predicted classes, and base.csv has no "prediction" column (its columns: amount, score, label)`,
      `${file}:7:29: prediction.class_scores: base.csv has no column named "p_" and a class (its columns: amount, score, label)`,
    ]);
  });
});
