import type { Store } from '../src/store/clickhouse.js';
import { FINE_BUCKET } from '../src/store/summaryQueries.js';

/**
 * A fleet of generated models, as the many-models benchmark stores it (this file is that
 * benchmark's store helper: its SQL stays here). Every model's events are drawn from the
 * same distributions by formulas — hashes of (model number, slice, day, event, feature), not
 * of the model's name, so fleets under two prefixes hold the same events — which lets them be
 * written two ways that must agree:
 *  - as summaries: the fine cells (five-minute grain, k = 7 buckets) inserted straight into
 *    `summary_fine`, the Null table whose views roll them up into summary_5m, summary_1h
 *    and summary_1d (migration 0011), as on ingest but without raw rows or the map
 *    explosion, so a fleet's days of summaries cost seconds to minutes, not hours;
 *  - as raw events (insertFleetEvents), for a test that the summaries are the ones ingest
 *    makes from the same events (test/integration/fleetSummaries.integration.test.ts).
 *
 * The stream: on each UTC day, model m and slice s (attribute segment = s0, s1, ...) get
 * `eventsPerSlicePerDay` events spread evenly over the day. Their numeric features are
 * normal (centre and scale per feature: the frame the profile would have frozen; a shift of
 * 0.3 standard deviations on the first three numeric features in slice s0), categorical
 * ones over five values with unequal weights, 1 value in 200 null, the score uniform.
 */
export interface Fleet {
  /** Model i of the fleet is `${prefix}${i}` with i zero-padded to four digits. */
  prefix: string;
  numeric: readonly string[];
  categorical: readonly string[];
  /** Values of the slice attribute `segment`: s0 ... s{slices - 1}. */
  slices: number;
  eventsPerSlicePerDay: number;
  /** The score threshold the score cells split at (the monitor's). */
  threshold: number;
}

const DAY_MS = 86_400_000;

export function fleetModel(fleet: Fleet, index: number): string {
  return `${fleet.prefix}${String(index).padStart(4, '0')}`;
}

/** Feature i's frame: the centre and scale its numbers are bucketed in. */
export function fleetFrame(index: number): { centre: number; scale: number } {
  return { centre: 10 * index - 3, scale: 1 + (index % 5) };
}

/** The fleet's parameters as query parameters (names, frames, sizes). */
function fleetParams(fleet: Fleet): Record<string, unknown> {
  const frames = fleet.numeric.map((_, i) => fleetFrame(i));
  return {
    prefix: fleet.prefix,
    num_names: [...fleet.numeric],
    cat_names: [...fleet.categorical],
    centres: frames.map((f) => f.centre),
    scales: frames.map((f) => f.scale),
    slices: fleet.slices,
    per_day: fleet.eventsPerSlicePerDay,
    threshold: fleet.threshold,
    n_num: fleet.numeric.length,
    n_features: fleet.numeric.length + fleet.categorical.length,
  };
}

/**
 * Events of models [first, first + count) on the days [from, from + days), one row per
 * event with its hash seed `h`, its time and its slice: `numbers()` decomposed.
 */
function fleetEventsSql(): string {
  return `SELECT m, concat({prefix:String}, leftPad(toString(m), 4, '0')) AS model, s, day, j,
              cityHash64(m, s, day, j) AS h,
              fromUnixTimestamp64Milli(toInt64(day) * ${DAY_MS} + intDiv(j * ${DAY_MS}, {per_day:UInt64}), 'UTC') AS ts,
              CAST(map('segment', concat('s', toString(s))), 'Map(LowCardinality(String), String)') AS attributes
       FROM (SELECT {first:UInt64} + intDiv(number, {slices:UInt64} * {days:UInt64} * {per_day:UInt64}) AS m,
                    intDiv(number, {days:UInt64} * {per_day:UInt64}) % {slices:UInt64} AS s,
                    {first_day:UInt64} + intDiv(number, {per_day:UInt64}) % {days:UInt64} AS day,
                    number % {per_day:UInt64} AS j
             FROM numbers({count:UInt64} * {slices:UInt64} * {days:UInt64} * {per_day:UInt64}))`;
}

