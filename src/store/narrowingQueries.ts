import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { sliceIdSql, sliceLabelsSql, type ProfileSource } from './profileQueries.js';
import type { ProfileSliceKey } from '../drift/slices.js';
import type { FinerCell, ValueInterval } from '../drift/narrowing.js';

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
): Promise<FinerCell[][]> {
  const wanted = requests.filter((request) => request.intervals.length > 0);
  const answer: FinerCell[][] = requests.map(() => []);
  if (wanted.length === 0) return answer;
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
  const rows = await store.query<{
    r: number;
    j: number;
    c: string;
    s: number;
    lo: number;
    hi: number;
  }>(
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
                 FROM (SELECT feature_numbers, ${label} AS lbl FROM (${numberRowsSql(source, params)})))
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
    answer[original]?.push({
      interval: Number(row.j) - 1 - (first[request] ?? 0),
      count: Number(row.c),
      sum: Number(row.s),
      min: Number(row.lo),
      max: Number(row.hi),
    });
  }
  return answer;
}

/** Where each request's intervals start in the flattened interval arrays. */
function firstIntervals(requests: readonly FinerCellRequest[]): number[] {
  let at = 0;
  return requests.map((request) => {
    const first = at;
    at += request.intervals.length;
    return first;
  });
}

/** A source's rows with only what finer cells need: the numbers and the slice attributes. */
function numberRowsSql(source: ProfileSource, params: QueryParams): string {
  params.nqs_model = source.model;
  if (source.kind === 'stored') {
    params.nqs_baseline = source.baseline;
    params.nqs_version = source.version;
    return `SELECT feature_numbers, attributes FROM reference_rows
            WHERE model = {nqs_model:String} AND baseline = {nqs_baseline:String} AND version = {nqs_version:UInt32}`;
  }
  params.nqs_from = toClickHouseTime(source.window.start);
  params.nqs_to = toClickHouseTime(source.window.end);
  return `SELECT feature_numbers, attributes FROM events
          WHERE model = {nqs_model:String} AND kind = 'prediction'
            AND ts >= {nqs_from:DateTime64(3)} AND ts < {nqs_to:DateTime64(3)}`;
}
