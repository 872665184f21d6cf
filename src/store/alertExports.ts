import type { Store } from './clickhouse.js';
import {
  periodParams,
  readPagesByWindow,
  RFC3339,
  type ExportPeriod,
  type ExportRow,
} from './exports.js';

/**
 * What compliance exports read of the alert tables (migration 0007): the audit trail of
 * transitions, acknowledgements, silences, and every notification with each of its
 * delivery attempts. Rows that belong to a window (transitions, notifications, attempts)
 * leave a range of windows at a time; acknowledgements and silences are people's actions,
 * few enough to read at once. The model filter ('' = every model) applies to each.
 */

const MODEL = `({model:String} = '' OR model = {model:String})`;
const IN_PERIOD = (column: string) =>
  `${column} > {from:DateTime64(3)} AND ${column} <= {to:DateTime64(3)}`;
const IN_PAGE = (column: string) =>
  `${column} >= {first:DateTime64(3)} AND ${column} <= {last:DateTime64(3)}`;
const EVENT_ORDER = `indexOf(['pending', 'firing', 'escalated', 'repeated', 'cancelled', 'resolved'], event)`;

/** Every transition and notice of an alert caused by a run of the period (window_end in (from, to]). */
export function readAlertEventPages(
  store: Store,
  period: ExportPeriod,
  pageSize: number,
): AsyncGenerator<ExportRow[]> {
  return readPagesByWindow(store, period, pageSize, {
    countPerWindow: `SELECT toString(window_end) AS end_text, count() AS n FROM alert_events
       WHERE ${IN_PERIOD('window_end')} AND ${MODEL}
       GROUP BY window_end ORDER BY window_end`,
    page: `SELECT alert_id, model, monitor, check_id, metric, feature, slice_key, slice_value, episode, event,
              from_state, to_state, severity, ${RFC3339('window_start')} AS window_start,
              ${RFC3339('window_end')} AS window_end, monitor_hash, baseline, baseline_version,
              verdict_status, value, notified, suppressed_by, toJSONString(outbox_ids) AS outbox_ids,
              ${RFC3339('recorded_at')} AS recorded_at
       FROM alert_events FINAL
       WHERE ${IN_PAGE('window_end')} AND ${MODEL}
       ORDER BY window_end, monitor, alert_id, ${EVENT_ORDER}
       SETTINGS prefer_column_name_to_alias = 1`,
  });
}

/**
 * Acknowledgements made during the period, with what was acknowledged (the alert's
 * identity, from its state) and by whom and why.
 */
export async function readAcknowledgementRows(
  store: Store,
  period: ExportPeriod,
): Promise<ExportRow[]> {
  return store.query<ExportRow>(
    `SELECT ${RFC3339('a.acknowledged_at')} AS acknowledged_at, a.alert_id AS alert_id,
            s.model AS model, a.monitor AS monitor, s.check_id AS check_id, s.metric AS metric,
            s.feature AS feature, s.slice_key AS slice_key, s.slice_value AS slice_value,
            a.episode AS episode, a.acknowledged_by AS acknowledged_by, a.reason AS reason
     FROM alert_acknowledgements AS a
     LEFT JOIN (
       SELECT alert_id, any(model) AS model, any(check_id) AS check_id, any(metric) AS metric,
              any(feature) AS feature, any(slice_key) AS slice_key, any(slice_value) AS slice_value
       FROM alert_states GROUP BY alert_id
     ) AS s ON s.alert_id = a.alert_id
     WHERE ${IN_PERIOD('a.acknowledged_at')}
       AND ({model:String} = '' OR s.model = {model:String})
     ORDER BY a.acknowledged_at, a.alert_id, a.episode
     SETTINGS prefer_column_name_to_alias = 1`,
    periodParams(period),
  );
}

/**
 * Silences that were in force at any time in the period, or created or ended early in it:
 * their newest version, which carries who created each and why, and who ended it early.
 */
export async function readSilenceRows(store: Store, period: ExportPeriod): Promise<ExportRow[]> {
  return store.query<ExportRow>(
    `SELECT silence_id, model, feature, slice, check_id, ${RFC3339('starts_at')} AS starts_at,
            ${RFC3339('ends_at')} AS ends_at, reason, created_by, ${RFC3339('created_at')} AS created_at,
            expired_by, ${RFC3339('expired_at')} AS expired_at
     FROM alert_silences FINAL
     WHERE ${MODEL}
       AND ((${IN_PERIOD('created_at')})
            OR (${IN_PERIOD('expired_at')})
            OR (starts_at <= {to:DateTime64(3)}
                AND least(ends_at, ifNull(expired_at, ends_at)) > {from:DateTime64(3)}))
     ORDER BY created_at, silence_id
     SETTINGS prefer_column_name_to_alias = 1`,
    periodParams(period),
  );
}

