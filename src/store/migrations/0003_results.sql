-- The drift history: one row per check, feature and slice value of a monitor run. Keyed by
-- (monitor, window, check, feature, slice), so running a window twice stores it once.
CREATE TABLE IF NOT EXISTS monitor_results (
  monitor LowCardinality(String),
  model LowCardinality(String),
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  check_id LowCardinality(String),
  metric LowCardinality(String),
  feature String,
  slice_key LowCardinality(String),
  slice_value String,
  status LowCardinality(String),
  value Nullable(Float64),
  p_value Nullable(Float64),
  adjusted_p_value Nullable(Float64),
  correction LowCardinality(String) DEFAULT 'none',
  warn_threshold Nullable(Float64),
  critical_threshold Nullable(Float64),
  n_reference UInt64,
  n_current UInt64,
  baseline String,
  baseline_version UInt32,
  monitor_hash String,
  details String,
  evaluated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(evaluated_at)
PARTITION BY toYYYYMM(window_end)
ORDER BY (monitor, window_end, check_id, feature, slice_key, slice_value);

-- One row per monitor run: what the scheduler reads to catch up missed windows.
CREATE TABLE IF NOT EXISTS monitor_runs (
  monitor LowCardinality(String),
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  status LowCardinality(String),
  checks UInt32,
  breaches UInt32,
  duration_ms UInt32,
  monitor_hash String,
  finished_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY (monitor, window_end);
