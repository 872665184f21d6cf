import { binQuantileLevels } from '../stats/bins.js';
import { spreadExponent, spreadFromDeviations } from '../stats/exactCells.js';
import { queryArrowBatches, type QueryParams, type Store } from './clickhouse.js';

/**
 * The queries behind every drift comparison. Each scans a reference and a current relation
 * once and returns per slice and feature aggregates (counts, quantiles, bin counts, cells,
 * category counts) for src/stats to finish — except queryNumericColumns, which hands the
 * exact mode a few numeric columns' values (typed arrays, a few columns at a time) to
 * sort in JavaScript (src/drift/exactDrift.ts).
 *
 * Both relations are SELECTs produced by the caller (a report's file tables, a monitor's
 * event window, a baseline) that expose the same standard columns:
 *   slice String            the slice value of the row ('' when not sliced)
 *   n0, n1, ...             numeric features as Nullable(Float64): finite values, else NULL
 *   x0, x1, ...             UInt8: 1 where the numeric feature was NaN or ±inf (so NULL in n)
 *   c0, c1, ...             categorical features as Nullable(String)
 * Their parameters must not collide; values reach SQL only as query parameters.
 */
export interface ComparisonRelations {
  reference: RelationSql;
  current: RelationSql;
  numericCount: number;
  categoricalCount: number;
  /**
   * True: results per `slice` value plus the whole population (ALL_SLICES), by grouping
   * sets. False: the relation's `slice` column already says which group a row counts in
   * (ALL_SLICES for the whole population; a row may appear once per group it belongs to).
   */
  sliced: boolean;
}

export interface RelationSql {
  sql: string;
  params: QueryParams;
}

/** The key of the whole-population group in every per-slice result. */
export const ALL_SLICES = '\u0000all';

export interface NumericReferenceRow {
  slice: string;
  feature: number;
  n: number;
  nulls: number;
  quantiles: number[];
  stddevPop: number;
  min: number | null;
  max: number | null;
}

/**
 * Counts, quantiles and spread of the reference, per slice (and all) and numeric feature.
 * The spread takes a second pass (referenceSpreads): ClickHouse's stddevPop sums squares in
 * one pass and loses a small spread far from zero entirely (1e9 + noise of 1e-3: 51.8 for
 * 2.9e-4), and Welford's stddevPopStable still lost ~2e-7 of it, which wasserstein_normed's
 * bracket divides by.
 */
export async function queryNumericReferenceProfile(
  store: Store,
  relations: ComparisonRelations,
  bins: number,
): Promise<NumericReferenceRow[]> {
  if (relations.numericCount === 0) return [];
  const levels = binQuantileLevels(bins);
  const perFeature = numericIndexes(relations).map(
    (i) => `(${i}, count(n${i}), countIf(isNull(n${i})),
      quantilesExactInclusive(${levels.join(', ')})(n${i}), sumKahan(n${i}), min(n${i}), max(n${i}))`,
  );
  const rows = await store.query<{ slice: string; is_all: number; features: RawNumericTuple[] }>(
    `SELECT slice, ${isAllExpression(relations)} AS is_all, [${perFeature.join(',\n')}] AS features
     FROM (${relations.reference.sql})
     ${groupBySlice(relations)}`,
    relations.reference.params,
  );
  const profile = rows.flatMap((row) =>
    row.features.map(([feature, n, nulls, quantiles, sum, min, max]) => ({
      slice: sliceKey(row),
      feature: Number(feature),
      n: Number(n),
      nulls: Number(nulls),
      quantiles: Number(n) > 0 ? quantiles.map(Number) : [],
      stddevPop: Number.NaN,
      mean: Number(n) > 0 ? Number(sum) / Number(n) : Number.NaN,
      min: Number(n) > 0 ? Number(min) : null,
      max: Number(n) > 0 ? Number(max) : null,
    })),
  );
  const spreads = await referenceSpreads(store, relations, profile);
  return profile.map(({ mean, ...row }) => {
    void mean;
    return { ...row, stddevPop: spreads.get(`${row.slice}\u0002${row.feature}`) ?? Number.NaN };
  });
}

/** Where a (slice, feature) group's deviations are taken from: its mean, both scaled. */
interface SpreadCentre {
  exponent: number;
  scaledMean: number;
}

