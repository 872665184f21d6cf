import type { Severity } from '../monitors/plan.js';
import type {
  Alert,
  AlertBefore,
  AlertEventKind,
  AlertIdentity,
  AlertState,
  VerdictFacts,
} from './alert.js';

/**
 * The life of one alert, as Alertmanager's users wish it were: pure, one window at a time.
 *
 *   inactive ──breach──▶ pending ──`for` breaching windows──▶ firing ──`resolve_after`
 *   clear windows──▶ resolved ──breach──▶ pending (a new episode) ...
 *
 * A pending alert that sees a clear window is cancelled (it never fired, nobody is told).
 * A firing alert needs `resolve_after` consecutive clear windows to resolve, and any breach
 * in between resets that count: a value hovering at its threshold keeps one episode open
 * instead of flapping. Severity only rises within an episode (warn → critical is an
 * escalation, notified); a critical alert that breaches at warn is still breaching.
 * "Insufficient data" and "awaiting data" (anything that is neither a breach nor ok) change
 * nothing: they never open, never resolve and never count towards `for` or `resolve_after`.
 * How a verdict counts is observationOf's; an alert a window has no verdict for is
 * observeAbsence's; a window seen again with new verdicts is redecideAlert's.
 * The types of an alert are alert.ts's, re-exported here.
 */
export type { Alert, AlertBefore, AlertEventKind, AlertState, VerdictFacts };

/** The notices people receive. */
export type NoticeKind = 'firing' | 'escalated' | 'repeated' | 'resolved';

export type Observation =
  { kind: 'breach'; severity: Severity } | { kind: 'clear' } | { kind: 'unknown' };

export interface LifecycleSettings {
  forWindows: number;
  resolveAfterWindows: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
}

export interface StepContext {
  windowEnd: Date;
  /** The id of an active silence matching the alert, if any. */
  silencedBy: string | null;
  /** The current episode has been acknowledged. */
  acknowledged: boolean;
}

export interface StepResult {
  alert: Alert;
  /** The state change or escalation, if any. */
  event: AlertEventKind | null;
  /** The notice to send, if any (after silences and acknowledgements). */
  notice: NoticeKind | null;
  /** A notice was due but withheld: 'silence:<id>' or 'acknowledged'. */
  suppressedBy: string | null;
}

const RANK: Record<Severity, number> = { warn: 1, critical: 2 };

/**
 * How a verdict counts for its alert. Silence is a finding: "no data" (a window without
 * events from a model that has sent events, or is expected to) breaches at its check's
 * severity. "Awaiting data" (a model that has never sent an event, before the time its
 * monitor expects data from) is shown but never pages; neither it nor "insufficient data"
 * changes anything.
 */
export function observationOf(status: string, noDataSeverity: Severity): Observation {
  if (status === 'warn' || status === 'critical') return { kind: 'breach', severity: status };
  if (status === 'ok') return { kind: 'clear' };
  if (status === 'no_data') return { kind: 'breach', severity: noDataSeverity };
  return { kind: 'unknown' };
}

/**
 * An alert a window gave no verdict of its own. "No data" is one verdict per check for the
 * whole model (feature "", slice "all"), while a window with data judges per feature and
 * slice: so an alert whose last verdict was "no data" sees a window in which its check judged
 * data (any verdict but no_data or awaiting_data) as clear, and resolves after
 * `resolve_after` such windows like any other. Any other absence (a slice that fell out of
 * the top values, a removed check) neither opens nor resolves.
 */
export function observeAbsence(alert: Alert, checkJudgedData: boolean): Observation {
  return alert.last?.status === 'no_data' && checkJudgedData
    ? { kind: 'clear' }
    : { kind: 'unknown' };
}

export function maxSeverity(a: Severity | null, b: Severity): Severity {
  return a !== null && RANK[a] >= RANK[b] ? a : b;
}

export function severityAtLeast(severity: Severity, least: Severity): boolean {
  return RANK[severity] >= RANK[least];
}

