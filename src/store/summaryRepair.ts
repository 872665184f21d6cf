import { randomUUID } from 'node:crypto';
import type { Store } from './clickhouse.js';
import type { EventKindOfSummary } from './summaryLedger.js';
import { FINE_BUCKET } from './summaryQueries.js';

/**
 * Checks and repairs of the summaries against the stored events (migration 0011): how
 * many values each summary table counts for a span of one model's events, against what
 * the distinct stored events (FINAL) hold; and on a difference, the cells those events
 * give — as the views of migration 0009 would have made them, with the frames and the
 * score threshold in force when each event was ingested — against the stored cells, the
 * missing part staged in summary_repairs and then added to the table. Only rows of
 * `rebuild_id` 0 (the views' own) are compared: a recorded rebuild's rows are complete
 * by construction (it is recorded after its replay returned).
 */
export type SummaryTable = 'summary_5m' | 'summary_1h' | 'summary_1d';

/** What cells count, by what an event puts in them: one 'event' cell per event, one cell per feature value, one per finite score. */
export interface CellCounts {
  events: number;
  numbers: number;
  strings: number;
  nulls: number;
  scores: number;
}

/** Counts of one grain (its start, Unix ms) and ingest day (YYYY-MM-DD). */
export interface GrainCounts {
  grainMs: number;
  ingestDay: string;
  counts: CellCounts;
}

/** A span of one model's events of one kind: [fromMs, toMs) by event time. */
export interface EventSpan {
  model: string;
  kind: EventKindOfSummary;
  fromMs: number;
  toMs: number;
}

