-- Alerts follow the newest window (README "Alerts"): when the newest window the alert stage
-- has handled is evaluated again (a re-run, events that arrived late), each alert that saw
-- it is decided again from the state it had before that window. That state is kept here,
-- beside the current one, as the same JSON the alert stage reads back ('' on rows written
-- before this migration: such an alert keeps its state when its window is re-run).
ALTER TABLE alert_states ADD COLUMN IF NOT EXISTS previous String DEFAULT '' AFTER last_verdict;
