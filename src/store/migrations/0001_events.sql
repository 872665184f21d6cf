-- Prediction events. ReplacingMergeTree on (model, ts, event_id): a replayed Kafka batch or
-- a producer retry writes the same key again and collapses; readers use FINAL.
-- Features live in a JSON column: ClickHouse stores each path as its own subcolumn, so a
-- monitor reads only the features it watches, and a value of the wrong type lands in a
-- different variant of that path (dynamicType) instead of being lost.
CREATE TABLE IF NOT EXISTS predictions (
  event_id String,
  model LowCardinality(String),
  model_version LowCardinality(String) DEFAULT '',
  ts DateTime64(3, 'UTC'),
  prediction_id String,
  score Nullable(Float64),
  prediction Nullable(String),
  features JSON(max_dynamic_paths = 512),
  attributes Map(LowCardinality(String), String),
  source LowCardinality(String) DEFAULT '',
  kafka_topic LowCardinality(String) DEFAULT '',
  kafka_partition Int32 DEFAULT -1,
  kafka_offset Int64 DEFAULT -1,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (model, ts, event_id);

-- Feature logs from pipelines: a prediction without a score, for data-quality monitors.
CREATE TABLE IF NOT EXISTS feature_logs (
  event_id String,
  model LowCardinality(String),
  model_version LowCardinality(String) DEFAULT '',
  ts DateTime64(3, 'UTC'),
  prediction_id String DEFAULT '',
  features JSON(max_dynamic_paths = 512),
  attributes Map(LowCardinality(String), String),
  source LowCardinality(String) DEFAULT '',
  kafka_topic LowCardinality(String) DEFAULT '',
  kafka_partition Int32 DEFAULT -1,
  kafka_offset Int64 DEFAULT -1,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (model, ts, event_id);

-- Labels arrive late, keyed by the prediction they judge; a corrected label replaces the
-- earlier one (the newest ingested_at wins).
CREATE TABLE IF NOT EXISTS labels (
  event_id String DEFAULT '',
  model LowCardinality(String),
  prediction_id String,
  label String,
  ts DateTime64(3, 'UTC'),
  source LowCardinality(String) DEFAULT '',
  kafka_topic LowCardinality(String) DEFAULT '',
  kafka_partition Int32 DEFAULT -1,
  kafka_offset Int64 DEFAULT -1,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (model, prediction_id);

-- Every message that could not become an event, with its raw bytes and the reason.
-- Kafka dead letters are keyed by their coordinates, so a redelivery collapses.
CREATE TABLE IF NOT EXISTS dead_letters (
  dead_letter_id String,
  received_at DateTime64(3, 'UTC') DEFAULT now64(3),
  source LowCardinality(String),
  topic String DEFAULT '',
  partition Int32 DEFAULT -1,
  offset Int64 DEFAULT -1,
  payload String,
  reason LowCardinality(String),
  detail String
)
ENGINE = ReplacingMergeTree(received_at)
ORDER BY (source, dead_letter_id);
