-- A baseline is a named, versioned reference dataset for one model. Its rows have the
-- same shape as events, so one drift query serves baselines and windows alike.
CREATE TABLE IF NOT EXISTS baselines (
  model LowCardinality(String),
  name String,
  version UInt32,
  kind LowCardinality(String),
  source String,
  columns String,
  row_count UInt64,
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (model, name, version);

CREATE TABLE IF NOT EXISTS baseline_rows (
  model LowCardinality(String),
  baseline LowCardinality(String),
  version UInt32,
  row_id UInt64,
  score Nullable(Float64),
  label Nullable(String),
  features JSON(max_dynamic_paths = 512),
  attributes Map(LowCardinality(String), String)
)
ENGINE = MergeTree
ORDER BY (model, baseline, version, row_id);