/** A new alert, never seen breaching. */
export function inactiveAlert(identity: AlertIdentity, alertId: string): Alert {
  return {
    ...identity,
    alertId,
    state: 'inactive',
    severity: null,
    episode: 0,
    breachingWindows: 0,
    clearWindows: 0,
    since: null,
    firedAt: null,
    resolvedAt: null,
    lastNotifiedAt: null,
    lastWindowEnd: null,
    last: null,
  };
}

/**
 * One window's observation applied to one alert. A window at or before the last one the
 * alert has seen changes nothing: a catch-up that overlaps, or a run processed again after a
 * crash, is a no-op (the newest window evaluated again is redecideAlert's).
 */
export function stepAlert(
  alert: Alert,
  observation: Observation,
  settings: LifecycleSettings,
  context: StepContext,
): StepResult {
  const at = context.windowEnd;
  if (alert.lastWindowEnd && at.getTime() <= alert.lastWindowEnd.getTime()) {
    return { alert, event: null, notice: null, suppressedBy: null };
  }
  const seen: Alert = { ...alert, lastWindowEnd: at, previous: beforeOf(alert) };
  const { next, event, due } = transition(seen, observation, settings, at);
  if (!due) return { alert: next, event, notice: null, suppressedBy: null };
  const suppressedBy = context.silencedBy
    ? `silence:${context.silencedBy}`
    : context.acknowledged && due === 'repeated'
      ? 'acknowledged'
      : null;
  if (suppressedBy === 'acknowledged') {
    // The repeat clock keeps ticking while someone is on it.
    return { alert: { ...next, lastNotifiedAt: at }, event, notice: null, suppressedBy };
  }
  if (suppressedBy) {
    // A repeat withheld by a silence is no event: the trail would fill with one per window.
    return { alert: next, event: event === 'repeated' ? null : event, notice: null, suppressedBy };
  }
  return {
    alert: due === 'resolved' ? next : { ...next, lastNotifiedAt: at },
    // A firing announced late (it fired while silenced) is on the audit trail too, as the
    // notice that went out: every notice has its event.
    event: event ?? due,
    notice: due,
    suppressedBy: null,
  };
}

/** An alert as a window found it, kept with the alert that window leaves. */
function beforeOf(alert: Alert): AlertBefore {
  const { previous, ...before } = alert;
  void previous; // one level deep: an alert keeps the state before its newest window only
  return before;
}

interface Transition {
  next: Alert;
  event: AlertEventKind | null;
  /** The notice this window owes, before silences and acknowledgements. */
  due: NoticeKind | null;
}

function transition(
  alert: Alert,
  observation: Observation,
  settings: LifecycleSettings,
  at: Date,
): Transition {
  if (observation.kind === 'unknown') return { next: alert, event: null, due: null };
  if (observation.kind === 'clear') return clear(alert, settings, at);
  return breach(alert, observation.severity, settings, at);
}

function clear(alert: Alert, settings: LifecycleSettings, at: Date): Transition {
  if (alert.state === 'pending') {
    return {
      next: { ...alert, state: 'inactive', breachingWindows: 0, clearWindows: 0 },
      event: 'cancelled',
      due: null,
    };
  }
  if (alert.state !== 'firing') {
    return { next: { ...alert, breachingWindows: 0, clearWindows: 0 }, event: null, due: null };
  }
  const clearWindows = alert.clearWindows + 1;
  if (clearWindows < settings.resolveAfterWindows) {
    return { next: { ...alert, breachingWindows: 0, clearWindows }, event: null, due: null };
  }
  // Only those who heard it fire hear it resolve.
  const told = alert.lastNotifiedAt !== null;
  return {
    next: { ...alert, state: 'resolved', breachingWindows: 0, clearWindows, resolvedAt: at },
    event: 'resolved',
    due: settings.sendResolved && told ? 'resolved' : null,
  };
}

