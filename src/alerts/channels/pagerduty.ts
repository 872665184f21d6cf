import { pagerdutyEvents } from '../render/pagerduty.js';
import type { PagerdutyTarget } from '../secrets.js';
import type { Delivery, NotificationChannel } from './channel.js';
import {
  postWithinMonitorAccess,
  receiverOf,
  sendJson,
  type ReceiverChannelOptions,
} from './httpPost.js';

export type PagerdutyChannelOptions = ReceiverChannelOptions<PagerdutyTarget>;

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
      const receiver = receiverOf(options, delivery, what);
      if ('outcome' in receiver) return receiver.outcome;
      const { target } = receiver;
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
