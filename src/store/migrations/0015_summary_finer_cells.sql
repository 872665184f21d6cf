-- Finer cells of numbers beside the hour grain (issue 22.1): summary_1h_k12 holds each
-- hour's numeric values in buckets 32 times narrower than summary_1h's (k = 12 instead of
-- k = 7: 4096 buckets per unit of z below |z| = 1, 4096 per octave above), so a drift
-- bracket that straddles its threshold is narrowed from stored cells of only the features,
-- slices and value ranges it depends on (src/monitors/narrowVerdicts.ts), not from the
-- window's raw events. Numbers only (finite values bucketed, ±inf and nan one cell each, as
-- in summary_1h, so the summary check counts the same values); prediction and feature-log
-- events, not a baseline's rows (narrowing reads those, a fixed number, directly).
--
-- Why a k = 12 cell lies inside one summary_1h cell: with the same frame, the hour grain's
-- bucket is floor(B / 32) of this one's B on both branches of the key: |z| < 1 gives
-- floor(z·4096) and floor(z·128), floor(floor(z·4096) / 32) = floor(z·128) (both products
-- are exact); |z| >= 1 gives (bits(|z|) >> 40) - 4186112 and (bits(|z|) >> 45) - 130816,
-- with 4186112 = 32 · 130816; negative z gives -B - 1 and -floor(B / 32) - 1 =
-- floor((-B - 1) / 32). The frame is read by this view at the same insert as 0009's view
-- reads it; a frame inserted between the two would give a cell that is not inside one hour
-- cell, which narrowing detects (src/drift/narrowing.ts replaceRefined: a finer cell outside
-- its interval, or counts that do not add up) and leaves the verdict to the exact fallback.
--
-- A sibling of 0009's summary_fine_numbers_mv, reading summary_input (an insert's events,
-- a rebuild's replay) the same way: rebuild_id and ingest_day are carried, so the readers'
-- validity rule (src/store/summaryQueries.ts) and the summary check (0011) apply unchanged.
-- Kept as long as summary_1h (src/store/retention.ts).

CREATE TABLE IF NOT EXISTS summary_1h_k12 AS summary_1h;

CREATE MATERIALIZED VIEW IF NOT EXISTS summary_1h_k12_mv TO summary_1h_k12 AS
SELECT model, kind, grain_start, ingest_day, rebuild_id, f AS feature, slice_hash,
       CAST(multiIf(isFinite(v), 1, isNaN(v), 6, v > 0, 4, 5), 'Enum8(\'number\' = 1, \'string\' = 2, \'null\' = 3, \'pos_inf\' = 4, \'neg_inf\' = 5, \'nan\' = 6, \'event\' = 7, \'score\' = 8)') AS state,
       any(frame_id) AS frame,
       if(isFinite(v),
          if(abs(z) < 1, toInt32(floor(z * 4096)),
             toInt32(if(z > 0, 1, -1) * (toInt64(bitShiftRight(reinterpretAsUInt64(abs(z)), 40)) - 4186112) - if(z < 0, 1, 0))),
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
    FROM (SELECT model, config_model, kind, toStartOfHour(ts) AS grain_start, toDate(ingested_at) AS ingest_day,
                 rebuild_id, cityHash64(attributes) AS slice_hash, feature_numbers
          FROM summary_input
          WHERE kind != 'reference') AS e
    ARRAY JOIN mapKeys(e.feature_numbers) AS f, mapValues(e.feature_numbers) AS v
  ) AS x
  LEFT JOIN (SELECT model, feature, max(frame) AS frame_id, argMax(centre, frame) AS frame_centre, argMax(scale, frame) AS frame_scale
             FROM feature_frames GROUP BY model, feature) AS fr
    ON x.config_model = fr.model AND x.f = fr.feature
)
GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, bucket;

-- a repair of the finer cells is staged like the other tables' (0011)
ALTER TABLE summary_repairs MODIFY COLUMN target Enum8('summary_5m' = 1, 'summary_1h' = 2, 'summary_1d' = 3, 'summary_1h_k12' = 4)
