import type { CheckPlan, Severity } from '../monitors/plan.js';
import { checkSeverity } from '../monitors/plan.js';
import {
  ALERT_FIELDS,
  alertFieldsFrom,
  pickFields,
  type CheckResult,
} from '../monitors/checkResult.js';
import { alertIdOf, type AlertIdentity } from './identity.js';
import {
  inactiveAlert,
  observationOf,
  observeAbsence,
  redecideAlert,
  stepAlert,
  type Alert,
  type AlertEventKind,
  type AlertState,
  type LifecycleSettings,
  type NoticeKind,
  type Observation,
  type StepResult,
  type VerdictFacts,
} from './lifecycle.js';
import { findSilence, type Silence } from './silences.js';

/** One stored run of a monitor: the verdicts the alert stage is fed with. */
export interface StoredRun {
  monitor: string;
  model: string;
  windowStart: Date;
  windowEnd: Date;
  monitorHash: string;
  baseline: string;
  baselineVersion: number;
  results: readonly CheckResult[];
}

/** A row of the audit trail: what happened to an alert in a run. */
export interface AlertEvent {
  alert: Alert;
  event: AlertEventKind;
  fromState: AlertState;
  run: Omit<StoredRun, 'results'>;
  verdictStatus: string;
  value: number | null;
  notice: NoticeKind | null;
  suppressedBy: string | null;
}

export interface Notice {
  alert: Alert;
  kind: NoticeKind;
}

export interface WindowOutcome {
  /** Alerts whose stored state must be written (anything but an untouched inactive one). */
  changed: Alert[];
  events: AlertEvent[];
  notices: Notice[];
  /** Alerts that breached in this window and are not silenced: webhook trigger candidates. */
  breaching: Alert[];
}

export interface WindowContext {
  settings: LifecycleSettings;
  checks: readonly CheckPlan[];
  silences: readonly Silence[];
  /** `${alertId}:${episode}` of acknowledged episodes. */
  acknowledged: ReadonlySet<string>;
  /** Wall-clock time, for silences. */
  now: Date;
  /**
   * The run is the newest window already handled, evaluated again: the alerts that saw it
   * are decided again from the state before it (lifecycle.ts, redecideAlert). Otherwise a
   * window an alert has already seen changes nothing (a catch-up repeated after a crash).
   */
  again?: boolean;
}

/** How a stored verdict counts for its alert (lifecycle.ts, observationOf). */
export function observe(
  result: Pick<CheckResult, 'status' | 'details'>,
  severityOfCheck: Severity | null,
): Observation {
  // "No data" alerts at the severity its verdict declares, else its check's most severe.
  const declared = result.details?.severity;
  const severity: Severity =
    declared === 'warn' || declared === 'critical' ? declared : (severityOfCheck ?? 'critical');
  return observationOf(result.status, severity);
}

/** What an alert keeps of a verdict: the result's alert fields, the effect size and a note. */
export function verdictFacts(result: CheckResult): VerdictFacts {
  const details = result.details ?? {};
  return {
    ...pickFields(result, ALERT_FIELDS),
    effect: typeof details.effect === 'number' ? details.effect : null,
    minEffect: typeof details.min_effect === 'number' ? details.min_effect : null,
    note: result.status === 'no_data' ? silenceNote(result) : noteOf(details),
  };
}

/**
 * What a "no data" verdict says in place of a value against a threshold: since when the
 * model has been silent, and what was expected.
 */
export function silenceNote(
  result: Pick<CheckResult, 'windowStart' | 'windowEnd' | 'details'>,
): string {
  const seconds = result.details?.seconds_since_last_event;
  const since =
    typeof seconds === 'number'
      ? `no events since ${new Date(result.windowEnd.getTime() - seconds * 1000).toISOString()}`
      : 'no events yet';
  const minutes = Math.round((result.windowEnd.getTime() - result.windowStart.getTime()) / 60_000);
  const expected =
    typeof result.details?.expect_data_from === 'string'
      ? `expected from ${result.details.expect_data_from}, in every ${minutes}-minute window`
      : `expected: events in every ${minutes}-minute window`;
  return `${since} (${expected})`;
}

/** What an alert keeps when its "no data" ends without a verdict of its own (observeAbsence). */
function dataReturnedFacts(): VerdictFacts {
  return {
    ...alertFieldsFrom({ status: 'ok' }),
    effect: null,
    minEffect: null,
    note: 'events arrived: the check judged data in this window',
  };
}

function noteOf(details: Record<string, unknown>): string | null {
  const parts: string[] = [];
  const list = (key: string, label: string) => {
    const value = details[key];
    if (Array.isArray(value) && value.length > 0)
      parts.push(
        `${label}: ${value.slice(0, 5).map(String).join(', ')}${value.length > 5 ? ', ...' : ''}`,
      );
  };
  list('new_categories', 'new categories');
  list('missing_features', 'missing');
  list('new_features', 'new fields');
  return parts.length > 0 ? parts.join('; ') : null;
}

