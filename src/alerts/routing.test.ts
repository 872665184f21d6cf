import { describe, expect, it } from 'vitest';
import { NULL_FIELDS } from '../monitors/checkResult.js';
import type { AlertRoutePlan, WebhookPlan, WebhookPolicy } from '../monitors/plan.js';
import type { Notice, WindowOutcome } from './advanceWindow.js';
import { alertIdOf } from './identity.js';
import { inactiveAlert, type Alert } from './lifecycle.js';
import type { RunInfo } from './notification.js';
import { destinationsOf, routeNotices } from './routing.js';

const END = new Date('2026-11-22T12:00:00Z');
const RUN: RunInfo = {
  monitor: 'fraud',
  model: 'fraud',
  windowStart: new Date('2026-11-22T11:30:00Z'),
  windowEnd: END,
  monitorHash: 'h',
  baseline: 'file:b.csv',
  baselineVersion: 1,
};

function alert(
  feature: string,
  slice: string,
  severity: 'warn' | 'critical',
  breaching = 1,
): Alert {
  const identity = {
    monitor: 'fraud',
    model: 'fraud',
    checkId: 'psi',
    metric: 'psi',
    feature,
    sliceKey: slice === 'all' ? '' : 'channel',
    sliceValue: slice,
  };
  return {
    ...inactiveAlert(identity, alertIdOf(identity)),
    state: 'firing',
    severity,
    episode: 1,
    breachingWindows: breaching,
    last: {
      ...NULL_FIELDS,
      status: severity,
      value: severity === 'critical' ? 0.5 : 0.15,
      warnThreshold: 0.1,
      criticalThreshold: 0.25,
      effect: null,
      minEffect: null,
      nReference: 100,
      nCurrent: 100,
      note: null,
    },
  };
}

const route = (
  severity: 'warn' | 'critical',
  channels: Partial<AlertRoutePlan>,
): AlertRoutePlan => ({
  severity,
  slack: null,
  email: [],
  webhook: null,
  pagerduty: null,
  teams: null,
  alertmanager: null,
  grouping: 'digest',
  ...channels,
});

const POLICY: WebhookPolicy = {
  severities: ['critical'],
  afterWindows: 3,
  minIntervalMs: 24 * 3_600_000,
  sendResolved: false,
};
const RETRAIN: WebhookPlan = {
  name: 'retrain',
  preset: 'generic',
  url: 'https://ci.example.com/hook',
  secretEnv: ['S'],
  policy: POLICY,
};

function outcome(
  notices: Notice[],
  breaching: Alert[] = notices.map((n) => n.alert),
): WindowOutcome {
  return { changed: [], events: [], notices, breaching };
}

