import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { FINER_BUCKET } from './summaryQueries.js';
import { sliceIdSql, sliceLabelsSql, type ProfileSource } from './profileQueries.js';
import type { ProfileSliceKey } from '../drift/slices.js';
import type { FinerCell, ValueInterval } from '../drift/narrowing.js';
import type { TimeWindow } from '../timeWindow.js';

/**
 * The finer cells a straddling bracket is narrowed with (src/drift/narrowing.ts): for one
 * feature in one slice, the values inside a few value intervals grouped into equal parts of
 * each, counted, summed and their min and max taken inside ClickHouse. Only those cells
 * cross into Node — never the values themselves, and nothing is sorted. The rows are the
 * source's own (the baseline's stored rows, or the window's events), read once per query
 * for every request.
 */
export interface FinerCellRequest {
  feature: string;
  /** A slice id as profileSliceId makes it. */
  sliceId: string;
  intervals: readonly ValueInterval[];
}

/** Per request, its finer cells. */
export async function queryFinerCells(
  store: Store,
  source: ProfileSource,
  keys: readonly ProfileSliceKey[],
  requests: readonly FinerCellRequest[],
  /** For a window's events: only those in these parts of it (the edges no stored hour holds). */
  ranges?: readonly TimeWindow[],
): Promise<FinerCell[][]> {
  const wanted = requests.filter((request) => request.intervals.length > 0);
  const answer: FinerCell[][] = requests.map(() => []);
  if (wanted.length === 0 || ranges?.length === 0) return answer;
  const params: QueryParams = {
    nq_features: wanted.map((r) => r.feature),
    nq_slices: wanted.map((r) => r.sliceId),
    nq_hull_lo: wanted.map((r) => r.intervals[0]?.lo ?? 0),
    nq_hull_hi: wanted.map((r) => r.intervals.at(-1)?.hi ?? 0),
    nq_lo: wanted.flatMap((r) => r.intervals.map((i) => i.lo)),
    nq_hi: wanted.flatMap((r) => r.intervals.map((i) => i.hi)),
    nq_parts: wanted.flatMap((r) => r.intervals.map((i) => i.parts)),
    nq_req: wanted.flatMap((r, q) => r.intervals.map(() => q + 1)),
    nq_first: firstIntervals(wanted),
  };
  const label = sliceLabelsSql(keys, params, 'nql');
  const sliceId = sliceIdSql('lbl', params, 'nql');
  const value = `if(mapContains(feature_numbers, {nq_features:Array(String)}[r]), feature_numbers[{nq_features:Array(String)}[r]], nan)`;
  const rows = await store.query<CountedIntervalRow>(
    `SELECT r, j, part, count() AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi
     FROM (
       SELECT r, j, v,
              toUInt32(least(toFloat64({nq_parts:Array(UInt32)}[j] - 1), greatest(0.,
                ifNotFinite(floor((v - {nq_lo:Array(Float64)}[j]) / ({nq_hi:Array(Float64)}[j] - {nq_lo:Array(Float64)}[j]) * {nq_parts:Array(UInt32)}[j]), 0.)))) AS part
       FROM (
         SELECT r, v,
                arrayFirstIndex((a, z, q) -> q = r AND a <= v AND v <= z,
                                {nq_lo:Array(Float64)}, {nq_hi:Array(Float64)}, {nq_req:Array(UInt32)}) AS j
         FROM (
           SELECT r, ${value} AS v
           FROM (SELECT ${sliceId} AS slice, feature_numbers
                 FROM (SELECT feature_numbers, ${label} AS lbl FROM (${numberRowsSql(source, params, ranges)})))
           ARRAY JOIN arrayFilter(q -> {nq_slices:Array(String)}[q] = slice, range(1, length({nq_slices:Array(String)}) + 1)) AS r
         )
         WHERE isFinite(v) AND v >= {nq_hull_lo:Array(Float64)}[r] AND v <= {nq_hull_hi:Array(Float64)}[r]
       )
       WHERE j > 0
     )
     GROUP BY r, j, part`,
    params,
  );
  const first = params.nq_first as number[];
  for (const row of rows) {
    const request = Number(row.r) - 1;
    const original = requests.indexOf(wanted[request] as FinerCellRequest);
    answer[original]?.push(finerCellOf(row, first[request] ?? 0));
  }
  return answer;
}

