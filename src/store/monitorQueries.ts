import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { ALL_SLICES, type ComparisonRelations, type RelationSql } from './driftQueries.js';

/**
 * SQL for a monitor's window of events and its baseline, in the standard shape of
 * driftQueries (slice, n0.., c0..), plus the data-quality aggregates only events have.
 *
 * Slices: every row is counted once per slice key it belongs to and once for "all", by
 * an arrayJoin over `[ALL_SLICES, 'country=US', 'channel=web', ...]`, so one scan yields
 * every slice. Values outside a key's largest N by volume are folded into "other".
 */
export interface MonitorFeature {
  name: string;
  kind: 'numeric' | 'categorical';
}

export interface SliceKey {
  /** Attribute names; more than one is a crossed slice (country × channel). */
  attributes: readonly string[];
  /** The values kept as themselves; the rest become "other". Empty: keep all. */
  topValues: readonly string[];
}

export interface EventWindow {
  model: string;
  from: Date;
  to: Date;
}

export type BaselineSource =
  | { kind: 'stored'; model: string; name: string; version: number }
  | { kind: 'events'; window: EventWindow };

export const OTHER_SLICE_VALUE = 'other';

export function sliceKeyName(attributes: readonly string[]): string {
  return attributes.join('×');
}

/** Parses the `key=value` slice labels back; ALL_SLICES is ('', 'all'). */
export function splitSliceLabel(label: string): { key: string; value: string } {
  if (label === ALL_SLICES) return { key: '', value: 'all' };
  const at = label.indexOf('=');
  return { key: label.slice(0, at), value: label.slice(at + 1) };
}

function attributeValue(
  attributes: readonly string[],
  prefix: string,
  params: QueryParams,
): string {
  const parts = attributes.map((name, i) => {
    params[`${prefix}_attr_${i}`] = name;
    return `attributes[{${prefix}_attr_${i}:String}]`;
  });
  return parts.length === 1 ? (parts[0] ?? "''") : `concat(${parts.join(", '/', ")})`;
}

function sliceExpression(
  sliceKeys: readonly SliceKey[],
  prefix: string,
  params: QueryParams,
): string {
  params[`${prefix}_all`] = ALL_SLICES;
  const labels = sliceKeys.map((sliceKey, k) => {
    const value = attributeValue(sliceKey.attributes, `${prefix}_k${k}`, params);
    params[`${prefix}_k${k}_name`] = `${sliceKeyName(sliceKey.attributes)}=`;
    params[`${prefix}_k${k}_top`] = [...sliceKey.topValues];
    const folded =
      sliceKey.topValues.length === 0
        ? value
        : `if(has({${prefix}_k${k}_top:Array(String)}, ${value}), ${value}, '${OTHER_SLICE_VALUE}')`;
    return `concat({${prefix}_k${k}_name:String}, ${folded})`;
  });
  return `arrayJoin([{${prefix}_all:String}${labels.map((label) => `, ${label}`).join('')}])`;
}

/**
 * A feature's value by the type it arrived with (migration 0004): a numeric feature is NULL
 * when missing, null or sent as text (counted by the wrong-type check); a categorical one
 * is NULL unless it arrived as a string. Names travel as parameters.
 */
function featureColumns(
  features: readonly MonitorFeature[],
  prefix: string,
  params: QueryParams,
): string[] {
  const numeric = features.filter((f) => f.kind === 'numeric');
  const categorical = features.filter((f) => f.kind === 'categorical');
  return [
    ...numeric.map((f, i) => `${numericValue(f.name, `${prefix}_n${i}`, params)} AS n${i}`),
    ...categorical.map((f, i) => {
      params[`${prefix}_c${i}`] = f.name;
      const name = `{${prefix}_c${i}:String}`;
      return `if(mapContains(feature_strings, ${name}), feature_strings[${name}], NULL) AS c${i}`;
    }),
  ];
}

function numericValue(feature: string, param: string, params: QueryParams): string {
  params[param] = feature;
  const name = `{${param}:String}`;
  return `if(mapContains(feature_numbers, ${name}), feature_numbers[${name}], NULL)`;
}

function windowCondition(window: EventWindow, prefix: string, params: QueryParams): string {
  params[`${prefix}_model`] = window.model;
  params[`${prefix}_from`] = toClickHouseTime(window.from);
  params[`${prefix}_to`] = toClickHouseTime(window.to);
  return `model = {${prefix}_model:String} AND kind = 'prediction' AND ts >= {${prefix}_from:DateTime64(3)} AND ts < {${prefix}_to:DateTime64(3)}`;
}

