import type {
  Alert,
  AlertEvent as ApiAlertEvent,
  AlertsApi,
  Silence as ApiSilence,
} from '../api/alerts.js';
import type { AlertEventRecord, AlertState, Silence } from './alert.js';
import {
  countAlertEvents,
  listAlertEvents,
  listAlerts,
  type AlertEventFilter,
  type AlertSummary,
} from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { acknowledgeAlert, createSilence } from './operatorActions.js';

/** The alerts of src/alerts as the API, the dashboard and the exports see them. */
export function createAlertsApi(store: Store): AlertsApi {
  return {
    async list(filter) {
      const wanted = new Set(filter.states ?? []);
      // Alert states are bounded (one per monitor, check, feature and slice): page in memory.
      const all = (await listAlerts(store, { model: filter.model, state: 'all', limit: 100_000 }))
        .filter((alert) => wanted.size === 0 || wanted.has(alert.state))
        .map(toApiAlert);
      return { items: all.slice(filter.offset, filter.offset + filter.limit), total: all.length };
    },
    async acknowledge(alertId, by, comment) {
      const outcome = await acknowledgeAlert(store, { alertId, by: by.name, reason: comment });
      if (outcome.ok) return toApiAlert(outcome.alert);
      if (outcome.reason === 'not_found') return undefined;
      // Acknowledging a resolved alert changes nothing: answer with it as it is.
      const [alert] = await listAlerts(store, { alertIds: [alertId], limit: 1 });
      return alert && toApiAlert(alert);
    },
    async silence(request, by) {
      const silence = await createSilence(store, {
        model: request.model,
        feature: request.feature,
        slice: request.slice,
        checkId: request.check_id,
        endsAt: new Date(request.until),
        reason: request.comment,
        by: by.name,
      });
      return toApiSilence(silence);
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

function toApiAlert(alert: AlertSummary): Alert {
  const state: Exclude<AlertState, 'inactive'> =
    alert.state === 'inactive' ? 'resolved' : alert.state;
  return {
    alert_id: alert.alertId,
    model: alert.model,
    check_id: alert.checkId,
    metric: alert.metric,
    feature: alert.feature,
    slice: alert.sliceKey === '' ? alert.sliceValue : `${alert.sliceKey}=${alert.sliceValue}`,
    severity: alert.severity ?? 'warn',
    state,
    since: (alert.since ?? alert.lastWindowEnd ?? new Date(0)).toISOString(),
    last_window_end: (alert.lastWindowEnd ?? new Date(0)).toISOString(),
    value: alert.last?.value ?? null,
    acknowledged: alert.acknowledgement
      ? {
          by: alert.acknowledgement.acknowledgedBy,
          at: alert.acknowledgement.acknowledgedAt.toISOString(),
          comment: alert.acknowledgement.reason,
        }
      : null,
    silenced_until: null,
  };
}

function toApiSilence(silence: Silence): ApiSilence {
  return {
    silence_id: silence.silenceId,
    model: silence.model,
    check_id: silence.checkId || null,
    feature: silence.feature || null,
    slice: silence.slice || null,
    until: silence.endsAt.toISOString(),
    by: silence.createdBy,
    comment: silence.reason,
    created_at: silence.createdAt.toISOString(),
  };
}
