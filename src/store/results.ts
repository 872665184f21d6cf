import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';

/** `no_data`: the window had no events where events were expected (silence is a finding). */
export type CheckStatus = 'ok' | 'warn' | 'critical' | 'insufficient_data' | 'no_data';

/** One row of the drift history: a check on one feature in one slice of one window. */
export interface MonitorResult {
  monitor: string;
  model: string;
  windowStart: Date;
  windowEnd: Date;
  checkId: string;
  metric: string;
  feature: string;
  sliceKey: string;
  sliceValue: string;
  status: CheckStatus;
  value: number | null;
  /** [valueLower, valueUpper] contains the exact value; both null when value is exact. */
  valueLower: number | null;
  valueUpper: number | null;
  pValue: number | null;
  pValueLower: number | null;
  pValueUpper: number | null;
  adjustedPValue: number | null;
  correction: 'none' | 'benjamini-hochberg';
  warnThreshold: number | null;
  criticalThreshold: number | null;
  nReference: number;
  nCurrent: number;
  baseline: string;
  baselineVersion: number;
  monitorHash: string;
  details: Record<string, unknown>;
}

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
  results: readonly MonitorResult[],
): Promise<void> {
  await store.insert(
    'monitor_results',
    results.map((result) => ({
      monitor: result.monitor,
      model: result.model,
      window_start: toClickHouseTime(result.windowStart),
      window_end: toClickHouseTime(result.windowEnd),
      check_id: result.checkId,
      metric: result.metric,
      feature: result.feature,
      slice_key: result.sliceKey,
      slice_value: result.sliceValue,
      status: result.status,
      value: finiteOrNull(result.value),
      value_lower: finiteOrNull(result.valueLower),
      value_upper: finiteOrNull(result.valueUpper),
      p_value: finiteOrNull(result.pValue),
      p_value_lower: finiteOrNull(result.pValueLower),
      p_value_upper: finiteOrNull(result.pValueUpper),
      adjusted_p_value: finiteOrNull(result.adjustedPValue),
      correction: result.correction,
      warn_threshold: result.warnThreshold,
      critical_threshold: result.criticalThreshold,
      n_reference: result.nReference,
      n_current: result.nCurrent,
      baseline: result.baseline,
      baseline_version: result.baselineVersion,
      monitor_hash: result.monitorHash,
      details: JSON.stringify(result.details),
    })),
  );
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

export async function listMonitorRuns(
  store: Store,
  monitor: string,
  limit = 100,
): Promise<MonitorRun[]> {
  const rows = await store.query<Record<string, string>>(
    `SELECT monitor, toString(window_start) AS window_start, toString(window_end) AS window_end, status,
            checks, breaches, duration_ms, monitor_hash
     FROM monitor_runs FINAL WHERE monitor = {monitor:String}
     ORDER BY window_end DESC LIMIT {limit:UInt32}
     SETTINGS prefer_column_name_to_alias = 1`,
    { monitor, limit },
  );
  return rows.map((row) => ({
    monitor: String(row.monitor),
    windowStart: fromClickHouseTime(String(row.window_start)),
    windowEnd: fromClickHouseTime(String(row.window_end)),
    status: row.status as CheckStatus,
    checks: Number(row.checks),
    breaches: Number(row.breaches),
    durationMs: Number(row.duration_ms),
    monitorHash: String(row.monitor_hash),
  }));
}

export interface HistoryFilter {
  model: string;
  feature?: string;
  slice?: string;
  metric?: string;
  from?: Date;
  to?: Date;
  onlyBreaches?: boolean;
  limit?: number;
}

export interface HistoryRow {
  window_start: string;
  window_end: string;
  monitor: string;
  check_id: string;
  metric: string;
  feature: string;
  slice_key: string;
  slice_value: string;
  status: CheckStatus;
  value: number | null;
  value_lower: number | null;
  value_upper: number | null;
  p_value: number | null;
  p_value_lower: number | null;
  p_value_upper: number | null;
  adjusted_p_value: number | null;
  correction: string;
  warn_threshold: number | null;
  critical_threshold: number | null;
  n_reference: number;
  n_current: number;
  baseline: string;
  baseline_version: number;
  monitor_hash: string;
  details: string;
}

/** The drift history, newest window first; FINAL so a re-run window shows once. */
export async function queryHistory(store: Store, filter: HistoryFilter): Promise<HistoryRow[]> {
  const params: QueryParams = { model: filter.model, limit: filter.limit ?? 1000 };
  const conditions = ['model = {model:String}'];
  if (filter.feature !== undefined) {
    conditions.push('feature = {feature:String}');
    params.feature = filter.feature;
  }
  if (filter.slice !== undefined) {
    conditions.push(
      "(slice_value = {slice:String} OR concat(slice_key, '=', slice_value) = {slice:String})",
    );
    params.slice = filter.slice;
  }
  if (filter.metric !== undefined) {
    conditions.push('metric = {metric:String}');
    params.metric = filter.metric;
  }
  if (filter.from) {
    conditions.push('window_end > {from:DateTime64(3)}');
    params.from = toClickHouseTime(filter.from);
  }
  if (filter.to) {
    conditions.push('window_end <= {to:DateTime64(3)}');
    params.to = toClickHouseTime(filter.to);
  }
  if (filter.onlyBreaches) conditions.push("status IN ('warn', 'critical')");
  const rows = await store.query<HistoryRow>(
    `SELECT window_start, window_end, monitor, check_id, metric,
            feature, slice_key, slice_value, status, value, value_lower, value_upper,
            p_value, p_value_lower, p_value_upper, adjusted_p_value, correction,
            warn_threshold, critical_threshold, n_reference, n_current, baseline, baseline_version,
            monitor_hash, details
     FROM monitor_results FINAL
     WHERE ${conditions.join(' AND ')}
     ORDER BY window_end DESC, status = 'critical' DESC, status = 'warn' DESC, check_id, feature, slice_key, slice_value
     LIMIT {limit:UInt32}`,
    params,
  );
  return rows.map((row) => ({
    ...row,
    n_reference: Number(row.n_reference),
    n_current: Number(row.n_current),
  }));
}

/** Whether any result of a model is stored (so an empty filtered history is not "unknown model"). */
export async function hasHistory(store: Store, model: string): Promise<boolean> {
  const [row] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM monitor_results WHERE model = {model:String} LIMIT 1`,
    { model },
  );
  return Number(row?.n ?? 0) > 0;
}

export async function listModelsWithHistory(store: Store): Promise<string[]> {
  const rows = await store.query<{ model: string }>(
    `SELECT DISTINCT model FROM monitor_results ORDER BY model LIMIT 100`,
  );
  return rows.map((row) => row.model);
}

function finiteOrNull(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : value;
}

/** ClickHouse prints DateTime64 in UTC without a zone: read it back as UTC. */
export function fromClickHouseTime(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}