const SPAN_OF_EVENTS = `model = {model:String} AND kind = {kind:String}
  AND ts >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;

const SPAN_OF_CELLS = `model = {model:String} AND kind = {kind:String} AND rebuild_id = 0
  AND grain_start >= toDateTime(intDiv({from_ms:Int64}, 1000), 'UTC')
  AND grain_start < toDateTime(intDiv({to_ms:Int64}, 1000), 'UTC')`;

function spanParams(span: EventSpan): Record<string, unknown> {
  return { model: span.model, kind: span.kind, from_ms: span.fromMs, to_ms: span.toMs };
}

interface CountRow {
  grain_ms: string;
  ingest_day: string;
  events: string;
  numbers: string;
  strings: string;
  nulls: string;
  scores: string;
}

function grainCounts(rows: readonly CountRow[]): GrainCounts[] {
  return rows.map((row) => ({
    grainMs: Number(row.grain_ms),
    ingestDay: row.ingest_day,
    counts: {
      events: Number(row.events),
      numbers: Number(row.numbers),
      strings: Number(row.strings),
      nulls: Number(row.nulls),
      scores: Number(row.scores),
    },
  }));
}

/** What the distinct stored events of a span put into cells, per five-minute grain and ingest day. */
export async function countEventValues(store: Store, span: EventSpan): Promise<GrainCounts[]> {
  const rows = await store.query<CountRow>(
    `SELECT toUnixTimestamp(toStartOfFiveMinutes(ts)) * 1000 AS grain_ms, toString(toDate(ingested_at)) AS ingest_day,
            count() AS events, sum(length(feature_numbers)) AS numbers, sum(length(feature_strings)) AS strings,
            sum(length(feature_nulls)) AS nulls, countIf(isNotNull(score) AND isFinite(assumeNotNull(score))) AS scores
     FROM events FINAL
     WHERE ${SPAN_OF_EVENTS}
     GROUP BY grain_ms, ingest_day`,
    spanParams(span),
  );
  return grainCounts(rows);
}

/** What a summary table's cells (rebuild 0) of a span count, per grain and ingest day. */
export async function countSummaryValues(
  store: Store,
  table: SummaryTable,
  span: EventSpan,
): Promise<GrainCounts[]> {
  const rows = await store.query<CountRow>(
    `SELECT toUnixTimestamp(grain_start) * 1000 AS grain_ms, toString(ingest_day) AS ingest_day,
            sumIf(count, state = 'event') AS events,
            sumIf(count, state IN ('number', 'pos_inf', 'neg_inf', 'nan')) AS numbers,
            sumIf(count, state = 'string') AS strings, sumIf(count, state = 'null') AS nulls,
            sumIf(count, state = 'score') AS scores
     FROM ${table}
     WHERE ${SPAN_OF_CELLS}
     GROUP BY grain_ms, ingest_day`,
    spanParams(span),
  );
  return grainCounts(rows);
}

/** Where the cells a table should hold come from: the stored events, or (for the day grain) the hour grain's cells. */
export type CellSource = 'events' | 'summary_1h';

export interface RepairRequest {
  target: SummaryTable;
  source: CellSource;
  span: EventSpan;
  /** Only cells of these ingest days (YYYY-MM-DD) are compared. */
  ingestDays: readonly string[];
}

/** A repair computed and staged: what the table lacks (under) and holds beyond the events (over). */
export interface StagedRepair {
  repairId: string;
  /** The model repaired: its rows are read by model (on a cluster, on its shard only). */
  model: string;
  target: SummaryTable;
  /** Cells holding more than the stored events give: not repairable by adding (nothing is staged then). */
  overCells: number;
  /** Cells holding less: staged with what they lack. */
  underCells: number;
  /** Values (the cells' counts) staged, and the events among them ('event' cells). */
  values: number;
  events: number;
}

/**
 * Compares the cells of `target` in a span with the cells its source gives, and stages the
 * difference in summary_repairs when the table only lacks values (every cell holds at most
 * what the source gives). A missing cell is staged whole; a cell holding part of its values
 * gets the rest: count and sum are the difference, min and max the source's (the table's
 * part lies within them), so the merged cell is the source's cell.
 */
export async function stageSummaryRepair(
  store: Store,
  request: RepairRequest,
): Promise<StagedRepair> {
  const repairId = randomUUID();
  const params = {
    ...spanParams(request.span),
    days: [...request.ingestDays],
    repair_id: repairId,
    target: request.target,
  };
  const expected =
    request.source === 'events'
      ? cellsOfEvents(GRAIN_OF[request.target])
      : cellsOfHours(GRAIN_OF[request.target]);
  const stored = storedCells(request.target);
  const keys = 'grain_start, ingest_day, feature, slice_hash, state, frame, bucket, category';
  const [difference] = await store.query<{ over: string; under: string }>(
    `SELECT countIf(s.count > e.count) AS over, countIf(e.count > s.count) AS under
     FROM (${expected}) AS e FULL OUTER JOIN (${stored}) AS s USING (${keys})`,
    params,
  );
  const overCells = Number(difference?.over ?? 0);
  const underCells = Number(difference?.under ?? 0);
  const staged = {
    repairId,
    model: request.span.model,
    target: request.target,
    overCells,
    underCells,
    values: 0,
    events: 0,
  };
  if (overCells > 0 || underCells === 0) return staged;
  await store.command(
    `INSERT INTO summary_repairs (repair_id, target, model, kind, grain_start, ingest_day, rebuild_id, feature,
                                  slice_hash, state, frame, bucket, category, count, value_sum, value_min, value_max)
     SELECT {repair_id:String}, {target:String}, {model:String}, {kind:String}, grain_start, ingest_day, 0, feature,
            slice_hash, CAST(state, '${STATE_ENUM}'), frame, bucket, category, e.count - s.count,
            -- a sum that overflowed stays the source's: inf - inf would be nan
            if(isFinite(e.value_sum) AND isFinite(s.value_sum), e.value_sum - s.value_sum, e.value_sum),
            e.value_min, e.value_max
     FROM (${expected}) AS e LEFT JOIN (${stored}) AS s USING (${keys})
     WHERE e.count > s.count`,
    params,
  );
  const [totals] = await store.query<{ values: string; events: string }>(
    `SELECT sum(count) AS values, sumIf(count, state = 'event') AS events
     FROM summary_repairs
     WHERE model = {model:String} AND repair_id = {repair_id:String} AND target = {target:String}`,
    params,
  );
  return { ...staged, values: Number(totals?.values ?? 0), events: Number(totals?.events ?? 0) };
}

/** Adds a staged repair's cells to its table (one insert: a part per month, each all or nothing). */
export async function applySummaryRepair(store: Store, repair: StagedRepair): Promise<void> {
  await store.command(
    `INSERT INTO ${repair.target} (model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state,
                                   frame, bucket, category, count, value_sum, value_min, value_max)
     SELECT model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state,
            frame, bucket, category, count, value_sum, value_min, value_max
     FROM summary_repairs
     WHERE model = {model:String} AND repair_id = {repair_id:String} AND target = {target:String}`,
    { model: repair.model, repair_id: repair.repairId, target: repair.target },
  );
}

/**
 * Slice combinations (slice hash -> attributes) of a span's events that slice_combos lacks
 * (its view's part may be missing too) are added; returns how many.
 */
export async function restoreSliceCombos(store: Store, span: EventSpan): Promise<number> {
  const missing = `SELECT model, slice_hash, combo AS attributes FROM (
      SELECT model, cityHash64(attributes) AS slice_hash, any(CAST(attributes, 'Map(String, String)')) AS combo
      FROM events WHERE ${SPAN_OF_EVENTS}
      GROUP BY model, slice_hash)
    WHERE slice_hash NOT IN (SELECT slice_hash FROM slice_combos WHERE model = {model:String})`;
  const [counted] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM (${missing})`,
    spanParams(span),
  );
  const n = Number(counted?.n ?? 0);
  if (n > 0)
    await store.command(
      `INSERT INTO slice_combos (model, slice_hash, attributes) ${missing}`,
      spanParams(span),
    );
  return n;
}

