import { describe, expect, it } from 'vitest';
import { advanceWindow, observe, type StoredRun } from './advanceWindow.js';
import { alertIdOf } from './identity.js';
import type { Alert } from './alert.js';
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

describe('issue 20: no-data alerts and windows evaluated again', () => {
  const at = (minutes: number) => new Date(END.getTime() + minutes * 60_000);
  const runAt = (end: Date, results: CheckResult[]): StoredRun => ({
    ...run(
      results.map((r) => ({
        ...r,
        windowStart: new Date(end.getTime() - 1_800_000),
        windowEnd: end,
      })),
    ),
    windowStart: new Date(end.getTime() - 1_800_000),
    windowEnd: end,
  });
  /** Applies one run to the alerts so far, as the alert stage does (changed rows replace). */
  const apply = (alerts: readonly Alert[], stored: StoredRun, again = false) => {
    const outcome = advanceWindow(alerts, stored, { ...CONTEXT, now: stored.windowEnd, again });
    const byId = new Map(alerts.map((alert) => [alert.alertId, alert]));
    for (const alert of outcome.changed) byId.set(alert.alertId, alert);
    return { alerts: [...byId.values()], outcome };
  };
  const noData = result('', 'no_data', { reason: 'no events in the window' });
  const notices = (outcome: ReturnType<typeof advanceWindow>) =>
    outcome.notices.map((n) => `${n.alert.feature || '(model)'} ${n.kind}`);

  it('resolves the model-level "no data" alert once its check judges data again (issue 20: it never cleared)', () => {
    const silent = apply([], runAt(at(0), [{ ...noData, value: null }]));
    expect(notices(silent.outcome)).toEqual(['(model) firing']);
    const back = apply(silent.alerts, runAt(at(30), [result('a', 'ok')]));
    expect(notices(back.outcome)).toEqual(['(model) resolved']);
    expect(back.outcome.events.map((e) => [e.event, e.verdictStatus])).toEqual([
      ['resolved', 'ok'],
    ]);
    // it says what was expected instead of a value against a threshold
    expect(silent.outcome.changed[0]?.last?.note).toMatch(
      /expected: events in every 30-minute window/,
    );
    // a window in which that check judged nothing (another check's verdicts only) keeps it
    const other = apply(silent.alerts, runAt(at(30), [{ ...result('a', 'ok'), checkId: 'psi' }]));
    expect(notices(other.outcome)).toEqual([]);
  });

  it('alerts when the newest window, run again, turns from no data to critical (issue 20: it alerted nobody)', () => {
    const first = apply([], runAt(at(0), [{ ...noData, value: null }]));
    const rerun = runAt(at(0), [result('a', 'critical')]);
    // without `again`, the window counts as seen by the alert that saw it: "no data" stays
    expect(notices(apply(first.alerts, rerun).outcome)).toEqual(['a firing']);
    const again = apply(first.alerts, rerun, true);
    expect(notices(again.outcome).sort()).toEqual(['(model) resolved', 'a firing']);
    // the same verdicts decided again: nothing more
    expect(apply(again.alerts, rerun, true).outcome.notices).toEqual([]);
  });
});
