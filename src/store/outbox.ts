import { redactSecrets } from '../observability/logger.js';
import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { fromClickHouseTime } from './results.js';

/**
 * The alert outbox (migration 0007): notifications written before they are sent, and one
 * row per delivery attempt. A notification's status is its latest attempt's; with none
 * yet it is pending. Ids are deterministic, so writing the same notification twice keeps
 * one row (ReplacingMergeTree, read with FINAL) and never resets its delivery.
 */
export type OutboxChannel = 'slack' | 'email' | 'webhook' | 'pagerduty' | 'teams' | 'alertmanager';
export type OutboxKind = 'digest' | 'alert' | 'trigger' | 'resolved' | 'acknowledge' | 'test';
export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'dead';

export interface OutboxRecord {
  id: string;
  destination: string;
  channel: OutboxChannel;
  kind: OutboxKind;
  monitor: string;
  model: string;
  severity: 'warn' | 'critical' | '';
  windowStart: Date;
  windowEnd: Date;
  alertIds: string[];
  events: string[];
  /** The notification's facts as JSON text (no secrets). */
  message: string;
}

export interface OutboxEntry extends OutboxRecord {
  createdAt: Date;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string;
  lastAttemptAt: Date | null;
}

export interface DeliveryAttempt {
  outboxId: string;
  attempt: number;
  status: Exclude<DeliveryStatus, 'pending'>;
  error: string;
  responseStatus: number | null;
  nextAttemptAt: Date | null;
  durationMs: number;
  attemptedAt: Date;
}

export async function insertOutbox(store: Store, records: readonly OutboxRecord[]): Promise<void> {
  await store.insert(
    'alert_outbox',
    records.map((record) => ({
      id: record.id,
      destination: record.destination,
      channel: record.channel,
      kind: record.kind,
      monitor: record.monitor,
      model: record.model,
      severity: record.severity,
      window_start: toClickHouseTime(record.windowStart),
      window_end: toClickHouseTime(record.windowEnd),
      alert_ids: record.alertIds,
      events: record.events,
      message: record.message,
    })),
  );
}

export async function recordDeliveryAttempt(store: Store, attempt: DeliveryAttempt): Promise<void> {
  await store.insert('alert_delivery_attempts', [
    {
      outbox_id: attempt.outboxId,
      attempt: attempt.attempt,
      status: attempt.status,
      error: attempt.error,
      response_status: attempt.responseStatus,
      next_attempt_at: attempt.nextAttemptAt ? toClickHouseTime(attempt.nextAttemptAt) : null,
      duration_ms: Math.max(0, Math.round(attempt.durationMs)),
      attempted_at: toClickHouseTime(attempt.attemptedAt),
    },
  ]);
}

interface EntryRow {
  id: string;
  destination: string;
  channel: OutboxChannel;
  kind: OutboxKind;
  monitor: string;
  model: string;
  severity: 'warn' | 'critical' | '';
  window_start: string;
  window_end: string;
  alert_ids: string[];
  events: string[];
  message: string;
  created_at: string;
  delivery_status: DeliveryStatus;
  attempts: number | string;
  next_attempt_at: string | null;
  last_error: string;
  last_attempt_at: string | null;
}

/** Each notification with its latest attempt (none: pending). */
const ENTRIES = `
  SELECT o.id AS id, o.destination AS destination, o.channel AS channel, o.kind AS kind,
         o.monitor AS monitor, o.model AS model, o.severity AS severity,
         toString(o.window_start) AS window_start, toString(o.window_end) AS window_end,
         o.alert_ids AS alert_ids, o.events AS events, o.message AS message,
         toString(o.created_at) AS created_at,
         if(a.attempts = 0, 'pending', a.status) AS delivery_status,
         a.attempts AS attempts,
         if(a.attempts = 0, NULL, toString(a.next_attempt_at)) AS next_attempt_at,
         a.last_error AS last_error,
         if(a.attempts = 0, NULL, toString(a.last_attempt_at)) AS last_attempt_at
  FROM (SELECT * FROM alert_outbox FINAL) AS o
  LEFT JOIN (
    SELECT outbox_id,
           max(attempt) AS attempts,
           argMax(status, (attempt, attempted_at)) AS status,
           argMax(next_attempt_at, (attempt, attempted_at)) AS next_attempt_at,
           argMax(error, (attempt, attempted_at)) AS last_error,
           max(attempted_at) AS last_attempt_at
    FROM alert_delivery_attempts GROUP BY outbox_id
  ) AS a ON a.outbox_id = o.id`;

function entryFromRow(row: EntryRow): OutboxEntry {
  return {
    id: row.id,
    destination: row.destination,
    channel: row.channel,
    kind: row.kind,
    monitor: row.monitor,
    model: row.model,
    severity: row.severity,
    windowStart: fromClickHouseTime(row.window_start),
    windowEnd: fromClickHouseTime(row.window_end),
    alertIds: row.alert_ids,
    events: row.events,
    message: row.message,
    createdAt: fromClickHouseTime(row.created_at),
    status: row.delivery_status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at ? fromClickHouseTime(row.next_attempt_at) : null,
    // Errors are stored redacted; those stored by earlier versions are redacted as they are read.
    lastError: redactSecrets(row.last_error),
    lastAttemptAt: row.last_attempt_at ? fromClickHouseTime(row.last_attempt_at) : null,
  };
}

/**
 * Every notification not yet delivered or dead, in the order each destination must receive
 * them: by destination, then window, then when they were written.
 */
export async function listUndelivered(store: Store, limit = 10_000): Promise<OutboxEntry[]> {
  const rows = await store.query<EntryRow>(
    `SELECT * FROM (${ENTRIES}) WHERE delivery_status IN ('pending', 'retrying')
     ORDER BY destination, window_end, created_at, id LIMIT {limit:UInt32}`,
    { limit },
  );
  return rows.map(entryFromRow);
}