export function identityOf(result: CheckResult): AlertIdentity {
  return {
    monitor: result.monitor,
    model: result.model,
    checkId: result.checkId,
    metric: result.metric,
    feature: result.feature,
    sliceKey: result.sliceKey,
    sliceValue: result.sliceValue,
  };
}

/**
 * Every alert of a monitor through one stored run. An alert with no verdict in the run sees
 * what observeAbsence says: a "no data" alert clears once its check judged data; any other
 * absence (a slice that fell out of the top values, a removed check) neither opens nor
 * resolves. With `again`, alerts that already saw this window are decided again.
 */
export function advanceWindow(
  existing: readonly Alert[],
  run: StoredRun,
  context: WindowContext,
): WindowOutcome {
  const byId = new Map(existing.map((alert) => [alert.alertId, alert]));
  const severities = new Map(context.checks.map((check) => [check.id, checkSeverity(check)]));
  const { results, ...runInfo } = run;
  const outcome: WindowOutcome = { changed: [], events: [], notices: [], breaching: [] };
  const at = run.windowEnd.getTime();
  const step = (before: Alert, observation: Observation): StepResult => {
    const silence = findSilence(context.silences, before, context.now);
    const stepContext = {
      windowEnd: run.windowEnd,
      silencedBy: silence?.silenceId ?? null,
      acknowledged: context.acknowledged.has(`${before.alertId}:${before.episode}`),
    };
    if (before.lastWindowEnd?.getTime() === at) {
      if (!context.again || !before.previous) return noChange(before);
      return redecideAlert(before, before.previous, observation, context.settings, stepContext);
    }
    return stepAlert(before, observation, context.settings, stepContext);
  };
  const record = (
    before: Alert,
    observation: Observation,
    facts: VerdictFacts | null,
    verdict: { status: string; value: number | null },
  ) => {
    const stepped = step(before, observation);
    if (stepped.alert === before) return; // this window was already seen
    const after: Alert = facts ? { ...stepped.alert, last: facts } : stepped.alert;
    if (worthWriting(before, after)) outcome.changed.push(after);
    if (stepped.event) {
      outcome.events.push({
        alert: after,
        event: stepped.event,
        fromState: before.state,
        run: runInfo,
        verdictStatus: verdict.status,
        value: verdict.value,
        notice: stepped.notice,
        suppressedBy: stepped.suppressedBy,
      });
    }
    if (stepped.notice) outcome.notices.push({ alert: after, kind: stepped.notice });
    if (
      observation.kind === 'breach' &&
      after.state === 'firing' &&
      !findSilence(context.silences, after, context.now)
    )
      outcome.breaching.push(after);
  };
  const seen = new Set<string>();
  for (const result of [...results].sort(compareResults)) {
    const identity = identityOf(result);
    const alertId = alertIdOf(identity);
    seen.add(alertId);
    const observation = observe(result, severities.get(result.checkId) ?? null);
    record(
      byId.get(alertId) ?? inactiveAlert(identity, alertId),
      observation,
      observation.kind === 'unknown' ? null : verdictFacts(result),
      result,
    );
  }
  const judgedData = new Set(
    results
      .filter((result) => result.status !== 'no_data' && result.status !== 'awaiting_data')
      .map((result) => result.checkId),
  );
  for (const alert of [...existing].sort(compareAlerts)) {
    if (seen.has(alert.alertId) || alert.monitor !== run.monitor) continue;
    const observation = observeAbsence(alert, judgedData.has(alert.checkId));
    const decidedAgain = context.again && alert.lastWindowEnd?.getTime() === at;
    if (observation.kind === 'unknown' && !decidedAgain) continue;
    record(alert, observation, observation.kind === 'clear' ? dataReturnedFacts() : null, {
      status: observation.kind === 'clear' ? 'ok' : 'absent',
      value: null,
    });
  }
  return outcome;
}

function noChange(alert: Alert): StepResult {
  return { alert, event: null, notice: null, suppressedBy: null };
}

/** Stored state is only worth a row while something is going on or has just changed. */
function worthWriting(before: Alert, after: Alert): boolean {
  return (
    after.state === 'pending' ||
    after.state === 'firing' ||
    before.state !== after.state ||
    before.episode !== after.episode
  );
}

function compareAlerts(a: Alert, b: Alert): number {
  return compareResults(a, b);
}

function compareResults(
  a: Pick<CheckResult, 'checkId' | 'feature' | 'sliceKey' | 'sliceValue'>,
  b: Pick<CheckResult, 'checkId' | 'feature' | 'sliceKey' | 'sliceValue'>,
): number {
  return (
    a.checkId.localeCompare(b.checkId) ||
    a.feature.localeCompare(b.feature) ||
    a.sliceKey.localeCompare(b.sliceKey) ||
    a.sliceValue.localeCompare(b.sliceValue)
  );
}
