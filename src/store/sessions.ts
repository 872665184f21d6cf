import { toClickHouseTime, type Store } from './clickhouse.js';
import { fromClickHouseTime } from './results.js';

/** A dashboard session as stored: hashes only, never the id or the token themselves. */
export interface SessionRecord {
  sessionSha256: string;
  tokenSha256: string;
  expiresAt: Date;
}

export async function insertSession(store: Store, session: SessionRecord): Promise<void> {
  await store.insert('sessions', [
    {
      session_sha256: session.sessionSha256,
      token_sha256: session.tokenSha256,
      expires_at: toClickHouseTime(session.expiresAt),
      revoked: 0,
    },
  ]);
}

/** Logging out: a revocation row, which outweighs the opening row however they merge. */
export async function revokeSession(
  store: Store,
  session: { sessionSha256: string; expiresAt: Date },
): Promise<void> {
  await store.insert('sessions', [
    {
      session_sha256: session.sessionSha256,
      token_sha256: '',
      expires_at: toClickHouseTime(session.expiresAt),
      revoked: 1,
    },
  ]);
}

/** The session under a hash while it is open (not revoked, not expired at `now`). */
export async function findOpenSession(
  store: Store,
  sessionSha256: string,
  now: Date,
): Promise<SessionRecord | undefined> {
  const [row] = await store.query<{ token: string; expires: string; closed: number }>(
    `SELECT anyIf(token_sha256, revoked = 0) AS token, toString(max(expires_at)) AS expires,
            max(revoked) AS closed
     FROM sessions
     WHERE session_sha256 = {session:String}
     GROUP BY session_sha256`,
    { session: sessionSha256 },
  );
  if (!row || Number(row.closed) !== 0) return undefined;
  const expiresAt = fromClickHouseTime(row.expires);
  if (expiresAt <= now) return undefined;
  return { sessionSha256, tokenSha256: row.token, expiresAt };
}
