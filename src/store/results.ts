import {
  FIELD_LIST,
  checkResultToJson,
  enumValue,
  type CheckResult,
  type CheckResultJson,
  type CheckStatus,
  type FieldSpec,
  type StoredCheckResult,
} from '../monitors/checkResult.js';
import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';

export interface MonitorRun {
  monitor: string;
  windowStart: Date;
  windowEnd: Date;
  status: CheckStatus;
  checks: number;
  breaches: number;
  durationMs: number;
  monitorHash: string;
}

/** Written under the (monitor, window, check, feature, slice) key: a re-run replaces, never adds. */
export async function insertMonitorResults(
  store: Store,
  results: readonly CheckResult[],
): Promise<void> {
  await store.insert('monitor_results', results.map(rowOfResult));
}

/**
 * One run's results, replacing what an earlier run of the same window stored: rows of the
 * same key are replaced by the table itself (ReplacingMergeTree), and rows of keys this run
 * no longer gives (a "no data" verdict per check, once the window has events; a slice gone)
 * are deleted after the new rows are in. A crash in between leaves both until the window is
 * run again; never neither. Re-running a window is how its history is corrected.
 */
export async function storeRunResults(
  store: Store,
  monitor: string,
  windowEnd: Date,
  results: readonly CheckResult[],
): Promise<void> {
  await insertMonitorResults(store, results);
  const params = {
    monitor,
    windowEnd: toClickHouseTime(windowEnd),
    keys: results.map((result) => resultKey(result)),
  };
  const where = `monitor = {monitor:String} AND window_end = {windowEnd:DateTime64(3)}
    AND concat(check_id, '\x01', feature, '\x01', slice_key, '\x01', slice_value) NOT IN {keys:Array(String)}`;
  const [stale] = await store.query<{ n: number | string }>(
    `SELECT count() AS n FROM monitor_results WHERE ${where}`,
    params,
  );
  if (Number(stale?.n ?? 0) > 0)
    await store.command(`DELETE FROM monitor_results WHERE ${where}`, params);
}

function resultKey(result: CheckResult): string {
  return [result.checkId, result.feature, result.sliceKey, result.sliceValue].join('\x01');
}

/**
 * monitor_results' row of a result, one column per field of the record (monitors/checkResult)
 * that the monitors set; the store's own (evaluated_at) are the columns' defaults.
 */
function rowOfResult(result: CheckResult): Record<string, unknown> {
  const record = result as Partial<StoredCheckResult>;
  return Object.fromEntries(
    WRITTEN_FIELDS.map(([name, spec]) => [spec.column, columnValue(spec, record[name])]),
  );
}

const WRITTEN_FIELDS = FIELD_LIST.filter(([, spec]) => spec.setBy !== 'store');

function columnValue(spec: FieldSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'time':
      return toClickHouseTime(value as Date);
    case 'number':
      return finiteOrNull(value as number | null);
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}

export async function insertMonitorRun(store: Store, run: MonitorRun): Promise<void> {
  await store.insert('monitor_runs', [
    {
      monitor: run.monitor,
      window_start: toClickHouseTime(run.windowStart),
      window_end: toClickHouseTime(run.windowEnd),
      status: run.status,
      checks: run.checks,
      breaches: run.breaches,
      duration_ms: Math.round(run.durationMs),
      monitor_hash: run.monitorHash,
    },
  ]);
}

/** The end of the newest window evaluated for a monitor, if any. */
export async function getLastRunWindowEnd(
  store: Store,
  monitor: string,
): Promise<Date | undefined> {
  const [row] = await store.query<{ window_end: string | null }>(
    `SELECT if(count() = 0, NULL, toString(max(window_end))) AS window_end FROM monitor_runs WHERE monitor = {monitor:String}`,
    { monitor },
  );
  return row?.window_end ? fromClickHouseTime(row.window_end) : undefined;
}

