import type {
  Alert,
  AlertEvent as ApiAlertEvent,
  AlertsApi,
  Notification,
  Silence as ApiSilence,
} from '../api/alerts.js';
import type { AlertsConfig } from '../config/config.js';
import { DriftwatchError } from '../errors.js';
import { refusalOf, type MonitorFileError } from '../monitors/monitorFile.js';
import type { MonitorPlan } from '../monitors/plan.js';
import type { AlertEventRecord, AlertState, Silence } from './alert.js';
import type { AlertStage } from './alertStage.js';
import {
  countAlertEvents,
  getAlert,
  listAlertEvents,
  listAlerts,
  listSilences,
  type AlertEventFilter,
  type AlertSummary,
} from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { listOutbox, type OutboxEntry } from '../store/outbox.js';
import {
  AlertLookupError,
  acknowledgeAlert,
  createSilence,
  endSilence,
  resolveAlertId,
  sendTestNotifications,
} from './operatorActions.js';
import { findSilences, isSilenceActive } from './silences.js';

export interface AlertsApiOptions {
  /** The monitors as loaded now: a silence or test for a model nobody monitors is refused. */
  plans: () => readonly MonitorPlan[];
  /**
   * The monitor files refused when they were loaded (the access policy, the baseline roots):
   * a request for a refused model says why, not merely that nobody monitors it.
   */
  refused?: () => readonly MonitorFileError[];
  config: AlertsConfig;
  /** The service's alert stage, when this process delivers: test notifications go through it. */
  deliveringStage?: AlertStage;
  now?: () => Date;
}

/**
 * The alerts of src/alerts as the API, the dashboard, the exports and the CLI see them: each
 * operator's use case once, over the store.
 */
export function createAlertsApi(store: Store, options: AlertsApiOptions): AlertsApi {
  const now = options.now ?? (() => new Date());
  /** DW_INPUT when the model is named in a request's body, DW_NOT_FOUND in its path. */
  const planOf = (model: string, code: 'DW_INPUT' | 'DW_NOT_FOUND' = 'DW_INPUT'): MonitorPlan => {
    const plans = options.plans();
    const plan = plans.find((candidate) => candidate.model === model);
    if (plan) return plan;
    const refusal = refusalOf(options.refused?.() ?? [], model);
    if (refusal) throw new DriftwatchError('DW_INPUT', refusal.message);
    throw new DriftwatchError(
      code,
      `no monitor for model "${model}" (monitors: ${plans.map((p) => p.model).join(', ') || 'none'})`,
    );
  };
  const withSilences = async (alerts: readonly AlertSummary[]): Promise<Alert[]> => {
    const at = now();
    const silences = alerts.length > 0 ? await listSilences(store, { activeAt: at }) : [];
    return alerts.map((alert) => toApiAlert(alert, findSilences(silences, alert, at)));
  };
  return {
    async list(filter) {
      const wanted = new Set(filter.states ?? []);
      // Alert states are bounded (one per monitor, check, feature and slice): page in memory.
      const all = (
        await listAlerts(store, { model: filter.model, state: 'all', limit: 100_000 })
      ).filter((alert) => wanted.size === 0 || wanted.has(alert.state));
      const page = all.slice(filter.offset, filter.offset + filter.limit);
      return { items: await withSilences(page), total: all.length };
    },
    async get(text) {
      const detail = await getAlert(store, await resolveAlertId(store, text));
      if (!detail) throw new AlertLookupError('not_found', `no alert "${text}"`);
      const [alert] = await withSilences([detail.alert]);
      return {
        alert: alert as Alert,
        events: detail.events.map(toApiEvent),
        acknowledgements: detail.acknowledgements.map((ack) => ({
          episode: ack.episode,
          by: ack.acknowledgedBy,
          at: ack.acknowledgedAt.toISOString(),
          reason: ack.reason,
        })),
      };
    },
    async acknowledge(text, by, reason) {
      const alertId = await resolveAlertId(store, text);
      const outcome = await acknowledgeAlert(store, { alertId, by, reason, at: now() });
      if (outcome.ok) return (await withSilences([outcome.alert]))[0] as Alert;
      // Acknowledging a resolved alert changes nothing: answer with it as it is.
      const [alert] = await listAlerts(store, { alertIds: [alertId], limit: 1 });
      if (!alert) throw new AlertLookupError('not_found', `no alert "${text}"`);
      return (await withSilences([alert]))[0] as Alert;
    },
    async silence(request) {
      // A silence for a model nobody monitors would silently do nothing: refuse the typo.
      planOf(request.model);
      const at = now();
      const endsAt =
        'forMs' in request.end ? new Date(at.getTime() + request.end.forMs) : request.end.until;
      if (endsAt.getTime() <= at.getTime())
        throw new DriftwatchError(
          'DW_INPUT',
          `the silence would end (${endsAt.toISOString()}) before it starts`,
        );
      const silence = await createSilence(store, {
        model: request.model,
        feature: request.feature,
        slice: request.slice,
        checkId: request.checkId,
        endsAt,
        reason: request.reason,
        by: request.by,
        now: at,
      });
      return toApiSilence(silence, at);
    },
    async silences(filter) {
      const at = now();
      const all = (await listSilences(store, { model: filter.model })).filter(
        (silence) =>
          filter.state === 'all' || isSilenceActive(silence, at) === (filter.state === 'active'),
      );
      return {
        items: all
          .slice(filter.offset, filter.offset + filter.limit)
          .map((silence) => toApiSilence(silence, at)),
        total: all.length,
      };
    },
    async endSilence(silenceId, by) {
      const at = now();
      const ended = await endSilence(store, { silenceId, by, at });
      return ended ? toApiSilence(ended, at) : undefined;
    },
    async notifications(filter) {
      const entries = await listOutbox(store, {
        model: filter.model,
        status: filter.status as OutboxEntry['status'] | undefined,
        limit: filter.limit,
      });
      return entries.map(toApiNotification);
    },
    async test(model, timeoutSeconds) {
      const deliveries = await sendTestNotifications(store, planOf(model, 'DW_NOT_FOUND'), {
        config: options.config,
        timeoutMs: timeoutSeconds * 1000,
        deliveringStage: options.deliveringStage,
      });
      return {
        model,
        deliveries: deliveries.map((delivery) => ({
          destination: delivery.destination,
          status: delivery.status,
          last_error: delivery.lastError,
        })),
      };
    },
    async events(filter) {
      const where: AlertEventFilter = {
        model: filter.model,
        alertId: filter.alertId,
        checkId: filter.checkId,
        feature: filter.feature,
        sliceKey: filter.slice?.key,
        sliceValue: filter.slice?.value,
        events: filter.events,
        from: filter.from,
        to: filter.to,
      };
      const [items, total] = await Promise.all([
        listAlertEvents(store, { ...where, limit: filter.limit, offset: filter.offset }),
        countAlertEvents(store, where),
      ]);
      return { items: items.map(toApiEvent), total };
    },
  };
}

