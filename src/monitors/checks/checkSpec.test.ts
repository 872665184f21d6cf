import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkProblems, checkSchema, planCheck, type ValidCheck } from './checkSpec.js';
import { METRICS } from './registry.js';

const SCHEMA_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../schemas/monitor.schema.json',
);

const context = {
  features: { amount: 'numeric', country: 'categorical' } as const,
  labels: true,
  threshold: true,
  task: 'binary' as const,
};
const features = [
  { name: 'amount', kind: 'numeric' as const },
  { name: 'country', kind: 'categorical' as const },
];

describe('the checks part of a monitor file, from the registry', () => {
  it('is what the committed schema holds (npm run schemas writes it)', () => {
    const committed = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as {
      $defs: { check: unknown };
    };
    expect(committed.$defs.check).toEqual(checkSchema());
  });

  it('gives every metric one branch of fields, and no field to a metric whose kind lacks it', () => {
    const schema = checkSchema() as {
      allOf: { if: { properties: { metric: { const?: string; enum?: string[] } } } }[];
    };
    const branched = schema.allOf.flatMap(({ if: condition }) => {
      const metric = condition.properties.metric;
      return metric.enum ?? [metric.const ?? ''];
    });
    expect(branched.sort()).toEqual([...METRICS].sort());
  });

  it('plans a check with its kind’s defaults and the features of the kind it applies to', () => {
    expect(planCheck({ metric: 'ks' }, 'ks', features, 3_600_000)).toEqual({
      id: 'ks',
      metric: 'ks',
      features: ['amount'],
      pValue: 0.01,
      minStatistic: 0.1,
      severity: 'critical',
    });
    expect(planCheck({ metric: 'freshness' }, 'f', features, 3_600_000)).toEqual({
      id: 'f',
      metric: 'freshness',
      maxDelayMs: 3_600_000,
      severity: 'critical',
    });
    expect(
      planCheck({ metric: 'psi', critical: 0.3, features: ['country'] }, 'p', features, 1),
    ).toEqual({ id: 'p', metric: 'psi', features: ['country'], warn: null, critical: 0.3 });
  });

  it('refuses a check the monitor’s task does not have', () => {
    const check: ValidCheck = { metric: 'auroc', min: 0.7 };
    expect(checkProblems(check, 2, context)).toEqual([]);
    expect(checkProblems(check, 2, { ...context, task: 'regression' })).toEqual([
      {
        path: ['checks', 2, 'metric'],
        message:
          "checks[2].metric: auroc applies to binary models; this monitor's task is regression",
      },
    ]);
    expect(
      checkProblems({ metric: 'psi', warn: 0.1 }, 0, { ...context, task: 'multiclass' }),
    ).toEqual([]);
  });

  it('says what a check needs, and where its fields disagree', () => {
    expect(
      checkProblems({ metric: 'positive_rate', max_shift: 0.1 }, 0, {
        ...context,
        threshold: false,
      }),
    ).toEqual([
      {
        path: ['checks', 0, 'metric'],
        message: 'checks[0].metric: positive_rate needs prediction.threshold',
      },
    ]);
    expect(checkProblems({ metric: 'auroc', min: 0.7, warn: 0.6 }, 1, context)).toEqual([
      {
        path: ['checks', 1, 'warn'],
        message: 'checks[1].warn: an AUROC warning level must be at or above min (0.7)',
      },
    ]);
  });
});