/**
 * The second pass of the reference's spread, numpy's corrected two-pass form: deviations d
 * from the first pass's mean, sqrt((Σd² − (Σd)²/n) / n), both sums compensated (Kahan),
 * each group's values scaled by a power of two from its largest magnitude (exact) so that
 * nothing overflows or vanishes (the monitors' profile does the same: profileQueries.ts).
 * Under GROUPING SETS a row counts in its slice and in all, whose means differ, so each
 * row's deviation is taken from both and each group keeps the one that is its own.
 */
async function referenceSpreads(
  store: Store,
  relations: ComparisonRelations,
  profile: readonly {
    slice: string;
    feature: number;
    n: number;
    mean: number;
    min: number | null;
    max: number | null;
  }[],
): Promise<Map<string, number>> {
  const centres = new Map<string, SpreadCentre>();
  for (const row of profile) {
    if (row.n === 0 || row.min === null || row.max === null) continue;
    const largest = Math.max(Math.abs(row.min), Math.abs(row.max));
    const exponent = spreadExponent(largest);
    centres.set(`${row.slice}\u0002${row.feature}`, {
      exponent,
      scaledMean: row.mean * 2 ** -exponent,
    });
  }
  if (centres.size === 0) return new Map();
  const slices = [...new Set(profile.map((row) => row.slice))].filter((s) => s !== ALL_SLICES);
  const params: QueryParams = { ...relations.reference.params, dw_sp_slices: slices };
  const centreOf = (slice: string, i: number) => centres.get(`${slice}\u0002${i}`);
  const perFeature = numericIndexes(relations).map((i) => {
    params[`dw_sp_scale_${i}`] = slices.map((s) => 2 ** -(centreOf(s, i)?.exponent ?? 0));
    params[`dw_sp_mean_${i}`] = slices.map((s) => centreOf(s, i)?.scaledMean ?? 0);
    params[`dw_sp_all_scale_${i}`] = 2 ** -(centreOf(ALL_SLICES, i)?.exponent ?? 0);
    params[`dw_sp_all_mean_${i}`] = centreOf(ALL_SLICES, i)?.scaledMean ?? 0;
    const inSlice = `(n${i} * transform(slice, {dw_sp_slices:Array(String)}, {dw_sp_scale_${i}:Array(Float64)}, 1.)
      - transform(slice, {dw_sp_slices:Array(String)}, {dw_sp_mean_${i}:Array(Float64)}, 0.))`;
    const inAll = `(n${i} * {dw_sp_all_scale_${i}:Float64} - {dw_sp_all_mean_${i}:Float64})`;
    return `(count(n${i}), sumKahan(${inSlice} * ${inSlice}), sumKahan(${inSlice}),
      sumKahan(${inAll} * ${inAll}), sumKahan(${inAll}))`;
  });
  const rows = await store.query<{ slice: string; is_all: number; features: RawSpreadTuple[] }>(
    `SELECT slice, ${isAllExpression(relations)} AS is_all, [${perFeature.join(',\n')}] AS features
     FROM (${relations.reference.sql})
     ${groupBySlice(relations)}`,
    params,
  );
  const spreads = new Map<string, number>();
  for (const row of rows) {
    const slice = sliceKey(row);
    row.features.forEach(([n, sliceSquares, sliceSum, allSquares, allSum], i) => {
      const centre = centreOf(slice, i);
      const count = Number(n);
      if (!centre || count === 0) return;
      const own = slice === ALL_SLICES;
      const squares = Number(own ? allSquares : sliceSquares);
      const deviations = Number(own ? allSum : sliceSum);
      spreads.set(
        `${slice}\u0002${i}`,
        spreadFromDeviations(count, squares, deviations, centre.exponent),
      );
    });
  }
  return spreads;
}

type RawSpreadTuple = [number, number, number, number, number];

type RawNumericTuple = [number, number, number, number[], number, number, number];

/** Bin edges per slice (including ALL_SLICES) and numeric feature. */
export type EdgesBySlice = Map<string, Map<number, number[]>>;

export interface BinCountRow {
  slice: string;
  feature: number;
  side: 'reference' | 'current';
  counts: number[];
}

/**
 * Bin counts for both relations. The bin of x is count(edges <= x) (searchsorted, side
 * right), written out as a sum of comparisons with each edge a typed parameter; each
 * value's bin is packed with slot, side and feature into one integer key, and a GROUP BY on
 * that one integer does the counting. Slot 0 bins every row on the whole population's
 * edges; slot s + 1 bins the rows of slice s on that slice's edges, in its own stream of a
 * UNION ALL: dispatching on the slice per row (multiIf) was 2.5x slower here, and one
 * countIf per bin 3x slower still.
 */
