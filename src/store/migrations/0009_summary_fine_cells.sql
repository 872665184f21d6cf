-- The summary views of migration 0006, made cheaper per event without changing a summary
-- row: each event's maps are exploded, joined to their frames and bucketed once, into fine
-- cells (five-minute grain, k = 7 buckets) in the Null table summary_fine; the hour grain
-- and the five-minute grain are rolled up from that block, which has a fraction of the
-- exploded rows. Before, every event was exploded, joined and aggregated four times (numbers
-- and others, hour and five minutes). summary_1d_mv still rolls the day up from summary_1h.
--
-- Why a roll-up gives the same rows (src/store/summaryViews.integration.test.ts compares
-- every row of every summary table against migration 0006's views):
--  - grains: toStartOfHour(toStartOfFiveMinutes(ts)) = toStartOfHour(ts) for every ts that
--    DateTime holds (1970-01-01 to 2106-02-07 06:28:15). Outside it ClickHouse wraps a
--    DateTime64's grain around, and 0006's and 0009's hours differ: both file such an event
--    under a meaningless time (0006 put 2299-12-31 under 2027-10-18 10:03:28); ingest rejects
--    times before DRIFTWATCH_EARLIEST_EVENT_TIME (2000 by default) or an hour ahead;
--  - buckets: the five-minute grain's bucket (k = 5) is floor(fine / 4) of the k = 7 bucket
--    on both branches of the key: |z| < 1 gives floor(z·128) and floor(z·32), and
--    floor(floor(z·128) / 4) = floor(z·32) (both products are exact); |z| >= 1 gives
--    (bits(|z|) >> 45) - 130816 and (bits(|z|) >> 47) - 32704, with 130816 = 4 · 32704, so
--    the coarse key is floor(B / 4) of the fine one B; negative z gives -B - 1 and
--    -floor(B / 4) - 1 = floor((-B - 1) / 4). Every other state's bucket (0, or a score's
--    cell) is the same at both grains;
--  - a cell's count and sum are sums and its min and max extremes, so they merge from fine
--    cells. Sums are added in another order (per fine cell, then across them), so a cell's
--    sum may differ from 0006's in the last bits; counts, mins and maxes are identical;
--  - frames and the threshold are read once per insert instead of once per view: the same
--    tables at the same moment.
--
-- ClickHouse semantics this relies on: a materialized view fires on each block inserted
-- into its source table, including a Null table (which stores nothing) and including
-- blocks written there by another view (events -> summary_input -> summary_fine ->
-- summary_1h -> summary_1d); a view's GROUP BY aggregates one inserted block.
--
-- Replacing the views on a store that holds data: the summaries already stored are not
-- touched (the new views only change how future inserts are summarized, and the rows they
-- write mean what 0006's meant). Migrations run at start-up before any ingest, so no
-- insert of this process passes between the statements below. They are ordered so that
-- the new path is complete before the old views go: the roll-ups from summary_fine first,
-- then the views that fill it, then DROP of 0006's views. An insert by another process
-- into the same server between the last CREATE and the DROPs would be summarized twice,
-- never lost (stop every driftwatch process writing to a server while one upgrades it);
-- `driftwatch summaries rebuild` re-derives such a day. A process that dies half-way
-- re-runs the file (IF NOT EXISTS / IF EXISTS). On a Replicated database each statement
-- goes through the database's DDL log and runs on every replica in this order; summary_fine
-- is a Null table and views are not MergeTree tables, so nothing here is replicated data.

CREATE TABLE IF NOT EXISTS summary_fine (
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

CREATE MATERIALIZED VIEW IF NOT EXISTS summary_1h_rollup_mv TO summary_1h AS
SELECT model, kind, toStartOfHour(grain_start) AS grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame,
       bucket, category, sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
FROM summary_fine
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

-- a baseline's cells are read at the hour grain only
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_5m_rollup_mv TO summary_5m AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame,
       if(state = 'number', toInt32(floor(fine_bucket / 4)), fine_bucket) AS bucket, category,
       sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
FROM (SELECT model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket AS fine_bucket,
             category, count, value_sum, value_min, value_max
      FROM summary_fine
      WHERE kind != 'reference')
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

-- Numbers: migration 0006's summary_1h_numbers_mv at the five-minute grain. The slice hash
-- and the grain are computed per event, before the maps are exploded.
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_fine_numbers_mv TO summary_fine AS
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

-- Strings, nulls, events and scores: migration 0006's summary_1h_others_mv at the
-- five-minute grain (a score's cell is the same at every grain).
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_fine_others_mv TO summary_fine AS
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
)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

DROP VIEW IF EXISTS summary_1h_numbers_mv;

DROP VIEW IF EXISTS summary_5m_numbers_mv;

DROP VIEW IF EXISTS summary_1h_others_mv;

DROP VIEW IF EXISTS summary_5m_others_mv
