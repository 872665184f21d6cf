import { EXPORTED_FIELDS, type FieldSpec } from '../monitors/checkResult.js';
import { redactSecrets } from '../observability/logger.js';
import {
  readAcknowledgementRows,
  readAlertEventPages,
  readDeliveryAttemptPages,
  readNotificationPages,
  readSilenceRows,
} from '../store/alertExports.js';
import type { Store } from '../store/clickhouse.js';
import {
  readBaselineRows,
  readDriftHistoryPages,
  readMonitorFileRows,
  type ExportPeriod,
  type ExportRow,
} from '../store/exports.js';
import type { ExportColumn } from './chain.js';

/**
 * One file of an export: its columns (names, types, meaning) and where its records come
 * from, a page at a time, in a stable order. An export is the list of its sections: the
 * drift history and what produced it, then the alerts' audit trail (transitions,
 * acknowledgements, silences, notifications and their delivery attempts).
 */
export interface ExportSection {
  name: string;
  description: string;
  columns: readonly ExportColumn[];
  readPages(store: Store, period: ExportPeriod, pageSize: number): AsyncIterable<ExportRow[]>;
}

const str = (name: string, description: string): ExportColumn => ({
  name,
  type: 'String',
  kind: 'string',
  description,
});
const num = (name: string, description: string): ExportColumn => ({
  name,
  type: 'Nullable(Float64)',
  kind: 'number',
  description,
});
const int = (name: string, description: string): ExportColumn => ({
  name,
  type: 'Int64',
  kind: 'integer',
  description,
});

const nullableInt = (name: string, description: string): ExportColumn => ({
  name,
  type: 'Nullable(Int64)',
  kind: 'integer',
  description,
});

async function* onePage<T>(rows: Promise<T[]>): AsyncGenerator<T[]> {
  const all = await rows;
  if (all.length > 0) yield all;
}

/**
 * Errors are recorded without secrets (src/alerts/channels scrubs them); scrubbing again on
 * the way out keeps a row written before that rule, or a new secret shape, out of an export.
 */
async function* withoutSecrets(
  pages: AsyncIterable<ExportRow[]>,
  fields: readonly string[],
): AsyncGenerator<ExportRow[]> {
  for await (const page of pages) {
    yield page.map((row) => {
      const clean = { ...row };
      for (const field of fields) {
        const value = clean[field];
        if (typeof value === 'string') clean[field] = redactSecrets(value);
      }
      return clean;
    });
  }
}

const ALERT_IDENTITY = [
  str('alert_id', 'the alert: first 32 hex digits of SHA-256 of (monitor, check, feature, slice)'),
  str('model', 'the monitored model'),
  str('monitor', 'the monitor'),
  str('check_id', 'the check of the monitor file'),
  str('metric', 'its method (psi, ks, ...)'),
  str('feature', 'the feature (empty for model-level checks)'),
  str('slice_key', 'the slice attribute(s) (empty for the whole window)'),
  str('slice_value', 'the slice value ("all" for the whole window)'),
];

/** A check result's field as a column of the export (times as RFC 3339 text, details as JSON text). */
function resultColumn(spec: FieldSpec): ExportColumn {
  switch (spec.type) {
    case 'integer':
      return (spec.nullable ? nullableInt : int)(spec.column, spec.description);
    case 'number':
      return spec.nullable
        ? num(spec.column, spec.description)
        : { name: spec.column, type: 'Float64', kind: 'number', description: spec.description };
    case 'time':
      return str(spec.column, `${spec.description}, RFC 3339`);
    case 'json':
      return str(spec.column, `JSON: ${spec.description}`);
    case 'string':
    case 'enum':
      return str(spec.column, spec.description);
  }
}

export const DRIFT_HISTORY: ExportSection = {
  name: 'drift_history',
  description:
    'every check result of every evaluated window in the period (window_end in (from, to])',
  // the exported fields of the check result (monitors/checkResult.ts), in its order
  columns: EXPORTED_FIELDS.map(([, spec]) => resultColumn(spec)),
  readPages: readDriftHistoryPages,
};