export interface OutboxFilter {
  status?: DeliveryStatus;
  monitor?: string;
  model?: string;
  destination?: string;
  ids?: readonly string[];
  limit?: number;
}

/** Notifications and their delivery, newest first: for the CLI, the API and audits. */
export async function listOutbox(store: Store, filter: OutboxFilter = {}): Promise<OutboxEntry[]> {
  const conditions = ['1'];
  const params: QueryParams = { limit: filter.limit ?? 1000 };
  for (const [key, column] of [
    ['status', 'delivery_status'],
    ['monitor', 'monitor'],
    ['model', 'model'],
    ['destination', 'destination'],
  ] as const) {
    if (filter[key] !== undefined) {
      conditions.push(`${column} = {${key}:String}`);
      params[key] = filter[key];
    }
  }
  if (filter.ids !== undefined) {
    conditions.push('id IN {ids:Array(String)}');
    params.ids = filter.ids;
  }
  const rows = await store.query<EntryRow>(
    `SELECT * FROM (${ENTRIES}) WHERE ${conditions.join(' AND ')}
     ORDER BY window_end DESC, created_at DESC, id LIMIT {limit:UInt32}`,
    params,
  );
  return rows.map(entryFromRow);
}

export async function listDeliveryAttempts(
  store: Store,
  outboxId: string,
): Promise<DeliveryAttempt[]> {
  const rows = await store.query<{
    outbox_id: string;
    attempt: number | string;
    status: DeliveryAttempt['status'];
    error: string;
    response_status: number | null;
    next_attempt_at: string | null;
    duration_ms: number | string;
    attempted_at: string;
  }>(
    `SELECT outbox_id, attempt, status, error, response_status, toString(next_attempt_at) AS next_attempt_at,
            duration_ms, toString(attempted_at) AS attempted_at
     FROM alert_delivery_attempts WHERE outbox_id = {outboxId:String}
     ORDER BY attempt, attempted_at
     SETTINGS prefer_column_name_to_alias = 1`,
    { outboxId },
  );
  return rows.map((row) => ({
    outboxId: row.outbox_id,
    attempt: Number(row.attempt),
    status: row.status,
    error: redactSecrets(row.error),
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    nextAttemptAt: row.next_attempt_at ? fromClickHouseTime(row.next_attempt_at) : null,
    durationMs: Number(row.duration_ms),
    attemptedAt: fromClickHouseTime(row.attempted_at),
  }));
}

/** How many notifications are in each status (for /metrics). */
export async function countOutboxByStatus(store: Store): Promise<Record<DeliveryStatus, number>> {
  const rows = await store.query<{ delivery_status: DeliveryStatus; n: number | string }>(
    `SELECT delivery_status, count() AS n FROM (${ENTRIES}) GROUP BY delivery_status`,
  );
  const counts: Record<DeliveryStatus, number> = { pending: 0, retrying: 0, delivered: 0, dead: 0 };
  for (const row of rows) counts[row.delivery_status] = Number(row.n);
  return counts;
}

/** The window end of each destination's latest trigger for a monitor (webhook min_interval). */
export async function getLastTriggers(store: Store, monitor: string): Promise<Map<string, Date>> {
  const rows = await store.query<{ destination: string; window_end: string }>(
    `SELECT destination, toString(max(window_end)) AS window_end FROM alert_outbox FINAL
     WHERE monitor = {monitor:String} AND kind = 'trigger' GROUP BY destination`,
    { monitor },
  );
  return new Map(rows.map((row) => [row.destination, fromClickHouseTime(row.window_end)]));
}

/**
 * The destinations of a channel that were written a notification of this kind carrying the
 * alert at or after `since` (delivered or not yet): who must hear a follow-up, such as
 * PagerDuty an acknowledgement of the alert it was triggered with.
 */
export async function listDestinationsTold(
  store: Store,
  filter: { alertId: string; channel: OutboxChannel; kind: OutboxKind; since: Date },
): Promise<string[]> {
  const rows = await store.query<{ destination: string }>(
    `SELECT DISTINCT destination FROM alert_outbox FINAL
     WHERE channel = {channel:String} AND kind = {kind:String} AND has(alert_ids, {alertId:String})
       AND window_end >= {since:DateTime64(3)}
     ORDER BY destination`,
    { ...filter, since: toClickHouseTime(filter.since) },
  );
  return rows.map((row) => row.destination);
}

/**
 * Per destination, the alerts (of those given) that triggered it at or after `since`, with
 * the latest such window: a webhook hears only of resolutions of what it was told.
 */
export async function getTriggeredAlerts(
  store: Store,
  monitor: string,
  alertIds: readonly string[],
  since: Date,
): Promise<Map<string, Map<string, Date>>> {
  const triggered = new Map<string, Map<string, Date>>();
  if (alertIds.length === 0) return triggered;
  const rows = await store.query<{ destination: string; alert_id: string; triggered_at: string }>(
    `SELECT destination, alert_id, toString(max(window_end)) AS triggered_at
     FROM alert_outbox FINAL ARRAY JOIN alert_ids AS alert_id
     WHERE monitor = {monitor:String} AND kind = 'trigger' AND window_end >= {since:DateTime64(3)}
       AND alert_id IN {alertIds:Array(String)}
     GROUP BY destination, alert_id`,
    { monitor, alertIds, since: toClickHouseTime(since) },
  );
  for (const row of rows) {
    const byAlert = triggered.get(row.destination) ?? new Map<string, Date>();
    byAlert.set(row.alert_id, fromClickHouseTime(row.triggered_at));
    triggered.set(row.destination, byAlert);
  }
  return triggered;
}
