import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { ALL_SLICES, queryBinCounts, type EdgesBySlice } from './driftQueries.js';

/**
 * The queries behind a reference profile: the exact statistics of a baseline's rows per
 * slice and feature, computed once per baseline version (src/drift/profile.ts). A source
 * is a stored baseline version (reference_rows) or a range of a model's own events (a
 * trailing baseline), in the same layout.
 */
export type ProfileSource =
  | { kind: 'stored'; model: string; baseline: string; version: number }
  | { kind: 'events'; model: string; from: Date; to: Date };

export interface ProfileFeature {
  name: string;
  kind: 'numeric' | 'categorical';
}

/** A slice key (its attributes; more than one is crossed) and the values kept as themselves. */
export interface ProfileSliceKey {
  attributes: readonly string[];
  kept: readonly string[];
}

export const MISSING_SLICE_VALUE = '(missing)';
export const OTHER_SLICE_VALUE = 'other';

export function sliceKeyName(attributes: readonly string[]): string {
  return attributes.join('×');
}

/**
 * The rows of a source in the events layout (score, feature maps, attributes, label_value
 * 0/1/NULL). Events are read without FINAL: ingest inserts each event once.
 */
export function sourceRowsSql(source: ProfileSource, params: QueryParams, prefix = 'src'): string {
  params[`${prefix}_model`] = source.model;
  if (source.kind === 'stored') {
    params[`${prefix}_baseline`] = source.baseline;
    params[`${prefix}_version`] = source.version;
    return `SELECT score, feature_numbers, feature_strings, feature_nulls, attributes, '' AS prediction_id,
              multiIf(label IN ('1', '1.0', 'true', 'True'), 1, label IN ('0', '0.0', 'false', 'False'), 0, NULL)::Nullable(UInt8) AS label_value
            FROM reference_rows
            WHERE model = {${prefix}_model:String} AND baseline = {${prefix}_baseline:String} AND version = {${prefix}_version:UInt32}`;
  }
  params[`${prefix}_from`] = toClickHouseTime(source.from);
  params[`${prefix}_to`] = toClickHouseTime(source.to);
  return `SELECT p.score AS score, p.feature_numbers AS feature_numbers, p.feature_strings AS feature_strings,
            p.feature_nulls AS feature_nulls, p.attributes AS attributes, p.prediction_id AS prediction_id,
            multiIf(l.label IN ('1', 'true', 'True'), 1, l.label IN ('0', 'false', 'False'), 0, NULL)::Nullable(UInt8) AS label_value
          FROM (SELECT prediction_id, score, feature_numbers, feature_strings, feature_nulls, attributes FROM events
                WHERE model = {${prefix}_model:String} AND kind = 'prediction'
                  AND ts >= {${prefix}_from:DateTime64(3)} AND ts < {${prefix}_to:DateTime64(3)}) AS p
          LEFT JOIN (SELECT prediction_id, argMax(label, ingested_at) AS label FROM labels
                     WHERE model = {${prefix}_model:String} GROUP BY prediction_id) AS l
            ON p.prediction_id = l.prediction_id`;
}

function sourceRows(source: ProfileSource, params: QueryParams): string {
  return sourceRowsSql(source, params);
}

/** A slice value of one key: its attributes' values joined by '/', each "(missing)" when absent. */
function keyValue(attributes: readonly string[], prefix: string, params: QueryParams): string {
  params[`${prefix}_attrs`] = [...attributes];
  params[`${prefix}_missing`] = MISSING_SLICE_VALUE;
  return `arrayStringConcat(arrayMap(a -> if(mapContains(attributes, a), attributes[a], {${prefix}_missing:String}), {${prefix}_attrs:Array(String)}), '/')`;
}

/** The largest `limit` values of each slice key in the source, by rows. */
export async function queryTopSliceValues(
  store: Store,
  source: ProfileSource,
  keys: readonly (readonly string[])[],
  limit: number,
): Promise<string[][]> {
  if (keys.length === 0) return [];
  const params: QueryParams = { limit };
  const values = keys.map((attributes, k) => keyValue(attributes, `tk${k}`, params));
  const rows = await store.query<{ key: number; value: string }>(
    `SELECT key, value FROM (
       SELECT pair.1 AS key, pair.2 AS value, count() AS n
       FROM (${sourceRows(source, params)})
       ARRAY JOIN arrayZip(range(${values.length}), [${values.join(', ')}]) AS pair
       GROUP BY key, value
     )
     ORDER BY n DESC, value
     LIMIT {limit:UInt32} BY key`,
    params,
  );
  return keys.map((_, k) => rows.filter((row) => Number(row.key) === k).map((row) => row.value));
}