// One hash per (event, feature); its low and high 32 bits are the two uniforms of a
// Box–Muller draw (or the category's uniform), a second hash decides nulls.
const HASH = (feature: string) => `cityHash64(h, ${feature})`;
const UNIFORM_LOW = (hash: string) => `((${hash} % 4294967296) + 0.5) / 4294967296`;
const UNIFORM_HIGH = (hash: string) => `(intDiv(${hash}, 4294967296) + 0.5) / 4294967296`;
const IS_NULL = (hash: string) => `cityHash64(${hash}) % 200 = 0`;

/** Numeric feature i's value of the event (NULL 1 time in 200); `shifted`: the drift planted in s0. */
function numericValueSql(i: string, shifted: boolean): string {
  const hash = HASH(`toUInt64(${i})`);
  const z = `sqrt(-2 * log(${UNIFORM_LOW(hash)})) * cos(2 * pi() * ${UNIFORM_HIGH(hash)})`;
  const shift = shifted ? `if(${i} < 3 AND s = 0, 0.3, 0.)` : '0.';
  return `if(${IS_NULL(hash)}, NULL, {centres:Array(Float64)}[${i} + 1] + {scales:Array(Float64)}[${i} + 1] * (${z} + ${shift}))`;
}

/** Categorical feature i's category as an index into a..e (with unequal weights). */
function categoricalIndexSql(i: string): string {
  const u = UNIFORM_LOW(HASH(`toUInt64(1000 + ${i})`));
  return `multiIf(${u} < 0.4, 0, ${u} < 0.65, 1, ${u} < 0.8, 2, ${u} < 0.92, 3, 4)`;
}

/** Categorical feature i's value of the event (NULL 1 time in 200). */
function categoricalValueSql(i: string): string {
  const hash = HASH(`toUInt64(1000 + ${i})`);
  return `if(${IS_NULL(hash)}, NULL, ['a', 'b', 'c', 'd', 'e'][${categoricalIndexSql(i)} + 1])`;
}

/** An event's feature values: `nums` (Array(Nullable(Float64))) and `cats` (Array(Nullable(String))). */
const VALUES_SQL = (shifted: boolean) =>
  `arrayMap(i -> ${numericValueSql('i', shifted)}, range(length({num_names:Array(String)}))) AS nums,
   arrayMap(i -> ${categoricalValueSql('i')}, range(length({cat_names:Array(String)}))) AS cats`;

const SCORE_SQL = UNIFORM_LOW(HASH('toUInt64(999999)'));

export interface FleetRange {
  /** Models [first, first + count) of the fleet. */
  first: number;
  count: number;
  /** Whole UTC days from `from` (midnight). */
  from: Date;
  days: number;
}

function rangeParams(range: FleetRange): Record<string, unknown> {
  if (range.from.getTime() % DAY_MS !== 0) throw new Error('a fleet range starts at midnight UTC');
  return {
    first: range.first,
    count: range.count,
    first_day: range.from.getTime() / DAY_MS,
    days: range.days,
  };
}

/**
 * The fine cells of a range of the fleet's events, straight into summary_fine (so the
 * rollup views write summary_5m, summary_1h and summary_1d): per event the cells the views
 * of migration 0009 make — each numeric value in its frame's k = 7 bucket, each category,
 * each null, the event's time and its score — grouped per five minutes as they group one
 * inserted block. Frames and the threshold (insertFleetFrames) must be stored first, as a profile would.
 * The grouping runs on numbers (feature index, state, bucket or category index); names
 * and slice hashes are attached to the grouped cells, which keeps it cheap. With target
 * '1d' the same events are grouped per day into summary_1d alone (the rows the rollups
 * would give it, sums added in another order): a month of the day grain without the five-
 * minute and hour cells nobody reads for a month-long window.
 */
