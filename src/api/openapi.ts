import { ROLE_GRANTS } from './auth/tokens.js';

/** The prose at the top of /openapi.json and the reference page: roles and the error catalog. */
export function openApiDescription(
  errors: Readonly<Record<string, { status: number; message: string }>>,
): string {
  const roles = Object.entries(ROLE_GRANTS)
    .map(([role, grants]) => `| \`${role}\` | ${grants.join(', ')} |`)
    .join('\n');
  const catalog = Object.entries(errors)
    .map(([code, { status, message }]) => `| \`${code}\` | ${status} | ${message} |`)
    .join('\n');
  return [
    'Drift and data-quality monitoring: models, their monitors and runs, the drift history, alerts, baselines, exports.',
    '',
    'Every route but `/healthz` (and the login page) needs an API token: `Authorization: Bearer dw_...`, or the',
    'dashboard session cookie. Tokens are created with `driftwatch token create --role ROLE`.',
    '',
    '| role | may reach |',
    '|---|---|',
    roles,
    '',
    "Fields are snake_case, times RFC 3339 (UTC). Lists are paged: `limit`, `offset`, and the answer's `total` and `next_offset`.",
    '',
    'Errors answer `{"error", "code", "request_id"}` with a stable code:',
    '',
    '| code | status | meaning |',
    '|---|---|---|',
    catalog,
  ].join('\n');
}
