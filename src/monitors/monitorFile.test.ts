import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import {
  formatMonitorError,
  loadMonitorDirectory,
  loadMonitorFile,
  parseDuration,
  refusalOf,
} from './monitorFile.js';

const VALID = `model: m1
baseline: { file: base.csv }
features:
  amount: numeric
  merchant: categorical
prediction: { threshold: 0.5 }
slices: [country, [country, channel]]
schedule: '*/15 * * * *'
window: 1h
labels: { delay: 14d, min_count: 500 }
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [amount], p_value: 0.01, min_statistic: 0.1 }
  - { metric: psi, features: [merchant], critical: 0.5 }
  - { metric: auroc, min: 0.8 }
`;

const BASELINE_CSV = 'amount,merchant,country,channel,score,label\n12.5,grocery,US,web,0.2,0\n';

function write(content: string, name = 'm1.yaml'): string {
  const dir = tempDir('driftwatch-monitorfile-');
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  fs.writeFileSync(path.join(dir, 'base.csv'), BASELINE_CSV);
  return file;
}

function errorsOf(content: string): string[] {
  const file = write(content);
  const result = loadMonitorFile(file);
  if (result.ok) return [];
  return result.errors.map((error) => formatMonitorError(error).replace(`${file}:`, ''));
}

describe('monitor files', () => {
  it('plan a valid file: resolved features, check ids, durations, crossed slices', () => {
    const file = write(VALID);
    const result = loadMonitorFile(file);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan).toMatchObject({
      model: 'm1',
      baseline: { kind: 'file', path: path.join(path.dirname(file), 'base.csv') },
      features: [
        { name: 'amount', kind: 'numeric' },
        { name: 'merchant', kind: 'categorical' },
      ],
      slices: [['country'], ['country', 'channel']],
      maxSliceValues: 20,
      minSamples: 100,
      threshold: 0.5,
      labels: { delayMs: 14 * 86_400_000, minCount: 500 },
      falseDiscoveryRate: 'none',
      windowMs: 3_600_000,
      checks: [
        { id: 'psi:1', metric: 'psi', features: ['amount', 'merchant'], warn: 0.1, critical: 0.25 },
        {
          id: 'ks',
          metric: 'ks',
          features: ['amount'],
          pValue: 0.01,
          minStatistic: 0.1,
          severity: 'critical',
        },
        { id: 'psi:2', metric: 'psi', features: ['merchant'], warn: null, critical: 0.5 },
        { id: 'auroc', metric: 'auroc', min: 0.8, warn: null },
      ],
    });
    expect(result.plan.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('report YAML syntax errors where they are', () => {
    expect(errorsOf('model: m1\nfeatures: [a, b\n')[0]).toMatch(/^\d+:\d+: YAML syntax: /);
  });

  it('report what the schema expected, at the value', () => {
    expect(errorsOf(VALID.replace('warn: 0.1', 'warn: high'))).toEqual([
      '12:41: checks[0].warn: expected a number, got "high"',
    ]);
    expect(errorsOf(VALID.replace('metric: ks', 'metric: kss'))[0]).toMatch(
      /^13:15: checks\[1\]\.metric: expected one of "psi", /,
    );
    expect(errorsOf(VALID.replace('window: 1h', 'windw: 1h'))).toEqual([
      '1:1: window: required field is missing',
      '9:1: windw: unknown field',
    ]);
  });

  it('report what JSON Schema cannot see', () => {
    expect(
      errorsOf(VALID.replace('features: [amount], p_value', 'features: [merchant], p_value')),
    ).toEqual([
      '13:30: checks[1].features[0]: ks applies to numeric features; "merchant" is categorical',
    ]);
    expect(
      errorsOf(VALID.replace('features: [merchant], critical', 'features: [merchnt], critical')),
    ).toEqual(['14:31: checks[2].features[0]: "merchnt" is not a declared feature']);
    expect(errorsOf(VALID.replace('labels: { delay: 14d, min_count: 500 }\n', ''))).toEqual([
      '14:15: checks[3].metric: auroc needs labels: add a `labels` section',
    ]);
    expect(
      errorsOf(VALID.replace('warn: 0.1, critical: 0.25', 'warn: 0.3, critical: 0.25')),
    ).toEqual(['12:41: checks[0].warn: must not be above critical (0.25)']);
    expect(errorsOf(VALID.replace("'*/15 * * * *'", "'*/15 * * *'"))).toEqual([
      '8:11: schedule: not a valid cron expression: "*/15 * * *"',
    ]);
    expect(
      errorsOf(`${VALID}alerts:\n  routes: [{ severity: critical, webhook: retrain }]\n`),
    ).toEqual(['17:43: alerts.routes[0].webhook: "retrain" is not defined under webhooks']);
  });

  it('keep the good files of a folder when one is bad, and refuse two monitors of one model', () => {
    const dir = tempDir('driftwatch-monitordir-');
    fs.writeFileSync(path.join(dir, 'base.csv'), BASELINE_CSV);
    fs.writeFileSync(path.join(dir, 'a.yaml'), VALID);
    fs.writeFileSync(path.join(dir, 'b.yaml'), VALID);
    fs.writeFileSync(
      path.join(dir, 'c.yaml'),
      VALID.replace('model: m1', 'model: m2').replace('window: 1h', 'window: soon'),
    );
    fs.writeFileSync(path.join(dir, 'd.yaml'), VALID.replace('model: m1', 'model: m3'));
    const { plans, errors } = loadMonitorDirectory(dir);
    expect(plans.map((plan) => plan.model)).toEqual(['m1', 'm3']);
    expect(
      errors.map(
        (error) => `${path.basename(error.file)}:${error.line}: ${error.message.split(':')[0]}`,
      ),
    ).toEqual(['b.yaml:1: model', 'c.yaml:9: window']);
  });

  it('tell a refused file to the model it declares, never to a model its name starts with', () => {
    const dir = tempDir('driftwatch-monitordir-');
    fs.writeFileSync(path.join(dir, 'base.csv'), BASELINE_CSV);
    const broken = (model: string) =>
      VALID.replace('model: m1', `model: ${model}`).replace('window: 1h', 'window: soon');
    fs.writeFileSync(path.join(dir, 'fraud-detector-v2.yaml'), broken('fraud-detector-v2'));
    fs.writeFileSync(path.join(dir, 'churn.yaml'), broken('churn-model'));
    fs.writeFileSync(path.join(dir, 'ranker.yaml'), 'model: [unclosed');
    const { errors } = loadMonitorDirectory(dir);
    const fileOf = (model: string) => {
      const refusal = refusalOf(errors, model);
      return refusal && path.basename(refusal.file);
    };
    expect(fileOf('fraud-detector')).toBeNull();
    expect(fileOf('fraud-detector-v2')).toBe('fraud-detector-v2.yaml');
    expect(fileOf('churn-model')).toBe('churn.yaml');
    expect(fileOf('churn')).toBeNull();
    // A file that does not parse says no model: its name is all there is to go by.
    expect(fileOf('ranker')).toBe('ranker.yaml');
  });

  it('locate a feature the baseline lacks, and a baseline file that does not exist (issue 8)', () => {
    expect(
      errorsOf(
        VALID.replace('  merchant: categorical', '  merchant: categorical\n  tenure: numeric'),
      ),
    ).toEqual([
      '6:3: features.tenure: the baseline base.csv has no column "tenure" (its columns: amount, merchant, country, channel, score, label)',
    ]);
    expect(errorsOf(VALID.replace('file: base.csv', 'file: nowhere.csv'))[0]).toMatch(
      /^2:19: baseline\.file: no such file: .*nowhere\.csv$/,
    );
  });

  it('take the new checks with the registry’s defaults', () => {
    const file = write(
      VALID.replace(
        '  - { metric: auroc, min: 0.8 }',
        '  - { metric: auroc, min: 0.8 }\n  - { metric: volume }\n  - { metric: freshness, max_delay: 10m }\n  - { metric: non_finite, features: all }',
      ),
    );
    const result = loadMonitorFile(file);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.checks.slice(4)).toEqual([
      {
        id: 'volume',
        metric: 'volume',
        minRatio: 0.5,
        maxRatio: null,
        trailingMs: 7 * 86_400_000,
        severity: 'critical',
      },
      { id: 'freshness', metric: 'freshness', maxDelayMs: 600_000, severity: 'critical' },
      {
        id: 'non_finite',
        metric: 'non_finite',
        features: ['amount'],
        maxRate: 0,
        severity: 'critical',
      },
    ]);
  });

  it('parse durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(() => parseDuration('soon')).toThrow(RangeError);
  });
});
