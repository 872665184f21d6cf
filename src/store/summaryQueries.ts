import { randomInt } from 'node:crypto';
import type { Vector } from 'apache-arrow';
import type { CellGroup, CellState, SliceCombo } from '../drift/summaryCells.js';
import type { SummaryGrain, WindowPiece } from '../timeWindow.js';
import { queryArrowBatches, toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';

/**
 * The window summaries of migration 0006 (filled by 0009's views): settings the summary views read (slice
 * attributes, score threshold, feature frames), cells of a time range, slice combinations,
 * and rebuilds from raw events. Cells come back grouped per (feature, slice combination,
 * state) with parallel arrays, so a window of any size crosses into Node as a few hundred
 * rows.
 */
export interface SummarySettings {
  version: number;
  /** The score threshold the score cells split at. */
  threshold: number | null;
}

export async function getSummarySettings(
  store: Store,
  model: string,
): Promise<SummarySettings | undefined> {
  const [row] = await store.query<{ version: number; threshold: number | null }>(
    `SELECT version, threshold FROM summary_settings FINAL
     WHERE model = {model:String} ORDER BY version DESC LIMIT 1`,
    { model },
  );
  return row && { version: Number(row.version), threshold: row.threshold };
}

/** Stores new settings as the next version when they differ from the current ones. */
export async function upsertSummarySettings(
  store: Store,
  model: string,
  settings: { threshold: number | null },
): Promise<{ changed: boolean; settings: SummarySettings }> {
  const current = await getSummarySettings(store, model);
  if (current && current.threshold === settings.threshold)
    return { changed: false, settings: current };
  const version = (current?.version ?? 0) + 1;
  await store.insert('summary_settings', [{ model, version, threshold: settings.threshold }]);
  return { changed: true, settings: { version, threshold: settings.threshold } };
}

export interface FeatureFrame {
  frame: number;
  centre: number;
  scale: number;
}

export async function listFeatureFrames(
  store: Store,
  model: string,
): Promise<Map<string, FeatureFrame>> {
  const rows = await store.query<{ feature: string; frame: number; centre: number; scale: number }>(
    `SELECT feature, max(f.frame) AS frame, argMax(f.centre, f.frame) AS centre, argMax(f.scale, f.frame) AS scale
     FROM feature_frames AS f WHERE model = {model:String} GROUP BY feature`,
    { model },
  );
  return new Map(
    rows.map((row) => [
      row.feature,
      { frame: Number(row.frame), centre: Number(row.centre), scale: Number(row.scale) },
    ]),
  );
}

/** A frame is set once per (model, feature); a new one takes the next number. */
export async function insertFeatureFrames(
  store: Store,
  model: string,
  frames: { feature: string; frame: number; centre: number; scale: number }[],
): Promise<void> {
  await store.insert(
    'feature_frames',
    frames.map((f) => ({
      model,
      feature: f.feature,
      frame: f.frame,
      centre: f.centre,
      scale: f.scale,
    })),
  );
}

export async function listSliceCombos(store: Store, model: string): Promise<SliceCombo[]> {
  const rows = await store.query<{ hash: string; attributes: Record<string, string> }>(
    `SELECT toString(slice_hash) AS hash, any(attributes) AS attributes
     FROM slice_combos WHERE model = {model:String} GROUP BY slice_hash`,
    { model },
  );
  return rows.map((row) => ({ hash: row.hash, attributes: row.attributes }));
}

export interface SummaryRebuild {
  id: number;
  fromDay: string;
  toDay: string;
  cutoffDay: string;
}

export async function listSummaryRebuilds(store: Store, model: string): Promise<SummaryRebuild[]> {
  const rows = await store.query<{
    id: number;
    from_day: string;
    to_day: string;
    cutoff_day: string;
  }>(
    `SELECT rebuild_id AS id, toString(from_day) AS from_day, toString(to_day) AS to_day, toString(cutoff_day) AS cutoff_day
     FROM summary_rebuilds FINAL WHERE model = {model:String} ORDER BY rebuild_id`,
    { model },
  );
  return rows.map((row) => ({
    id: Number(row.id),
    fromDay: row.from_day,
    toDay: row.to_day,
    cutoffDay: row.cutoff_day,
  }));
}

export interface CellQuery {
  model: string;
  kind: 'prediction' | 'feature' | 'reference';
  pieces: readonly WindowPiece[];
  /** For kind 'reference': the cell set of a baseline version. */
  cellSet?: number;
  rebuilds: readonly SummaryRebuild[];
  /** Only these states (all when omitted). */
  states?: readonly CellState[];
  /** For raw pieces: the score threshold in force. */
  settings?: SummarySettings;
  frames?: ReadonlyMap<string, FeatureFrame>;
}

/** The table each summary grain is kept in. */
const SUMMARY_TABLES: Record<SummaryGrain, string> = {
  '5m': 'summary_5m',
  '1h': 'summary_1h',
  '1d': 'summary_1d',
};

/**
 * Every cell of a time range merged across its pieces, in a stable order (so a window's
 * slices and results come out in the same order however it is read). Summary rows are valid unless a
 * recorded rebuild replaced them: a view's row (rebuild_id 0) is replaced by a rebuild of
 * its day whose cutoff is after the row's ingest day; a rebuild's row by a later rebuild of
 * its day; an unrecorded rebuild's rows (one that died half-way) count for nothing.
 */
export async function queryCells(store: Store, query: CellQuery): Promise<CellGroup<number[]>[]> {
  const params: QueryParams = {
    model: query.model,
    kind: query.kind,
    ...rebuildParams(query.rebuilds),
    states: query.states ? [...query.states] : [],
  };
  const stateFilter = query.states ? 'AND state IN {states:Array(String)}' : '';
  const validity = validityClause(query.kind);
  if (query.kind === 'reference') params.cell_set = query.cellSet ?? 0;
  const parts: string[] = [];
  query.pieces.forEach((piece, i) => {
    params[`from_${i}`] = toClickHouseTime(piece.start);
    params[`to_${i}`] = toClickHouseTime(piece.end);
    if (piece.source === 'raw') {
      parts.push(rawCells(i, params, query, stateFilter));
      return;
    }
    parts.push(`SELECT feature, slice_hash, state, frame, bucket, category, count, value_sum, value_min, value_max
      FROM ${SUMMARY_TABLES[piece.source]}
      WHERE model = {model:String} AND kind = {kind:String}
        AND grain_start >= {from_${i}:DateTime64(3)} AND grain_start < {to_${i}:DateTime64(3)}
        AND (${validity}) ${stateFilter}`);
  });
  if (parts.length === 0) return [];
  const rows = await store.query<CellRow>(
    cellGroupsSql(parts.join('\nUNION ALL\n'), false),
    params,
  );
  return rows.map(cellGroupOf);
}

/**
 * The cells of `rows` (summary rows, or raw cells in their columns) merged per bucket, then
 * gathered into arrays per feature, slice combination, state and frame — and per window
 * when `windowed` (rows with a `window` column) — in that order: the one shape both cell
 * queries answer in.
 */
function cellGroupsSql(rows: string, windowed: boolean): string {
  const window = windowed ? 'window, ' : '';
  return `SELECT ${windowed ? 'toUInt32(window) AS window, ' : ''}feature, toString(slice_hash) AS slice_hash,
            toString(state) AS state, frame,
            groupArray(category) AS categories, groupArray(bucket) AS buckets, groupArray(toFloat64(c)) AS counts,
            groupArray(s) AS sums, groupArray(lo) AS mins, groupArray(hi) AS maxs
     FROM (
       SELECT ${window}feature, slice_hash, state, frame, bucket, category,
              sum(count) AS c, sum(value_sum) AS s, min(value_min) AS lo, max(value_max) AS hi
       FROM (${rows})
       GROUP BY ${window}feature, slice_hash, state, frame, bucket, category
     )
     GROUP BY ${window}feature, slice_hash, state, frame
     ORDER BY ${window}feature, slice_hash, state, frame`;
}

export function rebuildParams(rebuilds: readonly SummaryRebuild[]): QueryParams {
  return {
    rb_ids: rebuilds.map((r) => r.id),
    rb_from: rebuilds.map((r) => r.fromDay),
    rb_to: rebuilds.map((r) => r.toDay),
    rb_cutoff: rebuilds.map((r) => r.cutoffDay),
  };
}

/** Which summary rows count (see queryCells), with the parameters of rebuildParams. */
export function validityClause(kind: CellQuery['kind']): string {
  return kind === 'reference'
    ? 'rebuild_id = {cell_set:UInt32}'
    : `(rebuild_id = 0 AND NOT arrayExists((id, f, t, c) -> f <= toDate(grain_start) AND toDate(grain_start) < t AND c > ingest_day,
             {rb_ids:Array(UInt32)}, {rb_from:Array(Date)}, {rb_to:Array(Date)}, {rb_cutoff:Array(Date)}))
         OR (rebuild_id > 0 AND has({rb_ids:Array(UInt32)}, rebuild_id)
             AND NOT arrayExists((id, f, t) -> id > rebuild_id AND f <= toDate(grain_start) AND toDate(grain_start) < t,
                                 {rb_ids:Array(UInt32)}, {rb_from:Array(Date)}, {rb_to:Array(Date)}))`;
}

/** A cell group as the JSON answer gives it; cellGroupOf makes every value a number. */
type CellRow = Omit<CellGroup<number[]>, 'sliceHash'> & { slice_hash: string };

function cellGroupOf(row: CellRow): CellGroup<number[]> {
  return {
    feature: row.feature,
    sliceHash: row.slice_hash,
    state: row.state,
    frame: Number(row.frame),
    categories: row.state === 'string' ? row.categories : [],
    buckets: row.buckets.map(Number),
    counts: row.counts.map(Number),
    sums: row.sums.map(Number),
    mins: row.mins.map(Number),
    maxs: row.maxs.map(Number),
  };
}

export interface WindowRunQuery {
  model: string;
  /** The grain every window of the run is read from, whole grains only. */
  source: SummaryGrain;
  /** The first window's start; window i is [start + i·windowMs, start + (i+1)·windowMs). */
  start: Date;
  windowMs: number;
  windows: number;
  rebuilds: readonly SummaryRebuild[];
}

/**
 * The cells of a run of consecutive windows of equal length, each made of whole grains of
 * one table, in one query: per window, the rows queryCells reads for that window alone
 * (same table, same validity, same order), so a backtest reads a day of windows in one
 * round trip. A day of 5-minute windows is millions of cells: they cross as Arrow columns
 * (typed arrays, read by the Arrow project's library) rather than JSON, which took most
 * of the time here.
 */
export async function queryCellsByWindow(
  store: Store,
  query: WindowRunQuery,
): Promise<WindowRunCells> {
  const params: QueryParams = {
    model: query.model,
    kind: 'prediction',
    ...rebuildParams(query.rebuilds),
    from: toClickHouseTime(query.start),
    to: toClickHouseTime(new Date(query.start.getTime() + query.windows * query.windowMs)),
    from_ms: query.start.getTime(),
    window_ms: query.windowMs,
  };
  const sql = cellGroupsSql(
    `SELECT intDiv(toInt64(toUnixTimestamp(grain_start)) * 1000 - {from_ms:Int64}, {window_ms:Int64}) AS window,
            feature, slice_hash, state, frame, bucket, category, count, value_sum, value_min, value_max
     FROM ${SUMMARY_TABLES[query.source]}
     WHERE model = {model:String} AND kind = {kind:String}
       AND grain_start >= {from:DateTime64(3)} AND grain_start < {to:DateTime64(3)}
       AND (${validityClause('prediction')})`,
    true,
  );
  // rows stay in their Arrow columns until a window is asked for: a run holds typed arrays
  // (about 1.3 MB per 5-minute window of the benchmark), not millions of small objects
  const rowsOf: (() => CellGroup)[][] = Array.from({ length: query.windows }, () => []);
  for (const batch of await queryArrowBatches(store, sql, params)) {
    if (batch.numRows === 0) continue;
    const column = (name: string) => {
      const child = batch.getChild(name);
      if (!child) throw new Error(`the cells' Arrow answer has no column ${name}`);
      return child;
    };
    const window = column('window').toArray() as Uint32Array;
    const feature = column('feature');
    const sliceHash = column('slice_hash');
    const state = column('state');
    const frame = column('frame').toArray() as Uint32Array;
    const categories = column('categories');
    const [buckets, counts, sums, mins, maxs] = ['buckets', 'counts', 'sums', 'mins', 'maxs'].map(
      (name) => listOf(column(name)),
    ) as [NumberList, NumberList, NumberList, NumberList, NumberList];
    const groupAt = (row: number): CellGroup => {
      const rowState = String(state.get(row)) as CellState;
      return {
        feature: String(feature.get(row)),
        sliceHash: String(sliceHash.get(row)),
        state: rowState,
        frame: frame[row] ?? 0,
        categories:
          rowState === 'string' ? (categories.get(row) as Vector).toArray().map(String) : [],
        buckets: buckets.at(row),
        counts: counts.at(row),
        sums: sums.at(row),
        mins: mins.at(row),
        maxs: maxs.at(row),
      };
    };
    for (let row = 0; row < batch.numRows; row += 1) {
      rowsOf[window[row] ?? -1]?.push(() => groupAt(row));
    }
  }
  return { groupsOf: (window) => (rowsOf[window] ?? []).map((group) => group()) };
}

/** A run's cells, window by window (each window's groups built when asked for). */
export interface WindowRunCells {
  groupsOf(window: number): CellGroup[];
}

interface NumberList {
  at(row: number): ArrayLike<number>;
}

/** A list column of numbers read from its offsets and values: a view per row, no copy. */
function listOf(vector: Vector): NumberList {
  const [data] = vector.data;
  const offsets = data?.valueOffsets as Int32Array | undefined;
  const values = data?.children[0]?.values as Float64Array | Int32Array | undefined;
  if (!data || !offsets || !values || vector.data.length !== 1) {
    throw new Error("the cells' Arrow answer has an unexpected list layout");
  }
  return {
    at: (row) => values.subarray(offsets[row] ?? 0, offsets[row + 1] ?? 0),
  };
}

/**
 * Cells of raw events in [from, to), as the views would have made them (fine buckets, the
 * threshold and frames in force): for the edges of a window that do not fill a grain.
 */
function rawCells(i: number, params: QueryParams, query: CellQuery, stateFilter: string): string {
  const frames = [...(query.frames ?? new Map<string, FeatureFrame>()).entries()];
  params[`raw_threshold_${i}`] = query.settings?.threshold ?? null;
  params[`raw_ff_${i}`] = frames.map(([name]) => name);
  params[`raw_fid_${i}`] = frames.map(([, f]) => f.frame);
  params[`raw_fc_${i}`] = frames.map(([, f]) => (Number.isFinite(f.centre) ? f.centre : 0));
  params[`raw_fs_${i}`] = frames.map(([, f]) =>
    f.scale > 0 && Number.isFinite(f.scale) ? f.scale : 1,
  );
  const hash = 'cityHash64(attributes)';
  const where = `model = {model:String} AND kind = {kind:String}
      AND ts >= {from_${i}:DateTime64(3)} AND ts < {to_${i}:DateTime64(3)}`;
  return `SELECT feature, slice_hash, state, frame, bucket, category, count, value_sum, value_min, value_max FROM (
    SELECT f AS feature, slice_hash,
           CAST(multiIf(isFinite(v), 1, isNaN(v), 6, v > 0, 4, 5), 'Enum8(\\'number\\' = 1, \\'string\\' = 2, \\'null\\' = 3, \\'pos_inf\\' = 4, \\'neg_inf\\' = 5, \\'nan\\' = 6, \\'event\\' = 7, \\'score\\' = 8)') AS state,
           frame, if(isFinite(v), ${FINE_BUCKET('z')}, toInt32(0)) AS bucket, '' AS category,
           count() AS count, sum(if(isFinite(v), v, 0.)) AS value_sum,
           min(if(isFinite(v), v, inf)) AS value_min, max(if(isFinite(v), v, -inf)) AS value_max
    FROM (SELECT f, v, ${hash} AS slice_hash,
                 toUInt32(if(fi = 0, 0, {raw_fid_${i}:Array(UInt32)}[fi])) AS frame,
                 (v - if(fi = 0, 0., {raw_fc_${i}:Array(Float64)}[fi])) / if(fi = 0, 1., {raw_fs_${i}:Array(Float64)}[fi]) AS z
          FROM (SELECT f, v, attributes, indexOf({raw_ff_${i}:Array(String)}, toString(f)) AS fi FROM events
                ARRAY JOIN mapKeys(feature_numbers) AS f, mapValues(feature_numbers) AS v WHERE ${where}))
    GROUP BY feature, slice_hash, state, frame, bucket, category
    UNION ALL
    SELECT cell.1 AS feature, ${hash} AS slice_hash,
           CAST(cell.2, 'Enum8(\\'number\\' = 1, \\'string\\' = 2, \\'null\\' = 3, \\'pos_inf\\' = 4, \\'neg_inf\\' = 5, \\'nan\\' = 6, \\'event\\' = 7, \\'score\\' = 8)') AS state,
           toUInt32(0) AS frame,
           if(cell.2 = 8, toInt32(floor(least(greatest(cell.4, -1e9), 1e9) * 128)) * 2 + if(ifNull(cell.4 >= {raw_threshold_${i}:Nullable(Float64)}, 0), 1, 0), toInt32(0)) AS bucket,
           cell.3 AS category, count() AS count, sum(cell.4) AS value_sum, min(cell.4) AS value_min, max(cell.4) AS value_max
    FROM events
    ARRAY JOIN arrayConcat(
      arrayMap((f, c) -> (toString(f), 2, c, 0.), mapKeys(feature_strings), mapValues(feature_strings)),
      arrayMap(f -> (toString(f), 3, '', 0.), feature_nulls),
      [('', 7, '', toFloat64(toUnixTimestamp64Milli(ts)))],
      if(isNull(score) OR NOT isFinite(assumeNotNull(score)), [], [('', 8, '', assumeNotNull(score))])) AS cell
    WHERE ${where}
    GROUP BY feature, slice_hash, state, frame, bucket, category
  ) WHERE 1 ${stateFilter}`;
}

/** The hour and day grains' bucket key (k = 7) of z; the same expression as the views of migrations 0006 and 0009. */
export const FINE_BUCKET = (z: string): string =>
  `if(abs(${z}) < 1, toInt32(floor(${z} * 128)), toInt32(if(${z} > 0, 1, -1) * (toInt64(bitShiftRight(reinterpretAsUInt64(abs(${z})), 45)) - 130816) - if(${z} < 0, 1, 0)))`;

/** A finite z's bucket in summary_1h_k10 (k = 10, migration 0015): 8 of them in each FINE_BUCKET. */
export const FINER_BUCKET = (z: string): string =>
  `if(abs(${z}) < 1, toInt32(floor(${z} * 1024)), toInt32(if(${z} > 0, 1, -1) * (toInt64(bitShiftRight(reinterpretAsUInt64(abs(${z})), 42)) - 1046528) - if(${z} < 0, 1, 0)))`;

/** Events per model in [from, to) by the 'event' cells: volume without reading raw rows. */
export async function queryEventTimes(
  store: Store,
  model: string,
  pieces: readonly WindowPiece[],
  rebuilds: readonly SummaryRebuild[],
): Promise<{ events: number; first: number | null; last: number | null }> {
  const groups = await queryCells(store, {
    model,
    kind: 'prediction',
    pieces,
    rebuilds,
    states: ['event'],
  });
  let events = 0;
  let first: number | null = null;
  let last: number | null = null;
  for (const group of groups) {
    group.counts.forEach((count, i) => {
      events += count;
      const lo = group.mins[i] ?? Infinity;
      const hi = group.maxs[i] ?? -Infinity;
      first = first === null ? lo : Math.min(first, lo);
      last = last === null ? hi : Math.max(last, hi);
    });
  }
  return { events, first, last };
}

/**
 * Re-derives the summaries of whole UTC days [fromDay, toDay) of a model from raw events:
 * for a slice list or frames that changed, or events stored before the views existed.
 * Events ingested before today are replayed into the views under a new rebuild id, then the
 * rebuild is recorded, which is when readers switch to it; events ingested from today on
 * keep the rows the views gave them. Nothing is counted twice and nothing is deleted.
 */
export async function rebuildSummaries(
  store: Store,
  input: { model: string; fromDay: string; toDay: string },
): Promise<{ rebuildId: number; events: number }> {
  const [latest] = await store.query<{ id: number; today: string }>(
    `SELECT (SELECT max(rebuild_id) FROM summary_rebuilds WHERE model = {model:String}) AS id, toString(today()) AS today`,
    { model: input.model },
  );
  const rebuildId = Number(latest?.id ?? 0) + 1;
  const cutoffDay = latest?.today ?? new Date().toISOString().slice(0, 10);
  const params = { ...input, rebuild_id: rebuildId, cutoff: cutoffDay };
  const [counted] = await store.query<{ events: string }>(
    `SELECT count() AS events FROM events
     WHERE model = {model:String} AND toDate(ts) >= {fromDay:Date} AND toDate(ts) < {toDay:Date}
       AND toDate(ingested_at) < {cutoff:Date}`,
    params,
  );
  await store.command(
    `INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                                feature_numbers, feature_strings, feature_nulls, attributes)
     SELECT model, model, CAST(kind, 'Enum8(\\'prediction\\' = 1, \\'feature\\' = 2, \\'reference\\' = 3)'), ts, ingested_at,
            {rebuild_id:UInt32}, score, feature_numbers, feature_strings, feature_nulls, attributes
     FROM events
     WHERE model = {model:String} AND toDate(ts) >= {fromDay:Date} AND toDate(ts) < {toDay:Date}
       AND toDate(ingested_at) < {cutoff:Date}`,
    params,
  );
  await store.insert('summary_rebuilds', [
    {
      model: input.model,
      rebuild_id: rebuildId,
      from_day: input.fromDay,
      to_day: input.toDay,
      cutoff_day: cutoffDay,
    },
  ]);
  return { rebuildId, events: Number(counted?.events ?? 0) };
}

/** Replays a stored baseline version's rows into the views as cell set `cellSet`. */
export async function insertReferenceCells(
  store: Store,
  input: { model: string; baseline: string; version: number; cellSet: number },
): Promise<void> {
  await store.command(
    `INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                                feature_numbers, feature_strings, feature_nulls, attributes)
     SELECT model, model, 'reference', toDateTime64(0, 3, 'UTC'), now64(3), {cell_set:UInt32}, score,
            feature_numbers, feature_strings, feature_nulls, attributes
     FROM reference_rows
     WHERE model = {model:String} AND baseline = {baseline:String} AND version = {version:UInt32}`,
    { ...input, cell_set: input.cellSet },
  );
}

/** A fresh cell set number: random, so two processes building profiles never share one. */
export function newReferenceCellSet(): number {
  return randomInt(1, 2 ** 32 - 1);
}
