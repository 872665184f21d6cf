import { sliceLabel } from '../identity.js';
import type { NotificationItem, NotificationMessage } from '../notification.js';
import {
  formatNumber,
  measureText,
  subjectOf,
  thresholdOf,
  windowText,
  type NotificationLinks,
} from './text.js';

/**
 * Prometheus Alertmanager's `POST /api/v2/alerts` body (postableAlerts in its OpenAPI): one
 * alert per driftwatch alert, identified by its labels, which are stable and few (model,
 * monitor, check, feature, slice, severity), so Alertmanager's grouping, inhibition and
 * silences match on them; the facts that change every window go in annotations. As
 * Prometheus does, a firing alert carries endsAt a few evaluation intervals ahead and is
 * sent again every run; a resolved one carries the time it resolved. Pure.
 */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface AlertmanagerOptions {
  links: NotificationLinks | null;
  /** When the request is made: firing alerts end `validForMs` after it unless sent again. */
  now: Date;
  validForMs: number;
}

/** "null_rate" → "DriftwatchNullRate": Prometheus alert names are CamelCase. */
export function alertNameOf(metric: string): string {
  const words = metric.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return `Driftwatch${words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')}`;
}

/** Prometheus spells the lower level `warning`; routes and inhibit rules in the wild match it. */
export function alertmanagerSeverity(severity: 'warn' | 'critical'): string {
  return severity === 'critical' ? 'critical' : 'warning';
}

export function alertLabels(
  message: Pick<NotificationMessage, 'model' | 'monitor'>,
  item: NotificationItem,
  severity = item.severity,
): Record<string, string> {
  return {
    alertname: alertNameOf(item.metric),
    model: message.model,
    monitor: message.monitor,
    check: item.check,
    // A model-level check has no feature: the label is left out, as Prometheus drops empty ones.
    ...(item.feature ? { feature: item.feature } : {}),
    slice: sliceLabel({ sliceKey: item.slice.key, sliceValue: item.slice.value }),
    severity: alertmanagerSeverity(severity),
  };
}

export function alertmanagerAlerts(
  message: NotificationMessage,
  options: AlertmanagerOptions,
): PostableAlert[] {
  const now = options.now.toISOString();
  const validUntil = new Date(options.now.getTime() + options.validForMs).toISOString();
  const generator = options.links ? { generatorURL: options.links.history } : {};
  if (message.type === 'test') {
    return [
      {
        labels: {
          alertname: 'DriftwatchTest',
          model: message.model,
          monitor: message.monitor,
          severity: 'info',
        },
        annotations: {
          summary: `a test alert from driftwatch: the route to Alertmanager works (it ends by itself at ${validUntil})`,
        },
        startsAt: now,
        endsAt: validUntil,
        ...generator,
      },
    ];
  }
  return message.items.flatMap((item) => {
    const startsAt = item.fired_at ?? item.since ?? message.window.end;
    const resolvedAt = item.resolved_at ?? message.window.end;
    const alert: PostableAlert = {
      labels: alertLabels(message, item),
      annotations: annotationsOf(message, item, options.links),
      startsAt,
      endsAt: item.event === 'resolved' ? resolvedAt : validUntil,
      ...generator,
    };
    if (item.event !== 'escalated') return [alert];
    // The severity is a label, so an escalation is a new alert: the warning one ends now,
    // in the same request, and Alertmanager's group notification shows both.
    const ended: PostableAlert = {
      ...alert,
      labels: alertLabels(message, item, 'warn'),
      endsAt: message.window.end,
    };
    return [ended, alert];
  });
}

function annotationsOf(
  message: NotificationMessage,
  item: NotificationItem,
  links: NotificationLinks | null,
): Record<string, string> {
  const threshold = thresholdOf(item);
  const resolved = item.event === 'resolved';
  const windows = `${item.consecutive_windows} ${resolved ? 'clear' : 'breaching'} window(s)`;
  return {
    summary: `${message.model} ${subjectOf(item)}: ${measureText(item)}`,
    description: [
      `${item.metric} on ${item.feature || 'the whole model'} in slice ${sliceLabel({ sliceKey: item.slice.key, sliceValue: item.slice.value })}`,
      `window ${windowText(message)}`,
      `baseline ${message.baseline.name} v${message.baseline.version}`,
      `${windows}${item.since ? ` since ${item.since}` : ''}`,
      ...(item.note ? [item.note] : []),
    ].join('; '),
    status: item.status,
    value: formatNumber(item.value),
    ...(threshold !== null ? { threshold: formatNumber(threshold) } : {}),
    ...(item.value_lower !== null && item.value_upper !== null
      ? { exact_value_in: `[${formatNumber(item.value_lower)}, ${formatNumber(item.value_upper)}]` }
      : {}),
    ...(item.p_value !== null
      ? { p_value: formatNumber(item.adjusted_p_value ?? item.p_value) }
      : {}),
    window_start: message.window.start,
    window_end: message.window.end,
    alert_id: item.alert_id,
    ...(links ? { explanation_url: links.alert(item.alert_id) } : {}),
  };
}
