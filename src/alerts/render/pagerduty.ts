import { sliceLabel } from '../identity.js';
import type { NotificationItem, NotificationMessage } from '../notification.js';
import { measureText, subjectOf, thresholdOf, type NotificationLinks } from './text.js';

/**
 * PagerDuty Events API v2 bodies (POST /v2/enqueue), one per driftwatch alert: the alert
 * id is the dedup_key, so PagerDuty keeps one alert per driftwatch alert and correlates its
 * trigger, acknowledge and resolve. Pure: the routing key comes in, events come out.
 */
export type PagerdutyAction = 'trigger' | 'acknowledge' | 'resolve';
export type PagerdutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerdutyEvent {
  routing_key: string;
  event_action: PagerdutyAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerdutySeverity;
    timestamp: string;
    component?: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  client?: string;
  client_url?: string;
  links?: { href: string; text: string }[];
}

/** PagerDuty's own limits (Events API v2): the summary and the dedup_key. */
const SUMMARY_LIMIT = 1024;

/**
 * critical → critical, warn → warning. "No data" (the model stopped sending where data is
 * expected) is `error` when its alert is critical: as urgent under PagerDuty's default
 * urgency rules (critical and error page at high urgency), but an event rule can tell it
 * from measured drift; a warn-level no_data stays a warning.
 */
export function pagerdutySeverity(item: NotificationItem): PagerdutySeverity {
  if (item.status === 'no_data') return item.severity === 'critical' ? 'error' : 'warning';
  return item.severity === 'critical' ? 'critical' : 'warning';
}

export interface PagerdutyDelivery {
  id: string;
  /** The outbox kind: 'acknowledge' for `alerts ack`, 'test' for `alerts test`. */
  kind: string;
  message: NotificationMessage;
}

/**
 * The events one delivery sends, in order. A test triggers an `info` event under a key of
 * its own and resolves it at once: the route is proven end to end without leaving an open
 * alert (PagerDuty's default urgency rules page low for info).
 */
export function pagerdutyEvents(
  delivery: PagerdutyDelivery,
  routingKey: string,
  links: NotificationLinks | null,
): PagerdutyEvent[] {
  const message = delivery.message;
  if (message.type === 'test') {
    const dedupKey = `driftwatch-test-${delivery.id}`;
    return [
      {
        routing_key: routingKey,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: {
          summary: `TEST ${message.model}: a test event from driftwatch (the route to PagerDuty works; it resolves at once)`,
          source: message.model,
          severity: 'info',
          timestamp: message.window.end,
          group: message.model,
          class: 'test',
          custom_details: { monitor: message.monitor, test: true },
        },
        client: 'driftwatch',
        ...(links ? { client_url: links.history } : {}),
      },
      { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey },
    ];
  }
  return message.items.map((item) => {
    if (delivery.kind === 'acknowledge')
      return { routing_key: routingKey, event_action: 'acknowledge', dedup_key: item.alert_id };
    if (item.event === 'resolved')
      return { routing_key: routingKey, event_action: 'resolve', dedup_key: item.alert_id };
    return triggerEvent(message, item, routingKey, links);
  });
}

function triggerEvent(
  message: NotificationMessage,
  item: NotificationItem,
  routingKey: string,
  links: NotificationLinks | null,
): PagerdutyEvent {
  const slice = sliceLabel({ sliceKey: item.slice.key, sliceValue: item.slice.value });
  const summary = `${message.model} ${subjectOf(item)}: ${measureText(item)}`;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: item.alert_id,
    payload: {
      summary: summary.length > SUMMARY_LIMIT ? `${summary.slice(0, SUMMARY_LIMIT - 1)}…` : summary,
      source: message.model,
      severity: pagerdutySeverity(item),
      // When driftwatch detected it: the end of the window that breached.
      timestamp: message.window.end,
      // The part of the model that is broken: the feature (none for a model-level check).
      ...(item.feature ? { component: item.feature } : {}),
      group: slice,
      class: item.metric,
      custom_details: {
        alert_id: item.alert_id,
        event: item.event,
        monitor: message.monitor,
        check: item.check,
        metric: item.metric,
        feature: item.feature || '(model)',
        slice,
        status: item.status,
        value: item.value,
        ...(item.value_lower !== null && item.value_upper !== null
          ? { exact_value_in: [item.value_lower, item.value_upper] }
          : {}),
        threshold: thresholdOf(item),
        ...(item.p_value !== null ? { p_value: item.p_value } : {}),
        ...(item.adjusted_p_value !== null ? { adjusted_p_value: item.adjusted_p_value } : {}),
        ...(item.effect !== null ? { effect: item.effect, min_effect: item.min_effect } : {}),
        n_reference: item.n_reference,
        n_current: item.n_current,
        window: `${message.window.start} .. ${message.window.end}`,
        baseline: `${message.baseline.name} v${message.baseline.version}`,
        consecutive_windows: item.consecutive_windows,
        since: item.since,
        episode: item.episode,
        ...(item.note ? { note: item.note } : {}),
      },
    },
    client: 'driftwatch',
    ...(links
      ? {
          client_url: links.history,
          links: [
            { href: links.alert(item.alert_id), text: 'Why it fired: the alert in driftwatch' },
            { href: links.history, text: `${message.model}: drift history` },
          ],
        }
      : {}),
  };
}