const RUN_COLUMNS = `monitor, toString(window_start) AS window_start, toString(window_end) AS window_end,
  status, checks, breaches, duration_ms, monitor_hash`;

function runOf(row: Record<string, string>): MonitorRun {
  return {
    monitor: String(row.monitor),
    windowStart: fromClickHouseTime(String(row.window_start)),
    windowEnd: fromClickHouseTime(String(row.window_end)),
    status: row.status as CheckStatus,
    checks: Number(row.checks),
    breaches: Number(row.breaches),
    durationMs: Number(row.duration_ms),
    monitorHash: String(row.monitor_hash),
  };
}

export async function listMonitorRuns(
  store: Store,
  monitor: string,
  limit = 100,
): Promise<MonitorRun[]> {
  const rows = await store.query<Record<string, string>>(
    `SELECT ${RUN_COLUMNS}
     FROM monitor_runs FINAL WHERE monitor = {monitor:String}
     ORDER BY window_end DESC LIMIT {limit:UInt32}
     SETTINGS prefer_column_name_to_alias = 1`,
    { monitor, limit },
  );
  return rows.map(runOf);
}

function finiteOrNull(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : value;
}

/** ClickHouse prints DateTime64 in UTC without a zone: read it back as UTC. */
export function fromClickHouseTime(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}

/** DateTime64 text from ClickHouse ('YYYY-MM-DD hh:mm:ss.sss', UTC) as RFC 3339. */
export function isoFromClickHouse(text: string): string {
  return fromClickHouseTime(text).toISOString();
}

export interface LatestRun {
  monitor: string;
  lastWindowEnd: string;
  status: string;
  checks: number;
  breaches: number;
  monitorHash: string;
  finishedAt: string;
  runs: number;
}