export async function insertFleetSummaries(
  store: Store,
  fleet: Fleet,
  range: FleetRange,
  /** 'fine': every grain through the rollup views; '1d': only summary_1d, its cells written directly. */
  target: 'fine' | '1d' = 'fine',
): Promise<void> {
  const table = target === 'fine' ? 'summary_fine' : 'summary_1d';
  const grain = target === 'fine' ? 'toStartOfFiveMinutes(ts)' : 'toStartOfDay(ts)';
  // per (event, fi): fi < numeric count a numeric feature, then the categorical ones, then
  // the event's own cell and its score
  const numeric = '{n_num:UInt16}';
  const features = '{n_features:UInt16}';
  const value = `multiIf(fi < ${numeric}, ${numericValueSql('fi', true)},
                         fi < ${features}, if(${IS_NULL(HASH(`toUInt64(1000 + fi - ${numeric})`))}, NULL, 0.),
                         fi = ${features}, toFloat64(toUnixTimestamp64Milli(ts)), ${SCORE_SQL})`;
  const category = categoricalIndexSql(`fi - ${numeric}`);
  await store.command(
    `INSERT INTO ${table} (model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket,
                               category, count, value_sum, value_min, value_max)
     SELECT concat({prefix:String}, leftPad(toString(m), 4, '0')) AS model, 'prediction', grain_start, toDate(grain_start),
            0, multiIf(fi < ${numeric}, {num_names:Array(String)}[fi + 1], fi < ${features}, {cat_names:Array(String)}[fi - ${numeric} + 1], '') AS feature,
            cityHash64(CAST(map('segment', concat('s', toString(s))), 'Map(LowCardinality(String), String)')) AS slice_hash,
            CAST(st AS Enum8('number' = 1, 'string' = 2, 'null' = 3, 'pos_inf' = 4, 'neg_inf' = 5, 'nan' = 6, 'event' = 7, 'score' = 8)),
            if(st = 1, toUInt32(1), toUInt32(0)) AS frame, if(st = 2, toInt32(0), key) AS bucket,
            if(st = 2, ['a', 'b', 'c', 'd', 'e'][key + 1], '') AS category, n, total, lowest, highest
     FROM (SELECT m, s, grain_start, fi, st, key, count() AS n, sum(x) AS total, min(x) AS lowest, max(x) AS highest
           FROM (SELECT m, s, ${grain} AS grain_start, fi, ${value} AS v,
                        multiIf(fi < ${features} AND isNull(v), toUInt8(3), fi < ${numeric}, toUInt8(1), fi < ${features}, toUInt8(2),
                                fi = ${features}, toUInt8(7), toUInt8(8)) AS st,
                        if(st = 3, 0., assumeNotNull(v)) AS x,
                        toInt32(multiIf(st = 1, ${FINE_BUCKET('((x - {centres:Array(Float64)}[fi + 1]) / {scales:Array(Float64)}[fi + 1])')},
                                        st = 2, ${category}, st = 8, toInt32(floor(x * 128)) * 2 + if(x >= {threshold:Float64}, 1, 0), 0)) AS key
                 FROM (${fleetEventsSql()})
                 ARRAY JOIN range(toUInt16(${features} + 2)) AS fi)
           GROUP BY m, s, grain_start, fi, st, key)`,
    { ...fleetParams(fleet), ...rangeParams(range) },
  );
}

/** The same events as raw rows of `events` (ingested at their own time), for the test. */
export async function insertFleetEvents(
  store: Store,
  fleet: Fleet,
  range: FleetRange,
): Promise<void> {
  await store.command(
    `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, feature_strings, feature_nulls,
                         attributes, ingested_at)
     SELECT 'prediction', toString(h), model, ts, toString(h), ${SCORE_SQL},
            mapFromArrays(arrayFilter((k, v) -> isNotNull(v), {num_names:Array(String)}, nums),
                          arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), nums))),
            mapFromArrays(arrayFilter((k, v) -> isNotNull(v), {cat_names:Array(String)}, cats),
                          arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), cats))),
            arrayConcat(arrayFilter((k, v) -> isNull(v), {num_names:Array(String)}, nums),
                        arrayFilter((k, v) -> isNull(v), {cat_names:Array(String)}, cats)),
            attributes, ts
     FROM (SELECT *, ${VALUES_SQL(true)} FROM (${fleetEventsSql()}))`,
    { ...fleetParams(fleet), ...rangeParams(range) },
  );
}

/** Models [first, first + count): models.first.. */
interface FleetModels {
  first: number;
  count: number;
}

const MODEL_OF_M = `concat({prefix:String}, leftPad(toString({first:UInt64} + m.number), 4, '0'))`;

/**
 * Each model's frames (frame 1 of every numeric feature, as its first profile would have
 * frozen them) and its score threshold: what the views read, so they come before events.
 */
