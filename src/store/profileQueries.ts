import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { spreadExponent, spreadFromDeviations } from '../stats/exactCells.js';
import {
  MISSING_SLICE_VALUE,
  OTHER_SLICE_VALUE,
  sliceKeyName,
  type ProfileSliceKey,
} from '../drift/slices.js';
import type { TimeWindow } from '../timeWindow.js';
import { ALL_SLICES } from './driftQueries.js';

/**
 * The queries behind a reference profile: the exact statistics of a baseline's rows per
 * slice and feature, computed once per baseline version (src/drift/profile.ts). A source
 * is a stored baseline version (reference_rows) or a range of a model's own events (a
 * trailing baseline), in the same layout.
 */
export type ProfileSource =
  { kind: 'stored'; model: string; baseline: string; version: number } | WindowEvents;

/** A model's own events in a window: a monitor's window, its label window, a trailing baseline. */
export interface WindowEvents {
  kind: 'events';
  model: string;
  window: TimeWindow;
}

export function eventsIn(model: string, window: TimeWindow): WindowEvents {
  return { kind: 'events', model, window };
}

export interface ProfileFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Read from the rows' score, not the feature maps: a regression's prediction. */
  fromScore?: boolean;
}

/** The name under which the score is profiled like a numeric feature, if any feature asks it. */
export function scoreFeatureOf(
  features: readonly { name: string; fromScore?: boolean }[],
): string | undefined {
  return features.find((feature) => feature.fromScore)?.name;
}

/**
 * The rows of a source in the events layout (score, predicted class and class scores, feature
 * maps, attributes, label_value 0/1/NULL, label_number: the label read as a number, NULL
 * when it is none, and label_text: the label as a class name, NULL when there is none).
 * Events are read without FINAL: ingest inserts each event once.
 */
export function sourceRowsSql(
  source: ProfileSource,
  params: QueryParams,
  prefix = 'src',
  scoreAs?: string,
): string {
  return rowsSql(source, params, prefix, scoreAs, true);
}

/**
 * The same rows with their label columns NULL, for a query that never reads a label (drift,
 * counts, predicted classes): a window's events are then read without the join to the
 * model's labels, which groups every label the model has and costs more than the events.
 */
export function unlabelledRowsSql(
  source: ProfileSource,
  params: QueryParams,
  prefix = 'src',
  scoreAs?: string,
): string {
  return rowsSql(source, params, prefix, scoreAs, false);
}

