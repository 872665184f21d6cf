-- Dashboard sessions. Logging in turns an API token into a random session id, which the
-- browser keeps in its cookie; this table keeps only the id's SHA-256 (a copy of the table
-- grants nothing), the SHA-256 of the token it stands for (a token removed from the
-- configuration ends its sessions), and when it expires. Logging out adds a row with
-- revoked = 1: every API process reads this table, so a replayed cookie is refused by all.
CREATE TABLE IF NOT EXISTS sessions (
  session_sha256 String,
  token_sha256 String,                      -- '' on the revocation row
  expires_at DateTime64(3, 'UTC'),
  revoked UInt8,                            -- 0: opened, 1: logged out
  recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(revoked)
ORDER BY session_sha256
TTL toDateTime(expires_at) + INTERVAL 1 DAY;