/**
 * Every row's slice labels (key, value): ('', 'all') and one per key, values beyond the
 * kept ones folded into "other" ("(missing)" never folded), joined one row per label.
 */
export function sliceLabelsSql(
  keys: readonly ProfileSliceKey[],
  params: QueryParams,
  prefix = 'lb',
): string {
  params[`${prefix}_other`] = OTHER_SLICE_VALUE;
  const labels = keys.map((key, k) => {
    const value = keyValue(key.attributes, `${prefix}${k}`, params);
    params[`${prefix}${k}_name`] = sliceKeyName(key.attributes);
    params[`${prefix}${k}_kept`] = [...key.kept];
    return `({${prefix}${k}_name:String}, if(has({${prefix}${k}_kept:Array(String)}, ${value}) OR ${value} = {${prefix}${k}_missing:String}, ${value}, {${prefix}_other:String}))`;
  });
  return `arrayJoin([('', 'all')${labels.map((label) => `, ${label}`).join('')}])`;
}

/** A label tuple `lbl` as the string id profile bin counts and exact fallbacks use. */
export function sliceIdSql(label: string, params: QueryParams, prefix = 'lb'): string {
  params[`${prefix}_sep`] = '\u0001';
  params[`${prefix}_all`] = ALL_SLICES;
  return `if(${label}.1 = '', {${prefix}_all:String}, concat(${label}.1, {${prefix}_sep:String}, ${label}.2))`;
}

function sliceLabels(keys: readonly ProfileSliceKey[], params: QueryParams): string {
  return sliceLabelsSql(keys, params);
}

export interface ProfileStatsRow {
  sliceKey: string;
  sliceValue: string;
  /** '' for the slice's own row (rows, scores, labels). */
  feature: string;
  rows: number;
  present: number;
  nulls: number;
  posInf: number;
  negInf: number;
  nan: number;
  wrongType: number;
  min: number;
  max: number;
  mean: number;
  stddevPop: number;
  quantiles: number[];
  scored: number;
  predictedPositives: number;
  labelled: number;
  labelPositives: number;
}

type RawFeatureTuple = [
  number,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  number[],
  number,
  number,
  number,
  number,
  number,
];

/**
 * Per slice label and feature: rows, present values (finite numbers or strings), nulls
 * (explicit or absent), non-finite numbers, values of the wrong type, and for numbers the
 * quantiles at `levels` (R-7), min, max, mean and population standard deviation of the
 * finite values. The spread is also taken of the values scaled by 2^-1000, so values near
 * the float limits do not overflow it.
 */