function rowsSql(
  source: ProfileSource,
  params: QueryParams,
  prefix: string,
  scoreAs: string | undefined,
  withLabels: boolean,
): string {
  params[`${prefix}_model`] = source.model;
  // the score as one more numeric feature (a regression's prediction), so every query that
  // profiles or recomputes a feature reads it the same way
  const numbers = (score: string, map: string) => {
    if (scoreAs === undefined) return map;
    params[`${prefix}_score_as`] = scoreAs;
    return `if(isNull(${score}), ${map}, mapUpdate(${map}, map({${prefix}_score_as:String}, assumeNotNull(${score}))))`;
  };
  if (source.kind === 'stored') {
    params[`${prefix}_baseline`] = source.baseline;
    params[`${prefix}_version`] = source.version;
    return `SELECT score, prediction, scores,
              ${numbers('score', 'feature_numbers')} AS feature_numbers, feature_strings, feature_nulls, attributes, '' AS prediction_id,
              multiIf(label IN ('1', '1.0', 'true', 'True'), 1, label IN ('0', '0.0', 'false', 'False'), 0, NULL)::Nullable(UInt8) AS label_value,
              toFloat64OrNull(label) AS label_number, nullIf(label, '') AS label_text
            FROM reference_rows
            WHERE model = {${prefix}_model:String} AND baseline = {${prefix}_baseline:String} AND version = {${prefix}_version:UInt32}`;
  }
  params[`${prefix}_from`] = toClickHouseTime(source.window.start);
  params[`${prefix}_to`] = toClickHouseTime(source.window.end);
  const predictions = `SELECT prediction_id, score, prediction, scores, feature_numbers, feature_strings, feature_nulls, attributes FROM events
                WHERE model = {${prefix}_model:String} AND kind = 'prediction'
                  AND ts >= {${prefix}_from:DateTime64(3)} AND ts < {${prefix}_to:DateTime64(3)}`;
  if (!withLabels)
    return `SELECT score, prediction, scores,
              ${numbers('score', 'feature_numbers')} AS feature_numbers, feature_strings, feature_nulls, attributes, prediction_id,
              NULL::Nullable(UInt8) AS label_value, NULL::Nullable(Float64) AS label_number, NULL::Nullable(String) AS label_text
            FROM (${predictions})`;
  return `SELECT p.score AS score, p.prediction AS prediction, p.scores AS scores,
            ${numbers('p.score', 'p.feature_numbers')} AS feature_numbers, p.feature_strings AS feature_strings,
            p.feature_nulls AS feature_nulls, p.attributes AS attributes, p.prediction_id AS prediction_id,
            multiIf(l.label IN ('1', 'true', 'True'), 1, l.label IN ('0', 'false', 'False'), 0, NULL)::Nullable(UInt8) AS label_value,
            toFloat64OrNull(l.label) AS label_number, nullIf(l.label, '') AS label_text
          FROM (${predictions}) AS p
          LEFT JOIN (SELECT prediction_id, argMax(label, ingested_at) AS label FROM labels
                     WHERE model = {${prefix}_model:String} GROUP BY prediction_id) AS l
            ON p.prediction_id = l.prediction_id`;
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
       FROM (${unlabelledRowsSql(source, params)})
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

/** A (slice label, feature) group's key, as the profile's queries and its spreads' pass name it. */
function groupId(key: string, value: string, feature: string): string {
  return `${key}\u0002${value}\u0002${feature}`;
}

/**
 * The population standard deviation of each (slice label, feature)'s finite values, by the
 * corrected two-pass form numpy's std follows: deviations from the first pass's mean,
 * sqrt((Σd² − (Σd)²/n) / n), both sums compensated (Kahan). ClickHouse's stddevPop sums
 * squares in one pass: for values far from zero with a small spread (1e9 + noise of 1e-3) it
 * gave 51.8 or 0 where numpy gives 2.9e-4, and wasserstein_normed divides by it. Each group's
 * values are scaled by a power of two from its largest magnitude (exact), so values near the
 * float limits neither overflow nor vanish. A second scan of the source: a stored baseline's
 * profile is built once.
 */
async function querySpreads(
  store: Store,
  labelled: (params: QueryParams) => string,
  names: readonly string[],
  groups: readonly {
    key: string;
    value: string;
    f: string;
    finite: string;
    lo: number;
    hi: number;
    mean: number;
  }[],
): Promise<Map<string, number>> {
  const kept = groups.filter((g) => Number(g.finite) > 0);
  const spreads = new Map<string, number>();
  if (kept.length === 0) return spreads;
  const exponents = kept.map((g) => {
    const largest = Math.max(Math.abs(Number(g.lo)), Math.abs(Number(g.hi)));
    return spreadExponent(largest);
  });
  const params: QueryParams = {
    names,
    sp_ids: kept.map((g) => groupId(g.key, g.value, g.f)),
    sp_scales: exponents.map((e) => 2 ** -e),
    sp_means: kept.map((g, i) => Number(g.mean) * 2 ** -(exponents[i] as number)),
    sp_sep: '\u0002',
  };
  const rows = await store.query<{ id: string; n: string; squares: number; deviations: number }>(
    `SELECT id, count() AS n, sumKahan(d * d) AS squares, sumKahan(d) AS deviations
     FROM (
       SELECT concat(lbl.1, {sp_sep:String}, lbl.2, {sp_sep:String}, f) AS id,
              v * transform(id, {sp_ids:Array(String)}, {sp_scales:Array(Float64)}, 1.)
                - transform(id, {sp_ids:Array(String)}, {sp_means:Array(Float64)}, 0.) AS d
       FROM (${labelled(params)})
       ARRAY JOIN mapKeys(feature_numbers) AS f, mapValues(feature_numbers) AS v
       WHERE f IN {names:Array(String)} AND isFinite(v)
     )
     GROUP BY id`,
    params,
  );
  const exponentOf = new Map(
    kept.map((g, i) => [groupId(g.key, g.value, g.f), exponents[i] as number]),
  );
  for (const row of rows) {
    const n = Number(row.n);
    const squares = Number(row.squares);
    const deviations = Number(row.deviations);
    spreads.set(row.id, spreadFromDeviations(n, squares, deviations, exponentOf.get(row.id) ?? 0));
  }
  return spreads;
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

/**
 * Per slice label and feature: rows, present values (finite numbers or strings), nulls
 * (explicit or absent), non-finite numbers, values of the wrong type, and for numbers the
 * quantiles at `levels` (R-7), min, max, mean and population standard deviation of the
 * finite values (the spread by querySpreads' second pass). The maps are exploded once a
 * pass (ARRAY JOIN), never searched per feature.
 */
export async function queryProfileStats(
  store: Store,
  source: ProfileSource,
  features: readonly ProfileFeature[],
  keys: readonly ProfileSliceKey[],
  options: { levels: readonly number[]; threshold: number | null },
): Promise<ProfileStatsRow[]> {
  const kinds = new Map(features.map((f) => [f.name, f.kind]));
  const names = features.map((f) => f.name);
  const levels = options.levels.map((level) => level.toPrecision(17)).join(', ');
  const labelled = (params: QueryParams) =>
    `SELECT *, ${sliceLabelsSql(keys, params)} AS lbl FROM (${sourceRowsSql(source, params, 'src', scoreFeatureOf(features))})`;
  const numbersParams: QueryParams = { names };
  const numbers = store.query<{
    key: string;
    value: string;
    f: string;
    total: string;
    finite: string;
    pos_inf: string;
    neg_inf: string;
    nan: string;
    quantiles: number[];
    lo: number;
    hi: number;
    mean: number;
  }>(
    `SELECT lbl.1 AS key, lbl.2 AS value, f, count() AS total, countIf(isFinite(v)) AS finite,
            countIf(v = inf) AS pos_inf, countIf(v = -inf) AS neg_inf, countIf(isNaN(v)) AS nan,
            quantilesExactInclusiveIf(${levels})(v, isFinite(v)) AS quantiles,
            minIf(v, isFinite(v)) AS lo, maxIf(v, isFinite(v)) AS hi, avgIf(v, isFinite(v)) AS mean
     FROM (${labelled(numbersParams)})
     ARRAY JOIN mapKeys(feature_numbers) AS f, mapValues(feature_numbers) AS v
     WHERE f IN {names:Array(String)}
     GROUP BY key, value, f`,
    numbersParams,
  );
  const othersParams: QueryParams = { names, threshold: options.threshold };
  const others = store.query<{
    key: string;
    value: string;
    f: string;
    strings: string;
    nulls: string;
  }>(
    `SELECT lbl.1 AS key, lbl.2 AS value, cell.1 AS f,
            countIf(cell.2 = 1) AS strings, countIf(cell.2 = 2) AS nulls
     FROM (${labelled(othersParams)})
     ARRAY JOIN arrayConcat(arrayMap(k -> (toString(k), 1), mapKeys(feature_strings)),
                            arrayMap(k -> (toString(k), 2), feature_nulls)) AS cell
     WHERE cell.1 IN {names:Array(String)}
     GROUP BY key, value, f`,
    othersParams,
  );
  const slicesParams: QueryParams = { threshold: options.threshold };
  const slices = store.query<{
    key: string;
    value: string;
    rows: string;
    scored: string;
    predicted: string;
    labelled: string;
    label_positives: string;
  }>(
    `SELECT lbl.1 AS key, lbl.2 AS value, count() AS rows,
            countIf(ifNull(isFinite(score), 0)) AS scored,
            countIf(ifNull(score >= {threshold:Nullable(Float64)}, 0)) AS predicted,
            countIf(label_value IN (0, 1)) AS labelled, countIf(label_value = 1) AS label_positives
     FROM (${labelled(slicesParams)})
     GROUP BY key, value`,
    slicesParams,
  );
  const [numberRows, otherRows, sliceRows] = await Promise.all([numbers, others, slices]);
  const numbersBy = new Map(numberRows.map((row) => [groupId(row.key, row.value, row.f), row]));
  const spreads = await querySpreads(store, labelled, names, numberRows);
  const othersBy = new Map(otherRows.map((row) => [groupId(row.key, row.value, row.f), row]));
  return sliceRows.flatMap((slice) => {
    const rows = Number(slice.rows);
    const own: ProfileStatsRow = {
      sliceKey: slice.key,
      sliceValue: slice.value,
      feature: '',
      rows,
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
      scored: Number(slice.scored),
      predictedPositives: Number(slice.predicted),
      labelled: Number(slice.labelled),
      labelPositives: Number(slice.label_positives),
    };
    const perFeature = names.map((name): ProfileStatsRow => {
      const number = numbersBy.get(groupId(slice.key, slice.value, name));
      const other = othersBy.get(groupId(slice.key, slice.value, name));
      const numbersTotal = Number(number?.total ?? 0);
      const strings = Number(other?.strings ?? 0);
      const explicitNulls = Number(other?.nulls ?? 0);
      const absent = Math.max(0, rows - numbersTotal - strings - explicitNulls);
      const finite = Number(number?.finite ?? 0);
      const numeric = kinds.get(name) === 'numeric';
      const sd = spreads.get(groupId(slice.key, slice.value, name)) ?? 0;
      return {
        sliceKey: slice.key,
        sliceValue: slice.value,
        feature: name,
        rows,
        present: numeric ? finite : strings,
        nulls: explicitNulls + absent,
        posInf: numeric ? Number(number?.pos_inf ?? 0) : 0,
        negInf: numeric ? Number(number?.neg_inf ?? 0) : 0,
        nan: numeric ? Number(number?.nan ?? 0) : 0,
        wrongType: numeric ? strings : numbersTotal,
        min: numeric && finite > 0 ? Number(number?.lo) : 0,
        max: numeric && finite > 0 ? Number(number?.hi) : 0,
        mean: numeric && finite > 0 ? Number(number?.mean) : 0,
        stddevPop: numeric && finite > 0 ? sd : 0,
        quantiles: numeric && finite > 0 ? (number?.quantiles ?? []).map(Number) : [],
        scored: 0,
        predictedPositives: 0,
        labelled: 0,
        labelPositives: 0,
      };
    });
    return [own, ...perFeature];
  });
}

/**
 * Exact bin counts of the source's finite values per slice label and numeric feature, on
 * each label's own edges: the maps exploded once, each value's bin counted among its
 * (label, feature)'s edges, found by a hash lookup (transform).
 */
export async function queryProfileBinCounts(
  store: Store,
  source: ProfileSource,
  numeric: readonly string[],
  keys: readonly ProfileSliceKey[],
  edges: ReadonlyMap<string, ReadonlyMap<string, number[]>>,
  scoreAs?: string,
): Promise<Map<string, Map<string, number[]>>> {
  const result = new Map<string, Map<string, number[]>>();
  const ids: string[] = [];
  const edgeLists: number[][] = [];
  for (const [slice, byFeature] of edges) {
    for (const [feature, list] of byFeature) {
      ids.push(`${slice}\u0002${feature}`);
      edgeLists.push(list);
    }
  }
  if (numeric.length === 0 || ids.length === 0) return result;
  const params: QueryParams = {
    names: [...numeric],
    ids,
    positions: ids.map((_, i) => i + 1),
    edges: edgeLists,
    sep: '\u0002',
  };
  const label = sliceLabelsSql(keys, params);
  const rows = await store.query<{ id: string; bin: number; n: string }>(
    `SELECT id, arrayCount(e -> e <= v, {edges:Array(Array(Float64))}[position]) AS bin, count() AS n
     FROM (
       SELECT concat(${sliceIdSql('lbl', params)}, {sep:String}, toString(f)) AS id, v,
              transform(id, {ids:Array(String)}, {positions:Array(UInt32)}, toUInt32(0)) AS position
       FROM (SELECT *, ${label} AS lbl FROM (${unlabelledRowsSql(source, params, 'src', scoreAs)}))
       ARRAY JOIN mapKeys(feature_numbers) AS f, mapValues(feature_numbers) AS v
       WHERE f IN {names:Array(String)} AND isFinite(v)
     )
     WHERE position > 0
     GROUP BY id, bin`,
    params,
  );
  for (const row of rows) {
    const at = row.id.lastIndexOf('\u0002');
    const slice = row.id.slice(0, at);
    const feature = row.id.slice(at + 1);
    const byFeature = result.get(slice) ?? new Map<string, number[]>();
    const list = edges.get(slice)?.get(feature) ?? [];
    const counts = byFeature.get(feature) ?? new Array<number>(list.length + 1).fill(0);
    counts[Number(row.bin)] = Number(row.n);
    byFeature.set(feature, counts);
    result.set(slice, byFeature);
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
