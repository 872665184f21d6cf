import { describe, expect, it } from 'vitest';
import {
  inactiveAlert,
  observationOf,
  observeAbsence,
  redecideAlert,
  stepAlert,
  type Alert,
  type LifecycleSettings,
  type Observation,
} from './lifecycle.js';

const T0 = Date.parse('2026-11-22T00:00:00Z');
const WINDOW = 30 * 60_000;
const at = (i: number) => new Date(T0 + i * WINDOW);

const IDENTITY = {
  monitor: 'm',
  model: 'm',
  checkId: 'psi',
  metric: 'psi',
  feature: 'amount',
  sliceKey: 'channel',
  sliceValue: 'web',
};
const SETTINGS: LifecycleSettings = {
  forWindows: 1,
  resolveAfterWindows: 1,
  repeatIntervalMs: 4 * 3_600_000,
  sendResolved: true,
};

const W: Observation = { kind: 'breach', severity: 'warn' };
const C: Observation = { kind: 'breach', severity: 'critical' };
const OK: Observation = { kind: 'clear' };
const NA: Observation = { kind: 'unknown' };

interface Trace {
  alert: Alert;
  /** One entry per window: `state event/notice`, e.g. "firing firing!" ("!" = notified). */
  steps: string[];
}

/** Runs observations one window apart from window 1 and records what each window did. */
function run(
  observations: Observation[],
  settings: Partial<LifecycleSettings> = {},
  context: {
    silencedAt?: (i: number) => string | null;
    acknowledgedAt?: (i: number) => boolean;
  } = {},
): Trace {
  let alert = inactiveAlert(IDENTITY, 'a1');
  const steps: string[] = [];
  observations.forEach((observation, index) => {
    const i = index + 1;
    const result = stepAlert(
      alert,
      observation,
      { ...SETTINGS, ...settings },
      {
        windowEnd: at(i),
        silencedBy: context.silencedAt?.(i) ?? null,
        acknowledged: context.acknowledgedAt?.(i) ?? false,
      },
    );
    alert = result.alert;
    const said = result.notice
      ? ` ${result.notice}!`
      : result.suppressedBy
        ? ` (${result.suppressedBy})`
        : '';
    steps.push(`${alert.state}${result.event ? ` ${result.event}` : ''}${said}`);
  });
  return { alert, steps };
}