const STATE_ENUM =
  "Enum8(\\'number\\' = 1, \\'string\\' = 2, \\'null\\' = 3, \\'pos_inf\\' = 4, \\'neg_inf\\' = 5, \\'nan\\' = 6, \\'event\\' = 7, \\'score\\' = 8)";

type Grain = '5m' | '1h' | '1d';

const GRAIN_OF: Record<SummaryTable, Grain> = {
  summary_5m: '5m',
  summary_1h: '1h',
  summary_1d: '1d',
};

const GRAIN_START: Record<Grain, (fiveMinutes: string) => string> = {
  '5m': (g) => g,
  '1h': (g) => `toStartOfHour(${g})`,
  '1d': (g) => `toStartOfDay(${g})`,
};

/** A number's bucket at a grain from its fine (k = 7) bucket: the five-minute grain keeps k = 5 (migration 0009). */
function bucketAt(grain: Grain): string {
  return grain === '5m'
    ? 'if(state = 1, toInt32(floor(fine_bucket / 4)), fine_bucket)'
    : 'fine_bucket';
}

/**
 * The cells the stored events of a span (of the given ingest days) give at a grain: the
 * fine cells of migration 0009's views (summary_fine_numbers_mv, summary_fine_others_mv)
 * rolled up as its roll-ups do. Frames and the score threshold are those in force when the
 * event was ingested (the newest created before its ingested_at), as the views read them
 * during its insert.
 */