export async function queryBinCounts(
  store: Store,
  relations: ComparisonRelations,
  edges: EdgesBySlice,
): Promise<BinCountRow[]> {
  if (relations.numericCount === 0) return [];
  const slices = [...edges.keys()].filter((slice) => slice !== ALL_SLICES);
  const slots = [ALL_SLICES, ...slices];
  const features = numericIndexes(relations);
  const params: QueryParams = {
    ...relations.reference.params,
    ...relations.current.params,
    dw_slices: slices,
  };
  const maxBins = Math.max(
    1,
    ...[...edges.values()].flatMap((byFeature) => [...byFeature.values()].map((e) => e.length + 1)),
  );
  const featureCount = Math.max(...features) + 1;
  const binOf = (i: number, slot: number) => {
    const terms = (edges.get(slots[slot] ?? '')?.get(i) ?? []).map((edge, k) => {
      params[`dw_e_${i}_${slot}_${k}`] = edge;
      return `(x${i} >= {dw_e_${i}_${slot}_${k}:Float64})`;
    });
    return terms.length === 0 ? '0' : terms.join(' + ');
  };
  // key = (((slot * 2 + side) * featureCount) + feature) * maxBins + bin; nulls get NO_BIN
  const stream = (slot: number) => {
    const keys = features.map(
      (i) =>
        `if(isNull(n${i}), ${NO_BIN}, toUInt64(((${slot} * 2 + side) * ${featureCount} + ${i}) * ${maxBins} + ${binOf(i, slot)}))`,
    );
    return `SELECT arrayJoin([${keys.join(', ')}]) AS key FROM merged${slot === 0 ? '' : ` WHERE slot = ${slot}`}`;
  };
  const rows = await store.query<{ key: string; count: string }>(
    `WITH merged AS (
       SELECT side, indexOf({dw_slices:Array(String)}, slice) AS slot,
              ${features.map((i) => `n${i}, assumeNotNull(n${i}) AS x${i}`).join(', ')}
       FROM (
         SELECT 0 AS side, * FROM (${relations.reference.sql})
         UNION ALL
         SELECT 1 AS side, * FROM (${relations.current.sql})
       )
     )
     SELECT key, count() AS count
     FROM (${slots.map((_, slot) => stream(slot)).join('\nUNION ALL\n')})
     WHERE key != ${NO_BIN}
     GROUP BY key`,
    params,
  );
  return unpackBinCounts(rows, slices, featureCount, maxBins, edges);
}

const NO_BIN = '18446744073709551615';

function unpackBinCounts(
  rows: { key: string; count: string }[],
  slices: string[],
  featureCount: number,
  maxBins: number,
  edges: EdgesBySlice,
): BinCountRow[] {
  const bySliceFeatureSide = new Map<string, BinCountRow>();
  for (const row of rows) {
    let key = Number(row.key);
    const bin = key % maxBins;
    key = Math.floor(key / maxBins);
    const feature = key % featureCount;
    key = Math.floor(key / featureCount);
    const side = key % 2 === 0 ? 'reference' : 'current';
    const slot = Math.floor(key / 2);
    const slice = slot === 0 ? ALL_SLICES : (slices[slot - 1] ?? '');
    const id = `${slot}/${feature}/${side}`;
    let entry = bySliceFeatureSide.get(id);
    if (!entry) {
      const binCount = (edges.get(slice)?.get(feature)?.length ?? 0) + 1;
      entry = { slice, feature, side, counts: new Array<number>(binCount).fill(0) };
      bySliceFeatureSide.set(id, entry);
    }
    entry.counts[bin] = Number(row.count);
  }
  return [...bySliceFeatureSide.values()];
}

/** Arrow batches of numeric features' values with the group of each row. */
export interface NumericColumnsBatch {
  /** slot · 2 + side: slot = 1 + the index of the row's slice in the slices asked for,
   * side 0 = reference, 1 = current (rows of slices not asked for are left out). */
  group: Uint32Array;
  /** One column per feature asked for, in that order: the finite values, NaN where the
   * feature had none (null or non-finite; quality counts those apart). */
  values: Float64Array[];
}

/**
 * Numeric features' values in both relations, each row's slice and side packed into one
 * integer, as Arrow columns (typed arrays; 4 + 8 bytes a row and feature). What the exact
 * mode sorts in JavaScript, a few features at a time so that memory holds those columns,
 * not the table; several per query so that each row's slice is looked up once for them.
 */