export async function queryProfileStats(
  store: Store,
  source: ProfileSource,
  features: readonly ProfileFeature[],
  keys: readonly ProfileSliceKey[],
  options: { levels: readonly number[]; threshold: number | null },
): Promise<ProfileStatsRow[]> {
  const params: QueryParams = { threshold: options.threshold };
  const label = sliceLabels(keys, params);
  const levels = options.levels.map((level) => level.toPrecision(17)).join(', ');
  const perFeature = features.map((feature, i) => {
    params[`f${i}`] = feature.name;
    const name = `{f${i}:String}`;
    const present = `(mapContains(feature_numbers, ${name}) OR mapContains(feature_strings, ${name}))`;
    const absent = `(has(feature_nulls, ${name}) OR NOT (${present}))`;
    if (feature.kind === 'categorical') {
      return `(${i}, toString(countIf(mapContains(feature_strings, ${name}))), toString(countIf(${absent})),
        '0', '0', '0', toString(countIf(mapContains(feature_numbers, ${name}))), '0', [], 0., 0., 0., 0., 0.)`;
    }
    const value = `if(mapContains(feature_numbers, ${name}), feature_numbers[${name}], NULL)`;
    const finite = `ifNull(isFinite(${value}), 0)`;
    return `(${i}, toString(countIf(${finite})), toString(countIf(${absent} AND NOT mapContains(feature_strings, ${name}))),
      toString(countIf(${value} = inf)), toString(countIf(${value} = -inf)), toString(countIf(ifNull(isNaN(${value}), 0))),
      toString(countIf(mapContains(feature_strings, ${name}))), '0',
      quantilesExactInclusiveIf(${levels})(assumeNotNull(${value}), ${finite}),
      minIf(assumeNotNull(${value}), ${finite}), maxIf(assumeNotNull(${value}), ${finite}),
      avgIf(assumeNotNull(${value}) * 0x1p-1000, ${finite}) * 0x1p1000,
      stddevPopIf(assumeNotNull(${value}), ${finite}),
      stddevPopIf(assumeNotNull(${value}) * 0x1p-1000, ${finite}) * 0x1p1000)`;
  });
  const rows = await store.query<{
    key: string;
    value: string;
    rows: string;
    scored: string;
    predicted: string;
    labelled: string;
    label_positives: string;
    features: RawFeatureTuple[];
  }>(
    `SELECT lbl.1 AS key, lbl.2 AS value, count() AS rows,
            countIf(ifNull(isFinite(score), 0)) AS scored, countIf(ifNull(score >= {threshold:Nullable(Float64)}, 0)) AS predicted,
            countIf(label_value IN (0, 1)) AS labelled, countIf(label_value = 1) AS label_positives,
            [${perFeature.join(',\n')}] AS features
     FROM (SELECT *, ${label} AS lbl FROM (${sourceRows(source, params)}))
     GROUP BY key, value`,
    params,
  );
  return rows.flatMap((row) => {
    const slice = { sliceKey: row.key, sliceValue: row.value };
    const own: ProfileStatsRow = {
      ...slice,
      feature: '',
      rows: Number(row.rows),
      present: 0,
      nulls: 0,
      posInf: 0,
      negInf: 0,
      nan: 0,
      wrongType: 0,
      min: 0,
      max: 0,
      mean: 0,
      stddevPop: 0,
      quantiles: [],
      scored: Number(row.scored),
      predictedPositives: Number(row.predicted),
      labelled: Number(row.labelled),
      labelPositives: Number(row.label_positives),
    };
    const perFeatureRows = row.features.map((tuple): ProfileStatsRow => {
      const [
        i,
        present,
        nulls,
        posInf,
        negInf,
        nan,
        wrongType,
        ,
        quantiles,
        min,
        max,
        mean,
        sd,
        scaledSd,
      ] = tuple;
      const n = Number(present);
      const spread = Number.isFinite(Number(sd)) ? Number(sd) : Number(scaledSd);
      return {
        ...slice,
        feature: features[Number(i)]?.name ?? '',
        rows: Number(row.rows),
        present: n,
        nulls: Number(nulls),
        posInf: Number(posInf),
        negInf: Number(negInf),
        nan: Number(nan),
        wrongType: Number(wrongType),
        min: n > 0 ? Number(min) : 0,
        max: n > 0 ? Number(max) : 0,
        mean: n > 0 ? Number(mean) : 0,
        stddevPop: n > 0 ? spread : 0,
        quantiles: n > 0 ? quantiles.map(Number) : [],
        scored: 0,
        predictedPositives: 0,
        labelled: 0,
        labelPositives: 0,
      };
    });
    return [own, ...perFeatureRows];
  });
}

/**
 * Exact bin counts of the source's finite values per slice label and numeric feature, on
 * each label's own edges (driftQueries' bin counting, the report's too).
 */
export async function queryProfileBinCounts(
  store: Store,
  source: ProfileSource,
  numeric: readonly string[],
  keys: readonly ProfileSliceKey[],
  edges: ReadonlyMap<string, ReadonlyMap<string, number[]>>,
): Promise<Map<string, Map<string, number[]>>> {
  if (numeric.length === 0) return new Map();
  const params: QueryParams = {};
  const label = sliceLabels(keys, params);
  const columns = numeric.map((name, i) => {
    params[`pb_n${i}`] = name;
    const value = `if(mapContains(feature_numbers, {pb_n${i}:String}), feature_numbers[{pb_n${i}:String}], NULL)`;
    return `if(ifNull(isFinite(${value}), 0), ${value}, NULL) AS n${i}`;
  });
  const rows = `SELECT ${sliceIdSql('lbl', params)} AS slice, ${columns.join(', ')}
                FROM (SELECT *, ${label} AS lbl FROM (${sourceRows(source, params)}))`;
  const bySlice: EdgesBySlice = new Map();
  for (const [slice, byFeature] of edges) {
    const indexed = new Map<number, number[]>();
    numeric.forEach((name, i) => {
      const featureEdges = byFeature.get(name);
      if (featureEdges) indexed.set(i, featureEdges);
    });
    bySlice.set(slice, indexed);
  }
  const counts = await queryBinCounts(
    store,
    {
      reference: { sql: rows, params },
      current: { sql: `${rows} LIMIT 0`, params: {} },
      numericCount: numeric.length,
      categoricalCount: 0,
      sliced: false,
    },
    bySlice,
  );
  const result = new Map<string, Map<string, number[]>>();
  for (const row of counts) {
    if (row.side !== 'reference') continue;
    const byFeature = result.get(row.slice) ?? new Map<string, number[]>();
    byFeature.set(numeric[row.feature] ?? '', row.counts);
    result.set(row.slice, byFeature);
  }
  return result;
}

