import type {
  AlertGrouping,
  AlertRoutePlan,
  ReceiverPlans,
  Severity,
  WebhookPlan,
} from '../monitors/plan.js';
import type { Notice, WindowOutcome } from './advanceWindow.js';
import { digest } from './identity.js';
import { severityAtLeast, type Alert } from './lifecycle.js';
import { messageOf, type NotificationMessage, type RunInfo } from './notification.js';

export type Channel = 'slack' | 'email' | 'webhook' | 'pagerduty' | 'teams' | 'alertmanager';
export type NotificationKind = 'digest' | 'alert' | 'trigger' | 'resolved' | 'acknowledge' | 'test';

/**
 * Where a route sends: one Slack channel, one list of recipients, one named webhook, or one
 * named receiver (a PagerDuty integration, a Teams channel, an Alertmanager).
 */
export interface Destination {
  key: string;
  channel: Channel;
  /** The Slack channel, the recipients joined by ", ", or the webhook's or receiver's name. */
  target: string;
  minSeverity: Severity;
  grouping: AlertGrouping;
  webhook: WebhookPlan | null;
}

/** A row of the outbox: one message to one destination. */
export interface OutboxNotification {
  id: string;
  destination: string;
  channel: Channel;
  kind: NotificationKind;
  monitor: string;
  model: string;
  severity: Severity | '';
  windowStart: Date;
  windowEnd: Date;
  alertIds: string[];
  events: string[];
  message: NotificationMessage;
}

/** The channel's target from a destination key: `email:a@x,b@y` → "a@x, b@y". */
export function targetOf(destination: string): string {
  const target = destination.slice(destination.indexOf(':') + 1);
  return destination.startsWith('email:') ? target.split(',').join(', ') : target;
}

export function destinationsOf(
  routes: readonly AlertRoutePlan[],
  webhooks: Readonly<Record<string, WebhookPlan>>,
  receivers?: ReceiverPlans,
): Destination[] {
  return routes.flatMap((route) => {
    const common = { minSeverity: route.severity, grouping: route.grouping };
    const out: Destination[] = [];
    if (route.slack !== null)
      out.push({
        key: `slack:${route.slack}`,
        channel: 'slack',
        target: route.slack,
        webhook: null,
        ...common,
      });
    if (route.email.length > 0) {
      const recipients = [...new Set(route.email)].sort();
      out.push({
        key: `email:${recipients.join(',')}`,
        channel: 'email',
        target: recipients.join(', '),
        webhook: null,
        ...common,
      });
    }
    if (route.webhook !== null) {
      const webhook = webhooks[route.webhook] ?? null;
      if (webhook)
        out.push({
          key: `webhook:${route.webhook}`,
          channel: 'webhook',
          target: route.webhook,
          webhook,
          ...common,
        });
    }
    for (const channel of ['pagerduty', 'teams', 'alertmanager'] as const) {
      const name = route[channel];
      if (name !== null && receivers?.[channel][name])
        out.push({ key: `${channel}:${name}`, channel, target: name, webhook: null, ...common });
    }
    return out;
  });
}

export interface RoutingContext {
  run: RunInfo;
  destinations: readonly Destination[];
  /** The window end of each webhook's last trigger for this monitor (min_interval). */
  lastTriggers: ReadonlyMap<string, Date>;
  /** Per webhook, the alerts it was triggered with and when (for resolutions). */
  triggered?: ReadonlyMap<string, ReadonlyMap<string, Date>>;
  /**
   * The monitor's alerts still firing after this window that have been announced and are not
   * silenced: Alertmanager is told of each again every run, or it would end them itself.
   */
  firing?: readonly Alert[];
}

/**
 * A run's notices, turned into outbox rows: per destination, one digest per severity (the
 * group is the model and severity, as Alertmanager's group_by), or one message per alert
 * and event; webhooks by their own firing policy. Ids are derived from the destination,
 * the alert(s), the event(s) and the window, so the same run always yields the same rows.
 */
export function routeNotices(
  outcome: WindowOutcome,
  context: RoutingContext,
): OutboxNotification[] {
  const rows = new Map<string, OutboxNotification>();
  for (const destination of context.destinations) {
    const produced = routeTo(outcome, destination, context);
    for (const row of produced) rows.set(row.id, row);
  }
  return [...rows.values()];
}

function routeTo(
  outcome: WindowOutcome,
  destination: Destination,
  context: RoutingContext,
): OutboxNotification[] {
  switch (destination.channel) {
    case 'webhook':
      return routeWebhook(outcome, destination, context);
    case 'pagerduty':
      return routePagerduty(outcome, destination, context.run);
    case 'alertmanager':
      return routeAlertmanager(outcome, destination, context);
    default:
      return routeMessages(outcome.notices, destination, context.run);
  }
}

