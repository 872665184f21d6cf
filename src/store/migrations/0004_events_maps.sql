-- One table for prediction and feature-log events, features in typed maps instead of one
-- shared JSON column. Why: a JSON column keeps at most max_dynamic_paths (512) paths as
-- their own subcolumns; once thousands of models' features add up, every path spills into
-- slow shared data. Maps hold any number of models and features with no schema change, and
-- let a materialized view explode one event into (feature, value) rows with ARRAY JOIN
-- without knowing feature names. A value keeps the JSON type it arrived with: numbers
-- (±inf included: JSON's 1e309) in feature_numbers, strings in feature_strings, explicit
-- nulls in feature_nulls, so a numeric feature sent as text is a wrong type, not a lost value.
CREATE TABLE IF NOT EXISTS events (
  model LowCardinality(String),
  kind Enum8('prediction' = 1, 'feature' = 2),
  ts DateTime64(3, 'UTC'),
  event_id String,
  model_version LowCardinality(String) DEFAULT '',
  prediction_id String DEFAULT '',
  score Nullable(Float64),
  prediction Nullable(String),
  feature_numbers Map(LowCardinality(String), Float64),
  feature_strings Map(LowCardinality(String), String),
  feature_nulls Array(LowCardinality(String)),
  attributes Map(LowCardinality(String), String),
  source LowCardinality(String) DEFAULT '',
  kafka_topic LowCardinality(String) DEFAULT '',
  kafka_partition Int32 DEFAULT -1,
  kafka_offset Int64 DEFAULT -1,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (model, kind, ts, event_id);

-- Events stored by earlier versions are copied over (the old tables stay untouched; a
-- migration never deletes data). The JSON column kept no explicit nulls, so none are copied.
INSERT INTO events (model, kind, ts, event_id, model_version, prediction_id, score, prediction,
                    feature_numbers, feature_strings, attributes, source, kafka_topic,
                    kafka_partition, kafka_offset, ingested_at)
SELECT model, 'prediction', ts, event_id, model_version, prediction_id, score, prediction,
       mapFromArrays(arrayMap(p -> p.1, arrayFilter(p -> substring(p.2, 1, 1) != '"', kv)),
                     arrayMap(p -> toFloat64(p.2), arrayFilter(p -> substring(p.2, 1, 1) != '"', kv))),
       mapFromArrays(arrayMap(p -> p.1, arrayFilter(p -> substring(p.2, 1, 1) = '"', kv)),
                     arrayMap(p -> JSONExtract(p.2, 'String'), arrayFilter(p -> substring(p.2, 1, 1) = '"', kv))),
       attributes, source, kafka_topic, kafka_partition, kafka_offset, ingested_at
FROM (SELECT *, arrayFilter(p -> p.2 != 'null', JSONExtractKeysAndValuesRaw(toJSONString(features))) AS kv
      FROM predictions FINAL);

INSERT INTO events (model, kind, ts, event_id, model_version, prediction_id,
                    feature_numbers, feature_strings, attributes, source, kafka_topic,
                    kafka_partition, kafka_offset, ingested_at)
SELECT model, 'feature', ts, event_id, model_version, prediction_id,
       mapFromArrays(arrayMap(p -> p.1, arrayFilter(p -> substring(p.2, 1, 1) != '"', kv)),
                     arrayMap(p -> toFloat64(p.2), arrayFilter(p -> substring(p.2, 1, 1) != '"', kv))),
       mapFromArrays(arrayMap(p -> p.1, arrayFilter(p -> substring(p.2, 1, 1) = '"', kv)),
                     arrayMap(p -> JSONExtract(p.2, 'String'), arrayFilter(p -> substring(p.2, 1, 1) = '"', kv))),
       attributes, source, kafka_topic, kafka_partition, kafka_offset, ingested_at
FROM (SELECT *, arrayFilter(p -> p.2 != 'null', JSONExtractKeysAndValuesRaw(toJSONString(features))) AS kv
      FROM feature_logs FINAL);

-- A baseline's rows in the same layout as events, so one query shape reads both.
CREATE TABLE IF NOT EXISTS reference_rows (
  model LowCardinality(String),
  baseline LowCardinality(String),
  version UInt32,
  row_id UInt64,
  score Nullable(Float64),
  label Nullable(String),
  feature_numbers Map(LowCardinality(String), Float64),
  feature_strings Map(LowCardinality(String), String),
  feature_nulls Array(LowCardinality(String)),
  attributes Map(LowCardinality(String), String)
)
ENGINE = MergeTree
ORDER BY (model, baseline, version, row_id);

INSERT INTO reference_rows
SELECT model, baseline, version, row_id, score, label,
       mapFromArrays(arrayMap(p -> p.1, arrayFilter(p -> substring(p.2, 1, 1) != '"', kv)),
                     arrayMap(p -> toFloat64(p.2), arrayFilter(p -> substring(p.2, 1, 1) != '"', kv))),
       mapFromArrays(arrayMap(p -> p.1, arrayFilter(p -> substring(p.2, 1, 1) = '"', kv)),
                     arrayMap(p -> JSONExtract(p.2, 'String'), arrayFilter(p -> substring(p.2, 1, 1) = '"', kv))),
       [], attributes
FROM (SELECT *, arrayFilter(p -> p.2 != 'null', JSONExtractKeysAndValuesRaw(toJSONString(features))) AS kv
      FROM baseline_rows
      -- a migration that died half-way runs again: copy each baseline version once
      WHERE (model, baseline, version) NOT IN (SELECT model, baseline, version FROM reference_rows));
