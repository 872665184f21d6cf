import { pagerdutyEvents } from '../render/pagerduty.js';
import type { NotificationLinks } from '../render/text.js';
import type { PagerdutyTarget } from '../secrets.js';
import { failure, type Delivery, type NotificationChannel } from './channel.js';
import type { MonitorAccess } from '../../monitors/monitorAccess.js';
import type { ResolveHost } from './guardedRequest.js';
import { postWithinMonitorAccess, sendJson, type PostJson } from './httpPost.js';

export interface PagerdutyChannelOptions {
  /** The integration a delivery goes to, with its routing key; null: no longer declared. */
  resolve: (monitor: string, name: string) => PagerdutyTarget | { missing: string } | null;
  timeoutMs: number;
  /** Links for the model, or null when the service's public URL is not configured. */
  links: (model: string) => NotificationLinks | null;
  /** What monitor files may reach (config.alerts.monitorAccess): checked before each request. */
  access: MonitorAccess;
  /** Resolves host names at connect time (tests stand in for DNS); default: the system's. */
  resolveHost?: ResolveHost;
  /** Replaces the guarded POST (tests). */
  post?: PostJson;
  now?: () => Date;
}

/**
 * PagerDuty's Events API v2: `POST /v2/enqueue`, one event per driftwatch alert, its
 * dedup_key the alert id. PagerDuty answers 202 when it has the event; a 400 is final (the
 * event is invalid: its reason is kept); 429 and 5xx are retried with backoff, as its
 * documentation says. A resent event (after a crash between send and record) carries the
 * same dedup_key and action, so PagerDuty applies it to the same alert: no second incident.
 */
export function createPagerdutyChannel(options: PagerdutyChannelOptions): NotificationChannel {
  const post =
    options.post ??
    postWithinMonitorAccess(options.access, {
      resolveHost: options.resolveHost,
    });
  const now = options.now ?? (() => new Date());
  return {
    async send(delivery: Delivery) {
      const what = `PagerDuty "${delivery.target}"`;
      const target = options.resolve(delivery.monitor, delivery.target);
      if (target === null)
        return failure(`${what} is no longer declared by monitor ${delivery.monitor}`, false);
      if ('missing' in target) return failure(`${what}: ${target.missing}`, false);
      const events = pagerdutyEvents(delivery, target.routingKey, options.links(delivery.model));
      let status: number | null = null;
      for (const event of events) {
        const outcome = await sendJson(
          post,
          {
            url: target.url,
            headers: { 'content-type': 'application/json', 'user-agent': 'driftwatch' },
            body: JSON.stringify(event),
            timeoutMs: options.timeoutMs,
          },
          what,
          now,
        );
        if (!outcome.ok) return outcome;
        status = outcome.responseStatus;
      }
      return { ok: true, responseStatus: status };
    },
  };
}
