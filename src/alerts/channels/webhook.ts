import { errorMessage } from '../../errors.js';
import type { MonitorAccess } from '../../monitors/monitorAccess.js';
import { parseRetryAfter } from '../backoff.js';
import { buildWebhookRequest, type WebhookTarget } from '../render/webhook.js';
import type { NotificationLinks } from '../render/text.js';
import { failure, type Delivery, type NotificationChannel } from './channel.js';
import type { ResolveHost } from './guardedRequest.js';
import { postWithinMonitorAccess, receiverOf, type PostAnswer } from './httpPost.js';

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
      let answer: PostAnswer;
      try {
        answer = await post({
          url: request.url,
          headers: request.headers,
          body: request.body,
          timeoutMs: options.timeoutMs,
        });
      } catch (error) {
        const cause = (error as { code?: string }).code;
        const what =
          (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError'
            ? `timed out after ${options.timeoutMs} ms`
            : (cause ?? errorMessage(error));
        return failure(`webhook "${delivery.target}" unreachable: ${what}`, true);
      }
      if (answer.kind === 'refused')
        return failure(`webhook "${delivery.target}" refused: ${answer.reason}`, false);
      const status = answer.status;
      if (status >= 200 && status < 300) return { ok: true, responseStatus: status };
      if (status === 409 && request.conflictMeansDelivered)
        return { ok: true, responseStatus: status };
      if (status >= 300 && status < 400)
        return failure(
          `webhook "${delivery.target}" answered HTTP ${status}: redirects are not followed`,
          false,
          { responseStatus: status },
        );
      const retriable = status === 408 || status === 429 || status >= 500;
      const retryAfterMs = retriable
        ? parseRetryAfter(answer.header('retry-after'), now())
        : undefined;
      return failure(`webhook "${delivery.target}" answered HTTP ${status}`, retriable, {
        responseStatus: status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    },
  };
}
