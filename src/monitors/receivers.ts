import type { NamedDestination, NamedSecret } from './monitorAccess.js';
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
export function receiverSecretFields(raw: RawReceivers): NamedSecret[] {
  const at = (path: string[], variable: string): NamedSecret => ({
    path,
    field: path.join('.'),
    variable,
  });
  return [
    ...Object.entries(raw.pagerduty ?? {}).map(([name, entry]) =>
      at(['pagerduty', name, 'routing_key_env'], entry.routing_key_env),
    ),
    ...Object.entries(raw.teams ?? {}).map(([name, entry]) =>
      at(['teams', name, 'url_env'], entry.url_env),
    ),
    ...Object.entries(raw.alertmanager ?? {}).flatMap(([name, entry]) => [
      ...(entry.bearer_token_env
        ? [at(['alertmanager', name, 'bearer_token_env'], entry.bearer_token_env)]
        : []),
      ...(entry.basic_auth
        ? [at(['alertmanager', name, 'basic_auth', 'password_env'], entry.basic_auth.password_env)]
        : []),
    ]),
  ];
}

/**
 * Every URL a receiver declares in the file, with where (the PagerDuty default included).
 * Teams URLs are not here: they are secrets, read from the environment at send time.
 */
export function receiverUrlFields(raw: RawReceivers): NamedDestination[] {
  return [
    ...Object.entries(raw.pagerduty ?? {}).map(([name, entry]) =>
      entry.url === undefined
        ? {
            path: ['pagerduty', name],
            field: `pagerduty.${name}.url (default ${PAGERDUTY_EVENTS_URL})`,
            url: PAGERDUTY_EVENTS_URL,
          }
        : { path: ['pagerduty', name, 'url'], field: `pagerduty.${name}.url`, url: entry.url },
    ),
    ...Object.entries(raw.alertmanager ?? {}).map(([name, entry]) => ({
      path: ['alertmanager', name, 'url'],
      field: `alertmanager.${name}.url`,
      url: entry.url,
    })),
  ];
}
