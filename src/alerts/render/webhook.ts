import type { WebhookPlan } from '../../monitors/plan.js';
import type { NotificationItem, NotificationMessage } from '../notification.js';
import { signWebhook } from '../signature.js';
import { thresholdOf, type NotificationLinks } from './text.js';

/**
 * Webhook bodies and requests. The generic body is documented in schemas/webhook.schema.json
 * and signed as Standard Webhooks says; the presets speak the orchestrators' own APIs
 * (GitHub `repository_dispatch`, Airflow's "trigger a DAG run") with a token. Pure: the
 * secrets and tokens come in, a request comes out.
 */
export type WebhookEventType =
  'driftwatch.alerts.firing' | 'driftwatch.alerts.resolved' | 'driftwatch.test';

export interface WebhookBreach {
  alert_id: string;
  event: NotificationItem['event'];
  state: NotificationItem['state'];
  severity: NotificationItem['severity'];
  check: string;
  metric: string;
  feature: string;
  slice: { key: string; value: string };
  status: string;
  value: number | null;
  /** The bracket containing the exact value when value is not exact; both null otherwise. */
  value_lower: number | null;
  value_upper: number | null;
  /** An estimate's sampling-error band (CBPE); for estimation_error, the band the realized value left. */
  band_lower: number | null;
  band_upper: number | null;
  /** For estimation_error: the estimate beside the realized value. */
  estimated_value: number | null;
  threshold: number | null;
  p_value: number | null;
  adjusted_p_value: number | null;
  effect: number | null;
  min_effect: number | null;
  n_reference: number;
  n_current: number;
  consecutive_windows: number;
  since: string | null;
  note: string | null;
  /** The alert's page on the dashboard, where it explains itself. */
  link: string;
}

export interface WebhookPayload {
  type: WebhookEventType;
  /** When what is reported happened: the end of the window that caused it. */
  timestamp: string;
  data: {
    id: string;
    model: string;
    monitor: string;
    severity: 'warn' | 'critical' | null;
    window: { start: string; end: string };
    baseline: { name: string; version: number };
    monitor_hash: string;
    alert_ids: string[];
    breaches: WebhookBreach[];
    link: string;
  };
}

export interface WebhookNotification {
  id: string;
  kind: string;
  message: NotificationMessage;
}

export function webhookEventType(notification: WebhookNotification): WebhookEventType {
  if (notification.message.type === 'test') return 'driftwatch.test';
  return notification.kind === 'resolved'
    ? 'driftwatch.alerts.resolved'
    : 'driftwatch.alerts.firing';
}

export function breachOf(item: NotificationItem, links: NotificationLinks): WebhookBreach {
  return {
    alert_id: item.alert_id,
    event: item.event,
    state: item.state,
    severity: item.severity,
    check: item.check,
    metric: item.metric,
    feature: item.feature,
    slice: item.slice,
    status: item.status,
    value: item.value,
    value_lower: item.value_lower,
    value_upper: item.value_upper,
    band_lower: item.band_lower,
    band_upper: item.band_upper,
    estimated_value: item.estimated_value,
    threshold: thresholdOf(item),
    p_value: item.p_value,
    adjusted_p_value: item.adjusted_p_value,
    effect: item.effect,
    min_effect: item.min_effect,
    n_reference: item.n_reference,
    n_current: item.n_current,
    consecutive_windows: item.consecutive_windows,
    since: item.since,
    note: item.note,
    link: links.alert(item.alert_id),
  };
}

export function webhookPayload(
  notification: WebhookNotification,
  links: NotificationLinks,
): WebhookPayload {
  const message = notification.message;
  return {
    type: webhookEventType(notification),
    timestamp: message.window.end,
    data: {
      id: notification.id,
      model: message.model,
      monitor: message.monitor,
      severity: message.severity,
      window: message.window,
      baseline: message.baseline,
      monitor_hash: message.monitor_hash,
      alert_ids: message.items.map((item) => item.alert_id),
      breaches: message.items.map((item) => breachOf(item, links)),
      link: links.breaches,
    },
  };
}

/** What a webhook needs at send time: its plan and the secrets or token from the environment. */
export interface WebhookTarget {
  plan: WebhookPlan;
  /** generic: the whsec_ secrets (several while rotating). */
  secrets: string[];
  /** presets: the API token (airflow basic: user:password). */
  token: string | null;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** An HTTP 409 means the same request was already accepted (Airflow's dag_run_id). */
  conflictMeansDelivered: boolean;
}

const USER_AGENT = 'driftwatch-webhooks/1';
// GitHub accepts at most 10 top-level client_payload properties; breaches are kept short.
const COMPACT_BREACHES = 20;

function compactBreaches(message: NotificationMessage) {
  return message.items.slice(0, COMPACT_BREACHES).map((item) => ({
    alert_id: item.alert_id,
    check: item.check,
    feature: item.feature,
    slice: item.slice.key ? `${item.slice.key}=${item.slice.value}` : item.slice.value,
    severity: item.severity,
    value: item.value,
  }));
}

function triggerFacts(notification: WebhookNotification, links: NotificationLinks) {
  const message = notification.message;
  return {
    type: webhookEventType(notification),
    delivery_id: notification.id,
    model: message.model,
    monitor: message.monitor,
    severity: message.severity,
    window: message.window,
    baseline: message.baseline,
    alert_ids: message.items.map((item) => item.alert_id),
    breaches: compactBreaches(message),
    link: links.breaches,
  };
}

export function buildWebhookRequest(
  notification: WebhookNotification,
  target: WebhookTarget,
  options: { links: NotificationLinks; now: Date },
): WebhookRequest {
  const plan = target.plan;
  const json = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  if (plan.preset === 'github_actions') {
    return {
      url: `${plan.apiUrl}/repos/${plan.repository}/dispatches`,
      headers: {
        ...json,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        authorization: `Bearer ${target.token ?? ''}`,
      },
      body: JSON.stringify({
        event_type: plan.eventType,
        client_payload: triggerFacts(notification, options.links),
      }),
      conflictMeansDelivered: false,
    };
  }
  if (plan.preset === 'airflow') {
    const token = target.token ?? '';
    return {
      url: `${plan.url}/api/${plan.apiVersion}/dags/${encodeURIComponent(plan.dagId)}/dagRuns`,
      headers: {
        ...json,
        accept: 'application/json',
        authorization:
          plan.auth === 'basic'
            ? `Basic ${Buffer.from(token).toString('base64')}`
            : `Bearer ${token}`,
      },
      body: JSON.stringify({
        // The same notification always asks for the same run: Airflow answers a retry with 409.
        dag_run_id: `driftwatch__${notification.id}`,
        ...(plan.apiVersion === 'v2' ? { logical_date: null } : {}),
        conf: triggerFacts(notification, options.links),
        note: `driftwatch: ${notification.message.model} ${notification.message.severity ?? ''} drift in ${notification.message.window.start}..${notification.message.window.end}`,
      }),
      conflictMeansDelivered: true,
    };
  }
  const body = JSON.stringify(webhookPayload(notification, options.links));
  const timestamp = Math.floor(options.now.getTime() / 1000);
  return {
    url: plan.url,
    headers: {
      ...json,
      'webhook-id': notification.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook({ id: notification.id, timestamp, body }, target.secrets),
    },
    body,
    conflictMeansDelivered: false,
  };
}