export const BASELINES: ExportSection = {
  name: 'baselines',
  description: "metadata of every baseline version used by the period's results or created in it",
  columns: [
    str('model', 'the model'),
    str('name', 'the baseline name (file:NAME or range:FROM..TO)'),
    int('version', 'the version (a changed file or range becomes a new version)'),
    str('kind', 'file or range'),
    str('source', 'where its rows came from: file path with SHA-256, or the time range'),
    str('columns', 'JSON: the feature columns and their kinds'),
    int('row_count', 'rows in the baseline'),
    str('created_at', 'when the version was recorded, RFC 3339'),
  ],
  readPages: (store, period) => onePage(readBaselineRows(store, period)),
};

export const MONITOR_FILES: ExportSection = {
  name: 'monitor_files',
  description:
    "the text of every monitor file version behind the period's results, keyed by its SHA-256",
  columns: [
    str('model', 'the model'),
    str('monitor', 'the monitor'),
    str('hash', 'SHA-256 of the file text (results carry it as monitor_hash)'),
    str('file_path', 'where the service read it'),
    str('file_text', 'the exact YAML text that was hashed'),
    str('first_loaded_at', 'first time the service loaded this version, RFC 3339'),
    str('last_loaded_at', 'last time the service loaded this version, RFC 3339'),
  ],
  readPages: (store, period) => onePage(readMonitorFileRows(store, period)),
};

export const ALERT_EVENTS: ExportSection = {
  name: 'alert_events',
  description:
    'the audit trail of alerts: every transition and notice caused by a run of the period (window_end in (from, to]), with that run',
  columns: [
    ...ALERT_IDENTITY,
    int(
      'episode',
      'the episode of the alert (1 for its first pending/firing spell, +1 for each new one)',
    ),
    str(
      'event',
      'what happened: pending, firing, escalated (warn to critical), repeated (notified again), cancelled (pending, then clear), resolved',
    ),
    str('from_state', 'the state before: inactive, pending, firing or resolved'),
    str('to_state', 'the state after'),
    str(
      'severity',
      'the alert severity after the event: warn or critical (empty before the first)',
    ),
    str('window_start', 'start of the window whose run caused it, RFC 3339'),
    str('window_end', 'end of that window, RFC 3339 (see drift_history)'),
    str('monitor_hash', 'SHA-256 of the monitor file text of that run (see monitor_files)'),
    str('baseline', 'the baseline that run compared against (see baselines)'),
    int('baseline_version', 'its version'),
    str('verdict_status', "that run's verdict for this check, feature and slice"),
    num('value', 'the value of that verdict'),
    int('notified', '1: a notification carried this event (see alert_notifications); 0: none'),
    str(
      'suppressed_by',
      'why a notice was withheld: silence:<silence_id> (see alert_silences), acknowledged (see alert_acknowledgements), or empty',
    ),
    str('outbox_ids', 'JSON array: the notification_id of every notification carrying this event'),
    str('recorded_at', 'when the alert stage recorded it, RFC 3339'),
  ],
  readPages: readAlertEventPages,
};

export const ALERT_ACKNOWLEDGEMENTS: ExportSection = {
  name: 'alert_acknowledgements',
  description:
    'every acknowledgement made in the period (acknowledged_at in (from, to]): who took on which alert, and why',
  columns: [
    str('acknowledged_at', 'when, RFC 3339'),
    ...ALERT_IDENTITY,
    int('episode', 'the episode acknowledged (a new episode needs a new acknowledgement)'),
    str('acknowledged_by', 'who: the name given to the CLI (--by) or the API token name'),
    str('reason', 'why, in their words'),
  ],
  readPages: (store, period) => onePage(readAcknowledgementRows(store, period)),
};

