import type { AlertmanagerAuth, ReceiverPlans } from './plan.js';

/**
 * The on-call tools a monitor file's routes may name, declared once by name beside
 * `webhooks` (PagerDuty integrations, Teams channels, Alertmanagers), as the file spells
 * them and as the alert stage plans them. The JSON Schema (schemas/monitor.schema.json) has
 * checked their shape; this module checks what crosses sections (a route naming an
 * undeclared receiver) and turns them into plans.
 */
export interface RawReceivers {
  pagerduty?: Record<string, { routing_key_env: string; url?: string }>;
  teams?: Record<string, { url_env: string }>;
  alertmanager?: Record<
    string,
    {
      url: string;
      bearer_token_env?: string;
      basic_auth?: { username: string; password_env: string };
    }
  >;
}

export const RECEIVER_KINDS = ['pagerduty', 'teams', 'alertmanager'] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface RouteReceivers {
  pagerduty?: string;
  teams?: string;
  alertmanager?: string;
}

/** A route naming a receiver its file does not declare: the field and why. */
export function routeReceiverErrors(
  route: RouteReceivers,
  index: number,
  declared: RawReceivers,
): { path: (string | number)[]; message: string }[] {
  return RECEIVER_KINDS.flatMap((kind) => {
    const name = route[kind];
    if (name === undefined || declared[kind]?.[name]) return [];
    return [
      {
        path: ['alerts', 'routes', index, kind],
        message: `alerts.routes[${index}].${kind}: "${name}" is not defined under ${kind}`,
      },
    ];
  });
}

/**
 * The service's own settings are the operator's, never a monitor file's: a receiver may not
 * send one of them (the Slack token, the export signing key...) to a URL the file chose.
 */
const SERVICE_SETTING_PREFIXES = ['DRIFTWATCH_', 'CLICKHOUSE_', 'KAFKA_', 'SLACK_', 'SMTP_'];

/**
 * What a monitor file may not make a receiver reach: a variable of the service's own
 * settings, or a URL with credentials in it (they would be stored and shown with it; secrets
 * go in `*_env`). The schema has already limited URLs to http(s).
 */
export function receiverAccessErrors(
  raw: RawReceivers,
): { path: (string | number)[]; message: string }[] {
  const secrets = receiverSecretFields(raw).flatMap(({ path, variable }) => {
    const owned = SERVICE_SETTING_PREFIXES.find((prefix) => variable.startsWith(prefix));
    return owned
      ? [
          {
            path,
            message: `${path.join('.')}: ${variable} is one of the service's own settings (${owned}*): a monitor file may never name it`,
          },
        ]
      : [];
  });
  const urls = receiverUrlFields(raw).flatMap(({ path, url }) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return [];
    }
    return parsed.username !== '' || parsed.password !== ''
      ? [
          {
            path,
            message: `${path.join('.')}: credentials in a URL (user:password@) are refused: they would be stored and shown with it; use bearer_token_env or basic_auth`,
          },
        ]
      : [];
  });
  return [...secrets, ...urls];
}

export function toReceiverPlans(raw: RawReceivers): ReceiverPlans {
  const plans: ReceiverPlans = { pagerduty: {}, teams: {}, alertmanager: {} };
  for (const [name, entry] of Object.entries(raw.pagerduty ?? {}))
    plans.pagerduty[name] = {
      name,
      url: entry.url ?? PAGERDUTY_EVENTS_URL,
      routingKeyEnv: entry.routing_key_env,
    };
  for (const [name, entry] of Object.entries(raw.teams ?? {}))
    plans.teams[name] = { name, urlEnv: entry.url_env };
  for (const [name, entry] of Object.entries(raw.alertmanager ?? {})) {
    const auth: AlertmanagerAuth = entry.bearer_token_env
      ? { kind: 'bearer', tokenEnv: entry.bearer_token_env }
      : entry.basic_auth
        ? {
            kind: 'basic',
            username: entry.basic_auth.username,
            passwordEnv: entry.basic_auth.password_env,
          }
        : { kind: 'none' };
    plans.alertmanager[name] = { name, url: entry.url.replace(/\/+$/, ''), auth };
  }
  return plans;
}

/** Every environment variable a receiver names, with where the file names it. */
export function receiverSecretFields(raw: RawReceivers): { path: string[]; variable: string }[] {
  return [
    ...Object.entries(raw.pagerduty ?? {}).map(([name, entry]) => ({
      path: ['pagerduty', name, 'routing_key_env'],
      variable: entry.routing_key_env,
    })),
    ...Object.entries(raw.teams ?? {}).map(([name, entry]) => ({
      path: ['teams', name, 'url_env'],
      variable: entry.url_env,
    })),
    ...Object.entries(raw.alertmanager ?? {}).flatMap(([name, entry]) => [
      ...(entry.bearer_token_env
        ? [{ path: ['alertmanager', name, 'bearer_token_env'], variable: entry.bearer_token_env }]
        : []),
      ...(entry.basic_auth
        ? [
            {
              path: ['alertmanager', name, 'basic_auth', 'password_env'],
              variable: entry.basic_auth.password_env,
            },
          ]
        : []),
    ]),
  ];
}

/**
 * Every URL a receiver declares in the file, with where (the PagerDuty default included).
 * Teams URLs are not here: they are secrets, read from the environment at send time.
 */
export function receiverUrlFields(raw: RawReceivers): { path: string[]; url: string }[] {
  return [
    ...Object.entries(raw.pagerduty ?? {}).map(([name, entry]) => ({
      path: entry.url === undefined ? ['pagerduty', name] : ['pagerduty', name, 'url'],
      url: entry.url ?? PAGERDUTY_EVENTS_URL,
    })),
    ...Object.entries(raw.alertmanager ?? {}).map(([name, entry]) => ({
      path: ['alertmanager', name, 'url'],
      url: entry.url,
    })),
  ];
}
