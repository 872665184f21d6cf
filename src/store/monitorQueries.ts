import type { QueryParams, Store } from './clickhouse.js';
import type { ComparisonRelations, RelationSql } from './driftQueries.js';
import {
  scoreFeatureOf,
  sliceIdSql,
  sliceLabelsSql,
  sourceRowsSql,
  unlabelledRowsSql,
  type ProfileSource,
  type WindowEvents,
} from './profileQueries.js';
import type { ProfileSliceKey } from '../drift/slices.js';

/**
 * What a monitor run still reads from raw events, each bounded by the window: the exact
 * recomputation of a value whose bracket straddles a threshold, duplicate prediction ids,
 * and predictions joined with their late labels. Every row counts once in "all" and once
 * per slice key, by the same folding as the reference profile (profileQueries).
 */
export interface MonitorFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Read from the events' score: a regression's prediction. */
  fromScore?: boolean;
}

/** Rows of a source with `slice` (a slice id) and the features in driftQueries' shape. */
function featureRelation(
  source: ProfileSource,
  features: readonly MonitorFeature[],
  keys: readonly ProfileSliceKey[],
  sliceIds: readonly string[],
  prefix: string,
): RelationSql {
  const params: QueryParams = { [`${prefix}_ids`]: [...sliceIds] };
  const label = sliceLabelsSql(keys, params, `${prefix}l`);
  const numeric = features.filter((f) => f.kind === 'numeric');
  const categorical = features.filter((f) => f.kind === 'categorical');
  const columns = [
    ...numeric.map((f, i) => {
      params[`${prefix}_n${i}`] = f.name;
      const name = `{${prefix}_n${i}:String}`;
      const value = `if(mapContains(feature_numbers, ${name}), feature_numbers[${name}], NULL)`;
      return `if(ifNull(isFinite(${value}), 0), ${value}, NULL) AS n${i}, ifNull(NOT isFinite(${value}), 0) AS x${i}`;
    }),
    ...categorical.map((f, i) => {
      params[`${prefix}_c${i}`] = f.name;
      const name = `{${prefix}_c${i}:String}`;
      return `if(mapContains(feature_strings, ${name}), feature_strings[${name}], NULL) AS c${i}`;
    }),
  ];
  return {
    sql: `SELECT * FROM (
            SELECT ${sliceIdSql('lbl', params, `${prefix}l`)} AS slice, ${columns.join(', ') || '1 AS dw_row'}
            FROM (SELECT *, ${label} AS lbl FROM (${unlabelledRowsSql(source, params, `${prefix}s`, scoreFeatureOf(features))})))
          WHERE slice IN {${prefix}_ids:Array(String)}`,
    params,
  };
}

/** The baseline's rows and the window's events for an exact recomputation of some slices. */
export function exactComparisonRelations(
  baseline: ProfileSource,
  events: WindowEvents,
  features: readonly MonitorFeature[],
  keys: readonly ProfileSliceKey[],
  sliceIds: readonly string[],
): ComparisonRelations {
  return {
    reference: featureRelation(baseline, features, keys, sliceIds, 'ref'),
    current: featureRelation(events, features, keys, sliceIds, 'cur'),
    numericCount: features.filter((f) => f.kind === 'numeric').length,
    categoricalCount: features.filter((f) => f.kind === 'categorical').length,
    sliced: false,
  };
}

export interface ExactWindowCounts {
  slice: string;
  rows: number;
  predictedPositives: number;
  /** Per range given: finite values outside it. */
  outside: number[];
}

/** Exact counts per slice id for brackets that straddle a threshold: out of range, predicted positives. */
export async function queryExactWindowCounts(
  store: Store,
  events: WindowEvents,
  keys: readonly ProfileSliceKey[],
  inputs: {
    ranges: readonly { feature: string; min: number; max: number }[];
    threshold: number | null;
  },
): Promise<ExactWindowCounts[]> {
  const params: QueryParams = { ec_threshold: inputs.threshold };
  const label = sliceLabelsSql(keys, params, 'ecl');
  const outside = inputs.ranges.map((range, i) => {
    params[`ec_f${i}`] = range.feature;
    params[`ec_min${i}`] = range.min;
    params[`ec_max${i}`] = range.max;
    const value = `if(mapContains(feature_numbers, {ec_f${i}:String}), feature_numbers[{ec_f${i}:String}], NULL)`;
    return `countIf(ifNull(isFinite(${value}) AND (${value} < {ec_min${i}:Float64} OR ${value} > {ec_max${i}:Float64}), 0))`;
  });
  const rows = await store.query<{
    slice: string;
    rows: string;
    predicted: string;
    outside: string[];
  }>(
    `SELECT ${sliceIdSql('lbl', params, 'ecl')} AS slice, count() AS rows,
            countIf(ifNull(score >= {ec_threshold:Nullable(Float64)}, 0)) AS predicted,
            [${outside.join(', ') || 'toUInt64(0)'}] AS outside
     FROM (SELECT *, ${label} AS lbl FROM (${unlabelledRowsSql(events, params, 'ecs')}))
     GROUP BY slice`,
    params,
  );
  return rows.map((row) => ({
    slice: row.slice,
    rows: Number(row.rows),
    predictedPositives: Number(row.predicted),
    outside: row.outside.map(Number),
  }));
}