/** The newest run of every monitor: what the overview shows at a glance. */
export async function listLatestRuns(store: Store): Promise<LatestRun[]> {
  const rows = await store.query<Record<string, string | number>>(
    `SELECT monitor, toString(max(window_end)) AS last_window_end, argMax(status, window_end) AS last_status,
            argMax(checks, window_end) AS last_checks, argMax(breaches, window_end) AS last_breaches,
            argMax(monitor_hash, window_end) AS last_hash, toString(argMax(finished_at, window_end)) AS last_finished,
            count() AS runs
     FROM monitor_runs FINAL GROUP BY monitor ORDER BY monitor`,
  );
  return rows.map((row) => ({
    monitor: String(row.monitor),
    lastWindowEnd: isoFromClickHouse(String(row.last_window_end)),
    status: String(row.last_status),
    checks: Number(row.last_checks),
    breaches: Number(row.last_breaches),
    monitorHash: String(row.last_hash),
    finishedAt: isoFromClickHouse(String(row.last_finished)),
    runs: Number(row.runs),
  }));
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface RunFilter {
  monitor: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** Runs newest first, one page at a time, with the total that matches. */
export async function listRunsPage(store: Store, filter: RunFilter): Promise<Page<MonitorRun>> {
  const params: QueryParams = {
    monitor: filter.monitor,
    limit: filter.limit,
    offset: filter.offset,
  };
  const conditions = ['monitor = {monitor:String}', ...timeConditions(filter, params)];
  const where = conditions.join(' AND ');
  const [count] = await store.query<{ total: string }>(
    `SELECT count() AS total FROM monitor_runs FINAL WHERE ${where}`,
    params,
  );
  const rows = await store.query<Record<string, string>>(
    `SELECT ${RUN_COLUMNS}
     FROM monitor_runs FINAL WHERE ${where}
     ORDER BY window_end DESC LIMIT {limit:UInt32} OFFSET {offset:UInt64}
     SETTINGS prefer_column_name_to_alias = 1`,
    params,
  );
  return {
    total: Number(count?.total ?? 0),
    items: rows.map(runOf),
  };
}

function timeConditions(filter: { from?: Date; to?: Date }, params: QueryParams): string[] {
  const conditions: string[] = [];
  if (filter.from) {
    conditions.push('window_end > {from:DateTime64(3)}');
    params.from = toClickHouseTime(filter.from);
  }
  if (filter.to) {
    conditions.push('window_end <= {to:DateTime64(3)}');
    params.to = toClickHouseTime(filter.to);
  }
  return conditions;
}

/** One stored result as the API, the CLI's JSON and exports show it: RFC 3339 times, details parsed. */
export type StoredResult = CheckResultJson;

export interface ResultFilter {
  model?: string;
  checkId?: string;
  feature?: string;
  /** `key=value`, a bare value, or `all`. */
  slice?: string;
  metric?: string;
  statuses?: readonly string[];
  from?: Date;
  to?: Date;
}

function resultConditions(filter: ResultFilter, params: QueryParams): string[] {
  const conditions: string[] = [];
  if (filter.model !== undefined) {
    conditions.push('model = {model:String}');
    params.model = filter.model;
  }
  if (filter.checkId !== undefined) {
    conditions.push('check_id = {check_id:String}');
    params.check_id = filter.checkId;
  }
  if (filter.feature !== undefined) {
    conditions.push('feature = {feature:String}');
    params.feature = filter.feature;
  }
  if (filter.slice !== undefined) {
    conditions.push(
      "(concat(slice_key, '=', slice_value) = {slice:String} OR (slice_value = {slice:String} AND (slice_key = '' OR position({slice:String}, '=') = 0)))",
    );
    params.slice = filter.slice;
  }
  if (filter.metric !== undefined) {
    conditions.push('metric = {metric:String}');
    params.metric = filter.metric;
  }
  if (filter.statuses && filter.statuses.length > 0) {
    conditions.push('status IN {statuses:Array(String)}');
    params.statuses = [...filter.statuses];
  }
  return [...conditions, ...timeConditions(filter, params)];
}

/** The columns a result is read from: times as text (read back as UTC), the rest as stored. */
const RESULT_COLUMNS = FIELD_LIST.map(([, spec]) =>
  spec.type === 'time' ? `toString(${spec.column}) AS ${spec.column}_text` : spec.column,
).join(', ');

type RawResult = Record<string, unknown>;

/** A row read with RESULT_COLUMNS, as the record (monitors/checkResult) spells it. */
function resultOfRow(row: RawResult): StoredCheckResult {
  return Object.fromEntries(
    FIELD_LIST.map(([name, spec]) => [name, fieldOfColumn(spec, row)]),
  ) as StoredCheckResult;
}

function fieldOfColumn(spec: FieldSpec, row: RawResult): unknown {
  const value = row[spec.type === 'time' ? `${spec.column}_text` : spec.column];
  if (value === null || value === undefined) return spec.nullable ? null : value;
  switch (spec.type) {
    case 'time':
      return fromClickHouseTime(String(value));
    case 'integer':
    case 'number':
      return Number(value); // 64-bit integers arrive as text
    case 'json':
      return parseDetails(String(value));
    case 'enum':
      return enumValue(spec, String(value));
    case 'string':
      return String(value);
  }
}

function toStoredResult(row: RawResult): StoredResult {
  return checkResultToJson(resultOfRow(row));
}

/** A run as the API and the CLI's JSON show it (snake_case, RFC 3339). */
export interface StoredRun {
  monitor: string;
  window_start: string;
  window_end: string;
  status: string;
  checks: number;
  breaches: number;
  duration_ms: number;
  monitor_hash: string;
}

export function storedRunOf(run: MonitorRun): StoredRun {
  return {
    monitor: run.monitor,
    window_start: run.windowStart.toISOString(),
    window_end: run.windowEnd.toISOString(),
    status: run.status,
    checks: run.checks,
    breaches: run.breaches,
    duration_ms: Math.round(run.durationMs),
    monitor_hash: run.monitorHash,
  };
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return { unparsed: text };
  }
}

/** Results matching a filter, newest window first then worst first, a page at a time. */
export async function queryResultsPage(
  store: Store,
  filter: ResultFilter,
  page: { limit: number; offset: number },
): Promise<Page<StoredResult>> {
  const params: QueryParams = { limit: page.limit, offset: page.offset };
  const conditions = resultConditions(filter, params);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const [count] = await store.query<{ total: string }>(
    `SELECT count() AS total FROM monitor_results FINAL ${where}`,
    params,
  );
  const rows = await store.query<RawResult>(
    `SELECT ${RESULT_COLUMNS} FROM monitor_results FINAL ${where}
     ORDER BY window_end DESC, status = 'critical' DESC, status = 'warn' DESC, model, check_id, feature, slice_key, slice_value
     LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
    params,
  );
  return { total: Number(count?.total ?? 0), items: rows.map(toStoredResult) };
}

/** Every result of a model's newest evaluated window. */
export async function listLatestWindowResults(
  store: Store,
  model: string,
): Promise<StoredResult[]> {
  const rows = await store.query<RawResult>(
    `SELECT ${RESULT_COLUMNS} FROM monitor_results FINAL
     WHERE model = {model:String}
       AND window_end = (SELECT max(window_end) FROM monitor_results WHERE model = {model:String})
     ORDER BY check_id, feature, slice_key, slice_value`,
    { model },
  );
  return rows.map(toStoredResult);
}

/** The newest window's results of every model: the source of the drift gauges. */
export async function listLatestResultsOfAllModels(store: Store): Promise<StoredResult[]> {
  const rows = await store.query<RawResult>(
    `SELECT ${RESULT_COLUMNS} FROM monitor_results FINAL
     WHERE (model, window_end) IN (SELECT model, max(window_end) FROM monitor_results GROUP BY model)
     ORDER BY model, check_id, feature, slice_key, slice_value`,
  );
  return rows.map(toStoredResult);
}

export interface SeriesPoint {
  window_end: string;
  value: number | null;
  value_min: number | null;
  value_max: number | null;
  status: string;
  warn_threshold: number | null;
  critical_threshold: number | null;
  n_current: number;
  windows: number;
}

export interface SeriesFilter {
  model: string;
  checkId: string;
  feature: string;
  sliceKey: string;
  sliceValue: string;
  from?: Date;
  to?: Date;
  /** Windows are merged into buckets of this many milliseconds (0: one point per window). */
  bucketMs: number;
}

/**
 * One check's value over time for one feature and slice. A month of short windows is
 * merged in ClickHouse into at most a few thousand buckets: the last value, the range and
 * the worst status of each, so a chart never receives every row.
 */
export async function queryResultSeries(
  store: Store,
  filter: SeriesFilter,
): Promise<SeriesPoint[]> {
  const params: QueryParams = {
    model: filter.model,
    check_id: filter.checkId,
    feature: filter.feature,
    slice_key: filter.sliceKey,
    slice_value: filter.sliceValue,
    bucket: Math.max(1, Math.round(filter.bucketMs)),
  };
  const conditions = [
    'model = {model:String}',
    'check_id = {check_id:String}',
    'feature = {feature:String}',
    'slice_key = {slice_key:String}',
    'slice_value = {slice_value:String}',
    ...timeConditions(filter, params),
  ];
  const rows = await store.query<Record<string, string | number | null>>(
    `SELECT toString(max(window_end)) AS bucket_end, argMax(value, window_end) AS last_value,
            min(value) AS min_value, max(value) AS max_value,
            multiIf(countIf(status = 'critical') > 0, 'critical', countIf(status = 'warn') > 0, 'warn',
                    countIf(status = 'ok') > 0, 'ok', argMax(status, window_end)) AS worst_status,
            argMax(warn_threshold, window_end) AS warn, argMax(critical_threshold, window_end) AS critical,
            argMax(n_current, window_end) AS last_n, count() AS windows
     FROM monitor_results FINAL
     WHERE ${conditions.join(' AND ')}
     GROUP BY intDiv(toUnixTimestamp64Milli(window_end), {bucket:UInt64}) AS bucket
     ORDER BY bucket`,
    params,
  );
  return rows.map((row) => ({
    window_end: isoFromClickHouse(String(row.bucket_end)),
    value: nullableNumber(row.last_value),
    value_min: nullableNumber(row.min_value),
    value_max: nullableNumber(row.max_value),
    status: String(row.worst_status),
    warn_threshold: nullableNumber(row.warn),
    critical_threshold: nullableNumber(row.critical),
    n_current: Number(row.last_n),
    windows: Number(row.windows),
  }));
}

/** How many windows a series filter spans, to choose the bucket size. */
export async function getSeriesExtent(
  store: Store,
  filter: Omit<SeriesFilter, 'bucketMs'>,
): Promise<{ first: Date; last: Date; windows: number } | undefined> {
  const params: QueryParams = {
    model: filter.model,
    check_id: filter.checkId,
    feature: filter.feature,
    slice_key: filter.sliceKey,
    slice_value: filter.sliceValue,
  };
  const conditions = [
    'model = {model:String}',
    'check_id = {check_id:String}',
    'feature = {feature:String}',
    'slice_key = {slice_key:String}',
    'slice_value = {slice_value:String}',
    ...timeConditions(filter, params),
  ];
  const [row] = await store.query<{ first: string; last: string; windows: string }>(
    `SELECT toString(min(window_end)) AS first, toString(max(window_end)) AS last, count() AS windows
     FROM monitor_results WHERE ${conditions.join(' AND ')}`,
    params,
  );
  if (!row || Number(row.windows) === 0) return undefined;
  return {
    first: fromClickHouseTime(row.first),
    last: fromClickHouseTime(row.last),
    windows: Number(row.windows),
  };
}

/** The result that carries the baseline and current histograms of a feature in a window. */
export async function getHistogramResult(
  store: Store,
  filter: {
    model: string;
    feature: string;
    sliceKey: string;
    sliceValue: string;
    windowEnd?: Date;
  },
): Promise<StoredResult | undefined> {
  const params: QueryParams = {
    model: filter.model,
    feature: filter.feature,
    slice_key: filter.sliceKey,
    slice_value: filter.sliceValue,
  };
  let at = '';
  if (filter.windowEnd) {
    at = 'AND window_end = {window_end:DateTime64(3)}';
    params.window_end = toClickHouseTime(filter.windowEnd);
  }
  const rows = await store.query<RawResult>(
    `SELECT ${RESULT_COLUMNS} FROM monitor_results FINAL
     WHERE model = {model:String} AND feature = {feature:String} AND slice_key = {slice_key:String}
       AND slice_value = {slice_value:String} AND JSONHas(details, 'histogram') ${at}
     ORDER BY window_end DESC, check_id LIMIT 1`,
    params,
  );
  return rows[0] && toStoredResult(rows[0]);
}

export interface LabelPoint {
  window_end: string;
  auroc: number | null;
  status: string;
  labelled: number;
  predictions: number | null;
}

/** AUROC and how many of the label window's predictions had a label, over time. */
export async function queryLabelSeries(
  store: Store,
  filter: { model: string; sliceKey: string; sliceValue: string; from?: Date; to?: Date },
): Promise<LabelPoint[]> {
  const params: QueryParams = {
    model: filter.model,
    slice_key: filter.sliceKey,
    slice_value: filter.sliceValue,
  };
  const conditions = [
    'model = {model:String}',
    "metric = 'auroc'",
    'slice_key = {slice_key:String}',
    'slice_value = {slice_value:String}',
    ...timeConditions(filter, params),
  ];
  const rows = await store.query<Record<string, string | number | null>>(
    `SELECT toString(window_end) AS end_text, value, status, n_current,
            if(JSONHas(details, 'predictions'), JSONExtractFloat(details, 'predictions'), NULL) AS predictions
     FROM monitor_results FINAL WHERE ${conditions.join(' AND ')} ORDER BY window_end`,
    params,
  );
  return rows.map((row) => ({
    window_end: isoFromClickHouse(String(row.end_text)),
    auroc: nullableNumber(row.value),
    status: String(row.status),
    labelled: Number(row.n_current),
    predictions: nullableNumber(row.predictions),
  }));
}

/**
 * The results of the given metrics for one model and slice over time, oldest first: what
 * the estimated-and-realized performance series is made of (monitors/performanceSeries.ts).
 */
export async function queryModelMetricResults(
  store: Store,
  filter: {
    model: string;
    metrics: readonly string[];
    sliceKey: string;
    sliceValue: string;
    from?: Date;
    to?: Date;
  },
): Promise<StoredResult[]> {
  const params: QueryParams = {
    model: filter.model,
    metrics: [...filter.metrics],
    slice_key: filter.sliceKey,
    slice_value: filter.sliceValue,
  };
  const conditions = [
    'model = {model:String}',
    'has({metrics:Array(String)}, metric)',
    'slice_key = {slice_key:String}',
    'slice_value = {slice_value:String}',
    ...timeConditions(filter, params),
  ];
  const rows = await store.query<RawResult>(
    `SELECT ${RESULT_COLUMNS} FROM monitor_results FINAL WHERE ${conditions.join(' AND ')}
     ORDER BY window_end, check_id LIMIT 100000`,
    params,
  );
  return rows.map(toStoredResult);
}

function nullableNumber(value: string | number | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** Ends of a monitor's stored runs in (after, upTo], oldest first: what the alert stage reads. */
export async function listRunWindowEnds(
  store: Store,
  monitor: string,
  range: { after?: Date; upTo?: Date; limit?: number } = {},
): Promise<Date[]> {
  const conditions = ['monitor = {monitor:String}'];
  const params: QueryParams = { monitor, limit: range.limit ?? 10_000 };
  if (range.after) {
    conditions.push('window_end > {after:DateTime64(3)}');
    params.after = toClickHouseTime(range.after);
  }
  if (range.upTo) {
    conditions.push('window_end <= {upTo:DateTime64(3)}');
    params.upTo = toClickHouseTime(range.upTo);
  }
  const rows = await store.query<{ window_end: string }>(
    `SELECT DISTINCT toString(window_end) AS window_end FROM monitor_runs
     WHERE ${conditions.join(' AND ')} ORDER BY window_end LIMIT {limit:UInt32}
     SETTINGS prefer_column_name_to_alias = 1`,
    params,
  );
  return rows.map((row) => fromClickHouseTime(row.window_end));
}

/** Whether a monitor's run of a window was stored (again) after `after`. */
export async function wasRunStoredAfter(
  store: Store,
  monitor: string,
  windowEnd: Date,
  after: Date,
): Promise<boolean> {
  const [row] = await store.query<{ n: number | string }>(
    `SELECT count() AS n FROM monitor_runs
     WHERE monitor = {monitor:String} AND window_end = {windowEnd:DateTime64(3)}
       AND finished_at > {after:DateTime64(3)}`,
    { monitor, windowEnd: toClickHouseTime(windowEnd), after: toClickHouseTime(after) },
  );
  return Number(row?.n ?? 0) > 0;
}

/** Every stored verdict of one run (FINAL: a window run twice reads once). */
export async function listRunResults(
  store: Store,
  monitor: string,
  windowEnd: Date,
): Promise<StoredCheckResult[]> {
  const rows = await store.query<RawResult>(
    `SELECT ${RESULT_COLUMNS} FROM monitor_results FINAL
     WHERE monitor = {monitor:String} AND window_end = {windowEnd:DateTime64(3)}
     ORDER BY check_id, feature, slice_key, slice_value`,
    { monitor, windowEnd: toClickHouseTime(windowEnd) },
  );
  return rows.map(resultOfRow);
}
