import type { AlertsConfig } from '../config/config.js';
import type {
  AlertmanagerPlan,
  MonitorPlan,
  PagerdutyPlan,
  TeamsPlan,
  WebhookPlan,
} from '../monitors/plan.js';
import type { WebhookTarget } from './render/webhook.js';
import { secretKey, splitSecrets } from './signature.js';

/** Reads an environment variable by name (config.alerts.readSecret). */
export type ReadSecret = (name: string) => string | undefined;

/**
 * A webhook with its secrets or token, read at send time from the environment the service
 * started with. A missing or malformed one is named (the variable, never its value).
 */
export function resolveWebhookTarget(
  webhook: WebhookPlan,
  readSecret: ReadSecret,
): WebhookTarget | { missing: string } {
  if (webhook.preset !== 'generic') {
    const token = readSecret(webhook.tokenEnv);
    if (!token) return { missing: `${webhook.tokenEnv} is not set` };
    return { plan: webhook, secrets: [], token };
  }
  const secrets = webhook.secretEnv.flatMap((name) => splitSecrets(readSecret(name)));
  if (secrets.length === 0) return { missing: `${webhook.secretEnv.join(', ')} is not set` };
  const bad = secrets.map(secretKey).find((key) => !key.ok);
  if (bad && !bad.ok)
    return {
      missing: `${webhook.secretEnv.join(', ')} must hold whsec_<base64> secrets (${bad.problem})`,
    };
  return { plan: webhook, secrets, token: null };
}

/** A PagerDuty integration with its routing key from the environment. */
export interface PagerdutyTarget {
  url: string;
  routingKey: string;
}

export function resolvePagerdutyTarget(
  plan: PagerdutyPlan,
  readSecret: ReadSecret,
): PagerdutyTarget | { missing: string } {
  const routingKey = readSecret(plan.routingKeyEnv)?.trim();
  if (!routingKey) return { missing: `${plan.routingKeyEnv} is not set` };
  return { url: plan.url, routingKey };
}

/** A Teams Workflows webhook: its URL, a secret, from the environment. */
export interface TeamsTarget {
  url: string;
}

