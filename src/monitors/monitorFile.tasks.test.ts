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
});