export const ALERT_SILENCES: ExportSection = {
  name: 'alert_silences',
  description:
    'every silence in force during the period, or created or ended in it: who muted which alerts, for how long, and why',
  columns: [
    str('silence_id', 'the silence (events it muted say suppressed_by silence:<silence_id>)'),
    str('model', 'the model whose alerts it mutes'),
    str('feature', 'only this feature (empty: every feature)'),
    str('slice', 'only this slice, "web" or "channel=web" (empty: every slice)'),
    str('check_id', 'only this check (empty: every check)'),
    str('starts_at', 'from, RFC 3339'),
    str('ends_at', 'until, RFC 3339 (as created)'),
    str('reason', 'why, in the words of whoever created it'),
    str('created_by', 'who created it'),
    str('created_at', 'when, RFC 3339'),
    str('expired_by', 'who ended it early (empty: nobody)'),
    str('expired_at', 'when it was ended early, RFC 3339 (empty: it ran to ends_at)'),
  ],
  readPages: (store, period) => onePage(readSilenceRows(store, period)),
};

export const ALERT_NOTIFICATIONS: ExportSection = {
  name: 'alert_notifications',
  description:
    "every notification of the period's windows (the outbox: written before it was sent) and how its delivery ended",
  columns: [
    str(
      'notification_id',
      'msg_<32 hex>: also the webhook-id and email Message-ID it was sent with',
    ),
    str('model', 'the model'),
    str('monitor', 'the monitor'),
    str(
      'destination',
      'who was notified: slack:<channel>, email:<recipients>, webhook:<name> (never a URL, token or secret)',
    ),
    str('channel', 'slack, email or webhook'),
    str('kind', 'digest, alert (one per alert), trigger (retraining webhook), resolved, test'),
    str('severity', 'warn or critical (empty for a test)'),
    str('window_start', 'start of the window whose run produced it, RFC 3339'),
    str('window_end', 'end of that window, RFC 3339'),
    str('alert_ids', 'JSON array: the alerts it tells of'),
    str('events', 'JSON array, one per alert: firing, escalated, repeated or resolved'),
    str(
      'message',
      'JSON: the facts it carried (every breach: value, thresholds, p-value, effect, sample sizes, baseline, monitor file hash)',
    ),
    str('created_at', 'when it was written to the outbox, RFC 3339'),
    str(
      'status',
      'its delivery at export time: delivered, dead (given up), retrying, pending (no attempt yet)',
    ),
    int('attempts', 'delivery attempts made'),
    str('first_attempt_at', 'the first attempt, RFC 3339 (empty: none)'),
    str('last_attempt_at', 'the latest attempt, RFC 3339 (empty: none)'),
    str('delivered_at', 'when the receiver accepted it, RFC 3339 (empty: not delivered)'),
    str('last_error', "the latest attempt's error (empty when delivered), without secrets"),
    nullableInt(
      'last_response_status',
      "the latest attempt's HTTP or SMTP status, when there was one",
    ),
  ],
  readPages: (store, period, pageSize) =>
    withoutSecrets(readNotificationPages(store, period, pageSize), ['message', 'last_error']),
};

export const ALERT_DELIVERY_ATTEMPTS: ExportSection = {
  name: 'alert_delivery_attempts',
  description:
    "every delivery attempt of the period's notifications, whenever it was made, with its outcome",
  columns: [
    str('notification_id', 'the notification (see alert_notifications)'),
    str('destination', 'where it was sent: slack:<channel>, email:<recipients>, webhook:<name>'),
    str('channel', 'slack, email or webhook'),
    int('attempt', '1, 2, ...'),
    str('status', 'delivered, retrying (a later attempt follows) or dead (the last)'),
    str('error', 'what went wrong (empty when delivered), without secrets'),
    nullableInt('response_status', 'HTTP or SMTP status, when the receiver answered'),
    str('next_attempt_at', 'when the retry was due, RFC 3339 (empty: none)'),
    int('duration_ms', 'how long the attempt took'),
    str('attempted_at', 'when it ended, RFC 3339'),
  ],
  readPages: (store, period, pageSize) =>
    withoutSecrets(readDeliveryAttemptPages(store, period, pageSize), ['error']),
};

/** The sections of every export, in chain order. */
export const EXPORT_SECTIONS: readonly ExportSection[] = [
  DRIFT_HISTORY,
  MONITOR_FILES,
  BASELINES,
  ALERT_EVENTS,
  ALERT_ACKNOWLEDGEMENTS,
  ALERT_SILENCES,
  ALERT_NOTIFICATIONS,
  ALERT_DELIVERY_ATTEMPTS,
];
