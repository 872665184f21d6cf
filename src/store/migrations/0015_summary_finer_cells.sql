-- Finer cells of numbers, built once an hour has closed (issue 22.1): summary_1h_k10 holds
-- each closed hour's numeric values in buckets 8 times narrower than summary_1h's (k = 10
-- instead of k = 7: 1024 buckets per unit of z below |z| = 1, 1024 per octave above), so a
-- drift bracket that straddles its threshold is narrowed from stored cells of only the
-- features, slices and value ranges it depends on (src/monitors/narrowVerdicts.ts), not
-- from the window's raw events. Why k = 10: docs/BENCHMARKS.md (close verdicts).
--
-- Off the insert path: no view writes these cells (the insert path is 0009's, unchanged).
-- The summary reconciler builds an hour of a model once it has closed (and a grace for late
-- events, DRIFTWATCH_SUMMARY_FINER_GRACE_MINUTES) with one INSERT … SELECT from that hour's
-- stored events (src/store/finerCells.ts), every row of one build carrying its build_id, and
-- then records the build in summary_finer_builds with
--  - events: the distinct stored events the build read;
--  - summarized: the hour's 'event' cells in summary_1h (all rows, every rebuild) when the
--    build was planned, the hour's fingerprint: a late event (or a summaries rebuild) changes
--    it, and the hour is built again under a new build_id.
-- A build is recorded twice: started (done 0) before its insert, done (1) after. Readers
-- take only an hour's newest started build, and only once it is done and while its
-- fingerprint is the hour's now (current); the cells of builds started before it (the one
-- replaced, or one a crash cut short) are never read and are deleted by the build.
-- Nothing is counted twice and nothing is lost: an hour not built or not current is
-- narrowed from its raw events instead.
--
-- Numbers only (finite values; ±inf and nan are not refined), prediction events only.
-- Frames are those summary_1h's cells used (the newest created before each event's
-- ingested_at), so a k = 10 cell lies inside one summary_1h cell of the same frame and hour,
-- the premise of narrowing (src/drift/narrowing.ts replaceRefined checks it anyway).
-- Ordered for range reads: narrowing reads one feature in a few slice combinations and a
-- few bucket ranges (computed from the frames, src/store/narrowingQueries.ts), so the key
-- runs (feature, slice_hash, frame, bucket) before the hour, and granules are small.
-- Kept DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS (src/store/retention.ts).

CREATE TABLE IF NOT EXISTS summary_1h_k10 (
  model LowCardinality(String),
  grain_start DateTime('UTC'),
  build_id UInt64,
  feature LowCardinality(String),
  slice_hash UInt64,
  frame UInt32,
  bucket Int32,
  count UInt64,
  value_sum Float64,
  value_min Float64,
  value_max Float64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(grain_start)
ORDER BY (model, feature, slice_hash, frame, bucket, grain_start, build_id)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS summary_finer_builds (
  model LowCardinality(String),
  grain_start DateTime('UTC'),
  build_id UInt64,
  started_at DateTime64(6, 'UTC'),
  done UInt8,
  events UInt64,
  summarized UInt64
)
ENGINE = ReplacingMergeTree(done)
ORDER BY (model, grain_start, build_id)