/** Events whose prediction id another event of the window also has, per slice id. */
export async function queryDuplicateIds(
  store: Store,
  events: WindowEvents,
  keys: readonly ProfileSliceKey[],
): Promise<Map<string, number>> {
  const params: QueryParams = {};
  const label = sliceLabelsSql(keys, params, 'dul');
  const rows = await store.query<{ slice: string; duplicates: string }>(
    `SELECT ${sliceIdSql('lbl', params, 'dul')} AS slice, count() - uniqExact(prediction_id) AS duplicates
     FROM (SELECT *, ${label} AS lbl FROM (${unlabelledRowsSql(events, params, 'dus')}))
     GROUP BY slice`,
    params,
  );
  return new Map(rows.map((row) => [row.slice, Number(row.duplicates)]));
}

/**
 * Predictions of a window joined with their labels, in the shape
 * queryClassificationAggregates reads (slice id, score, label as 0/1), one row per label.
 */
export function labelledWindowRelation(
  events: WindowEvents,
  keys: readonly ProfileSliceKey[],
): RelationSql {
  const params: QueryParams = {};
  const label = sliceLabelsSql(keys, params, 'lwl');
  return {
    sql: `SELECT ${sliceIdSql('lbl', params, 'lwl')} AS slice, score, label_value AS label
          FROM (SELECT *, ${label} AS lbl FROM (${sourceRowsSql(events, params, 'lws')}))`,
    params,
  };
}

/**
 * Predictions of a window joined with their labels read as numbers, in the shape
 * queryRegressionAggregates reads (slice id, score as the prediction, label), one row per label.
 */
export function regressionWindowRelation(
  events: WindowEvents,
  keys: readonly ProfileSliceKey[],
): RelationSql {
  const params: QueryParams = {};
  const label = sliceLabelsSql(keys, params, 'rwl');
  return {
    sql: `SELECT ${sliceIdSql('lbl', params, 'rwl')} AS slice, score, label_number AS label
          FROM (SELECT *, ${label} AS lbl FROM (${sourceRowsSql(events, params, 'rws')}))`,
    params,
  };
}

/**
 * Predictions of a window joined with their labels as class names, in the shape
 * queryMulticlassAggregates reads (slice id, predicted class, class scores, label), one row
 * per label. With `labels: false` (a reader of the class scores alone, as CBPE) the label is
 * NULL and the window's events are read without the join to the model's labels.
 */
export function multiclassWindowRelation(
  events: WindowEvents,
  keys: readonly ProfileSliceKey[],
  { labels = true }: { labels?: boolean } = {},
): RelationSql {
  const params: QueryParams = {};
  const label = sliceLabelsSql(keys, params, 'mwl');
  const rows = (labels ? sourceRowsSql : unlabelledRowsSql)(events, params, 'mws');
  return {
    sql: `SELECT ${sliceIdSql('lbl', params, 'mwl')} AS slice, prediction AS predicted, scores, label_text AS label
          FROM (SELECT *, ${label} AS lbl FROM (${rows}))`,
    params,
  };
}

/** Rows per slice id and predicted class (NULL: none) of a baseline or a window's events. */
export async function queryPredictedClasses(
  store: Store,
  source: ProfileSource,
  keys: readonly ProfileSliceKey[],
): Promise<{ slice: string; predicted: string | null; count: number }[]> {
  const params: QueryParams = {};
  const label = sliceLabelsSql(keys, params, 'pcl');
  const rows = await store.query<{ slice: string; predicted: string | null; count: string }>(
    `SELECT ${sliceIdSql('lbl', params, 'pcl')} AS slice, prediction AS predicted, count() AS count
     FROM (SELECT *, ${label} AS lbl FROM (${unlabelledRowsSql(source, params, 'pcs')}))
     GROUP BY slice, predicted`,
    params,
  );
  return rows.map((row) => ({
    slice: row.slice,
    predicted: row.predicted,
    count: Number(row.count),
  }));
}