describe('the alert lifecycle', () => {
  it('fires on the first breach by default and resolves on the first clear window', () => {
    const { steps, alert } = run([OK, W, W, OK, OK]);
    expect(steps).toEqual([
      'inactive',
      'firing firing firing!',
      'firing',
      'resolved resolved resolved!',
      'resolved',
    ]);
    expect(alert).toMatchObject({
      episode: 1,
      severity: 'warn',
      since: at(2),
      firedAt: at(2),
      resolvedAt: at(4),
      lastWindowEnd: at(5),
    });
  });

  it('waits `for` consecutive breaching windows; a clear window in between cancels quietly', () => {
    expect(run([W, W, W], { forWindows: 3 }).steps).toEqual([
      'pending pending',
      'pending',
      'firing firing firing!',
    ]);
    expect(run([W, W, OK, W, W, W], { forWindows: 3 }).steps).toEqual([
      'pending pending',
      'pending',
      'inactive cancelled',
      'pending pending',
      'pending',
      'firing firing firing!',
    ]);
  });

  it('does not flap around a threshold: resolve_after clear windows, reset by any breach', () => {
    // breach, clear, breach, clear ... with resolve_after 2: one episode, one notice
    const flapping = run([W, OK, W, OK, W, OK, OK], { resolveAfterWindows: 2 });
    expect(flapping.steps).toEqual([
      'firing firing firing!',
      'firing',
      'firing',
      'firing',
      'firing',
      'firing',
      'resolved resolved resolved!',
    ]);
    expect(flapping.alert.episode).toBe(1);
    // the same values without hysteresis: every swing is a notice
    const naive = run([W, OK, W, OK, W, OK, OK]);
    expect(naive.steps.filter((step) => step.endsWith('!'))).toHaveLength(6);
    expect(naive.alert.episode).toBe(3);
  });

  it('never fires on alternating windows with for: 2 (flapping while pending)', () => {
    expect(run([W, OK, W, OK, W, OK], { forWindows: 2 }).steps.every((s) => !s.endsWith('!'))).toBe(
      true,
    );
  });

  it('notifies an escalation warn → critical once, and keeps critical when it falls back to warn', () => {
    const { steps, alert } = run([W, C, C, W, OK]);
    expect(steps).toEqual([
      'firing firing firing!',
      'firing escalated escalated!',
      'firing',
      'firing',
      'resolved resolved resolved!',
    ]);
    expect(alert.severity).toBe('critical');
  });

  it('repeats while firing only after the repeat interval (window time)', () => {
    // 30-minute windows, repeat every 2 h: notices at windows 1, 5, 9
    const { steps } = run(
      Array.from({ length: 10 }, () => W),
      { repeatIntervalMs: 2 * 3_600_000 },
    );
    const notified = steps.flatMap((step, i) => (step.endsWith('!') ? [`${i + 1}: ${step}`] : []));
    expect(notified).toEqual([
      '1: firing firing firing!',
      '5: firing repeated repeated!',
      '9: firing repeated repeated!',
    ]);
  });

  it('lets insufficient data neither open, resolve, nor break a streak', () => {
    expect(run([NA, NA]).steps).toEqual(['inactive', 'inactive']);
    expect(run([W, NA, NA, W], { forWindows: 2 }).steps).toEqual([
      'pending pending',
      'pending',
      'pending',
      'firing firing firing!',
    ]);
    expect(run([W, NA, NA, NA], { resolveAfterWindows: 1 }).steps).toEqual([
      'firing firing firing!',
      'firing',
      'firing',
      'firing',
    ]);
    expect(run([W, OK, NA, OK], { resolveAfterWindows: 2 }).steps.at(-1)).toBe(
      'resolved resolved resolved!',
    );
  });

  it('opens a new episode after resolution', () => {
    const { steps, alert } = run([C, OK, W]);
    expect(steps).toEqual([
      'firing firing firing!',
      'resolved resolved resolved!',
      'firing firing firing!',
    ]);
    expect(alert).toMatchObject({ episode: 2, severity: 'warn', since: at(3), resolvedAt: null });
  });

  it('sends no resolve notice when send_resolved is off', () => {
    expect(run([W, OK], { sendResolved: false }).steps).toEqual([
      'firing firing firing!',
      'resolved resolved',
    ]);
  });

  it('withholds every notice while silenced, tells after the silence, and resolves quietly if never told', () => {
    const silenced = (from: number, to: number) => (i: number) =>
      i >= from && i <= to ? 's1' : null;
    expect(run([W, W, W, OK], {}, { silencedAt: silenced(1, 2) }).steps).toEqual([
      'firing firing (silence:s1)',
      'firing (silence:s1)',
      'firing firing firing!', // announced after the silence, and recorded as such
      'resolved resolved resolved!',
    ]);
    // silenced throughout: nobody heard it fire, so nobody hears it resolve
    expect(run([W, OK], {}, { silencedAt: silenced(1, 9) }).steps).toEqual([
      'firing firing (silence:s1)',
      'resolved resolved',
    ]);
    // a repeat during a silence is not even an event
    const long = run([W, W, W, W, W], { repeatIntervalMs: WINDOW }, { silencedAt: silenced(3, 4) });
    expect(long.steps).toEqual([
      'firing firing firing!',
      'firing repeated repeated!',
      'firing (silence:s1)',
      'firing (silence:s1)',
      'firing repeated repeated!',
    ]);
  });

  it('stops repeats once acknowledged, but still notifies escalation and resolution', () => {
    const { steps } = run(
      [W, W, W, C, OK],
      { repeatIntervalMs: WINDOW },
      { acknowledgedAt: (i) => i >= 2 },
    );
    expect(steps).toEqual([
      'firing firing firing!',
      'firing repeated (acknowledged)',
      'firing repeated (acknowledged)',
      'firing escalated escalated!',
      'resolved resolved resolved!',
    ]);
  });

  it('changes nothing when a window is seen again or out of order', () => {
    let alert = inactiveAlert(IDENTITY, 'a1');
    const context = { windowEnd: at(2), silencedBy: null, acknowledged: false };
    alert = stepAlert(alert, W, SETTINGS, context).alert;
    const again = stepAlert(alert, W, SETTINGS, context);
    expect(again).toEqual({ alert, event: null, notice: null, suppressedBy: null });
    const older = stepAlert(alert, OK, SETTINGS, { ...context, windowEnd: at(1) });
    expect(older.alert).toBe(alert);
  });
});