/** The period's notifications: the outbox rows of its windows. */
const OUTBOX_OF_PAGE = `SELECT id, destination, channel, kind, monitor, model, severity, window_start, window_end,
         alert_ids, events, message, created_at
  FROM alert_outbox FINAL WHERE ${IN_PAGE('window_end')} AND ${MODEL}`;

/**
 * Every notification of the period's windows with how its delivery went: its latest
 * attempt's status (none yet: pending), how many attempts, when the first and last were
 * made, when it was delivered, and the last error (recorded without secrets).
 */
export function readNotificationPages(
  store: Store,
  period: ExportPeriod,
  pageSize: number,
): AsyncGenerator<ExportRow[]> {
  return readPagesByWindow(store, period, pageSize, {
    countPerWindow: `SELECT toString(window_end) AS end_text, count() AS n FROM alert_outbox
       WHERE ${IN_PERIOD('window_end')} AND ${MODEL}
       GROUP BY window_end ORDER BY window_end`,
    page: `SELECT o.id AS notification_id, o.model AS model, o.monitor AS monitor,
              o.destination AS destination, o.channel AS channel, o.kind AS kind, o.severity AS severity,
              ${RFC3339('o.window_start')} AS window_start, ${RFC3339('o.window_end')} AS window_end,
              toJSONString(o.alert_ids) AS alert_ids, toJSONString(o.events) AS events,
              o.message AS message, ${RFC3339('o.created_at')} AS created_at,
              if(a.attempts = 0, 'pending', a.status) AS status, a.attempts AS attempts,
              if(a.attempts = 0, NULL, ${RFC3339('a.first_attempt_at')}) AS first_attempt_at,
              if(a.attempts = 0, NULL, ${RFC3339('a.last_attempt_at')}) AS last_attempt_at,
              if(a.delivered = 0, NULL, ${RFC3339('a.delivered_at')}) AS delivered_at,
              a.last_error AS last_error,
              if(a.attempts = 0, NULL, a.last_response_status) AS last_response_status
       FROM (${OUTBOX_OF_PAGE}) AS o
       LEFT JOIN (
         SELECT outbox_id, max(attempt) AS attempts,
                argMax(status, (attempt, attempted_at)) AS status,
                min(attempted_at) AS first_attempt_at, max(attempted_at) AS last_attempt_at,
                countIf(status = 'delivered') AS delivered,
                minIf(attempted_at, status = 'delivered') AS delivered_at,
                argMax(error, (attempt, attempted_at)) AS last_error,
                argMax(response_status, (attempt, attempted_at)) AS last_response_status
         FROM alert_delivery_attempts
         WHERE outbox_id IN (SELECT id FROM alert_outbox WHERE ${IN_PAGE('window_end')} AND ${MODEL})
         GROUP BY outbox_id
       ) AS a ON a.outbox_id = o.id
       ORDER BY o.window_end, o.destination, o.id
       SETTINGS prefer_column_name_to_alias = 1`,
  });
}

/** Every delivery attempt of the period's notifications (whenever it was made), in order. */
export function readDeliveryAttemptPages(
  store: Store,
  period: ExportPeriod,
  pageSize: number,
): AsyncGenerator<ExportRow[]> {
  return readPagesByWindow(store, period, pageSize, {
    countPerWindow: `SELECT toString(o.window_end) AS end_text, count() AS n
       FROM alert_delivery_attempts AS d
       INNER JOIN (SELECT DISTINCT id, window_end FROM alert_outbox
                   WHERE ${IN_PERIOD('window_end')} AND ${MODEL}) AS o ON o.id = d.outbox_id
       GROUP BY o.window_end ORDER BY o.window_end`,
    page: `SELECT d.outbox_id AS notification_id, o.destination AS destination, o.channel AS channel,
              d.attempt AS attempt, d.status AS status, d.error AS error,
              d.response_status AS response_status, ${RFC3339('d.next_attempt_at')} AS next_attempt_at,
              d.duration_ms AS duration_ms, ${RFC3339('d.attempted_at')} AS attempted_at
       FROM alert_delivery_attempts AS d
       INNER JOIN (${OUTBOX_OF_PAGE}) AS o ON o.id = d.outbox_id
       ORDER BY o.window_end, o.destination, d.outbox_id, d.attempt, d.attempted_at
       SETTINGS prefer_column_name_to_alias = 1`,
  });
}