/** A counted part of an interval as both queries answer it: request r, interval j (1-based). */
interface CountedIntervalRow {
  r: number;
  j: number;
  c: string;
  s: number;
  lo: number;
  hi: number;
}

/** The row as a cell of its request, its interval counted from the request's first. */
function finerCellOf(row: CountedIntervalRow, firstInterval: number): FinerCell {
  return {
    interval: Number(row.j) - 1 - firstInterval,
    count: Number(row.c),
    sum: Number(row.s),
    min: Number(row.lo),
    max: Number(row.hi),
  };
}

/** Where each request's intervals start in the flattened interval arrays. */
function firstIntervals(requests: readonly { intervals: readonly ValueInterval[] }[]): number[] {
  let at = 0;
  return requests.map((request) => {
    const first = at;
    at += request.intervals.length;
    return first;
  });
}

/**
 * A source's rows with only what finer cells need: the numbers and the slice attributes,
 * and only the rows with a value inside some request's hull. queryFinerCells drops every
 * other row anyway (request r's value must be finite and inside r's hull), so the cells are
 * the same; dropped here, first, the slice labels, the join with the requests and the
 * interval search run on those few rows instead of on every event of the window (a raw
 * round over 10M events: mostly that work, not the read). One term a request, its feature
 * a scalar parameter: the engine's map lookup by a constant key.
 */
function numberRowsSql(
  source: ProfileSource,
  params: QueryParams,
  ranges?: readonly TimeWindow[],
): string {
  params.nqs_model = source.model;
  const inSomeHull = [...featureHulls(params).entries()]
    .map(([feature, hull], q) => {
      params[`nqh_f_${q}`] = feature;
      params[`nqh_lo_${q}`] = hull.lo;
      params[`nqh_hi_${q}`] = hull.hi;
      return `(feature_numbers[{nqh_f_${q}:String}] >= {nqh_lo_${q}:Float64}
               AND feature_numbers[{nqh_f_${q}:String}] <= {nqh_hi_${q}:Float64})`;
    })
    .join(' OR ');
  if (source.kind === 'stored') {
    params.nqs_baseline = source.baseline;
    params.nqs_version = source.version;
    return `SELECT feature_numbers, attributes FROM reference_rows
            WHERE model = {nqs_model:String} AND baseline = {nqs_baseline:String} AND version = {nqs_version:UInt32}
              AND (${inSomeHull})`;
  }
  const spans = (ranges ?? [source.window]).map((range, i) => {
    params[`nqs_from_${i}`] = toClickHouseTime(range.start);
    params[`nqs_to_${i}`] = toClickHouseTime(range.end);
    return `(ts >= {nqs_from_${i}:DateTime64(3)} AND ts < {nqs_to_${i}:DateTime64(3)})`;
  });
  return `SELECT feature_numbers, attributes FROM events
          WHERE model = {nqs_model:String} AND kind = 'prediction' AND (${spans.join(' OR ')})
            AND (${inSomeHull})`;
}

/**
 * Per feature, the hull of its requests' hulls (the requests of one feature in several
 * slices): one map lookup a feature and row in the filter instead of one a request. The
 * rows between two requests' hulls pass the filter and are dropped by queryFinerCells' own
 * per-request condition, as before.
 */
function featureHulls(params: QueryParams): Map<string, { lo: number; hi: number }> {
  const features = params.nq_features as string[];
  const los = params.nq_hull_lo as number[];
  const his = params.nq_hull_hi as number[];
  const hulls = new Map<string, { lo: number; hi: number }>();
  features.forEach((feature, q) => {
    const lo = los[q] ?? 0;
    const hi = his[q] ?? 0;
    const hull = hulls.get(feature);
    if (hull) {
      hull.lo = Math.min(hull.lo, lo);
      hull.hi = Math.max(hull.hi, hi);
    } else hulls.set(feature, { lo, hi });
  });
  return hulls;
}