export async function queryNumericColumns(
  store: Store,
  relations: ComparisonRelations,
  features: readonly number[],
  slices: readonly string[],
): Promise<NumericColumnsBatch[]> {
  const columns = features.map((feature, i) => `ifNull(n${feature}, nan) AS v${i}`).join(', ');
  const batches = await queryArrowBatches(
    store,
    // transform's lookup cost half of what indexOf's scan of the slice list did per row here
    `SELECT toUInt32(transform(slice, {dw_slices:Array(String)}, {dw_slots:Array(UInt32)}, 0) * 2 + side) AS group,
            ${features.map((_, i) => `v${i}`).join(', ')}
     FROM (
       SELECT 0 AS side, slice, ${columns} FROM (${relations.reference.sql})
       UNION ALL
       SELECT 1 AS side, slice, ${columns} FROM (${relations.current.sql})
     )
     WHERE group >= 2`,
    {
      ...relations.reference.params,
      ...relations.current.params,
      dw_slices: [...slices],
      dw_slots: slices.map((_, i) => i + 1),
    },
  );
  return batches
    .filter((batch) => batch.numRows > 0)
    .map((batch) => ({
      group: batch.getChild('group')?.toArray() as Uint32Array,
      values: features.map((_, i) => batch.getChild(`v${i}`)?.toArray() as Float64Array),
    }));
}

export interface CategoryCountRow {
  slice: string;
  feature: number;
  side: 'reference' | 'current';
  category: string | null;
  count: number;
}

/** Counts per category (NULL = missing), per slice and all, for both relations at once. */
export async function queryCategoryCounts(
  store: Store,
  relations: ComparisonRelations,
  maxCategories: number,
): Promise<CategoryCountRow[]> {
  if (relations.categoricalCount === 0) return [];
  const pairs = Array.from({ length: relations.categoricalCount }, (_, i) => `(${i}, c${i})`);
  const rows = await store.query<{
    slice: string;
    is_all: number;
    side: number;
    feature: number;
    category: string | null;
    count: string;
  }>(
    `SELECT slice, ${isAllExpression(relations)} AS is_all, side, pair.1 AS feature, pair.2 AS category, count() AS count
     FROM (
       SELECT 0 AS side, * FROM (${relations.reference.sql})
       UNION ALL
       SELECT 1 AS side, * FROM (${relations.current.sql})
     )
     ARRAY JOIN [${pairs.join(', ')}] AS pair
     ${groupBySlice(relations, ', side, feature, category')}
     ORDER BY count DESC
     LIMIT {dw_max_categories:UInt32} BY is_all, slice, side, feature`,
    {
      ...relations.reference.params,
      ...relations.current.params,
      dw_max_categories: maxCategories,
    },
  );
  return rows.map((row) => ({
    slice: sliceKey(row),
    feature: Number(row.feature),
    side: Number(row.side) === 0 ? 'reference' : 'current',
    category: row.category,
    count: Number(row.count),
  }));
}

export interface NumericCellRow {
  slice: string;
  feature: number;
  side: 'reference' | 'current';
  counts: number[];
  sums: number[];
  mins: number[];
  maxs: number[];
}

/**
 * Cells of every numeric feature's finite values per slice (and all) and side: values
 * grouped by the summaries' fine bucket key of z = (x − centre) / scale, with each cell's
 * count, sum, min and max (src/drift/cells.ts brackets KS and Wasserstein from them). One
 * pass, no sort: what large files use instead of the merged sorts.
 */