/** Rows of a source with `slice`, features, and the columns data-quality checks read. */
function sourceRelation(
  source: BaselineSource,
  features: readonly MonitorFeature[],
  sliceKeys: readonly SliceKey[],
  prefix: string,
): RelationSql {
  const params: QueryParams = {};
  const columns = [
    `${sliceExpression(sliceKeys, prefix, params)} AS slice`,
    ...featureColumns(features, prefix, params),
    'score',
  ];
  if (source.kind === 'events') {
    columns.push('NULL::Nullable(UInt8) AS label_value');
    return {
      sql: `SELECT ${columns.join(', ')} FROM events FINAL WHERE ${windowCondition(source.window, prefix, params)}`,
      params,
    };
  }
  columns.push(
    "multiIf(label IN ('1', '1.0', 'true', 'True'), 1, label IN ('0', '0.0', 'false', 'False'), 0, NULL)::Nullable(UInt8) AS label_value",
  );
  params[`${prefix}_model`] = source.model;
  params[`${prefix}_baseline`] = source.name;
  params[`${prefix}_version`] = source.version;
  return {
    sql: `SELECT ${columns.join(', ')} FROM reference_rows
          WHERE model = {${prefix}_model:String} AND baseline = {${prefix}_baseline:String}
            AND version = {${prefix}_version:UInt32}`,
    params,
  };
}

export function monitorRelations(
  baseline: BaselineSource,
  window: EventWindow,
  features: readonly MonitorFeature[],
  sliceKeys: readonly SliceKey[],
): ComparisonRelations {
  return {
    reference: sourceRelation(baseline, features, sliceKeys, 'ref'),
    current: sourceRelation({ kind: 'events', window }, features, sliceKeys, 'cur'),
    numericCount: features.filter((f) => f.kind === 'numeric').length,
    categoricalCount: features.filter((f) => f.kind === 'categorical').length,
    sliced: false,
  };
}

/** The largest `limit` values of each slice key in the window, by event count. */
export async function queryTopSliceValues(
  store: Store,
  window: EventWindow,
  sliceAttributes: readonly (readonly string[])[],
  limit: number,
): Promise<string[][]> {
  if (sliceAttributes.length === 0) return [];
  const params: QueryParams = { dw_limit: limit };
  const values = sliceAttributes.map((attributes, k) =>
    attributeValue(attributes, `top_k${k}`, params),
  );
  const rows = await store.query<{ key: number; value: string }>(
    `SELECT key, value FROM (
       SELECT pair.1 AS key, pair.2 AS value, count() AS events
       FROM events FINAL
       ARRAY JOIN arrayZip(range(${values.length}), [${values.join(', ')}]) AS pair
       WHERE ${windowCondition(window, 'top', params)}
       GROUP BY key, value
     )
     ORDER BY events DESC, value
     LIMIT {dw_limit:UInt32} BY key`,
    params,
  );
  return sliceAttributes.map((_, k) =>
    rows.filter((row) => Number(row.key) === k).map((row) => row.value),
  );
}

export interface QualityRow {
  slice: string;
  rows: number;
  scored: number;
  predictedPositives: number;
  duplicateIds: number;
  /** Per feature, in the order given: values of another type than the feature's kind. */
  wrongType: number[];
  /** Per feature: numeric values outside [min, max] (null range: not checked). */
  outOfRange: number[];
}

export interface QualityInputs {
  features: readonly MonitorFeature[];
  /** Per feature: the valid range (declared, or the baseline's min and max). */
  ranges: readonly ({ min: number; max: number } | null)[];
  threshold: number | null;
}

/** Rows, scores, duplicate prediction ids, wrong types and out-of-range values per slice. */
export async function queryWindowQuality(
  store: Store,
  window: EventWindow,
  sliceKeys: readonly SliceKey[],
  inputs: QualityInputs,
): Promise<QualityRow[]> {
  const params: QueryParams = { dw_threshold: inputs.threshold ?? 2 };
  const slice = sliceExpression(sliceKeys, 'q', params);
  // A value of the other type than the feature's kind: text for a numeric feature, a
  // number for a categorical one.
  const wrongType = inputs.features.map((feature, i) => {
    params[`dw_wt_${i}`] = feature.name;
    const other = feature.kind === 'numeric' ? 'feature_strings' : 'feature_numbers';
    return `countIf(mapContains(${other}, {dw_wt_${i}:String}))`;
  });
  const outOfRange = inputs.features.map((feature, i) => {
    const range = inputs.ranges[i];
    if (feature.kind !== 'numeric' || !range) return 'toUInt64(0)';
    params[`dw_min_${i}`] = range.min;
    params[`dw_max_${i}`] = range.max;
    const value = numericValue(feature.name, `dw_or_${i}`, params);
    return `countIf(${value} < {dw_min_${i}:Float64} OR ${value} > {dw_max_${i}:Float64})`;
  });
  const rows = await store.query<{
    slice: string;
    rows: string;
    scored: string;
    predicted: string;
    duplicates: string;
    wrong_type: string[];
    out_of_range: string[];
  }>(
    `SELECT ${slice} AS slice, count() AS rows, countIf(isNotNull(score)) AS scored,
            countIf(score >= {dw_threshold:Float64}) AS predicted,
            count() - uniqExact(prediction_id) AS duplicates,
            [${wrongType.join(', ') || 'toUInt64(0)'}] AS wrong_type,
            [${outOfRange.join(', ') || 'toUInt64(0)'}] AS out_of_range
     FROM events FINAL
     WHERE ${windowCondition(window, 'qw', params)}
     GROUP BY slice`,
    params,
  );
  return rows.map((row) => ({
    slice: row.slice,
    rows: Number(row.rows),
    scored: Number(row.scored),
    predictedPositives: Number(row.predicted),
    duplicateIds: Number(row.duplicates),
    wrongType: row.wrong_type.map(Number),
    outOfRange: row.out_of_range.map(Number),
  }));
}

