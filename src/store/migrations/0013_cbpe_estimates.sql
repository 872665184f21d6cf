-- Performance estimated before labels arrive (CBPE, docs/MONITORS.md "Estimated performance"):
-- an estimated value carries its sampling-error band beside its bracket, and an
-- estimation_error result carries the estimate beside the realized value it was held against.
ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS band_lower Nullable(Float64) AFTER value_upper;
ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS band_upper Nullable(Float64) AFTER band_lower;
ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS estimated_value Nullable(Float64) AFTER band_upper;
