import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API tokens and what each role may reach. Tokens are random, shown once when created,
 * and kept in the configuration only as their SHA-256 (a leaked config file grants
 * nothing). A presented token is hashed and compared with every configured hash in
 * constant time, so neither timing nor an early exit tells how close a guess was.
 */
export const ROLES = ['ingest', 'metrics', 'read', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs; `public` routes (health, the login page) need no token. */
export const ACCESS_LEVELS = ['public', 'ingest', 'metrics', 'read', 'operate', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

/**
 * ingest: POST events only (producers). metrics: /metrics and /readyz (Prometheus, probes).
 * read: every GET of results, monitors, runs, baselines and the dashboard. operator:
 * read + acknowledge, silence, run, backtest. admin: everything, including creating
 * baselines, exports and dead-letter payloads.
 */
export const ROLE_GRANTS: Readonly<Record<Role, readonly Access[]>> = {
  ingest: ['ingest'],
  metrics: ['metrics'],
  read: ['metrics', 'read'],
  operator: ['metrics', 'read', 'operate'],
  admin: ['ingest', 'metrics', 'read', 'operate', 'admin'],
};

export function roleGrants(role: Role, access: Access): boolean {
  return access === 'public' || ROLE_GRANTS[role].includes(access);
}

export interface TokenEntry {
  role: Role;
  /** Hex SHA-256 of the token. */
  sha256: string;
  /** Who holds it, for logs and acknowledgements; never the token itself. */
  name: string;
  /**
   * An ingest token's models (`fraud-detector`, `team-a-*`): it may post events only for
   * these. Absent: every model (tokens made before scopes existed mean this).
   */
  models?: readonly string[];
}

export interface Principal {
  role: Role;
  name: string;
  /** The models this caller may post events for; absent: every model. */
  models?: readonly string[];
}

/** `models=` ends an entry: `ingest:<sha256>:<name>:models=fraud-detector+team-a-*`. */
const MODELS_FIELD = 'models=';
/** A model as a scope names it: a model name, or a prefix ending in `*`. */
const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*\*?$/;

export const TOKEN_PREFIX = 'dw_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token (256 bits) and the configuration line that grants it a role. */
export function createToken(
  role: Role,
  name?: string,
  models?: readonly string[],
): { token: string; entry: TokenEntry; line: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const entry: TokenEntry = {
    role,
    sha256: hashToken(token),
    name: name ?? `${role}-${Date.now()}`,
    ...(models ? { models } : {}),
  };
  return { token, entry, line: formatTokenEntry(entry) };
}

export function formatTokenEntry(entry: TokenEntry): string {
  const scope = entry.models ? `:${MODELS_FIELD}${entry.models.join('+')}` : '';
  return `${entry.role}:${entry.sha256}:${entry.name}${scope}`;
}

/** Why these models cannot scope a token of this role, or null. */
export function modelScopeProblem(role: Role, models: readonly string[]): string | null {
  if (role !== 'ingest') return `models= scopes ingest tokens only, not ${role}`;
  if (models.length === 0) return 'models= names no model';
  const bad = models.find((model) => !MODEL_PATTERN.test(model));
  return bad === undefined
    ? null
    : `"${bad}" is not a model name or a prefix ending in * (letters, digits, _ . -)`;
}

/** Whether a caller may post events for a model: unscoped callers for every one. */
export function mayPostFor(principal: Pick<Principal, 'models'>, model: string): boolean {
  return (
    principal.models === undefined ||
    principal.models.some((entry) =>
      entry.endsWith('*') ? model.startsWith(entry.slice(0, -1)) : model === entry,
    )
  );
}

export type TokenEntryParse = { ok: true; entry: TokenEntry } | { ok: false; message: string };

/**
 * `role:sha256[:name][:models=m1+m2]`; the name may not contain a comma or a newline
 * (entries are listed with either), and an ingest token may end with the models it may post
 * for (`+`-separated, `prefix*` for a family).
 */
export function parseTokenEntry(text: string, fallbackName: string): TokenEntryParse {
  const [role, sha256, ...rest] = text.trim().split(':');
  const scope = rest.at(-1)?.startsWith(MODELS_FIELD) ? rest.pop() : undefined;
  if (!role || !(ROLES as readonly string[]).includes(role)) {
    return { ok: false, message: `role "${role ?? ''}" is not one of ${ROLES.join(', ')}` };
  }
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
    return {
      ok: false,
      message:
        'expected role:sha256[:name] with the token\'s SHA-256 as 64 lowercase hex digits (see "driftwatch token create")',
    };
  }
  const name = rest.join(':').trim() || fallbackName;
  if (scope === undefined) return { ok: true, entry: { role: role as Role, sha256, name } };
  const models = scope.slice(MODELS_FIELD.length).split('+').filter(Boolean);
  const problem = modelScopeProblem(role as Role, models);
  if (problem) return { ok: false, message: problem };
  return { ok: true, entry: { role: role as Role, sha256, name, models } };
}

/**
 * Finds the entry a presented token matches. Every configured hash is compared, match or
 * not, with timingSafeEqual over equal-length digests.
 */
export function createTokenVerifier(
  entries: readonly TokenEntry[],
): (token: string) => Principal | undefined {
  const verifyDigest = createDigestVerifier(entries);
  return (token) => verifyDigest(hashToken(token));
}

/**
 * The same over a token's SHA-256 (hex): what a dashboard session keeps, so a token removed
 * from the configuration ends its sessions too.
 */
export function createDigestVerifier(
  entries: readonly TokenEntry[],
): (sha256: string) => Principal | undefined {
  const digests = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex') }));
  return (sha256) => {
    const presented = Buffer.from(sha256, 'hex');
    if (presented.length !== 32) return undefined;
    let found: TokenEntry | undefined;
    for (const { entry, digest } of digests) {
      if (timingSafeEqual(presented, digest) && found === undefined) found = entry;
    }
    return (
      found && {
        role: found.role,
        name: found.name,
        ...(found.models ? { models: found.models } : {}),
      }
    );
  };
}
