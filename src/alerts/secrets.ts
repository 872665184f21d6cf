import type { AlertsConfig } from '../config/config.js';
import type { MonitorPlan, WebhookPlan } from '../monitors/plan.js';
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

export interface EnvironmentProblem {
  model: string;
  webhook: string;
  /** The monitor file's field: webhooks.<name>.secret_env or .token_env */
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