describe('routing notices', () => {
  it('makes one digest per destination and severity, routes receiving their severity and above', () => {
    const notices: Notice[] = [
      { alert: alert('amount', 'web', 'critical'), kind: 'firing' },
      { alert: alert('amount', 'all', 'warn'), kind: 'firing' },
      { alert: alert('merchant', 'all', 'warn'), kind: 'resolved' },
    ];
    const destinations = destinationsOf(
      [
        route('warn', { slack: '#drift' }),
        route('critical', { slack: '#oncall', email: ['b@x.io', 'a@x.io'] }),
      ],
      {},
    );
    const rows = routeNotices(outcome(notices), {
      run: RUN,
      destinations,
      lastTriggers: new Map(),
    });
    expect(rows.map((row) => [row.destination, row.kind, row.severity, row.events])).toEqual([
      ['slack:#drift', 'digest', 'critical', ['firing']],
      ['slack:#drift', 'digest', 'warn', ['firing', 'resolved']],
      ['slack:#oncall', 'digest', 'critical', ['firing']],
      ['email:a@x.io,b@x.io', 'digest', 'critical', ['firing']],
    ]);
    expect(rows.every((row) => /^msg_[0-9a-f]{32}$/.test(row.id))).toBe(true);
    // the same run always yields the same ids, whatever order the notices come in
    const again = routeNotices(outcome([...notices].reverse()), {
      run: RUN,
      destinations,
      lastTriggers: new Map(),
    });
    expect(again.map((row) => row.id)).toEqual(rows.map((row) => row.id));
    // another window: other ids
    const later = routeNotices(outcome(notices), {
      run: { ...RUN, windowEnd: new Date(END.getTime() + 1) },
      destinations,
      lastTriggers: new Map(),
    });
    expect(later.map((row) => row.id).some((id) => rows.some((row) => row.id === id))).toBe(false);
  });

  it('sends one message per alert and event when a route asks for it', () => {
    const notices: Notice[] = [
      { alert: alert('amount', 'web', 'critical'), kind: 'escalated' },
      { alert: alert('amount', 'all', 'critical'), kind: 'repeated' },
    ];
    const rows = routeNotices(outcome(notices), {
      run: RUN,
      destinations: destinationsOf([route('warn', { slack: '#x', grouping: 'per_alert' })], {}),
      lastTriggers: new Map(),
    });
    expect(rows.map((row) => [row.kind, row.alertIds.length, row.events])).toEqual([
      ['alert', 1, ['escalated']],
      ['alert', 1, ['repeated']],
    ]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(2);
  });

  it('triggers a webhook by its policy: severities, consecutive windows, at most once per min_interval', () => {
    const destinations = destinationsOf([route('warn', { webhook: 'retrain' })], {
      retrain: RETRAIN,
    });
    const trigger = (breaching: Alert[], notices: Notice[] = [], last?: Date) =>
      routeNotices(outcome(notices, breaching), {
        run: RUN,
        destinations,
        lastTriggers: new Map(last ? [['webhook:retrain', last]] : []),
      }).map(
        (row) =>
          `${row.kind} ${row.message.items.map((i) => `${i.feature}/${i.slice.value}`).join(' ')}`,
      );
    // warn alerts never trigger (severities: [critical])
    expect(
      trigger(
        [alert('amount', 'web', 'warn', 5)],
        [{ alert: alert('amount', 'web', 'warn', 5), kind: 'firing' }],
      ),
    ).toEqual([]);
    // critical, but only 2 consecutive windows (after_windows: 3)
    const fired = alert('amount', 'web', 'critical', 2);
    expect(trigger([fired], [{ alert: fired, kind: 'firing' }])).toEqual([]);
    // the third breaching window triggers, listing every qualifying alert
    expect(
      trigger([alert('amount', 'web', 'critical', 3), alert('amount', 'all', 'critical', 7)]),
    ).toEqual(['trigger amount/all amount/web']);
    // a fourth breaching window says nothing new
    expect(trigger([alert('amount', 'web', 'critical', 4)])).toEqual([]);
    // news within min_interval of the last trigger: held back
    const escalated = alert('amount', 'web', 'critical', 4);
    expect(
      trigger(
        [escalated],
        [{ alert: escalated, kind: 'escalated' }],
        new Date(END.getTime() - 3_600_000),
      ),
    ).toEqual([]);
    expect(
      trigger(
        [escalated],
        [{ alert: escalated, kind: 'escalated' }],
        new Date(END.getTime() - 25 * 3_600_000),
      ),
    ).toEqual(['trigger amount/web']);
  });

  it('posts resolutions to a generic webhook with send_resolved, of the alerts it was triggered with', () => {
    const since = new Date(END.getTime() - 4 * 3_600_000);
    const resolved = {
      ...alert('amount', 'web', 'critical', 0),
      state: 'resolved' as const,
      since,
    };
    const untold = { ...alert('amount', 'all', 'critical', 0), state: 'resolved' as const, since };
    const notices: Notice[] = [
      { alert: resolved, kind: 'resolved' },
      { alert: untold, kind: 'resolved' },
    ];
    const rows = (sendResolved: boolean, triggeredAt: Date) =>
      routeNotices(outcome(notices, []), {
        run: RUN,
        destinations: destinationsOf([route('warn', { webhook: 'retrain' })], {
          retrain: { ...RETRAIN, policy: { ...POLICY, sendResolved } },
        }),
        lastTriggers: new Map(),
        triggered: new Map([['webhook:retrain', new Map([[resolved.alertId, triggeredAt]])]]),
      }).map((row) => `${row.kind} ${row.message.items.map((i) => i.slice.value).join(' ')}`);
    const duringEpisode = new Date(since.getTime() + 3_600_000);
    expect(rows(false, duringEpisode)).toEqual([]);
    expect(rows(true, duringEpisode)).toEqual(['resolved web']);
    // triggered in an earlier episode: not this one's resolution to tell
    expect(rows(true, new Date(since.getTime() - 1))).toEqual([]);
  });
});