/** The stored finer cells' side of a window: the current builds of its hours that have one. */
export interface StoredFinerSource {
  model: string;
  /** Build ids (src/store/finerCells.ts listFinerHours' current builds), one per hour read. */
  builds: readonly string[];
}

/** A request of stored finer cells: the slice combinations (by hash) whose events count in its slice. */
export interface StoredFinerCellRequest {
  feature: string;
  sliceHashes: readonly string[];
  intervals: readonly ValueInterval[];
}

/**
 * Per request, the stored finer cells (summary_1h_k10, migration 0015) of its feature in
 * its slice's combinations in the given builds (one per closed hour), merged per frame and bucket, each in the
 * interval its min falls in. A stored finer cell lies inside one hour-grain cell, which is
 * inside one of the intervals or apart from all of them (narrowing.ts intervalsToRefine),
 * so the cells of an interval are exactly its values' cells; replaceRefined checks that
 * they add up (a cell that does not lie inside the interval its min is in, or values the
 * finer cells lack, leave the pair unnarrowed). Nothing but these cells crosses into Node,
 * and no raw event is read. The table is ordered by (feature, slice_hash, state, frame,
 * bucket, hour), and each interval is read as its bucket range under each of the feature's
 * frames (finerBucketRanges), so the rows read are the straddling ranges' cells — not the
 * window's, and not a function of N.
 */
export async function queryStoredFinerCells(
  store: Store,
  source: StoredFinerSource,
  requests: readonly StoredFinerCellRequest[],
): Promise<FinerCell[][]> {
  const answer: FinerCell[][] = requests.map(() => []);
  const wanted = requests
    .map((request, original) => ({ request, original }))
    .filter(({ request }) => request.intervals.length > 0 && request.sliceHashes.length > 0);
  if (wanted.length === 0 || source.builds.length === 0) return answer;
  const first = firstIntervals(wanted.map(({ request }) => request));
  const params: QueryParams = {
    model: source.model,
    sq_builds: source.builds.map((build) => BigInt(build)),
    sq_features: wanted.map(({ request }) => request.feature),
    sq_hashes: wanted.map(({ request }) => [...request.sliceHashes]),
    sq_hull_lo: wanted.map(({ request }) => request.intervals[0]?.lo ?? 0),
    sq_hull_hi: wanted.map(({ request }) => request.intervals.at(-1)?.hi ?? 0),
    sq_lo: wanted.flatMap(({ request }) => request.intervals.map((i) => i.lo)),
    sq_hi: wanted.flatMap(({ request }) => request.intervals.map((i) => i.hi)),
    sq_req: wanted.flatMap(({ request }, q) => request.intervals.map(() => q + 1)),
  };
  const ranges = await finerBucketRanges(store, params);
  if (ranges.length === 0) return answer;
  const keyRanges = ranges.map((range, i) => {
    const request = wanted[range.request - 1]?.request;
    params[`sk_feature_${i}`] = request?.feature ?? '';
    params[`sk_hashes_${i}`] = (request?.sliceHashes ?? []).map((hash) => BigInt(hash));
    params[`sk_frame_${i}`] = range.frame;
    params[`sk_lo_${i}`] = range.lo;
    params[`sk_hi_${i}`] = range.hi;
    return `(feature = {sk_feature_${i}:String} AND slice_hash IN {sk_hashes_${i}:Array(UInt64)}
             AND frame = {sk_frame_${i}:UInt32} AND bucket >= {sk_lo_${i}:Int32} AND bucket <= {sk_hi_${i}:Int32})`;
  });
  const rows = await store.query<CountedIntervalRow>(
    `SELECT r, j, c, s, lo, hi
     FROM (
       SELECT r, c, s, lo, hi,
              arrayFirstIndex((a, z, q) -> q = r AND a <= lo AND lo <= z,
                              {sq_lo:Array(Float64)}, {sq_hi:Array(Float64)}, {sq_req:Array(UInt32)}) AS j
       FROM (
         SELECT r, frame, bucket, sum(count) AS c, sum(value_sum) AS s, min(value_min) AS lo, max(value_max) AS hi
         FROM (
           SELECT feature, slice_hash, frame, bucket, count, value_sum, value_min, value_max
           FROM summary_1h_k10
           WHERE model = {model:String} AND (${keyRanges.join(' OR ')})
             AND build_id IN {sq_builds:Array(UInt64)}
         )
         ARRAY JOIN arrayFilter(q -> {sq_features:Array(String)}[q] = feature
                                     AND has({sq_hashes:Array(Array(String))}[q], toString(slice_hash)),
                                range(1, length({sq_features:Array(String)}) + 1)) AS r
         GROUP BY r, frame, bucket
       )
       WHERE hi >= {sq_hull_lo:Array(Float64)}[r] AND lo <= {sq_hull_hi:Array(Float64)}[r]
     )
     WHERE j > 0`,
    params,
  );
  for (const row of rows) {
    const at = Number(row.r) - 1;
    const original = wanted[at]?.original;
    if (original === undefined) continue;
    answer[original]?.push(finerCellOf(row, first[at] ?? 0));
  }
  return answer;
}