describe('the lifecycle rules of issue 20', () => {
  const context = (i: number, silencedBy: string | null = null) => ({
    windowEnd: at(i),
    silencedBy,
    acknowledged: false,
  });

  it('counts awaiting_data like insufficient data (never opens, never resolves), no_data as a breach', () => {
    expect(observationOf('awaiting_data', 'critical')).toEqual({ kind: 'unknown' });
    expect(observationOf('insufficient_data', 'critical')).toEqual({ kind: 'unknown' });
    expect(observationOf('no_data', 'warn')).toEqual({ kind: 'breach', severity: 'warn' });
    expect(observationOf('ok', 'warn')).toEqual({ kind: 'clear' });
    // a model awaiting data for many windows never pages
    expect(run([NA, NA, NA]).steps).toEqual(['inactive', 'inactive', 'inactive']);
  });

  it('clears a model-level "no data" alert once its check judged data, and nothing else that is absent', () => {
    const noData = stepAlert(
      inactiveAlert({ ...IDENTITY, feature: '', sliceKey: '', sliceValue: 'all' }, 'a1'),
      C,
      SETTINGS,
      context(1),
    ).alert;
    const silent: Alert = {
      ...noData,
      last: { ...noData.last, status: 'no_data' } as Alert['last'],
    };
    expect(observeAbsence(silent, true)).toEqual({ kind: 'clear' });
    expect(observeAbsence(silent, false)).toEqual({ kind: 'unknown' });
    const breached: Alert = {
      ...noData,
      last: { ...noData.last, status: 'critical' } as Alert['last'],
    };
    expect(observeAbsence(breached, true)).toEqual({ kind: 'unknown' });
    const cleared = stepAlert(silent, observeAbsence(silent, true), SETTINGS, context(2));
    expect(cleared).toMatchObject({ event: 'resolved', notice: 'resolved' });
  });

  /** One window seen, then the same window decided again with another verdict. */
  function redecide(
    first: Observation[],
    again: Observation,
    settings: Partial<LifecycleSettings> = {},
    silencedBy: string | null = null,
  ) {
    const trace = run(first, settings);
    const current = trace.alert;
    if (!current.previous) throw new Error('the alert keeps no state before its newest window');
    const result = redecideAlert(
      current,
      current.previous,
      again,
      { ...SETTINGS, ...settings },
      context(first.length, silencedBy),
    );
    return { before: current, ...result };
  }

  it('fires when the window decided again breaches where it did not (nobody told yet)', () => {
    // told it fires, still fires: nothing new
    const turned = redecide([OK, C], C, { forWindows: 1 });
    expect(turned).toMatchObject({ event: null, notice: null }); // already told: nothing new
    const pending = redecide([OK, NA], C);
    expect(pending).toMatchObject({ event: 'firing', notice: 'firing' });
    expect(pending.alert).toMatchObject({ state: 'firing', lastWindowEnd: at(2), firedAt: at(2) });
    expect(pending.alert.lastNotifiedAt).toEqual(at(2));
  });

  it('resolves, as a correction, an alert people were told fires when its window no longer breaches', () => {
    const corrected = redecide([OK, C], OK);
    expect(corrected).toMatchObject({ event: 'resolved', notice: 'resolved' });
    expect(corrected.alert).toMatchObject({ state: 'resolved', resolvedAt: at(2) });
    // nobody told (send_resolved off): the state follows, nobody is notified
    expect(redecide([OK, C], OK, { sendResolved: false })).toMatchObject({
      event: 'resolved',
      notice: null,
    });
  });

  it('escalates when the window decided again is more severe, and is quiet when nothing changed', () => {
    expect(redecide([OK, W], C)).toMatchObject({ event: 'escalated', notice: 'escalated' });
    const same = redecide([OK, W], W);
    expect(same).toMatchObject({ event: null, notice: null });
    expect(same.alert.lastNotifiedAt).toEqual(same.before.lastNotifiedAt);
  });

  it('withholds the notice of a decision again during a silence', () => {
    expect(redecide([OK, NA], C, {}, 's1')).toMatchObject({
      event: 'firing',
      notice: null,
      suppressedBy: 'silence:s1',
    });
  });
});
