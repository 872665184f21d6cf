import type {
  Acknowledgement,
  Alert,
  AlertBefore,
  AlertEventKind,
  AlertEventRecord,
  AlertState,
  Silence,
  VerdictFacts,
} from '../alerts/alert.js';
import { alertFieldsFrom } from '../monitors/checkResult.js';
import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { fromClickHouseTime } from './results.js';

/**
 * Alerts as stored (migration 0007): state, the audit trail of events, silences and
 * acknowledgements, and how far the alert stage has read the drift history. The alert
 * stage (src/alerts), the CLI, the API and the compliance exports all go through here.
 */
const time = (date: Date | null) => (date ? toClickHouseTime(date) : null);
const readTime = (text: string | null) => (text ? fromClickHouseTime(text) : null);
const numberOrNull = (value: unknown) =>
  value === null || value === undefined ? null : Number(value);

// ---- state ----

const STATE_COLUMNS = `alert_id, monitor, model, check_id, metric, feature, slice_key, slice_value, state,
  severity, episode, breaching_windows, clear_windows, toString(since) AS since, toString(fired_at) AS fired_at,
  toString(resolved_at) AS resolved_at, toString(last_notified_at) AS last_notified_at,
  toString(last_window_end) AS last_window_end, last_status, last_verdict, previous`;

interface StateRow {
  alert_id: string;
  monitor: string;
  model: string;
  check_id: string;
  metric: string;
  feature: string;
  slice_key: string;
  slice_value: string;
  state: AlertState;
  severity: string;
  episode: number | string;
  breaching_windows: number | string;
  clear_windows: number | string;
  since: string | null;
  fired_at: string | null;
  resolved_at: string | null;
  last_notified_at: string | null;
  last_window_end: string;
  last_status: string;
  last_verdict: string;
  previous?: string;
}

function alertFromRow(row: StateRow): Alert {
  return {
    alertId: row.alert_id,
    monitor: row.monitor,
    model: row.model,
    checkId: row.check_id,
    metric: row.metric,
    feature: row.feature,
    sliceKey: row.slice_key,
    sliceValue: row.slice_value,
    state: row.state,
    severity: row.severity === 'warn' || row.severity === 'critical' ? row.severity : null,
    episode: Number(row.episode),
    breachingWindows: Number(row.breaching_windows),
    clearWindows: Number(row.clear_windows),
    since: readTime(row.since),
    firedAt: readTime(row.fired_at),
    resolvedAt: readTime(row.resolved_at),
    lastNotifiedAt: readTime(row.last_notified_at),
    lastWindowEnd: readTime(row.last_window_end),
    last: row.last_verdict
      ? factsOf(JSON.parse(row.last_verdict) as Record<string, unknown>)
      : null,
    previous: row.previous ? beforeFromJson(JSON.parse(row.previous) as BeforeJson) : null,
  };
}

/** The state before an alert's newest window, as kept in `previous` (migration 0012). */
type BeforeJson = Record<string, unknown> & { last: Record<string, unknown> | null };

const BEFORE_TIMES = ['since', 'firedAt', 'resolvedAt', 'lastNotifiedAt', 'lastWindowEnd'] as const;

function beforeToJson(before: AlertBefore): string {
  return JSON.stringify(before);
}

function beforeFromJson(json: BeforeJson): AlertBefore {
  const times = Object.fromEntries(
    BEFORE_TIMES.map((key) => [key, typeof json[key] === 'string' ? new Date(json[key]) : null]),
  );
  return {
    ...(json as unknown as AlertBefore),
    ...times,
    last: json.last ? factsOf(json.last) : null,
  };
}

/** Facts kept by any version: a field they lack (written before it existed) reads null. */
function factsOf(kept: Record<string, unknown>): VerdictFacts {
  return {
    ...alertFieldsFrom(kept),
    effect: numberOrNull(kept.effect),
    minEffect: numberOrNull(kept.minEffect),
    note: typeof kept.note === 'string' ? kept.note : null,
  };
}

/** Every stored alert of a monitor, newest state (FINAL). */
export async function listAlertStates(store: Store, monitor: string): Promise<Alert[]> {
  const rows = await store.query<StateRow>(
    `SELECT ${STATE_COLUMNS} FROM alert_states FINAL WHERE monitor = {monitor:String}
     SETTINGS prefer_column_name_to_alias = 1`,
    { monitor },
  );
  return rows.map(alertFromRow);
}

