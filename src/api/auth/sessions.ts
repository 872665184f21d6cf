import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/clickhouse.js';
import { findOpenSession, insertSession, revokeSession } from '../../store/sessions.js';
import { createDigestVerifier, hashToken, type Principal, type TokenEntry } from './tokens.js';

export const SESSION_PREFIX = 'dws_';
/** How long a dashboard login lasts (the cookie's Max-Age says the same). */
export const SESSION_LIFETIME_MS = 12 * 3600_000;

/**
 * Dashboard sessions: the cookie carries a random session id, never the API token it was
 * opened with, and the session lives in the store, so logging out ends it for every API
 * process at once (a replayed cookie is refused) and a token taken out of the
 * configuration ends its sessions with it.
 */
export interface Sessions {
  /** A new session for a valid token; undefined when the token is not one. */
  open(token: string): Promise<{ id: string; principal: Principal } | undefined>;
  /** Who an open session belongs to; undefined when it is unknown, expired or closed. */
  principalOf(id: string): Promise<Principal | undefined>;
  /** Logs out: the id is refused from now on. Unknown ids are ignored. */
  close(id: string): Promise<void>;
}

export function createSessions(
  store: Store,
  tokens: readonly TokenEntry[],
  options: { now?: () => Date } = {},
): Sessions {
  const now = options.now ?? (() => new Date());
  const verifyDigest = createDigestVerifier(tokens);
  const wellFormed = (id: string) => /^dws_[A-Za-z0-9_-]{43}$/.test(id);
  return {
    async open(token) {
      const tokenSha256 = hashToken(token);
      const principal = verifyDigest(tokenSha256);
      if (!principal) return undefined;
      const id = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`;
      await insertSession(store, {
        sessionSha256: hashToken(id),
        tokenSha256,
        expiresAt: new Date(now().getTime() + SESSION_LIFETIME_MS),
      });
      return { id, principal };
    },
    async principalOf(id) {
      if (!wellFormed(id)) return undefined;
      const session = await findOpenSession(store, hashToken(id), now());
      return session && verifyDigest(session.tokenSha256);
    },
    async close(id) {
      if (!wellFormed(id)) return;
      const session = await findOpenSession(store, hashToken(id), now());
      if (session) await revokeSession(store, session);
    },
  };
}