/** The key profile bin counts and edges use for a slice label. */
export function profileSliceId(sliceKey: string, sliceValue: string): string {
  return sliceKey === '' ? ALL_SLICES : `${sliceKey}\u0001${sliceValue}`;
}

export interface StoredProfileHeader {
  model: string;
  baseline: string;
  version: number;
  profileId: string;
  cellSet: number;
  spec: string;
  slices: string;
}

export interface StoredProfileFeature {
  slice_key: string;
  slice_value: string;
  feature: string;
  rows: number;
  present: number;
  nulls: number;
  pos_inf: number;
  neg_inf: number;
  nan: number;
  wrong_type: number;
  min: number;
  max: number;
  mean: number;
  stddev_pop: number;
  edges: number[];
  bin_counts: number[];
  quantiles: number[];
  scored: number;
  predicted_positives: number;
  labelled: number;
  label_positives: number;
}

/** Rows first, header last: a profile is visible only once complete. */
export async function insertReferenceProfile(
  store: Store,
  header: StoredProfileHeader,
  features: readonly StoredProfileFeature[],
): Promise<void> {
  const identity = {
    model: header.model,
    baseline: header.baseline,
    version: header.version,
    profile_id: header.profileId,
  };
  await store.insert(
    'reference_profile_features',
    features.map((row) => ({ ...identity, ...row, min: finite(row.min), max: finite(row.max) })),
  );
  await store.insert('reference_profiles', [
    { ...identity, cell_set: header.cellSet, spec: header.spec, slices: header.slices },
  ]);
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

export async function getReferenceProfile(
  store: Store,
  identity: { model: string; baseline: string; version: number; profileId: string },
): Promise<{ header: StoredProfileHeader; features: StoredProfileFeature[] } | undefined> {
  const params = {
    model: identity.model,
    baseline: identity.baseline,
    version: identity.version,
    profile_id: identity.profileId,
  };
  const [header] = await store.query<{ cell_set: number; spec: string; slices: string }>(
    `SELECT cell_set, spec, slices FROM reference_profiles FINAL
     WHERE model = {model:String} AND baseline = {baseline:String} AND version = {version:UInt32}
       AND profile_id = {profile_id:String}
     LIMIT 1`,
    params,
  );
  if (!header) return undefined;
  const features = await store.query<StoredProfileFeature>(
    `SELECT slice_key, slice_value, feature, rows, present, nulls, pos_inf, neg_inf, nan, wrong_type, min, max, mean,
            stddev_pop, edges, bin_counts, quantiles, scored, predicted_positives, labelled, label_positives
     FROM reference_profile_features FINAL
     WHERE model = {model:String} AND baseline = {baseline:String} AND version = {version:UInt32}
       AND profile_id = {profile_id:String}`,
    params,
  );
  return {
    header: {
      model: identity.model,
      baseline: identity.baseline,
      version: identity.version,
      profileId: identity.profileId,
      cellSet: Number(header.cell_set),
      spec: header.spec,
      slices: header.slices,
    },
    features: features.map((row) => ({
      ...row,
      rows: Number(row.rows),
      present: Number(row.present),
      nulls: Number(row.nulls),
      pos_inf: Number(row.pos_inf),
      neg_inf: Number(row.neg_inf),
      nan: Number(row.nan),
      wrong_type: Number(row.wrong_type),
      bin_counts: row.bin_counts.map(Number),
      scored: Number(row.scored),
      predicted_positives: Number(row.predicted_positives),
      labelled: Number(row.labelled),
      label_positives: Number(row.label_positives),
    })),
  };
}