/** One insert (atomic in ClickHouse): a window's state changes land together or not at all. */
export async function insertAlertStates(store: Store, alerts: readonly Alert[]): Promise<void> {
  await store.insert(
    'alert_states',
    alerts.map((alert) => ({
      alert_id: alert.alertId,
      monitor: alert.monitor,
      model: alert.model,
      check_id: alert.checkId,
      metric: alert.metric,
      feature: alert.feature,
      slice_key: alert.sliceKey,
      slice_value: alert.sliceValue,
      state: alert.state,
      severity: alert.severity ?? '',
      episode: alert.episode,
      breaching_windows: alert.breachingWindows,
      clear_windows: alert.clearWindows,
      since: time(alert.since),
      fired_at: time(alert.firedAt),
      resolved_at: time(alert.resolvedAt),
      last_notified_at: time(alert.lastNotifiedAt),
      last_window_end: time(alert.lastWindowEnd ?? new Date(0)),
      last_status: alert.last?.status ?? '',
      last_verdict: alert.last ? JSON.stringify(alert.last) : '',
      previous: alert.previous ? beforeToJson(alert.previous) : '',
      // A window decided again writes the same version: the row inserted last is kept.
      version: alert.lastWindowEnd?.getTime() ?? 0,
    })),
  );
}

export interface AlertFilter {
  model?: string;
  monitor?: string;
  /** open = pending and firing; all = every state. Default: all. */
  state?: AlertState | 'open' | 'all';
  alertIds?: readonly string[];
  limit?: number;
}

export interface AlertSummary extends Alert {
  /** The acknowledgement of the current episode, if any. */
  acknowledgement: Acknowledgement | null;
}

/** Alerts for people (CLI, API): firing first, then by severity and newest window. */
export async function listAlerts(store: Store, filter: AlertFilter = {}): Promise<AlertSummary[]> {
  const conditions = ["state != 'inactive'"];
  const params: QueryParams = { limit: filter.limit ?? 1000 };
  if (filter.model !== undefined) {
    conditions.push('model = {model:String}');
    params.model = filter.model;
  }
  if (filter.monitor !== undefined) {
    conditions.push('monitor = {monitor:String}');
    params.monitor = filter.monitor;
  }
  if (filter.state === 'open') conditions.push("state IN ('pending', 'firing')");
  else if (filter.state !== undefined && filter.state !== 'all') {
    conditions.push('state = {state:String}');
    params.state = filter.state;
  }
  if (filter.alertIds !== undefined) {
    conditions.push('alert_id IN {alertIds:Array(String)}');
    params.alertIds = filter.alertIds;
  }
  const rows = await store.query<StateRow>(
    `SELECT ${STATE_COLUMNS} FROM alert_states FINAL
     WHERE ${conditions.join(' AND ')}
     ORDER BY state = 'firing' DESC, state = 'pending' DESC, severity = 'critical' DESC,
              last_window_end DESC, model, check_id, feature, slice_key, slice_value
     LIMIT {limit:UInt32}
     SETTINGS prefer_column_name_to_alias = 1`,
    params,
  );
  const alerts = rows.map(alertFromRow);
  const acks = await listAcknowledgements(
    store,
    alerts.map((alert) => alert.alertId),
  );
  return alerts.map((alert) => ({
    ...alert,
    acknowledgement:
      acks.filter((ack) => ack.alertId === alert.alertId && ack.episode === alert.episode).at(-1) ??
      null,
  }));
}

export interface AlertDetail {
  alert: AlertSummary;
  events: AlertEventRecord[];
  acknowledgements: Acknowledgement[];
}

/** One alert with its whole audit trail, oldest event first. */
export async function getAlert(store: Store, alertId: string): Promise<AlertDetail | null> {
  const [alert] = await listAlerts(store, { alertIds: [alertId], limit: 1 });
  if (!alert) return null;
  return {
    alert,
    events: await listAlertEvents(store, { alertId }),
    acknowledgements: await listAcknowledgements(store, [alertId]),
  };
}

