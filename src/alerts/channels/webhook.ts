import { errorMessage } from '../../errors.js';
import type { MonitorAccess } from '../../monitors/monitorAccess.js';
import { buildWebhookRequest, type WebhookTarget } from '../render/webhook.js';
import type { NotificationLinks } from '../render/text.js';
import { failure, type Delivery, type NotificationChannel } from './channel.js';
import type { ResolveHost } from './guardedRequest.js';
import { postWithinMonitorAccess, receiverOf, sendJson } from './httpPost.js';

export interface WebhookChannelOptions {
  /** The webhook a delivery goes to, with its secrets or token; null: no longer declared. */
  resolve: (monitor: string, name: string) => WebhookTarget | { missing: string } | null;
  timeoutMs: number;
  links: (model: string) => NotificationLinks;
  /** What monitor files may reach (config.alerts.monitorAccess): checked again before each request. */
  access: MonitorAccess;
  /** How host names are resolved (default: the system's resolver). */
  resolveHost?: ResolveHost;
  now?: () => Date;
}

/**
 * Webhooks over HTTP: a generic POST signed as Standard Webhooks, or a preset's call to
 * GitHub or Airflow, only where monitor files may reach (guardedRequest). 2xx is delivered;
 * 408, 429 and 5xx are retried (Retry-After honoured); any other 4xx, a redirect, and a
 * refused destination are final. The URL is never quoted in an error, only the webhook's
 * name, the status, and the host when that is what was refused.
 */
export function createWebhookChannel(options: WebhookChannelOptions): NotificationChannel {
  const now = options.now ?? (() => new Date());
  const post = postWithinMonitorAccess(options.access, { resolveHost: options.resolveHost });
  return {
    async send(delivery: Delivery) {
      const receiver = receiverOf(options, delivery, `webhook "${delivery.target}"`);
      if ('outcome' in receiver) return receiver.outcome;
      const { target } = receiver;
      let request;
      try {
        request = buildWebhookRequest(delivery, target, {
          links: options.links(delivery.model),
          now: now(),
        });
      } catch (error) {
        return failure(`webhook "${delivery.target}": ${errorMessage(error)}`, false);
      }
      const { url, headers, body } = request;
      const json = { url, headers, body, timeoutMs: options.timeoutMs };
      return sendJson(post, json, `webhook "${delivery.target}"`, now, {
        conflictMeansDelivered: request.conflictMeansDelivered,
        quietBody: true,
      });
    },
  };
}
