-- Window summaries: every statistic a monitor run needs, filled as events arrive, so a run
-- reads summaries whose size does not grow with the number of events in its window.
--
-- A summary row is a cell: (model, kind, time grain, feature, slice combination, state,
-- frame, bucket, category) with the count, sum, min and max of the values in it. Cells
-- merge by adding counts and sums and taking the extreme min and max, so any window is the
-- merge of its grains, and every bound driftwatch derives from cells needs only that each
-- cell's values lie within [min, max] (src/drift/cells.ts).
--
-- Numbers are bucketed by a key that is monotone in the value: z = (x - centre) / scale
-- with centre and scale frozen per (model, feature) (feature_frames); |z| < 1 in uniform
-- steps of 2^-k, |z| >= 1 by the top k mantissa bits of z (relative width 2^-k). k = 7
-- for the hour and day grains, k = 5 for the five-minute grain (sub-hour windows and
-- backtests). Without a frame, centre 0 and scale 1.
--
-- Slices: an event is summarized once, under the hash of its attributes (the event schema's
-- slice fields); slice_combos maps each hash back to the attribute values, so "all", every
-- slice key and every crossed slice are sums over combinations at read time, and a monitor
-- may slice by any attribute without touching the summaries.

CREATE TABLE IF NOT EXISTS feature_frames (
  model LowCardinality(String),
  feature LowCardinality(String),
  frame UInt32,
  centre Float64,
  scale Float64,
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (model, feature, frame);

-- Per model: the score threshold at which the score cells split (so predicted-positive
-- counts are exact for the monitor's threshold). Newest version wins.
CREATE TABLE IF NOT EXISTS summary_settings (
  model LowCardinality(String),
  version UInt32,
  threshold Nullable(Float64),
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (model, version);

CREATE TABLE IF NOT EXISTS slice_combos (
  model LowCardinality(String),
  slice_hash UInt64,
  attributes Map(String, String)
)
ENGINE = ReplacingMergeTree
ORDER BY (model, slice_hash);

-- A rebuild re-derives the summaries of whole UTC days from raw events ingested before
-- cutoff_day; it takes effect when recorded here (src/store/summaryQueries.ts).
CREATE TABLE IF NOT EXISTS summary_rebuilds (
  model LowCardinality(String),
  rebuild_id UInt32,
  from_day Date,
  to_day Date,
  cutoff_day Date,
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (model, rebuild_id);

CREATE TABLE IF NOT EXISTS summary_1h (
  model LowCardinality(String),
  kind Enum8('prediction' = 1, 'feature' = 2, 'reference' = 3),
  grain_start DateTime('UTC'),
  ingest_day Date,
  rebuild_id UInt32,
  feature LowCardinality(String),
  slice_hash UInt64,
  state Enum8('number' = 1, 'string' = 2, 'null' = 3, 'pos_inf' = 4, 'neg_inf' = 5, 'nan' = 6, 'event' = 7, 'score' = 8),
  frame UInt32,
  bucket Int32,
  category String,
  count SimpleAggregateFunction(sum, UInt64),
  value_sum SimpleAggregateFunction(sum, Float64),
  value_min SimpleAggregateFunction(min, Float64),
  value_max SimpleAggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(grain_start)
ORDER BY (model, kind, feature, grain_start, slice_hash, state, frame, bucket, category, ingest_day, rebuild_id);

CREATE TABLE IF NOT EXISTS summary_1d AS summary_1h;

CREATE TABLE IF NOT EXISTS summary_5m AS summary_1h;

-- What the summary views read: events as they are inserted (rebuild_id 0), events replayed
-- by a rebuild, and a baseline's rows (kind 'reference', rebuild_id = the cell set).
-- config_model names whose frames and slice settings apply.
CREATE TABLE IF NOT EXISTS summary_input (
  model LowCardinality(String),
  config_model LowCardinality(String),
  kind Enum8('prediction' = 1, 'feature' = 2, 'reference' = 3),
  ts DateTime64(3, 'UTC'),
  ingested_at DateTime64(3, 'UTC'),
  rebuild_id UInt32,
  score Nullable(Float64),
  feature_numbers Map(LowCardinality(String), Float64),
  feature_strings Map(LowCardinality(String), String),
  feature_nulls Array(LowCardinality(String)),
  attributes Map(LowCardinality(String), String)
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_summary_input_mv TO summary_input AS
SELECT model, model AS config_model, CAST(kind, 'Enum8(\'prediction\' = 1, \'feature\' = 2, \'reference\' = 3)') AS kind,
       ts, ingested_at, toUInt32(0) AS rebuild_id, score, feature_numbers, feature_strings, feature_nulls, attributes
FROM events;

-- Numbers, fine (k = 7) cells per hour.
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_1h_numbers_mv TO summary_1h AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, f AS feature, slice_hash,
       CAST(multiIf(isFinite(v), 1, isNaN(v), 6, v > 0, 4, 5), 'Enum8(\'number\' = 1, \'string\' = 2, \'null\' = 3, \'pos_inf\' = 4, \'neg_inf\' = 5, \'nan\' = 6, \'event\' = 7, \'score\' = 8)') AS state,
       any(frame_id) AS frame,
       if(isFinite(v),
          if(abs(z) < 1, toInt32(floor(z * 128)),
             toInt32(if(z > 0, 1, -1) * (toInt64(bitShiftRight(reinterpretAsUInt64(abs(z)), 45)) - 130816) - if(z < 0, 1, 0))),
          toInt32(0)) AS bucket,
       any('') AS category,
       count() AS count,
       sum(if(isFinite(v), v, 0.)) AS value_sum,
       min(if(isFinite(v), v, inf)) AS value_min,
       max(if(isFinite(v), v, -inf)) AS value_max
FROM (
  SELECT x.model AS model, x.kind AS kind, x.grain_start AS grain_start, x.ingest_day AS ingest_day,
         x.rebuild_id AS rebuild_id, x.slice_hash AS slice_hash, x.f AS f, x.v AS v,
         fr.frame_id AS frame_id,
         (x.v - if(isFinite(fr.frame_centre), fr.frame_centre, 0.)) / if(fr.frame_scale > 0 AND isFinite(fr.frame_scale), fr.frame_scale, 1.) AS z
  FROM (
    SELECT i.model AS model, i.config_model AS config_model, i.kind AS kind, toStartOfHour(i.ts) AS grain_start,
           toDate(i.ingested_at) AS ingest_day, i.rebuild_id AS rebuild_id,
           cityHash64(i.attributes) AS slice_hash, f, v
    FROM summary_input AS i
    ARRAY JOIN mapKeys(i.feature_numbers) AS f, mapValues(i.feature_numbers) AS v
  ) AS x
  LEFT JOIN (SELECT model, feature, max(frame) AS frame_id, argMax(centre, frame) AS frame_centre, argMax(scale, frame) AS frame_scale
             FROM feature_frames GROUP BY model, feature) AS fr
    ON x.config_model = fr.model AND x.f = fr.feature
)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, bucket;

-- Numbers, coarse (k = 5) cells per five minutes.
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_5m_numbers_mv TO summary_5m AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, f AS feature, slice_hash,
       CAST(multiIf(isFinite(v), 1, isNaN(v), 6, v > 0, 4, 5), 'Enum8(\'number\' = 1, \'string\' = 2, \'null\' = 3, \'pos_inf\' = 4, \'neg_inf\' = 5, \'nan\' = 6, \'event\' = 7, \'score\' = 8)') AS state,
       any(frame_id) AS frame,
       if(isFinite(v),
          if(abs(z) < 1, toInt32(floor(z * 32)),
             toInt32(if(z > 0, 1, -1) * (toInt64(bitShiftRight(reinterpretAsUInt64(abs(z)), 47)) - 32704) - if(z < 0, 1, 0))),
          toInt32(0)) AS bucket,
       any('') AS category,
       count() AS count,
       sum(if(isFinite(v), v, 0.)) AS value_sum,
       min(if(isFinite(v), v, inf)) AS value_min,
       max(if(isFinite(v), v, -inf)) AS value_max
FROM (
  SELECT x.model AS model, x.kind AS kind, x.grain_start AS grain_start, x.ingest_day AS ingest_day,
         x.rebuild_id AS rebuild_id, x.slice_hash AS slice_hash, x.f AS f, x.v AS v,
         fr.frame_id AS frame_id,
         (x.v - if(isFinite(fr.frame_centre), fr.frame_centre, 0.)) / if(fr.frame_scale > 0 AND isFinite(fr.frame_scale), fr.frame_scale, 1.) AS z
  FROM (
    SELECT i.model AS model, i.config_model AS config_model, i.kind AS kind, toStartOfFiveMinutes(i.ts) AS grain_start,
           toDate(i.ingested_at) AS ingest_day, i.rebuild_id AS rebuild_id,
           cityHash64(i.attributes) AS slice_hash, f, v
    FROM summary_input AS i
    ARRAY JOIN mapKeys(i.feature_numbers) AS f, mapValues(i.feature_numbers) AS v
    -- a baseline's cells are read at the hour grain only
    WHERE i.kind != 'reference'
  ) AS x
  LEFT JOIN (SELECT model, feature, max(frame) AS frame_id, argMax(centre, frame) AS frame_centre, argMax(scale, frame) AS frame_scale
             FROM feature_frames GROUP BY model, feature) AS fr
    ON x.config_model = fr.model AND x.f = fr.feature
)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, bucket;

-- Strings (categories, or a numeric feature's wrong type), explicit nulls, one 'event' cell
-- per event (count; min and max of ts in epoch milliseconds) and the score: uniform cells
-- of width 1/128 on [0, 1), each split at the configured threshold.
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_1h_others_mv TO summary_1h AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash,
       CAST(st, 'Enum8(\'number\' = 1, \'string\' = 2, \'null\' = 3, \'pos_inf\' = 4, \'neg_inf\' = 5, \'nan\' = 6, \'event\' = 7, \'score\' = 8)') AS state,
       toUInt32(0) AS frame, bucket, category,
       count() AS count, sum(x) AS value_sum, min(x) AS value_min, max(x) AS value_max
FROM (
  SELECT i.model AS model, i.kind AS kind, toStartOfHour(i.ts) AS grain_start, toDate(i.ingested_at) AS ingest_day,
         i.rebuild_id AS rebuild_id,
         cityHash64(i.attributes) AS slice_hash,
         cell.1 AS feature, cell.2 AS st, cell.3 AS category, cell.4 AS x,
         if(st = 8, toInt32(floor(least(greatest(x, -1e9), 1e9) * 128)) * 2 + if(x >= ifNull(s.threshold, inf), 1, 0), toInt32(0)) AS bucket
  FROM summary_input AS i
  LEFT JOIN (SELECT model, argMax(threshold, version) AS threshold FROM summary_settings GROUP BY model) AS s
    ON i.config_model = s.model
  ARRAY JOIN arrayConcat(
    arrayMap((f, c) -> (toString(f), 2, c, 0.), mapKeys(i.feature_strings), mapValues(i.feature_strings)),
    arrayMap(f -> (toString(f), 3, '', 0.), i.feature_nulls),
    [('', 7, '', toFloat64(toUnixTimestamp64Milli(i.ts)))],
    if(isNull(i.score) OR NOT isFinite(assumeNotNull(i.score)), [], [('', 8, '', assumeNotNull(i.score))])) AS cell
)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

CREATE MATERIALIZED VIEW IF NOT EXISTS summary_5m_others_mv TO summary_5m AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash,
       CAST(st, 'Enum8(\'number\' = 1, \'string\' = 2, \'null\' = 3, \'pos_inf\' = 4, \'neg_inf\' = 5, \'nan\' = 6, \'event\' = 7, \'score\' = 8)') AS state,
       toUInt32(0) AS frame, bucket, category,
       count() AS count, sum(x) AS value_sum, min(x) AS value_min, max(x) AS value_max
FROM (
  SELECT i.model AS model, i.kind AS kind, toStartOfFiveMinutes(i.ts) AS grain_start, toDate(i.ingested_at) AS ingest_day,
         i.rebuild_id AS rebuild_id,
         cityHash64(i.attributes) AS slice_hash,
         cell.1 AS feature, cell.2 AS st, cell.3 AS category, cell.4 AS x,
         if(st = 8, toInt32(floor(least(greatest(x, -1e9), 1e9) * 128)) * 2 + if(x >= ifNull(s.threshold, inf), 1, 0), toInt32(0)) AS bucket
  FROM summary_input AS i
  LEFT JOIN (SELECT model, argMax(threshold, version) AS threshold FROM summary_settings GROUP BY model) AS s
    ON i.config_model = s.model
  ARRAY JOIN arrayConcat(
    arrayMap((f, c) -> (toString(f), 2, c, 0.), mapKeys(i.feature_strings), mapValues(i.feature_strings)),
    arrayMap(f -> (toString(f), 3, '', 0.), i.feature_nulls),
    [('', 7, '', toFloat64(toUnixTimestamp64Milli(i.ts)))],
    if(isNull(i.score) OR NOT isFinite(assumeNotNull(i.score)), [], [('', 8, '', assumeNotNull(i.score))])) AS cell
  WHERE i.kind != 'reference'
)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

CREATE MATERIALIZED VIEW IF NOT EXISTS summary_1d_mv TO summary_1d AS
SELECT model, kind, toStartOfDay(grain_start) AS grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame,
       bucket, category, sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
FROM summary_1h
WHERE kind != 'reference'
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

CREATE MATERIALIZED VIEW IF NOT EXISTS slice_combos_mv TO slice_combos AS
SELECT i.model AS model, cityHash64(i.attributes) AS slice_hash,
       any(CAST(i.attributes, 'Map(String, String)')) AS attributes
FROM summary_input AS i
GROUP BY model, slice_hash;

-- A baseline version's reference profile, computed once per (version, profile spec): the
-- exact statistics per slice and feature that brackets cannot give (decile edges and bin
-- counts for PSI, moments, a fine quantile grid), plus the id of its reference cells
-- (summary rows of kind 'reference' whose rebuild_id is cell_set).
CREATE TABLE IF NOT EXISTS reference_profiles (
  model LowCardinality(String),
  baseline String,
  version UInt32,
  profile_id String,
  cell_set UInt32,
  spec String,
  slices String,
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (model, baseline, version, profile_id);

CREATE TABLE IF NOT EXISTS reference_profile_features (
  model LowCardinality(String),
  baseline String,
  version UInt32,
  profile_id String,
  slice_key String,
  slice_value String,
  feature String,
  rows UInt64,
  present UInt64,
  nulls UInt64,
  pos_inf UInt64,
  neg_inf UInt64,
  nan UInt64,
  wrong_type UInt64,
  min Float64,
  max Float64,
  mean Float64,
  stddev_pop Float64,
  edges Array(Float64),
  bin_counts Array(UInt64),
  quantiles Array(Float64),
  scored UInt64,
  predicted_positives UInt64,
  labelled UInt64,
  label_positives UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (model, baseline, version, profile_id, slice_key, slice_value, feature);

-- Results carry a bracket [value_lower, value_upper] that contains the exact value when
-- the value was computed from summaries; both NULL when the value is exact.
ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS value_lower Nullable(Float64) AFTER value;

ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS value_upper Nullable(Float64) AFTER value_lower;

ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS p_value_lower Nullable(Float64) AFTER p_value;

ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS p_value_upper Nullable(Float64) AFTER p_value_lower;

-- Events stored before these views existed (an upgrade) are summarized once, here. If the
-- upgrade dies during this statement, `driftwatch summaries rebuild` re-derives the days.
INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                           feature_numbers, feature_strings, feature_nulls, attributes)
SELECT model, model, CAST(kind, 'Enum8(\'prediction\' = 1, \'feature\' = 2, \'reference\' = 3)'), ts, ingested_at, 0, score,
       feature_numbers, feature_strings, feature_nulls, attributes
FROM events
WHERE (SELECT count() FROM summary_1h) = 0