function routeMessages(
  notices: readonly Notice[],
  destination: Destination,
  run: RunInfo,
): OutboxNotification[] {
  const wanted = notices.filter((notice) =>
    severityAtLeast(notice.alert.severity ?? 'warn', destination.minSeverity),
  );
  if (destination.grouping === 'per_alert') {
    return wanted.map((notice) =>
      row(
        destination,
        'alert',
        run,
        notice.alert.severity ?? 'warn',
        [notice],
        ['alert', destination.key, notice.alert.alertId, notice.kind, run.windowEnd.toISOString()],
      ),
    );
  }
  return (['critical', 'warn'] as const).flatMap((severity) => {
    const group = wanted.filter((notice) => (notice.alert.severity ?? 'warn') === severity);
    if (group.length === 0) return [];
    const members = group.map((notice) => `${notice.alert.alertId}:${notice.kind}`).sort();
    return [
      row(destination, 'digest', run, severity, group, [
        'digest',
        destination.key,
        run.monitor,
        run.windowEnd.toISOString(),
        severity,
        ...members,
      ]),
    ];
  });
}

/**
 * A webhook is a retraining trigger: it is called when an alert of its severities, firing
 * and breaching for at least `after_windows` consecutive windows, has something new to say
 * (it fired, escalated, is due a repeat, or has just reached `after_windows`) — and at most
 * once per `min_interval` for the monitor. The call lists every alert that qualifies.
 */
function routeWebhook(
  outcome: WindowOutcome,
  destination: Destination,
  context: RoutingContext,
): OutboxNotification[] {
  const webhook = destination.webhook;
  if (!webhook) return [];
  const policy = webhook.policy;
  const run = context.run;
  const accepts = (alert: Alert) =>
    alert.severity !== null &&
    policy.severities.includes(alert.severity) &&
    severityAtLeast(alert.severity, destination.minSeverity);
  const qualifying = outcome.breaching.filter(
    (alert) => accepts(alert) && alert.breachingWindows >= policy.afterWindows,
  );
  const noticed = new Map(outcome.notices.map((notice) => [notice.alert.alertId, notice]));
  const news = qualifying.filter(
    (alert) => noticed.has(alert.alertId) || alert.breachingWindows === policy.afterWindows,
  );
  const out: OutboxNotification[] = [];
  const last = context.lastTriggers.get(destination.key);
  const allowed =
    !last || run.windowEnd.getTime() - last.getTime() >= Math.max(policy.minIntervalMs, 1);
  if (news.length > 0 && allowed) {
    const notices: Notice[] = qualifying.map((alert) => ({
      alert,
      kind: noticed.get(alert.alertId)?.kind ?? 'firing',
    }));
    const severity = qualifying.some((alert) => alert.severity === 'critical')
      ? 'critical'
      : 'warn';
    out.push(
      row(destination, 'trigger', run, severity, notices, [
        'trigger',
        destination.key,
        run.monitor,
        run.windowEnd.toISOString(),
      ]),
    );
  }
  if (policy.sendResolved) {
    // Only resolutions of alerts this webhook was triggered with, in their episode.
    const told = context.triggered?.get(destination.key);
    const resolved = outcome.notices.filter((notice) => {
      const at = told?.get(notice.alert.alertId);
      return (
        notice.kind === 'resolved' &&
        at !== undefined &&
        notice.alert.since !== null &&
        at.getTime() >= notice.alert.since.getTime()
      );
    });
    if (resolved.length > 0) {
      const severity = resolved.some((n) => n.alert.severity === 'critical') ? 'critical' : 'warn';
      out.push(
        row(destination, 'resolved', run, severity, resolved, [
          'resolved',
          destination.key,
          run.monitor,
          run.windowEnd.toISOString(),
        ]),
      );
    }
  }
  return out;
}

/**
 * The resolutions a stateful receiver (PagerDuty, Alertmanager) must hear: every alert of
 * the route's severity that resolved in this window after it was announced, whether or not
 * a notice went out (send_resolved: false, a silence): its incident or alert is open there
 * until told, and `send_resolved` is about telling people, which those tools do themselves.
 */
function resolutionsFor(outcome: WindowOutcome, destination: Destination): Notice[] {
  return outcome.events
    .filter(
      (event) =>
        event.event === 'resolved' &&
        event.alert.lastNotifiedAt !== null &&
        severityAtLeast(event.alert.severity ?? 'warn', destination.minSeverity),
    )
    .map((event) => ({ alert: event.alert, kind: 'resolved' as const }));
}

