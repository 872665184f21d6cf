-- Alerts: state, the audit trail of every transition, silences, acknowledgements, and the
-- outbox of notifications with their delivery attempts. Written by src/alerts through
-- src/store/alerts.ts and src/store/outbox.ts; read by the CLI, the API and the compliance
-- exports. Times are UTC. An alert is identified by (monitor, check, feature, slice):
-- alert_id = the first 32 hex digits of sha256 of those five values (see src/alerts/identity.ts).

-- The current state of every alert that ever left "inactive": one row per (monitor, alert)
-- and version. `version` grows with each window processed (the window's end in ms), so
-- FINAL gives the newest state and re-processing a window changes nothing.
CREATE TABLE IF NOT EXISTS alert_states (
  alert_id String,                          -- sha256(monitor, check_id, feature, slice_key, slice_value), 32 hex
  monitor LowCardinality(String),           -- the monitor (its model name today)
  model LowCardinality(String),
  check_id LowCardinality(String),          -- the check's id in the monitor file (e.g. psi, ks:2)
  metric LowCardinality(String),
  feature String,                           -- '' for checks of the whole window (positive_rate, auroc, schema)
  slice_key LowCardinality(String),         -- '' for the "all" slice
  slice_value String,                       -- 'all', or the attribute value(s)
  state LowCardinality(String),             -- inactive | pending | firing | resolved
  severity LowCardinality(String),          -- warn | critical: the highest of this episode ('' before the first)
  episode UInt32,                           -- 1 for the first pending/firing episode, +1 for each new one
  breaching_windows UInt32,                 -- consecutive breaching windows (reset by a clear window)
  clear_windows UInt32,                     -- consecutive clear windows while firing (reset by a breach)
  since Nullable(DateTime64(3, 'UTC')),     -- end of the episode's first breaching window
  fired_at Nullable(DateTime64(3, 'UTC')),  -- end of the window in which the episode started firing
  resolved_at Nullable(DateTime64(3, 'UTC')),
  last_notified_at Nullable(DateTime64(3, 'UTC')), -- window end of this episode's last notice (NULL: none yet)
  last_window_end DateTime64(3, 'UTC'),     -- the newest window this alert has seen
  last_status LowCardinality(String),       -- the newest judged verdict: ok | warn | critical | no_data ...
  last_verdict String,                      -- that verdict's facts (value, thresholds, p-value, effect, n) as JSON
  version UInt64                            -- toUnixTimestamp64Milli(last_window_end)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (monitor, alert_id);

-- The audit trail: one row per transition or notice of an alert, with the run (monitor,
-- window, monitor file hash, baseline) that caused it. Keyed by (alert, window, event), so
-- re-processing a window records nothing twice.
CREATE TABLE IF NOT EXISTS alert_events (
  alert_id String,
  monitor LowCardinality(String),
  model LowCardinality(String),
  check_id LowCardinality(String),
  metric LowCardinality(String),
  feature String,
  slice_key LowCardinality(String),
  slice_value String,
  episode UInt32,
  event LowCardinality(String),             -- pending | firing | cancelled | escalated | repeated | resolved
  from_state LowCardinality(String),        -- the state before (inactive | pending | firing | resolved)
  to_state LowCardinality(String),          -- the state after
  severity LowCardinality(String),          -- the alert's severity after the event
  window_start DateTime64(3, 'UTC'),        -- the run that caused it: its window ...
  window_end DateTime64(3, 'UTC'),
  monitor_hash String,                      -- ... the monitor file's sha256 ...
  baseline String,                          -- ... and the baseline it compared with
  baseline_version UInt32,
  verdict_status LowCardinality(String),    -- the verdict of that run for this alert
  value Nullable(Float64),                  -- its value (NULL when none)
  notified UInt8,                           -- 1: a notice was written to the outbox
  suppressed_by String,                     -- '' | 'silence:<id>' | 'acknowledged': why a notice was withheld
  outbox_ids Array(String),                 -- the notifications carrying this event
  recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(window_end)
ORDER BY (monitor, alert_id, window_end, event);

-- Silences: while active, matching alerts change state as usual but send nothing.
-- Empty feature / slice / check_id match any. Expiring early writes a new version.
CREATE TABLE IF NOT EXISTS alert_silences (
  silence_id String,                        -- sil_<random>
  model LowCardinality(String),
  feature String,                           -- '' = every feature
  slice String,                             -- '' = every slice; 'web' or 'channel=web'
  check_id String,                          -- '' = every check
  starts_at DateTime64(3, 'UTC'),
  ends_at DateTime64(3, 'UTC'),
  reason String,
  created_by String,                        -- who silenced
  created_at DateTime64(3, 'UTC'),
  expired_by String,                        -- '' unless expired early: who ...
  expired_at Nullable(DateTime64(3, 'UTC')), -- ... and when
  version UInt64                            -- ms of the last change
)
ENGINE = ReplacingMergeTree(version)
ORDER BY silence_id;

-- Acknowledgements: someone is on it. An acknowledged episode sends no repeat notices;
-- escalation and resolution still notify. A new episode needs a new acknowledgement.
CREATE TABLE IF NOT EXISTS alert_acknowledgements (
  alert_id String,
  monitor LowCardinality(String),
  episode UInt32,                           -- the episode acknowledged
  acknowledged_by String,
  reason String,
  acknowledged_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (alert_id, episode, acknowledged_at);

-- The outbox: every notification is written here before it is sent. The id is derived
-- from (destination, alert(s), transition(s), window), so re-processing a window, a
-- catch-up or a restart writes the same row again, never a second notification.
CREATE TABLE IF NOT EXISTS alert_outbox (
  id String,                                -- msg_<32 hex>: also the webhook-id receivers deduplicate by
  destination String,                       -- slack:<channel> | email:<recipients> | webhook:<name>
  channel LowCardinality(String),           -- slack | email | webhook
  kind LowCardinality(String),              -- digest | alert | trigger | resolved | test
  monitor LowCardinality(String),
  model LowCardinality(String),
  severity LowCardinality(String),          -- warn | critical ('' for a test)
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  alert_ids Array(String),
  events Array(String),                     -- per alert: its event (firing, escalated, repeated, resolved)
  message String,                           -- the notification's facts as JSON (src/alerts/notification.ts); no secrets
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY id;

-- One row per delivery attempt (append-only). A notification's status is its latest
-- attempt's: none yet = pending; retrying (next_attempt_at set); delivered; dead (the
-- last error kept).
CREATE TABLE IF NOT EXISTS alert_delivery_attempts (
  outbox_id String,
  attempt UInt32,                           -- 1, 2, ...
  status LowCardinality(String),            -- delivered | retrying | dead
  error String,                             -- '' when delivered; never a secret
  response_status Nullable(UInt16),         -- HTTP / SMTP status when there was one
  next_attempt_at Nullable(DateTime64(3, 'UTC')),
  duration_ms UInt32,
  attempted_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (outbox_id, attempt, attempted_at);

-- The newest window whose verdicts the alert stage has processed, per monitor.
CREATE TABLE IF NOT EXISTS alert_progress (
  monitor LowCardinality(String),
  window_end DateTime64(3, 'UTC'),
  processed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(window_end)
ORDER BY monitor;