/** A request's bucket range in summary_1h_k10 under one frame. */
interface FinerBucketRange {
  /** 1-based, as in the query's arrays. */
  request: number;
  frame: number;
  lo: number;
  hi: number;
}

/**
 * Each request's value hull as a range of finer buckets, under every frame its feature has
 * had (and frame 0: no frame, centre 0, scale 1), computed by the views' own expression
 * (z as migration 0015's view computes it, FINER_BUCKET): the bucket key is monotone in the
 * value for a frame (z = (x − centre) / scale with scale > 0, and IEEE subtraction and
 * division are monotone), so every finite value in [lo, hi] has its bucket in [bucket(lo),
 * bucket(hi)]. One small query over feature_frames.
 */
async function finerBucketRanges(store: Store, params: QueryParams): Promise<FinerBucketRange[]> {
  const rows = await store.query<{ r: number; frame: number; blo: number; bhi: number }>(
    `SELECT r, frame, min(${FINER_BUCKET('zlo')}) AS blo, max(${FINER_BUCKET('zhi')}) AS bhi
     FROM (
       SELECT i.r AS r, f.frame AS frame,
              (i.lo - if(isFinite(f.centre), f.centre, 0.)) / if(f.scale > 0 AND isFinite(f.scale), f.scale, 1.) AS zlo,
              (i.hi - if(isFinite(f.centre), f.centre, 0.)) / if(f.scale > 0 AND isFinite(f.scale), f.scale, 1.) AS zhi
       FROM (SELECT arrayJoin(range(1, length({sq_features:Array(String)}) + 1)) AS r,
                    {sq_features:Array(String)}[r] AS feature,
                    {sq_hull_lo:Array(Float64)}[r] AS lo, {sq_hull_hi:Array(Float64)}[r] AS hi) AS i
       INNER JOIN (SELECT feature, frame, argMax(centre, created_at) AS centre, argMax(scale, created_at) AS scale
                   FROM feature_frames WHERE model = {model:String} GROUP BY feature, frame
                   UNION ALL
                   SELECT arrayJoin({sq_features:Array(String)}) AS feature, toUInt32(0) AS frame, 0. AS centre, 1. AS scale) AS f
         ON i.feature = f.feature
     )
     GROUP BY r, frame`,
    params,
  );
  return rows.map((row) => ({
    request: Number(row.r),
    frame: Number(row.frame),
    lo: Number(row.blo),
    hi: Number(row.bhi),
  }));
}