export function resolveTeamsTarget(
  plan: TeamsPlan,
  readSecret: ReadSecret,
): TeamsTarget | { missing: string } {
  const url = readSecret(plan.urlEnv)?.trim();
  if (!url) return { missing: `${plan.urlEnv} is not set` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { missing: `${plan.urlEnv} must hold the webhook's https:// URL (it is not a URL)` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return { missing: `${plan.urlEnv} must hold the webhook's https:// URL` };
  return { url };
}

/** An Alertmanager with the Authorization header its credentials make, if any. */
export interface AlertmanagerTarget {
  url: string;
  authorization: string | null;
}

export function resolveAlertmanagerTarget(
  plan: AlertmanagerPlan,
  readSecret: ReadSecret,
): AlertmanagerTarget | { missing: string } {
  const auth = plan.auth;
  if (auth.kind === 'none') return { url: plan.url, authorization: null };
  if (auth.kind === 'bearer') {
    const token = readSecret(auth.tokenEnv)?.trim();
    if (!token) return { missing: `${auth.tokenEnv} is not set` };
    return { url: plan.url, authorization: `Bearer ${token}` };
  }
  const password = readSecret(auth.passwordEnv);
  if (!password) return { missing: `${auth.passwordEnv} is not set` };
  const credentials = Buffer.from(`${auth.username}:${password}`).toString('base64');
  return { url: plan.url, authorization: `Basic ${credentials}` };
}

export interface EnvironmentProblem {
  model: string;
  /** The webhook's or receiver's name. */
  webhook: string;
  /** The monitor file's field: webhooks.<name>.secret_env, pagerduty.<name>.routing_key_env... */
  field: string;
  message: string;
}

/**
 * The webhooks routed to whose secret or token is not in the environment: a warning when
 * validating files, an error when the service starts (it would fail every delivery).
 */
export function checkAlertEnvironment(
  plans: readonly MonitorPlan[],
  readSecret: ReadSecret,
): EnvironmentProblem[] {
  return [...webhookProblems(plans, readSecret), ...receiverProblems(plans, readSecret)];
}

function webhookProblems(plans: readonly MonitorPlan[], readSecret: ReadSecret) {
  return plans.flatMap((plan) => {
    const routed = new Set(
      (plan.alerting?.routes ?? []).flatMap((route) => (route.webhook ? [route.webhook] : [])),
    );
    return Object.values(plan.webhooks ?? {})
      .filter((webhook) => routed.has(webhook.name))
      .flatMap((webhook) => {
        const resolved = resolveWebhookTarget(webhook, readSecret);
        if (!('missing' in resolved)) return [];
        const field = `webhooks.${webhook.name}.${webhook.preset === 'generic' ? 'secret_env' : 'token_env'}`;
        return [
          {
            model: plan.model,
            webhook: webhook.name,
            field,
            message: `${field}: ${resolved.missing}`,
          },
        ];
      });
  });
}

/** The receivers routed to (PagerDuty, Teams, Alertmanager) whose secret is not set. */
function receiverProblems(
  plans: readonly MonitorPlan[],
  readSecret: ReadSecret,
): EnvironmentProblem[] {
  return plans.flatMap((plan) => {
    const receivers = plan.receivers;
    if (!receivers) return [];
    const routes = plan.alerting?.routes ?? [];
    const routed = (kind: 'pagerduty' | 'teams' | 'alertmanager') =>
      new Set(routes.flatMap((route) => (route[kind] !== null ? [route[kind]] : [])));
    const problems: EnvironmentProblem[] = [];
    const note = (name: string, field: string, resolved: object) => {
      if ('missing' in resolved)
        problems.push({
          model: plan.model,
          webhook: name,
          field,
          message: `${field}: ${String(resolved.missing)}`,
        });
    };
    for (const name of routed('pagerduty')) {
      const receiver = receivers.pagerduty[name];
      if (receiver)
        note(
          name,
          `pagerduty.${name}.routing_key_env`,
          resolvePagerdutyTarget(receiver, readSecret),
        );
    }
    for (const name of routed('teams')) {
      const receiver = receivers.teams[name];
      if (receiver) note(name, `teams.${name}.url_env`, resolveTeamsTarget(receiver, readSecret));
    }
    for (const name of routed('alertmanager')) {
      const receiver = receivers.alertmanager[name];
      if (!receiver || receiver.auth.kind === 'none') continue;
      const field =
        receiver.auth.kind === 'bearer'
          ? `alertmanager.${name}.bearer_token_env`
          : `alertmanager.${name}.basic_auth.password_env`;
      note(name, field, resolveAlertmanagerTarget(receiver, readSecret));
    }
    return problems;
  });
}

/**
 * What `driftwatch validate` warns about: webhook secrets the service would refuse to start
 * without, and channels routed to but not configured (their notifications would be dead).
 */
export function alertWarnings(
  plans: readonly MonitorPlan[],
  config: Pick<AlertsConfig, 'readSecret' | 'slack' | 'smtp'>,
): { model: string; message: string }[] {
  const secrets = checkAlertEnvironment(plans, config.readSecret).map((problem) => ({
    model: problem.model,
    message: `${problem.message} (the service refuses to start without it)`,
  }));
  const channels = plans.flatMap((plan) => {
    const routes = plan.alerting?.routes ?? [];
    const out: { model: string; message: string }[] = [];
    if (!config.slack.token && routes.some((route) => route.slack !== null))
      out.push({
        model: plan.model,
        message: 'alerts.routes post to Slack but SLACK_BOT_TOKEN is not set',
      });
    if (!config.smtp && routes.some((route) => route.email.length > 0))
      out.push({
        model: plan.model,
        message: 'alerts.routes send email but neither SMTP_URL nor SMTP_HOST is set',
      });
    return out;
  });
  return [...secrets, ...channels];
}