/** Alert ids that start with `prefix`, at most `limit` of them, sorted. */
export async function findAlertIdsByPrefix(
  store: Store,
  prefix: string,
  limit: number,
): Promise<string[]> {
  const rows = await store.query<{ alert_id: string }>(
    `SELECT alert_id FROM alert_states FINAL
     WHERE startsWith(alert_id, {prefix:String}) AND state != 'inactive'
     ORDER BY alert_id LIMIT {limit:UInt32}`,
    { prefix, limit },
  );
  return rows.map((row) => row.alert_id);
}

// ---- the audit trail ----

export async function insertAlertEvents(
  store: Store,
  events: readonly AlertEventRecord[],
): Promise<void> {
  await store.insert(
    'alert_events',
    events.map((event) => ({
      alert_id: event.alertId,
      monitor: event.monitor,
      model: event.model,
      check_id: event.checkId,
      metric: event.metric,
      feature: event.feature,
      slice_key: event.sliceKey,
      slice_value: event.sliceValue,
      episode: event.episode,
      event: event.event,
      from_state: event.fromState,
      to_state: event.toState,
      severity: event.severity ?? '',
      window_start: toClickHouseTime(event.windowStart),
      window_end: toClickHouseTime(event.windowEnd),
      monitor_hash: event.monitorHash,
      baseline: event.baseline,
      baseline_version: event.baselineVersion,
      verdict_status: event.verdictStatus,
      value: event.value !== null && Number.isFinite(event.value) ? event.value : null,
      notified: event.notified ? 1 : 0,
      suppressed_by: event.suppressedBy,
      outbox_ids: event.outboxIds,
    })),
  );
}

export interface AlertEventFilter {
  alertId?: string;
  monitor?: string;
  model?: string;
  checkId?: string;
  /** '' for checks of the whole window. */
  feature?: string;
  sliceKey?: string;
  sliceValue?: string;
  /** Only these events (default: all). */
  events?: readonly AlertEventKind[];
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
}

function eventConditions(filter: AlertEventFilter): { where: string; params: QueryParams } {
  const conditions = ['1'];
  const params: QueryParams = {};
  const equal = (column: string, name: string, value: string | undefined) => {
    if (value === undefined) return;
    conditions.push(`${column} = {${name}:String}`);
    params[name] = value;
  };
  equal('alert_id', 'alertId', filter.alertId);
  equal('monitor', 'monitor', filter.monitor);
  equal('model', 'model', filter.model);
  equal('check_id', 'checkId', filter.checkId);
  equal('feature', 'feature', filter.feature);
  equal('slice_key', 'sliceKey', filter.sliceKey);
  equal('slice_value', 'sliceValue', filter.sliceValue);
  if (filter.events !== undefined) {
    conditions.push('event IN {events:Array(String)}');
    params.events = filter.events;
  }
  if (filter.from) {
    conditions.push('window_end > {from:DateTime64(3)}');
    params.from = toClickHouseTime(filter.from);
  }
  if (filter.to) {
    conditions.push('window_end <= {to:DateTime64(3)}');
    params.to = toClickHouseTime(filter.to);
  }
  return { where: conditions.join(' AND '), params };
}

/** How many events of the audit trail match (for paging). */
export async function countAlertEvents(
  store: Store,
  filter: AlertEventFilter = {},
): Promise<number> {
  const { where, params } = eventConditions(filter);
  const [row] = await store.query<{ n: number | string }>(
    `SELECT count() AS n FROM alert_events FINAL WHERE ${where}`,
    params,
  );
  return Number(row?.n ?? 0);
}

interface EventRow {
  alert_id: string;
  monitor: string;
  model: string;
  check_id: string;
  metric: string;
  feature: string;
  slice_key: string;
  slice_value: string;
  episode: number | string;
  event: AlertEventKind;
  from_state: AlertState;
  to_state: AlertState;
  severity: string;
  window_start: string;
  window_end: string;
  monitor_hash: string;
  baseline: string;
  baseline_version: number | string;
  verdict_status: string;
  value: number | null;
  notified: number | string;
  suppressed_by: string;
  outbox_ids: string[];
  recorded_at: string;
}