export interface BaselineScoreRow {
  slice: string;
  scored: number;
  predictedPositives: number;
  labelled: number;
  labelPositives: number;
}

/** Scores and labels of the baseline per slice: the reference for positive-rate shifts. */
export async function queryBaselineScores(
  store: Store,
  baseline: BaselineSource,
  sliceKeys: readonly SliceKey[],
  threshold: number,
): Promise<BaselineScoreRow[]> {
  const relation = sourceRelation(baseline, [], sliceKeys, 'bs');
  const rows = await store.query<Record<string, string>>(
    `SELECT slice, countIf(isNotNull(score)) AS scored, countIf(score >= {dw_threshold:Float64}) AS predicted,
            countIf(label_value IN (0, 1)) AS labelled, countIf(label_value = 1) AS label_positives
     FROM (${relation.sql}) GROUP BY slice`,
    { ...relation.params, dw_threshold: threshold },
  );
  return rows.map((row) => ({
    slice: String(row.slice),
    scored: Number(row.scored),
    predictedPositives: Number(row.predicted),
    labelled: Number(row.labelled),
    labelPositives: Number(row.label_positives),
  }));
}

/** Feature names seen in the window's events and in the baseline (for the schema check). */
export async function queryFeaturePaths(
  store: Store,
  baseline: BaselineSource,
  window: EventWindow,
): Promise<{ baseline: string[]; current: string[] }> {
  const names = `groupUniqArrayArray(arrayConcat(mapKeys(feature_numbers), mapKeys(feature_strings), feature_nulls))`;
  const paramsCurrent: QueryParams = {};
  const [current] = await store.query<{ paths: string[] }>(
    `SELECT ${names} AS paths FROM events WHERE ${windowCondition(window, 'pc', paramsCurrent)}`,
    paramsCurrent,
  );
  const paramsBaseline: QueryParams = {};
  const baselineSql =
    baseline.kind === 'events'
      ? `SELECT ${names} AS paths FROM events WHERE ${windowCondition(baseline.window, 'pb', paramsBaseline)}`
      : `SELECT ${names} AS paths FROM reference_rows
         WHERE model = {pb_model:String} AND baseline = {pb_name:String} AND version = {pb_version:UInt32}`;
  if (baseline.kind === 'stored')
    Object.assign(paramsBaseline, {
      pb_model: baseline.model,
      pb_name: baseline.name,
      pb_version: baseline.version,
    });
  const [reference] = await store.query<{ paths: string[] }>(baselineSql, paramsBaseline);
  return { baseline: reference?.paths ?? [], current: current?.paths ?? [] };
}

/**
 * Predictions of a window joined with their labels, in the shape
 * queryClassificationAggregates reads (slice, score, label as 0/1).
 */
export function labelledWindowRelation(
  window: EventWindow,
  sliceKeys: readonly SliceKey[],
): RelationSql {
  const params: QueryParams = {};
  const slice = sliceExpression(sliceKeys, 'lw', params);
  return {
    sql: `SELECT ${slice} AS slice, p.score AS score,
            multiIf(l.label IN ('1', 'true', 'True'), 1, l.label IN ('0', 'false', 'False'), 0, NULL)::Nullable(UInt8) AS label
          FROM (SELECT prediction_id, score, attributes FROM events FINAL WHERE ${windowCondition(window, 'lw', params)}) AS p
          LEFT JOIN (SELECT prediction_id, label FROM labels FINAL WHERE model = {lw_model:String}) AS l
            ON p.prediction_id = l.prediction_id`,
    params,
  };
}