/**
 * PagerDuty: one event per alert, its dedup_key the alert id, so PagerDuty holds one alert
 * per driftwatch alert. Firing, escalation and repeats trigger (a repeat re-opens an alert
 * someone resolved in PagerDuty while it still breaches, as Alertmanager's PagerDuty
 * integration does); a resolution resolves. Acknowledgements come from `alerts ack`
 * (operatorActions), not from a run.
 */
function routePagerduty(
  outcome: WindowOutcome,
  destination: Destination,
  run: RunInfo,
): OutboxNotification[] {
  const triggers = outcome.notices.filter(
    (notice) =>
      notice.kind !== 'resolved' &&
      severityAtLeast(notice.alert.severity ?? 'warn', destination.minSeverity),
  );
  const at = run.windowEnd.toISOString();
  return [
    ...triggers.map((notice) =>
      row(
        destination,
        'alert',
        run,
        notice.alert.severity ?? 'warn',
        [notice],
        ['pagerduty', destination.key, notice.alert.alertId, notice.kind, at],
      ),
    ),
    ...resolutionsFor(outcome, destination).map((notice) =>
      row(
        destination,
        'resolved',
        run,
        notice.alert.severity ?? 'warn',
        [notice],
        ['pagerduty', destination.key, notice.alert.alertId, 'resolved', at],
      ),
    ),
  ];
}

/**
 * Alertmanager: one POST per run with the whole picture, as Prometheus sends it: every alert
 * of the monitor still firing (its notices, and the announced ones with nothing new, sent as
 * "still firing" so Alertmanager does not end them), and this window's resolutions. The
 * receiver deduplicates by label set and does its own grouping, repeats and inhibition.
 */
function routeAlertmanager(
  outcome: WindowOutcome,
  destination: Destination,
  context: RoutingContext,
): OutboxNotification[] {
  const wanted = (notice: Notice) =>
    severityAtLeast(notice.alert.severity ?? 'warn', destination.minSeverity);
  const firing = outcome.notices.filter((notice) => notice.kind !== 'resolved');
  const noticed = new Set(firing.map((notice) => notice.alert.alertId));
  const resolved = resolutionsFor(outcome, destination);
  const gone = new Set(resolved.map((notice) => notice.alert.alertId));
  const still: Notice[] = (context.firing ?? [])
    .filter((alert) => !noticed.has(alert.alertId) && !gone.has(alert.alertId))
    .map((alert) => ({ alert, kind: 'repeated' }));
  const notices = [...firing, ...still].filter(wanted).concat(resolved);
  if (notices.length === 0) return [];
  const severity = notices.some((notice) => notice.alert.severity === 'critical')
    ? 'critical'
    : 'warn';
  return [
    row(destination, 'digest', context.run, severity, notices, [
      'alertmanager',
      destination.key,
      context.run.monitor,
      context.run.windowEnd.toISOString(),
    ]),
  ];
}

/**
 * `alerts ack` told PagerDuty: an `acknowledge` event for the alert, to each PagerDuty
 * destination that was sent its trigger this episode. Ordered after that trigger (its window
 * is the alert's latest), and keyed by (destination, alert, episode): acknowledging twice
 * writes the same row.
 */
export function acknowledgementNotification(alert: Alert, destination: string): OutboxNotification {
  const at = alert.lastWindowEnd ?? new Date(0);
  const run: RunInfo = {
    monitor: alert.monitor,
    model: alert.model,
    windowStart: at,
    windowEnd: at,
    monitorHash: '',
    baseline: '',
    baselineVersion: 0,
  };
  const notice: Notice = { alert, kind: 'repeated' };
  const message = messageOf(run, alert.severity, [notice]);
  return {
    id: `msg_${digest(['acknowledge', destination, alert.alertId, String(alert.episode)])}`,
    destination,
    channel: 'pagerduty',
    kind: 'acknowledge',
    monitor: alert.monitor,
    model: alert.model,
    severity: alert.severity ?? 'warn',
    windowStart: at,
    windowEnd: at,
    alertIds: [alert.alertId],
    events: ['acknowledged'],
    message,
  };
}

function row(
  destination: Destination,
  kind: NotificationKind,
  run: RunInfo,
  severity: Severity,
  notices: readonly Notice[],
  idParts: string[],
): OutboxNotification {
  const message = messageOf(run, severity, notices);
  return {
    id: `msg_${digest(idParts)}`,
    destination: destination.key,
    channel: destination.channel,
    kind,
    monitor: run.monitor,
    model: run.model,
    severity,
    windowStart: run.windowStart,
    windowEnd: run.windowEnd,
    alertIds: message.items.map((item) => item.alert_id),
    events: message.items.map((item) => item.event),
    message,
  };
}
