import { describe, expect, it } from 'vitest';
import { planFromYaml } from '../../test/helpers/verdicts.js';
import {
  NULL_FIELDS,
  type CheckResult,
  type CheckStatus,
  type KeptResult,
} from '../monitors/checkResult.js';
import { createAlertPlanner, describeAlertPlan, weekOf } from './alertPlan.js';
import { alertIdOf } from './identity.js';

const plan = planFromYaml(`model: planned
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '0 0 * * *'
window: 1d
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  routes:
    - { severity: critical, slack: '#pager' }
    - { severity: warn, slack: '#drift' }
`);

const DAY = 86_400_000;
// Monday 2026-11-30 00:00 UTC: the first window ends there (it belongs to the week before)
const FROM = new Date('2026-11-29T00:00:00Z');
const end = (i: number) => new Date(FROM.getTime() + (i + 1) * DAY);

function verdict(i: number, status: CheckStatus): CheckResult {
  return {
    ...NULL_FIELDS,
    monitor: plan.monitor,
    model: plan.model,
    windowStart: new Date(end(i).getTime() - DAY),
    windowEnd: end(i),
    checkId: 'psi',
    metric: 'psi',
    feature: 'amount',
    sliceKey: '',
    sliceValue: 'all',
    status,
    value: status === 'critical' ? 0.4 : status === 'warn' ? 0.15 : 0.01,
    correction: 'none',
    warnThreshold: 0.1,
    criticalThreshold: 0.25,
    nReference: 1000,
    nCurrent: 1000,
    baseline: 'trailing',
    baselineVersion: 1,
    monitorHash: plan.hash,
    details: {},
  };
}

describe('the alerting plan of a backtest (issue 20.5)', () => {
  it('counts per route and week the notifications the live stage would send, and names their alerts', () => {
    const planner = createAlertPlanner(plan);
    // day 0 (week of 11-23): ok; days 1-2: warn; day 3: critical; day 4: ok; day 9 (next week): warn
    const statuses: CheckStatus[] = [
      'ok',
      'warn',
      'warn',
      'critical',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'warn',
    ];
    statuses.forEach((status, i) =>
      planner.add(new Date(end(i).getTime() - DAY), end(i), [verdict(i, status)]),
    );
    const to = end(statuses.length - 1);
    const result = planner.plan({ from: FROM, to });
    const id = alertIdOf({
      monitor: plan.monitor,
      checkId: 'psi',
      feature: 'amount',
      sliceKey: '',
      sliceValue: 'all',
    });
    const weeks = (destination: string) =>
      result.routes
        .find((route) => route.destination === destination)
        ?.weeks.map((week) => [week.week, week.notifications, week.alertIds.length]);
    // #drift (warn and up): fired day 1, repeated day 2 (repeat_interval 4h < a day), escalated
    // day 3, resolved day 4; fired again day 9
    expect(weeks('slack:#drift')).toEqual([
      ['2026-11-23', 0, 0],
      ['2026-11-30', 4, 1],
      ['2026-12-07', 1, 1],
    ]);
    // #pager (critical only): the escalation and its resolution
    expect(weeks('slack:#pager')).toEqual([
      ['2026-11-23', 0, 0],
      ['2026-11-30', 2, 1],
      ['2026-12-07', 0, 0],
    ]);
    expect(result.alerts).toEqual([
      {
        alertId: id,
        subject: 'psi · amount · all',
        severity: 'critical',
        notices: { firing: 2, repeated: 1, escalated: 1, resolved: 1 },
        firstWindowEnd: end(1).toISOString(),
      },
    ]);
    expect(describeAlertPlan(result)).toContain('slack:#drift: 5 in all');
  });

  it('plans the same from statuses of quiet verdicts as from whole records: clears, "no data" cleared by another feature, nothing from unknown subjects', () => {
    const two = planFromYaml(`model: planned
baseline: { trailing: 7d }
features: { amount: numeric, tenure: numeric }
schedule: '0 0 * * *'
window: 1d
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  routes:
    - { severity: warn, slack: '#drift' }
`);
    const record = (i: number, feature: string, status: CheckStatus): CheckResult => ({
      ...verdict(i, status),
      monitor: two.monitor,
      model: two.model,
      monitorHash: two.hash,
      feature,
      ...(status === 'no_data'
        ? { value: null, details: { reason: 'no events in the window' } }
        : {}),
    });
    // amount warns, clears (a status), "no data" for the model, then data again (only the
    // status of a subject with no alert: the check judged data), amount critical,
    // insufficient, ok; tenure first, so that a status of a subject with no alert comes first
    const days: [string, CheckStatus][][] = [
      [
        ['tenure', 'ok'],
        ['amount', 'warn'],
      ],
      [
        ['tenure', 'ok'],
        ['amount', 'ok'],
      ],
      [['', 'no_data']],
      [['tenure', 'ok']],
      [
        ['tenure', 'ok'],
        ['amount', 'critical'],
      ],
      [
        ['tenure', 'insufficient_data'],
        ['amount', 'insufficient_data'],
      ],
      [
        ['tenure', 'ok'],
        ['amount', 'ok'],
      ],
    ];
    const whole = createAlertPlanner(two);
    const lean = createAlertPlanner(two);
    days.forEach((day, i) => {
      const records = day.map(([feature, status]) => record(i, feature, status));
      const start = new Date(end(i).getTime() - DAY);
      whole.add(start, end(i), records);
      const kept: KeptResult[] = records.map((r) =>
        r.status === 'ok' || r.status === 'insufficient_data'
          ? {
              checkId: r.checkId,
              metric: r.metric,
              feature: r.feature,
              sliceKey: r.sliceKey,
              sliceValue: r.sliceValue,
              status: r.status,
            }
          : r,
      );
      lean.add(start, end(i), kept);
    });
    const range = { from: FROM, to: end(days.length - 1) };
    const planned = whole.plan(range);
    expect(lean.plan(range)).toEqual(planned);
    expect(planned.alerts.map((alert) => [alert.subject, alert.severity, alert.notices])).toEqual([
      ['psi · amount · all', 'critical', { firing: 2, resolved: 2 }],
      ['psi · (model) · all', 'critical', { firing: 1, resolved: 1 }],
    ]);
  });

  it('says when nobody would be notified, and puts a window ending at midnight in the week before', () => {
    const quiet = planFromYaml(`model: quiet
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '0 0 * * *'
window: 1d
checks:
  - { metric: psi, features: all, warn: 0.1 }
`);
    expect(describeAlertPlan(createAlertPlanner(quiet).plan({ from: FROM, to: end(3) }))).toMatch(
      /no routes: nobody would have been notified/,
    );
    expect(weekOf(new Date('2026-11-30T00:00:00Z'))).toBe('2026-11-23');
    expect(weekOf(new Date('2026-11-30T00:00:01Z'))).toBe('2026-11-30');
    expect(weekOf(new Date('2026-12-06T23:59:59Z'))).toBe('2026-11-30');
  });
});
