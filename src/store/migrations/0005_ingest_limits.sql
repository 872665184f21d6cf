-- Dead letters keep the head of a payload (DRIFTWATCH_DEAD_LETTER_PAYLOAD_BYTES), so the
-- whole payload's size and SHA-256 are kept beside it: enough to match a dead letter with
-- the producer's record and to see how much was cut. Rows stored before this migration
-- hold their whole payload; their defaults are computed from it.
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS payload_bytes UInt64 DEFAULT length(payload) AFTER payload;

ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS payload_sha256 String DEFAULT lower(hex(SHA256(payload))) AFTER payload_bytes;

-- Retention (DRIFTWATCH_EVENTS_RETENTION_DAYS) is a TTL set at startup; events are
-- partitioned by month, so expired data leaves as whole parts instead of being rewritten.
ALTER TABLE events MODIFY SETTING ttl_only_drop_parts = 1;