export async function queryNumericCells(
  store: Store,
  relations: ComparisonRelations,
  frames: readonly { centre: number; scale: number }[],
  bucket: (z: string) => string,
): Promise<NumericCellRow[]> {
  if (relations.numericCount === 0) return [];
  const indexes = numericIndexes(relations);
  const params: QueryParams = {
    ...relations.reference.params,
    ...relations.current.params,
    dw_centres: frames.map((f) => (Number.isFinite(f.centre) ? f.centre : 0)),
    dw_scales: frames.map((f) => (f.scale > 0 && Number.isFinite(f.scale) ? f.scale : 1)),
  };
  const rows = await store.query<{
    slice: string;
    is_all: number;
    side: number;
    feature: number;
    counts: string[];
    sums: number[];
    mins: number[];
    maxs: number[];
  }>(
    `SELECT slice, is_all, side, feature, groupArray(c) AS counts, groupArray(s) AS sums,
            groupArray(lo) AS mins, groupArray(hi) AS maxs
     FROM (
       SELECT slice, 0 AS is_all, side, feature, bucket,
              count() AS c, sum(x) AS s, min(x) AS lo, max(x) AS hi
       FROM (
         SELECT slice, side, p.1 AS feature, assumeNotNull(p.2) AS x,
                (x - {dw_centres:Array(Float64)}[feature + 1]) / {dw_scales:Array(Float64)}[feature + 1] AS z,
                ${bucket('z')} AS bucket
         FROM (
           SELECT 0 AS side, * FROM (${relations.reference.sql})
           UNION ALL
           SELECT 1 AS side, * FROM (${relations.current.sql})
         )
         ARRAY JOIN [${indexes.map((i) => `(${i}, n${i})`).join(', ')}] AS p
         WHERE isNotNull(p.2)
       )
       GROUP BY slice, side, feature, bucket
     )
     GROUP BY slice, is_all, side, feature`,
    params,
  );
  const perSlice = rows.map((row): NumericCellRow => ({
    slice: sliceKey(row),
    feature: Number(row.feature),
    side: Number(row.side) === 0 ? 'reference' : 'current',
    counts: row.counts.map(Number),
    sums: row.sums.map(Number),
    mins: row.mins.map(Number),
    maxs: row.maxs.map(Number),
  }));
  // "all" is every slice's cells together (cells need not be merged to bound anything):
  // summed here rather than aggregated twice in the engine
  if (!relations.sliced) return perSlice;
  const all = new Map<string, NumericCellRow>();
  for (const row of perSlice) {
    const id = `${row.side}\u0002${row.feature}`;
    const entry: NumericCellRow = all.get(id) ?? {
      slice: ALL_SLICES,
      feature: row.feature,
      side: row.side,
      counts: [],
      sums: [],
      mins: [],
      maxs: [],
    };
    entry.counts.push(...row.counts);
    entry.sums.push(...row.sums);
    entry.mins.push(...row.mins);
    entry.maxs.push(...row.maxs);
    all.set(id, entry);
  }
  return [...perSlice, ...all.values()];
}

export interface QualityCountRow {
  slice: string;
  rows: number;
  /** Per numeric feature, then per categorical feature: nulls and non-finite values. */
  nulls: number[];
  nonFinite: number[];
}

/** Rows, nulls and non-finite values per slice and feature: what distributions leave out. */
export async function queryQualityCounts(
  store: Store,
  relation: RelationSql,
  counts: { numericCount: number; categoricalCount: number; sliced: boolean },
): Promise<QualityCountRow[]> {
  const numeric = Array.from({ length: counts.numericCount }, (_, i) => i);
  const categorical = Array.from({ length: counts.categoricalCount }, (_, i) => i);
  const nulls = [
    ...numeric.map((i) => `countIf(isNull(n${i}) AND NOT x${i})`),
    ...categorical.map((i) => `countIf(isNull(c${i}))`),
  ];
  const nonFinite = [
    ...numeric.map((i) => `countIf(x${i})`),
    ...categorical.map(() => 'toUInt64(0)'),
  ];
  const shape = { ...counts, reference: relation, current: relation };
  const rows = await store.query<{
    slice: string;
    is_all: number;
    rows: string;
    nulls: string[];
    non_finite: string[];
  }>(
    `SELECT slice, ${isAllExpression(shape)} AS is_all, count() AS rows,
            [${nulls.join(', ') || 'toUInt64(0)'}] AS nulls, [${nonFinite.join(', ') || 'toUInt64(0)'}] AS non_finite
     FROM (${relation.sql})
     ${groupBySlice(shape)}`,
    relation.params,
  );
  return rows.map((row) => ({
    slice: sliceKey(row),
    rows: Number(row.rows),
    nulls: row.nulls.map(Number),
    nonFinite: row.non_finite.map(Number),
  }));
}

/** Per slice and for all rows when sliced; a single whole-population group otherwise. */
function groupBySlice(relations: ComparisonRelations, extraKeys = ''): string {
  return relations.sliced
    ? `GROUP BY GROUPING SETS ((slice${extraKeys}), (${extraKeys.replace(/^, /, '')}))`
    : `GROUP BY slice${extraKeys}`;
}

function isAllExpression(relations: ComparisonRelations): string {
  return relations.sliced ? 'grouping(slice)' : '0';
}

function sliceKey(row: { slice: string; is_all: number }): string {
  return Number(row.is_all) === 1 ? ALL_SLICES : row.slice;
}

function numericIndexes(relations: ComparisonRelations): number[] {
  return Array.from({ length: relations.numericCount }, (_, i) => i);
}