function breach(
  alert: Alert,
  severity: Severity,
  settings: LifecycleSettings,
  at: Date,
): Transition {
  if (alert.state === 'inactive' || alert.state === 'resolved') {
    const opened: Alert = {
      ...alert,
      state: 'pending',
      severity,
      episode: alert.episode + 1,
      breachingWindows: 1,
      clearWindows: 0,
      since: at,
      firedAt: null,
      resolvedAt: null,
      lastNotifiedAt: null,
    };
    return fireIfDue(opened, settings, at, 'pending');
  }
  if (alert.state === 'pending') {
    const counted: Alert = {
      ...alert,
      severity: maxSeverity(alert.severity, severity),
      breachingWindows: alert.breachingWindows + 1,
    };
    return fireIfDue(counted, settings, at, null);
  }
  const counted: Alert = {
    ...alert,
    breachingWindows: alert.breachingWindows + 1,
    clearWindows: 0,
  };
  if (alert.severity !== null && RANK[severity] > RANK[alert.severity]) {
    return { next: { ...counted, severity }, event: 'escalated', due: 'escalated' };
  }
  if (alert.lastNotifiedAt === null) {
    // It fired while silenced: the first unsilenced breach tells people it is firing.
    return { next: counted, event: null, due: 'firing' };
  }
  const repeatDue = at.getTime() - alert.lastNotifiedAt.getTime() >= settings.repeatIntervalMs;
  return {
    next: counted,
    event: repeatDue ? 'repeated' : null,
    due: repeatDue ? 'repeated' : null,
  };
}

function fireIfDue(
  alert: Alert,
  settings: LifecycleSettings,
  at: Date,
  otherwise: AlertEventKind | null,
): Transition {
  if (alert.breachingWindows < settings.forWindows)
    return { next: alert, event: otherwise, due: null };
  return { next: { ...alert, state: 'firing', firedAt: at }, event: 'firing', due: 'firing' };
}

/**
 * The newest window an alert has seen, evaluated again (a re-run, events that arrived late):
 * the alert is decided again from the state it had before that window (`before`), and the
 * notice follows what people were told against what is now true:
 *  - told it fires, and it still does: nothing, unless its severity rose (escalated);
 *  - told it fires, and the window no longer makes it fire: resolved (a correction);
 *  - not told it fires (it did not, or only while silenced), and now it does: firing;
 *  - neither: nothing (a pending streak is recounted quietly).
 * Silences apply as to any window; an acknowledgement only stops repeats, and a decision
 * again never repeats. Deciding the same verdicts again changes nothing.
 */
export function redecideAlert(
  current: Alert,
  before: AlertBefore,
  observation: Observation,
  settings: LifecycleSettings,
  context: StepContext,
): StepResult {
  const at = context.windowEnd;
  const seen: Alert = { ...before, lastWindowEnd: at, previous: before };
  const { next, event } = transition(seen, observation, settings, at);
  const toldFiring = current.state === 'firing' && current.lastNotifiedAt !== null;
  const firing = next.state === 'firing';
  let alert: Alert = next;
  let happened: AlertEventKind | null = event;
  let due: NoticeKind | null = null;
  if (toldFiring && firing) {
    alert = { ...alert, lastNotifiedAt: current.lastNotifiedAt };
    happened = null;
    if (RANK[next.severity ?? 'warn'] > RANK[current.severity ?? 'warn']) {
      happened = 'escalated';
      due = 'escalated';
    }
  } else if (toldFiring) {
    // People were told it fires; what they were told is no longer true.
    alert = {
      ...current,
      state: 'resolved',
      breachingWindows: 0,
      clearWindows: 0,
      resolvedAt: at,
      lastWindowEnd: at,
      previous: before,
    };
    happened = 'resolved';
    due = settings.sendResolved ? 'resolved' : null;
  } else if (firing) {
    happened = 'firing';
    due = 'firing';
  } else if (current.state === 'resolved' && next.state !== 'pending') {
    // Its episode ended (at this window or before): that stays the summary.
    alert = { ...current, lastWindowEnd: at, previous: before };
    happened = null;
  }
  if (!due) return { alert, event: happened, notice: null, suppressedBy: null };
  if (context.silencedBy)
    return { alert, event: happened, notice: null, suppressedBy: `silence:${context.silencedBy}` };
  return {
    alert: due === 'resolved' ? alert : { ...alert, lastNotifiedAt: at },
    event: happened,
    notice: due,
    suppressedBy: null,
  };
}
