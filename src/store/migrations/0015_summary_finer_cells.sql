-- Finer cells of numbers beside the hour grain (issue 22.1): summary_1h_k10 holds each
-- hour's numeric values in buckets 8 times narrower than summary_1h's (k = 10 instead of
-- k = 7: 1024 buckets per unit of z below |z| = 1, 1024 per octave above), so a drift
-- bracket that straddles its threshold is narrowed from stored cells of only the features,
-- slices and value ranges it depends on (src/monitors/narrowVerdicts.ts), not from the
-- window's raw events. Numbers only (finite values bucketed, ±inf and nan one cell each, as
-- in summary_1h); prediction and feature-log events, not a baseline's rows (narrowing reads
-- those, a fixed number, directly). Kept DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS
-- (src/store/retention.ts; 35 by default, at most the hour grain's). Why k = 10 and not 12
-- or 9: docs/BENCHMARKS.md (close verdicts).
--
-- One explode, join and bucketing pass per event, as in 0009: 0009's numbers view
-- (summary_fine_numbers_mv) is replaced by summary_finer_numbers_mv, the same query with the
-- k = 10 bucket, into the Null table summary_finer (five-minute grain, k = 10); from that
-- block
--  - summary_finer_fine_mv rolls the k = 7 cells up into summary_fine, from which 0009's and
--    0011's roll-ups (summary_1h, summary_5m, summary_1d) go on unchanged;
--  - summary_1h_k10_mv rolls the hour's k = 10 cells up into summary_1h_k10.
--
-- Why summary_fine gets the same rows (src/store/summaryViews.integration.test.ts compares
-- every row of every summary table against migration 0006's views):
--  - buckets: the k = 7 bucket is floor(B / 8) of the k = 10 bucket B on both branches of
--    the key: |z| < 1 gives floor(z·1024) and floor(z·128), and floor(floor(z·1024) / 8) =
--    floor(z·128) (both products are exact); |z| >= 1 gives (bits(|z|) >> 42) - 1046528 and
--    (bits(|z|) >> 45) - 130816, with 1046528 = 8 · 130816 (= 1022 · 2^k: the octave keys
--    continue after the 2^k keys below 1), so the coarse key is floor(B / 8) of the finer
--    one; negative z gives -B - 1 and -floor(B / 8) - 1 = floor((-B - 1) / 8). Every other
--    state (±inf, nan: bucket 0) keeps its bucket; summary_finer holds numbers only;
--  - the grain (five minutes), the frame (read once, by the one view that joins frames),
--    the slice hash, ingest day and rebuild id are carried unchanged;
--  - a cell's count and sum are sums and its min and max extremes, so they merge from finer
--    cells. Sums are added in another order (per finer cell, then across them), so a cell's
--    sum may differ in the last bits, as 0009's did; counts, mins and maxes are identical.
-- A k = 10 cell therefore lies inside one summary_1h cell of the same frame and hour, the
-- premise of narrowing (src/drift/narrowing.ts replaceRefined checks it anyway: a finer cell
-- outside its interval, or counts that do not add up, leave the verdict to the fallback).
--
-- Ordered for range reads: narrowing reads one feature in a few slice combinations and a
-- few bucket ranges (computed from the frames, src/store/narrowingQueries.ts), so the key
-- runs (feature, slice_hash, state, frame, bucket) before the hour, and granules are small.
--
-- Replacing the view on a store that holds data, as 0009 did: the summaries already stored
-- are not touched; the roll-ups from summary_finer are created first, then the view that
-- fills it, then 0009's numbers view is dropped. An insert by another process into the same
-- server between the last CREATE and the DROP would be summarized twice in summary_fine's
-- tables, never lost (stop every driftwatch process writing to a server while one upgrades
-- it; `driftwatch summaries rebuild` re-derives such a day). Hours stored before this
-- migration have no finer cells: narrowing finds their counts short and leaves those
-- verdicts to the exact fallback (run --json says so). Re-running the file after a crash is
-- safe (IF NOT EXISTS / IF EXISTS).

CREATE TABLE IF NOT EXISTS summary_finer (
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
  count UInt64,
  value_sum Float64,
  value_min Float64,
  value_max Float64
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS summary_1h_k10 (
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
ORDER BY (model, kind, feature, slice_hash, state, frame, bucket, grain_start, ingest_day, rebuild_id, category)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS summary_finer_fine_mv TO summary_fine AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame,
       if(state = 'number', toInt32(floor(finer_bucket / 8)), finer_bucket) AS bucket, category,
       sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
FROM (SELECT model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket AS finer_bucket,
             category, count, value_sum, value_min, value_max
      FROM summary_finer)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

CREATE MATERIALIZED VIEW IF NOT EXISTS summary_1h_k10_mv TO summary_1h_k10 AS
SELECT model, kind, toStartOfHour(grain_start) AS grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame,
       bucket, category, sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
FROM summary_finer
WHERE kind != 'reference'
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

-- 0009's summary_fine_numbers_mv with the k = 10 bucket (src/store/summaryQueries.ts FINER_BUCKET)
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_finer_numbers_mv TO summary_finer AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, f AS feature, slice_hash,
       CAST(multiIf(isFinite(v), 1, isNaN(v), 6, v > 0, 4, 5), 'Enum8(\'number\' = 1, \'string\' = 2, \'null\' = 3, \'pos_inf\' = 4, \'neg_inf\' = 5, \'nan\' = 6, \'event\' = 7, \'score\' = 8)') AS state,
       any(frame_id) AS frame,
       if(isFinite(v),
          if(abs(z) < 1, toInt32(floor(z * 1024)),
             toInt32(if(z > 0, 1, -1) * (toInt64(bitShiftRight(reinterpretAsUInt64(abs(z)), 42)) - 1046528) - if(z < 0, 1, 0))),
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
    SELECT e.model AS model, e.config_model AS config_model, e.kind AS kind, e.grain_start AS grain_start,
           e.ingest_day AS ingest_day, e.rebuild_id AS rebuild_id, e.slice_hash AS slice_hash, f, v
    FROM (SELECT model, config_model, kind, toStartOfFiveMinutes(ts) AS grain_start, toDate(ingested_at) AS ingest_day,
                 rebuild_id, cityHash64(attributes) AS slice_hash, feature_numbers
          FROM summary_input) AS e
    ARRAY JOIN mapKeys(e.feature_numbers) AS f, mapValues(e.feature_numbers) AS v
  ) AS x
  LEFT JOIN (SELECT model, feature, max(frame) AS frame_id, argMax(centre, frame) AS frame_centre, argMax(scale, frame) AS frame_scale
             FROM feature_frames GROUP BY model, feature) AS fr
    ON x.config_model = fr.model AND x.f = fr.feature
)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, bucket;

DROP VIEW IF EXISTS summary_fine_numbers_mv;

-- a repair of the finer cells is staged like the other tables' (0011)
ALTER TABLE summary_repairs MODIFY COLUMN target Enum8('summary_5m' = 1, 'summary_1h' = 2, 'summary_1d' = 3, 'summary_1h_k10' = 4)
