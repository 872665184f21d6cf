import type { CheckPlan, Severity } from '../monitors/plan.js';
import { checkSeverity } from '../monitors/plan.js';
import { ALERT_FIELDS, pickFields, type CheckResult } from '../monitors/checkResult.js';
import { alertIdOf, type AlertIdentity } from './identity.js';
import {
  inactiveAlert,
  stepAlert,
  type Alert,
  type AlertEventKind,
  type AlertState,
  type LifecycleSettings,
  type NoticeKind,
  type Observation,
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
}

/** How a stored verdict counts for its alert. */
export function observe(
  result: Pick<CheckResult, 'status' | 'details'>,
  severityOfCheck: Severity | null,
): Observation {
  const status: string = result.status;
  if (status === 'warn' || status === 'critical') return { kind: 'breach', severity: status };
  if (status === 'ok') return { kind: 'clear' };
  // Silence is a finding: "no data" alerts like a breach of its own check.
  if (status === 'no_data') {
    const declared = result.details?.severity;
    const severity: Severity =
      declared === 'warn' || declared === 'critical' ? declared : (severityOfCheck ?? 'critical');
    return { kind: 'breach', severity };
  }
  return { kind: 'unknown' };
}

/** What an alert keeps of a verdict: the result's alert fields, the effect size and a note. */
export function verdictFacts(result: CheckResult): VerdictFacts {
  const details = result.details ?? {};
  return {
    ...pickFields(result, ALERT_FIELDS),
    effect: typeof details.effect === 'number' ? details.effect : null,
    minEffect: typeof details.min_effect === 'number' ? details.min_effect : null,
    note: noteOf(details),
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
 * Every alert of a monitor through one stored run. Alerts with no verdict in the run (a
 * slice that fell out of the top values, a removed check) see nothing: like insufficient
 * data, absence neither opens nor resolves.
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
  const ordered = [...results].sort(compareResults);
  for (const result of ordered) {
    const identity = identityOf(result);
    const alertId = alertIdOf(identity);
    const before = byId.get(alertId) ?? inactiveAlert(identity, alertId);
    const observation = observe(result, severities.get(result.checkId) ?? null);
    const silence = findSilence(context.silences, identity, context.now);
    const step = stepAlert(before, observation, context.settings, {
      windowEnd: run.windowEnd,
      silencedBy: silence?.silenceId ?? null,
      acknowledged: context.acknowledged.has(`${alertId}:${before.episode}`),
    });
    if (step.alert === before) continue; // this window was already seen
    const after: Alert =
      observation.kind === 'unknown' ? step.alert : { ...step.alert, last: verdictFacts(result) };
    if (worthWriting(before, after)) outcome.changed.push(after);
    if (step.event) {
      outcome.events.push({
        alert: after,
        event: step.event,
        fromState: before.state,
        run: runInfo,
        verdictStatus: result.status,
        value: result.value,
        notice: step.notice,
        suppressedBy: step.suppressedBy,
      });
    }
    if (step.notice) outcome.notices.push({ alert: after, kind: step.notice });
    if (observation.kind === 'breach' && after.state === 'firing' && !silence)
      outcome.breaching.push(after);
  }
  return outcome;
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

function compareResults(a: CheckResult, b: CheckResult): number {
  return (
    a.checkId.localeCompare(b.checkId) ||
    a.feature.localeCompare(b.feature) ||
    a.sliceKey.localeCompare(b.sliceKey) ||
    a.sliceValue.localeCompare(b.sliceValue)
  );
}