/** The audit trail, oldest first (the order things happened in). */
export async function listAlertEvents(
  store: Store,
  filter: AlertEventFilter = {},
): Promise<AlertEventRecord[]> {
  const { where, params } = eventConditions(filter);
  const rows = await store.query<EventRow>(
    `SELECT alert_id, monitor, model, check_id, metric, feature, slice_key, slice_value, episode, event,
            from_state, to_state, severity, toString(window_start) AS window_start,
            toString(window_end) AS window_end, monitor_hash, baseline, baseline_version, verdict_status,
            value, notified, suppressed_by, outbox_ids, toString(recorded_at) AS recorded_at
     FROM alert_events FINAL
     WHERE ${where}
     ORDER BY window_end, alert_id, indexOf(['pending', 'firing', 'escalated', 'repeated', 'cancelled', 'resolved'], event)
     LIMIT {limit:UInt32} OFFSET {offset:UInt32}
     SETTINGS prefer_column_name_to_alias = 1`,
    { ...params, limit: filter.limit ?? 100_000, offset: filter.offset ?? 0 },
  );
  return rows.map((row) => ({
    alertId: row.alert_id,
    monitor: row.monitor,
    model: row.model,
    checkId: row.check_id,
    metric: row.metric,
    feature: row.feature,
    sliceKey: row.slice_key,
    sliceValue: row.slice_value,
    episode: Number(row.episode),
    event: row.event,
    fromState: row.from_state,
    toState: row.to_state,
    severity: row.severity === 'warn' || row.severity === 'critical' ? row.severity : null,
    windowStart: fromClickHouseTime(row.window_start),
    windowEnd: fromClickHouseTime(row.window_end),
    monitorHash: row.monitor_hash,
    baseline: row.baseline,
    baselineVersion: Number(row.baseline_version),
    verdictStatus: row.verdict_status,
    value: numberOrNull(row.value),
    notified: Number(row.notified) === 1,
    suppressedBy: row.suppressed_by,
    outboxIds: row.outbox_ids,
    recordedAt: fromClickHouseTime(row.recorded_at),
  }));
}

// ---- progress: how far the alert stage has read ----

export async function getAlertProgress(store: Store, monitor: string): Promise<Date | undefined> {
  const [row] = await store.query<{ window_end: string | null }>(
    `SELECT if(count() = 0, NULL, toString(max(window_end))) AS window_end
     FROM alert_progress WHERE monitor = {monitor:String}`,
    { monitor },
  );
  return row?.window_end ? fromClickHouseTime(row.window_end) : undefined;
}

/** The newest window the alert stage has handled for a monitor, and when it last did. */
export async function getAlertProgressMark(
  store: Store,
  monitor: string,
): Promise<{ windowEnd: Date; processedAt: Date } | undefined> {
  const [row] = await store.query<{ window_end: string | null; processed_at: string }>(
    `SELECT if(count() = 0, NULL, toString(max(window_end))) AS window_end,
            toString(max(processed_at)) AS processed_at
     FROM alert_progress WHERE monitor = {monitor:String}
     SETTINGS prefer_column_name_to_alias = 1`,
    { monitor },
  );
  return row?.window_end
    ? {
        windowEnd: fromClickHouseTime(row.window_end),
        processedAt: fromClickHouseTime(row.processed_at),
      }
    : undefined;
}

export async function setAlertProgress(
  store: Store,
  monitor: string,
  windowEnd: Date,
): Promise<void> {
  await store.insert('alert_progress', [{ monitor, window_end: toClickHouseTime(windowEnd) }]);
}

// ---- acknowledgements ----

export async function insertAcknowledgement(store: Store, ack: Acknowledgement): Promise<void> {
  await store.insert('alert_acknowledgements', [
    {
      alert_id: ack.alertId,
      monitor: ack.monitor,
      episode: ack.episode,
      acknowledged_by: ack.acknowledgedBy,
      reason: ack.reason,
      acknowledged_at: toClickHouseTime(ack.acknowledgedAt),
    },
  ]);
}