function toApiEvent(event: AlertEventRecord): ApiAlertEvent {
  return {
    alert_id: event.alertId,
    model: event.model,
    monitor: event.monitor,
    check_id: event.checkId,
    metric: event.metric,
    feature: event.feature,
    slice: event.sliceKey === '' ? event.sliceValue : `${event.sliceKey}=${event.sliceValue}`,
    episode: event.episode,
    event: event.event,
    from_state: event.fromState,
    to_state: event.toState,
    severity: event.severity,
    window_start: event.windowStart.toISOString(),
    window_end: event.windowEnd.toISOString(),
    monitor_hash: event.monitorHash,
    baseline: event.baseline,
    baseline_version: event.baselineVersion,
    verdict_status: event.verdictStatus,
    value: event.value,
    notified: event.notified,
    suppressed_by: event.suppressedBy,
    recorded_at: (event.recordedAt ?? event.windowEnd).toISOString(),
  };
}

function toApiAlert(alert: AlertSummary, silences: readonly Silence[]): Alert {
  const state: Exclude<AlertState, 'inactive'> =
    alert.state === 'inactive' ? 'resolved' : alert.state;
  const severity = alert.severity ?? 'warn';
  return {
    alert_id: alert.alertId,
    model: alert.model,
    check_id: alert.checkId,
    metric: alert.metric,
    feature: alert.feature,
    slice: alert.sliceKey === '' ? alert.sliceValue : `${alert.sliceKey}=${alert.sliceValue}`,
    severity,
    state,
    episode: alert.episode,
    since: (alert.since ?? alert.lastWindowEnd ?? new Date(0)).toISOString(),
    last_window_end: (alert.lastWindowEnd ?? new Date(0)).toISOString(),
    value: alert.last?.value ?? null,
    acknowledged: alert.acknowledgement
      ? {
          by: alert.acknowledgement.acknowledgedBy,
          at: alert.acknowledgement.acknowledgedAt.toISOString(),
          reason: alert.acknowledgement.reason,
          comment: alert.acknowledgement.reason,
        }
      : null,
    // The threshold of the verdict the alert last saw, not today's monitor file's.
    threshold:
      (severity === 'critical' ? alert.last?.criticalThreshold : alert.last?.warnThreshold) ?? null,
    silenced_until: silences[0] ? silenceEnd(silences[0]).toISOString() : null,
    silences: silences.map((silence) => ({
      silence_id: silence.silenceId,
      by: silence.createdBy,
      reason: silence.reason,
      until: silenceEnd(silence).toISOString(),
    })),
  };
}

function silenceEnd(silence: Silence): Date {
  return silence.expiredAt && silence.expiredAt < silence.endsAt
    ? silence.expiredAt
    : silence.endsAt;
}

function toApiSilence(silence: Silence, now: Date): ApiSilence {
  return {
    silence_id: silence.silenceId,
    model: silence.model,
    check_id: silence.checkId || null,
    feature: silence.feature || null,
    slice: silence.slice || null,
    starts_at: silence.startsAt.toISOString(),
    until: silenceEnd(silence).toISOString(),
    by: silence.createdBy,
    reason: silence.reason,
    comment: silence.reason,
    created_at: silence.createdAt.toISOString(),
    expired_at: silence.expiredAt?.toISOString() ?? null,
    expired_by: silence.expiredAt ? silence.expiredBy : null,
    active: isSilenceActive(silence, now),
  };
}

function toApiNotification(entry: OutboxEntry): Notification {
  return {
    notification_id: entry.id,
    destination: entry.destination,
    channel: entry.channel,
    kind: entry.kind,
    model: entry.model,
    monitor: entry.monitor,
    window_end: entry.windowEnd.toISOString(),
    status: entry.status,
    attempts: entry.attempts,
    last_error: entry.lastError,
    last_attempt_at: entry.lastAttemptAt?.toISOString() ?? null,
    created_at: entry.createdAt.toISOString(),
    message: parseMessage(entry.message),
  };
}

function parseMessage(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
