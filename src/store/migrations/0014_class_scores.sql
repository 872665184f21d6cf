-- Multiclass models (docs/MONITORS.md "Model tasks"): a prediction event may carry its class
-- scores (class name -> probability), kept beside the predicted class; a baseline file's
-- `prediction` column (the predicted class) and its class-score columns are kept beside its
-- score and label, so a window's predicted classes and class scores can be compared with the
-- baseline's. Rows stored before this migration have no class scores and no baseline prediction.
ALTER TABLE events ADD COLUMN IF NOT EXISTS scores Map(LowCardinality(String), Float64) AFTER prediction;

ALTER TABLE reference_rows ADD COLUMN IF NOT EXISTS prediction Nullable(String) AFTER score;

ALTER TABLE reference_rows ADD COLUMN IF NOT EXISTS scores Map(LowCardinality(String), Float64) AFTER prediction;
