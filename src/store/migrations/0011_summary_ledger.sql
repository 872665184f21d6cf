-- Summaries exactly equal to what is stored, after any crash (src/ingest/summaryReconciler.ts).
--
-- Why they can differ: a materialized view is not atomic with its table. An insert into
-- `events` commits the table's part, then its views commit theirs (summary_5m, summary_1h,
-- summary_1d and slice_combos, each one or more parts). A process that dies in between
-- (kill -9 of an embedded store kills the engine with it) leaves events stored and not
-- summarized; the client's resend is then recognised as a duplicate and never summarized.
-- Measured here: killed at random during inserts of 4,096 and 20,000 events, about half
-- the killed inserts left their events in `events` and missing from one or more summary
-- tables, each table on its own.
--
-- The repair: every event writer records, before it inserts, which hours of which model
-- it may be writing (summary_ledger, one row per writer and hour, refreshed every few
-- minutes while it writes, closed once it has been idle). An hour left open by a writer
-- that is gone (or that a writer's failed insert touched) is checked: the summaries' counts
-- against the distinct stored events, and on a difference the cells the raw events give
-- against the stored cells, the missing part inserted (summary_repairs keeps what was
-- inserted). Nothing stored is deleted or rewritten.

CREATE TABLE IF NOT EXISTS summary_ledger (
  model LowCardinality(String),
  kind Enum8('prediction' = 1, 'feature' = 2),
  hour DateTime('UTC'),
  writer_id String,
  state Enum8('open' = 1, 'closed' = 2, 'checked' = 3),
  at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(at)
ORDER BY (model, kind, hour, writer_id)
TTL toDateTime(at) + INTERVAL 30 DAY DELETE WHERE state != 'open';

-- Cells a repair adds to a summary table, computed and kept here first (so the insert
-- into the summary reads nothing that could have changed since the check), then copied.
-- A repair is of one model: on a cluster its rows are on the model's shard, beside the
-- events and summaries it was computed from (src/store/clusterSchema.ts).
CREATE TABLE IF NOT EXISTS summary_repairs (
  repair_id String,
  target Enum8('summary_5m' = 1, 'summary_1h' = 2, 'summary_1d' = 3),
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
  value_max Float64,
  repaired_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (model, repair_id, target)
TTL toDateTime(repaired_at) + INTERVAL 90 DAY;

-- The day grain rolled up from the fine cells, like the hour and five-minute grains, instead
-- of from summary_1h's blocks: each summary table is then filled by its own view from the
-- same block, and nothing fires when a repair inserts into one of them (a repair of the
-- hour grain would otherwise be added to the day grain too, which may already hold it).
-- The same rows as migration 0006's summary_1d_mv: toStartOfDay of a five-minute grain is
-- the day of its hour, buckets and cells are the hour's (k = 7), counts, mins and maxes
-- merge alike; sums are added in another order (see 0009). Created before the old view is
-- dropped, as 0009 does: an insert by another process into the same server in between is
-- counted twice in summary_1d, never lost (stop every writer while one upgrades).
CREATE MATERIALIZED VIEW IF NOT EXISTS summary_1d_fine_mv TO summary_1d AS
SELECT model, kind, toStartOfDay(grain_start) AS grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame,
       bucket, category, sum(count) AS count, sum(value_sum) AS value_sum, min(value_min) AS value_min, max(value_max) AS value_max
FROM summary_fine
WHERE kind != 'reference'
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category;

DROP VIEW IF EXISTS summary_1d_mv