/** Acknowledgements of the given alerts (all of them when no ids), oldest first. */
export async function listAcknowledgements(
  store: Store,
  alertIds?: readonly string[],
): Promise<Acknowledgement[]> {
  if (alertIds !== undefined && alertIds.length === 0) return [];
  const rows = await store.query<{
    alert_id: string;
    monitor: string;
    episode: number | string;
    acknowledged_by: string;
    reason: string;
    acknowledged_at: string;
  }>(
    `SELECT alert_id, monitor, episode, acknowledged_by, reason, toString(acknowledged_at) AS acknowledged_at
     FROM alert_acknowledgements
     ${alertIds ? 'WHERE alert_id IN {alertIds:Array(String)}' : ''}
     ORDER BY acknowledged_at, alert_id
     SETTINGS prefer_column_name_to_alias = 1`,
    alertIds ? { alertIds } : {},
  );
  return rows.map((row) => ({
    alertId: row.alert_id,
    monitor: row.monitor,
    episode: Number(row.episode),
    acknowledgedBy: row.acknowledged_by,
    reason: row.reason,
    acknowledgedAt: fromClickHouseTime(row.acknowledged_at),
  }));
}

// ---- silences ----

export async function insertSilence(store: Store, silence: Silence): Promise<void> {
  await store.insert('alert_silences', [silenceRow(silence)]);
}

function silenceRow(silence: Silence) {
  return {
    silence_id: silence.silenceId,
    model: silence.model,
    feature: silence.feature,
    slice: silence.slice,
    check_id: silence.checkId,
    starts_at: toClickHouseTime(silence.startsAt),
    ends_at: toClickHouseTime(silence.endsAt),
    reason: silence.reason,
    created_by: silence.createdBy,
    created_at: toClickHouseTime(silence.createdAt),
    expired_by: silence.expiredBy,
    expired_at: time(silence.expiredAt),
    version: (silence.expiredAt ?? silence.createdAt).getTime(),
  };
}

export interface SilenceFilter {
  model?: string;
  /** Only silences active at this time. */
  activeAt?: Date;
  silenceId?: string;
}

/** Silences, newest first. */
export async function listSilences(store: Store, filter: SilenceFilter = {}): Promise<Silence[]> {
  const conditions = ['1'];
  const params: QueryParams = {};
  if (filter.model !== undefined) {
    conditions.push('model = {model:String}');
    params.model = filter.model;
  }
  if (filter.silenceId !== undefined) {
    conditions.push('silence_id = {silenceId:String}');
    params.silenceId = filter.silenceId;
  }
  if (filter.activeAt) {
    conditions.push(
      'starts_at <= {at:DateTime64(3)} AND ends_at > {at:DateTime64(3)} AND (expired_at IS NULL OR expired_at > {at:DateTime64(3)})',
    );
    params.at = toClickHouseTime(filter.activeAt);
  }
  const rows = await store.query<{
    silence_id: string;
    model: string;
    feature: string;
    slice: string;
    check_id: string;
    starts_at: string;
    ends_at: string;
    reason: string;
    created_by: string;
    created_at: string;
    expired_by: string;
    expired_at: string | null;
  }>(
    `SELECT silence_id, model, feature, slice, check_id, toString(starts_at) AS starts_at,
            toString(ends_at) AS ends_at, reason, created_by, toString(created_at) AS created_at,
            expired_by, toString(expired_at) AS expired_at
     FROM alert_silences FINAL
     WHERE ${conditions.join(' AND ')}
     ORDER BY created_at DESC, silence_id
     SETTINGS prefer_column_name_to_alias = 1`,
    params,
  );
  return rows.map((row) => ({
    silenceId: row.silence_id,
    model: row.model,
    feature: row.feature,
    slice: row.slice,
    checkId: row.check_id,
    startsAt: fromClickHouseTime(row.starts_at),
    endsAt: fromClickHouseTime(row.ends_at),
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: fromClickHouseTime(row.created_at),
    expiredBy: row.expired_by,
    expiredAt: readTime(row.expired_at),
  }));
}

/** Ends a silence now: a new version of its row, carrying everything the first one said. */
export async function expireSilence(
  store: Store,
  silenceId: string,
  expiredBy: string,
  at: Date,
): Promise<Silence | null> {
  const [silence] = await listSilences(store, { silenceId });
  if (!silence) return null;
  const expired = { ...silence, expiredBy, expiredAt: at };
  await store.insert('alert_silences', [silenceRow(expired)]);
  return expired;
}