function cellsOfEvents(grain: Grain): string {
  const events = `SELECT model, toDateTime(toStartOfFiveMinutes(ts), 'UTC') AS grain5, toDate(ingested_at) AS ingest_day,
        ingested_at, cityHash64(attributes) AS slice_hash, ts, score, feature_numbers, feature_strings, feature_nulls
      FROM events FINAL
      WHERE ${SPAN_OF_EVENTS} AND toDate(ingested_at) IN {days:Array(Date)}`;
  const numbers = `SELECT grain5, ingest_day, feature, slice_hash, state, frame, fine_bucket, category,
        count() AS count, sum(if(isFinite(v), v, 0.)) AS value_sum,
        min(if(isFinite(v), v, inf)) AS value_min, max(if(isFinite(v), v, -inf)) AS value_max
    FROM (
      SELECT x.grain5 AS grain5, x.ingest_day AS ingest_day, toString(x.f) AS feature, x.slice_hash AS slice_hash,
             x.v AS v, toUInt8(multiIf(isFinite(x.v), 1, isNaN(x.v), 6, x.v > 0, 4, 5)) AS state, fr.frame AS frame,
             (x.v - if(isFinite(fr.centre), fr.centre, 0.)) / if(fr.scale > 0 AND isFinite(fr.scale), fr.scale, 1.) AS z,
             if(isFinite(x.v), ${FINE_BUCKET('z')}, toInt32(0)) AS fine_bucket, '' AS category
      FROM (SELECT e.model AS model, e.grain5 AS grain5, e.ingest_day AS ingest_day, e.ingested_at AS ingested_at,
                   e.slice_hash AS slice_hash, f, v
            FROM (${events}) AS e
            ARRAY JOIN mapKeys(e.feature_numbers) AS f, mapValues(e.feature_numbers) AS v) AS x
      ASOF LEFT JOIN (SELECT model, feature, created_at, frame, centre, scale FROM feature_frames
                      WHERE model = {model:String}) AS fr
        ON x.model = fr.model AND x.f = fr.feature AND x.ingested_at >= fr.created_at)
    GROUP BY grain5, ingest_day, feature, slice_hash, state, frame, fine_bucket, category`;
  const others = `SELECT grain5, ingest_day, feature, slice_hash, state, frame, fine_bucket, category,
        count() AS count, sum(x) AS value_sum, min(x) AS value_min, max(x) AS value_max
    FROM (
      SELECT i.grain5 AS grain5, i.ingest_day AS ingest_day, i.slice_hash AS slice_hash, cell.1 AS feature,
             toUInt8(cell.2) AS state, toUInt32(0) AS frame, cell.3 AS category, cell.4 AS x,
             if(cell.2 = 8, toInt32(floor(least(greatest(cell.4, -1e9), 1e9) * 128)) * 2 + if(cell.4 >= ifNull(s.threshold, inf), 1, 0), toInt32(0)) AS fine_bucket
      FROM (${events}) AS i
      ASOF LEFT JOIN (SELECT model, created_at, threshold FROM summary_settings WHERE model = {model:String}) AS s
        ON i.model = s.model AND i.ingested_at >= s.created_at
      ARRAY JOIN arrayConcat(
        arrayMap((f, c) -> (toString(f), 2, c, 0.), mapKeys(i.feature_strings), mapValues(i.feature_strings)),
        arrayMap(f -> (toString(f), 3, '', 0.), i.feature_nulls),
        [('', 7, '', toFloat64(toUnixTimestamp64Milli(i.ts)))],
        if(isNull(i.score) OR NOT isFinite(assumeNotNull(i.score)), [], [('', 8, '', assumeNotNull(i.score))])) AS cell)
    GROUP BY grain5, ingest_day, feature, slice_hash, state, frame, fine_bucket, category`;
  return `SELECT ${GRAIN_START[grain]('grain5')} AS grain_start, ingest_day, feature, slice_hash, state, frame,
         ${bucketAt(grain)} AS bucket, category,
         sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
    FROM (${numbers} UNION ALL ${others})
    GROUP BY grain_start, ingest_day, feature, slice_hash, state, frame, bucket, category`;
}

/** The hour grain's cells (rebuild 0) of a span rolled up to a coarser grain (the day's). */
function cellsOfHours(grain: Grain): string {
  return `SELECT ${GRAIN_START[grain]('cell_start')} AS grain_start, ingest_day, feature_name AS feature, slice_hash,
         state_code AS state, frame, bucket, category,
         sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
    FROM (${cellRows('summary_1h')})
    GROUP BY grain_start, ingest_day, feature_name, slice_hash, state_code, frame, bucket, category`;
}

/** A summary table's cells (rebuild 0) of a span, rows of one cell merged. */
function storedCells(table: SummaryTable): string {
  return `SELECT cell_start AS grain_start, ingest_day, feature_name AS feature, slice_hash, state_code AS state,
         frame, bucket, category,
         sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
    FROM (${cellRows(table)})
    GROUP BY cell_start, ingest_day, feature_name, slice_hash, state_code, frame, bucket, category`;
}

/** A summary table's rows (rebuild 0) of a span, with the feature as String and the state as its code. */
function cellRows(table: SummaryTable): string {
  return `SELECT grain_start AS cell_start, ingest_day, toString(feature) AS feature_name, slice_hash,
                 toUInt8(state) AS state_code, frame, bucket, category, count, value_sum, value_min, value_max
          FROM ${table} WHERE ${SPAN_OF_CELLS} AND ingest_day IN {days:Array(Date)}`;
}
