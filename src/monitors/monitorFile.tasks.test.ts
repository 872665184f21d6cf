import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { formatMonitorError, loadMonitorFile } from './monitorFile.js';

/** A monitor file's `task:` key (issue 19 item 2): binary by default, or regression. */
function monitorFile(task: string | null, checks: string[]): string {
  const dir = tempDir('driftwatch-monitor-task-');
  fs.writeFileSync(path.join(dir, 'base.csv'), 'amount,score,label\n1,10.5,11\n');
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
      'labels: { delay: 1d }',
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
      `${file}:2:7: task: expected one of "binary", "regression", got "ranking"`,
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
});
