import type { AlertFields } from '../monitors/checkResult.js';

/**
 * An alert, as the alert stage thinks of it (lifecycle.ts moves it, store/alerts.ts keeps
 * it): what it is about, its state and episode, the facts of the verdict it last saw, and
 * the audit trail's rows, silences and acknowledgements around it.
 */
export type AlertSeverity = 'warn' | 'critical';
export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';
export type AlertEventKind =
  'pending' | 'firing' | 'cancelled' | 'escalated' | 'repeated' | 'resolved';

/** What an alert is about: one check on one feature in one slice of one monitor. */
export interface AlertIdentity {
  monitor: string;
  model: string;
  checkId: string;
  metric: string;
  feature: string;
  sliceKey: string;
  sliceValue: string;
}

/**
 * The facts of the verdict an alert last saw: what a notification shows. The check result's
 * fields marked for alerts (monitors/checkResult.ts), and what the numbers cannot say alone.
 */
export interface VerdictFacts extends AlertFields {
  /** Effect size beside a p-value (KS D, Jensen-Shannon distance), with its minimum. */
  effect: number | null;
  minEffect: number | null;
  /** Short words for what the numbers cannot say (new categories, missing features). */
  note: string | null;
}

export interface Alert extends AlertIdentity {
  alertId: string;
  state: AlertState;
  /** The highest severity of the current (or last) episode; null before the first. */
  severity: AlertSeverity | null;
  episode: number;
  breachingWindows: number;
  clearWindows: number;
  since: Date | null;
  firedAt: Date | null;
  resolvedAt: Date | null;
  /** Window end of the episode's last notice; null: nobody has been told yet. */
  lastNotifiedAt: Date | null;
  lastWindowEnd: Date | null;
  last: VerdictFacts | null;
  /**
   * The alert as it was before its newest window (lastWindowEnd): what a re-evaluation of
   * that window is decided from again (lifecycle.ts, redecideAlert). Absent on alerts stored
   * before it was kept, and on an alert that has seen no window.
   */
  previous?: AlertBefore | null;
}

/** An alert before a window: everything but its own `previous`. */
export type AlertBefore = Omit<Alert, 'previous'>;

/** One row of the audit trail. */
export interface AlertEventRecord extends AlertIdentity {
  alertId: string;
  episode: number;
  event: AlertEventKind;
  fromState: AlertState;
  toState: AlertState;
  severity: AlertSeverity | null;
  windowStart: Date;
  windowEnd: Date;
  monitorHash: string;
  baseline: string;
  baselineVersion: number;
  verdictStatus: string;
  value: number | null;
  notified: boolean;
  /** '' | 'silence:<id>' | 'acknowledged' */
  suppressedBy: string;
  outboxIds: string[];
  recordedAt?: Date;
}

export interface Silence {
  silenceId: string;
  model: string;
  /** '' = every feature. */
  feature: string;
  /** '' = every slice; a value ("web") or key=value ("channel=web"). */
  slice: string;
  /** '' = every check. */
  checkId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string;
  createdBy: string;
  createdAt: Date;
  expiredBy: string;
  expiredAt: Date | null;
}

export interface Acknowledgement {
  alertId: string;
  monitor: string;
  episode: number;
  acknowledgedBy: string;
  reason: string;
  acknowledgedAt: Date;
}
