import { alertFieldsToJson, type AlertFieldsJson } from '../monitors/checkResult.js';
import { renderOf } from '../monitors/checks/registry.js';
import type { Severity } from '../monitors/plan.js';
import type { Notice } from './advanceWindow.js';
import type { AlertState, NoticeKind } from './lifecycle.js';

/**
 * A notification's facts, as stored in the outbox (JSON) and handed to every renderer. It
 * holds no secret and no channel detail: Slack, email and webhook bodies are all drawn from
 * it at send time.
 */
export interface NotificationItem extends AlertFieldsJson {
  alert_id: string;
  event: NoticeKind;
  state: AlertState;
  severity: Severity;
  episode: number;
  check: string;
  metric: string;
  feature: string;
  slice: { key: string; value: string };
  /** Effect size beside a p-value (KS D, Jensen-Shannon distance), with its minimum. */
  effect: number | null;
  min_effect: number | null;
  note: string | null;
  /** Consecutive breaching windows (for a resolution: clear windows). */
  consecutive_windows: number;
  since: string | null;
  fired_at: string | null;
  resolved_at: string | null;
}

export interface NotificationMessage {
  type: 'alerts' | 'test';
  model: string;
  monitor: string;
  /** The group's severity (a digest holds one severity); null for a test. */
  severity: Severity | null;
  window: { start: string; end: string };
  baseline: { name: string; version: number };
  monitor_hash: string;
  items: NotificationItem[];
}

export interface RunInfo {
  monitor: string;
  model: string;
  windowStart: Date;
  windowEnd: Date;
  monitorHash: string;
  baseline: string;
  baselineVersion: number;
}

export function itemOf(notice: Notice): NotificationItem {
  const { alert, kind } = notice;
  const facts = alert.last;
  return {
    alert_id: alert.alertId,
    event: kind,
    state: alert.state,
    severity: alert.severity ?? 'warn',
    episode: alert.episode,
    check: alert.checkId,
    metric: alert.metric,
    feature: alert.feature,
    slice: { key: alert.sliceKey, value: alert.sliceValue },
    // the check result's alert fields (monitors/checkResult.ts), snake_case
    ...alertFieldsToJson(facts),
    effect: facts?.effect ?? null,
    min_effect: facts?.minEffect ?? null,
    note: facts?.note ?? null,
    consecutive_windows: kind === 'resolved' ? alert.clearWindows : alert.breachingWindows,
    since: alert.since?.toISOString() ?? null,
    fired_at: alert.firedAt?.toISOString() ?? null,
    resolved_at: alert.resolvedAt?.toISOString() ?? null,
  };
}

export function messageOf(
  run: RunInfo,
  severity: Severity | null,
  notices: readonly Notice[],
): NotificationMessage {
  return {
    type: 'alerts',
    model: run.model,
    monitor: run.monitor,
    severity,
    window: { start: run.windowStart.toISOString(), end: run.windowEnd.toISOString() },
    baseline: { name: run.baseline, version: run.baselineVersion },
    monitor_hash: run.monitorHash,
    items: worstFirst(notices.map(itemOf)),
  };
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 2, warn: 1 };
const EVENT_RANK: Record<NoticeKind, number> = {
  escalated: 4,
  firing: 3,
  repeated: 2,
  resolved: 1,
};

/**
 * Worst first: severity, then what happened (an escalation before a repeat, a resolution
 * last), then how far past its threshold the value is; ties by check, feature and slice so
 * the order never depends on how rows came back from the store.
 */
export function worstFirst(items: readonly NotificationItem[]): NotificationItem[] {
  return [...items].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      EVENT_RANK[b.event] - EVENT_RANK[a.event] ||
      exceedance(b) - exceedance(a) ||
      a.check.localeCompare(b.check) ||
      a.feature.localeCompare(b.feature) ||
      a.slice.key.localeCompare(b.slice.key) ||
      a.slice.value.localeCompare(b.slice.value),
  );
}

/** How many times its threshold a value is: above for most metrics, below for a score (AUROC). */
export function exceedance(item: NotificationItem): number {
  const value = item.value;
  if (value === null) return 0;
  const render = renderOf(item.metric).kind;
  if (render === 'below') {
    const floor = item.critical_threshold ?? item.warn_threshold;
    return floor !== null && value > 0 ? floor / value : 0;
  }
  if (render === 'test') {
    // Their threshold is a p-value limit: rank by effect size against its minimum.
    const effect = item.effect ?? value;
    return item.min_effect !== null && item.min_effect > 0 ? effect / item.min_effect : effect;
  }
  const threshold =
    item.severity === 'critical' && item.critical_threshold !== null
      ? item.critical_threshold
      : (item.warn_threshold ?? item.critical_threshold);
  if (threshold === null || threshold === 0) return Math.abs(value);
  return Math.abs(value) / Math.abs(threshold);
}
