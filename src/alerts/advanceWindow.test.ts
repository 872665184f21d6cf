import { describe, expect, it } from 'vitest';
import { advanceWindow, observe, type StoredRun } from './advanceWindow.js';
import { alertIdOf } from './identity.js';
import { NULL_FIELDS, type CheckResult } from '../monitors/checkResult.js';

const END = new Date('2026-11-22T12:00:00Z');

function result(
  feature: string,
  status: string,
  details: Record<string, unknown> = {},
): CheckResult {
  return {
    ...NULL_FIELDS,
    monitor: 'm',
    model: 'm',
    windowStart: new Date(END.getTime() - 1_800_000),
    windowEnd: END,
    checkId: 'null_rate',
    metric: 'null_rate',
    feature,
    sliceKey: '',
    sliceValue: 'all',
    status: status as CheckResult['status'],
    value: status === 'insufficient_data' ? null : 0.2,
    correction: 'none',
    criticalThreshold: 0.05,
    nReference: 10,
    nCurrent: 10,
    baseline: 'b',
    baselineVersion: 1,
    monitorHash: 'h',
    details,
  };
}

const run = (results: CheckResult[]): StoredRun => ({
  monitor: 'm',
  model: 'm',
  windowStart: new Date(END.getTime() - 1_800_000),
  windowEnd: END,
  monitorHash: 'h',
  baseline: 'b',
  baselineVersion: 1,
  results,
});

const CONTEXT = {
  settings: {
    forWindows: 1,
    resolveAfterWindows: 1,
    repeatIntervalMs: 3_600_000,
    sendResolved: true,
  },
  checks: [
    {
      id: 'null_rate',
      metric: 'null_rate' as const,
      features: ['a'],
      maxIncrease: 0.05,
      severity: 'warn' as const,
    },
  ],
  silences: [],
  acknowledged: new Set<string>(),
  now: END,
};

describe('stored verdicts as observations', () => {
  it('count warn and critical as breaches, ok as clear, "no data" as a breach of its check, the rest as nothing', () => {
    expect(observe(result('a', 'critical'), 'warn')).toEqual({
      kind: 'breach',
      severity: 'critical',
    });
    expect(observe(result('a', 'ok'), 'warn')).toEqual({ kind: 'clear' });
    expect(observe(result('a', 'no_data'), 'warn')).toEqual({ kind: 'breach', severity: 'warn' });
    expect(observe(result('a', 'no_data', { severity: 'critical' }), 'warn')).toEqual({
      kind: 'breach',
      severity: 'critical',
    });
    expect(observe(result('a', 'insufficient_data'), 'critical')).toEqual({ kind: 'unknown' });
    expect(observe(result('a', 'something_new'), 'critical')).toEqual({ kind: 'unknown' });
  });

  it('write state only for alerts that are going on, and keep the facts a notice shows', () => {
    const outcome = advanceWindow(
      [],
      run([
        result('a', 'warn', { null_rate_current: 0.3 }),
        result('b', 'ok'),
        result('c', 'insufficient_data'),
      ]),
      CONTEXT,
    );
    expect(outcome.changed.map((alert) => [alert.feature, alert.state])).toEqual([['a', 'firing']]);
    expect(outcome.notices.map((notice) => [notice.alert.feature, notice.kind])).toEqual([
      ['a', 'firing'],
    ]);
    expect(
      outcome.events.map((event) => [
        event.event,
        event.fromState,
        event.verdictStatus,
        event.value,
      ]),
    ).toEqual([['firing', 'inactive', 'warn', 0.2]]);
    expect(outcome.changed[0]?.alertId).toBe(
      alertIdOf({
        monitor: 'm',
        checkId: 'null_rate',
        feature: 'a',
        sliceKey: '',
        sliceValue: 'all',
      }),
    );
    expect(outcome.changed[0]?.last).toMatchObject({
      status: 'warn',
      value: 0.2,
      criticalThreshold: 0.05,
    });
    // the same run again: nothing
    const again = advanceWindow(outcome.changed, run([result('a', 'warn')]), CONTEXT);
    expect(again).toEqual({ changed: [], events: [], notices: [], breaching: [] });
  });
});
