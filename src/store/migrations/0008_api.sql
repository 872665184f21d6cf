-- Every monitor file's text, keyed by its SHA-256, recorded each time the service loads it:
-- each result carries the hash of the file that produced it, so an audit can show the exact
-- monitor behind any verdict. A reload of the same file adds a row (when it was loaded
-- again); the text under one hash never changes.
CREATE TABLE IF NOT EXISTS monitor_files (
  monitor LowCardinality(String),
  model LowCardinality(String),
  hash String,
  path String,
  text String,
  loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (model, hash, loaded_at);