export async function insertFleetFrames(
  store: Store,
  fleet: Fleet,
  models: FleetModels,
): Promise<void> {
  const params = { ...fleetParams(fleet), first: models.first, count: models.count };
  await store.command(
    `INSERT INTO feature_frames (model, feature, frame, centre, scale)
     SELECT ${MODEL_OF_M}, {num_names:Array(String)}[f.number + 1], 1,
            {centres:Array(Float64)}[f.number + 1], {scales:Array(Float64)}[f.number + 1]
     FROM numbers({count:UInt64}) AS m CROSS JOIN numbers(length({num_names:Array(String)})) AS f`,
    params,
  );
  await store.command(
    `INSERT INTO summary_settings (model, version, threshold)
     SELECT ${MODEL_OF_M}, 1, {threshold:Float64} FROM numbers({count:UInt64}) AS m`,
    params,
  );
}

/** Each model's slice combinations, which ingest's view writes and generated cells lack. */
export async function insertFleetSliceCombos(
  store: Store,
  fleet: Fleet,
  models: FleetModels,
): Promise<void> {
  await store.command(
    `INSERT INTO slice_combos (model, slice_hash, attributes)
     SELECT ${MODEL_OF_M}, cityHash64(a), CAST(a, 'Map(String, String)')
     FROM numbers({count:UInt64}) AS m CROSS JOIN
          (SELECT CAST(map('segment', concat('s', toString(number))), 'Map(LowCardinality(String), String)') AS a
           FROM numbers({slices:UInt64})) AS sl`,
    { ...fleetParams(fleet), first: models.first, count: models.count },
  );
}

/**
 * A baseline of `rows` rows for one model, drawn from the same distributions without the
 * shift (the stream of 1970-01-01, a day the fleet never has), stored under
 * `name` as a frozen range baseline is.
 */
export async function insertFleetBaseline(
  store: Store,
  fleet: Fleet,
  input: { model: number; name: string; rows: number },
): Promise<void> {
  await store.insert('baselines', [
    {
      model: fleetModel(fleet, input.model),
      name: input.name,
      version: 1,
      kind: 'range',
      source: 'bench',
      columns: '[]',
      row_count: input.rows,
    },
  ]);
  const perSlice = Math.ceil(input.rows / fleet.slices);
  await store.command(
    `INSERT INTO reference_rows (model, baseline, version, row_id, score, label, feature_numbers, feature_strings,
                                 feature_nulls, attributes)
     SELECT model, {name:String}, 1, rowNumberInAllBlocks(), ${SCORE_SQL}, NULL,
            mapFromArrays(arrayFilter((k, v) -> isNotNull(v), {num_names:Array(String)}, nums),
                          arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), nums))),
            mapFromArrays(arrayFilter((k, v) -> isNotNull(v), {cat_names:Array(String)}, cats),
                          arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), cats))),
            arrayConcat(arrayFilter((k, v) -> isNull(v), {num_names:Array(String)}, nums),
                        arrayFilter((k, v) -> isNull(v), {cat_names:Array(String)}, cats)),
            attributes
     FROM (SELECT *, ${VALUES_SQL(false)} FROM (${fleetEventsSql()}))`,
    {
      ...fleetParams(fleet),
      ...rangeParams({ first: input.model, count: 1, from: new Date(0), days: 1 }),
      per_day: perSlice,
      name: input.name,
    },
  );
}

/** What a partition of the summary tables (and events) takes on disk, per table. */
export interface PartitionBytes {
  table: string;
  rows: number;
  compressed: number;
  uncompressed: number;
  parts: number;
}

/** system.parts of one month's partition (`YYYYMM`), active parts only. */
export async function measureFleetStorage(
  store: Store,
  partition: string,
): Promise<PartitionBytes[]> {
  const rows = await store.query<{
    table: string;
    rows: string;
    compressed: string;
    uncompressed: string;
    parts: string;
  }>(
    `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS compressed,
            sum(data_uncompressed_bytes) AS uncompressed, count() AS parts
     FROM system.parts
     WHERE active AND database = currentDatabase() AND partition = {partition:String}
       AND table IN ('summary_5m', 'summary_1h', 'summary_1d', 'events')
     GROUP BY table ORDER BY table`,
    { partition },
  );
  return rows.map((r) => ({
    table: r.table,
    rows: Number(r.rows),
    compressed: Number(r.compressed),
    uncompressed: Number(r.uncompressed),
    parts: Number(r.parts),
  }));
}
