import { errorMessage } from '../../errors.js';
import { parseRetryAfter } from '../backoff.js';
import { buildWebhookRequest, type WebhookTarget } from '../render/webhook.js';
import type { NotificationLinks } from '../render/text.js';
import { failure, type Delivery, type NotificationChannel } from './channel.js';

export interface WebhookChannelOptions {
  /** The webhook a delivery goes to, with its secrets or token; null: no longer declared. */
  resolve: (monitor: string, name: string) => WebhookTarget | { missing: string } | null;
  timeoutMs: number;
  links: (model: string) => NotificationLinks;
  now?: () => Date;
}

/**
 * Webhooks over HTTP (fetch): a generic POST signed as Standard Webhooks, or a preset's
 * call to GitHub or Airflow. 2xx is delivered; 408, 429 and 5xx are retried (Retry-After
 * honoured); any other 4xx is final. The URL is never quoted in an error (it may carry a
 * token), only the webhook's name and the status.
 */
export function createWebhookChannel(options: WebhookChannelOptions): NotificationChannel {
  const now = options.now ?? (() => new Date());
  return {
    async send(delivery: Delivery) {
      const target = options.resolve(delivery.monitor, delivery.target);
      if (target === null)
        return failure(
          `webhook "${delivery.target}" is no longer declared by monitor ${delivery.monitor}`,
          false,
        );
      if ('missing' in target)
        return failure(`webhook "${delivery.target}": ${target.missing}`, false);
      let request;
      try {
        request = buildWebhookRequest(delivery, target, {
          links: options.links(delivery.model),
          now: now(),
        });
      } catch (error) {
        return failure(`webhook "${delivery.target}": ${errorMessage(error)}`, false);
      }
      let response: Response;
      try {
        response = await fetch(request.url, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const what =
          (error as Error).name === 'TimeoutError'
            ? `timed out after ${options.timeoutMs} ms`
            : (cause ?? errorMessage(error));
        return failure(`webhook "${delivery.target}" unreachable: ${what}`, true);
      }
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer().catch(() => undefined);
      const status = response.status;
      if (status >= 200 && status < 300) return { ok: true, responseStatus: status };
      if (status === 409 && request.conflictMeansDelivered)
        return { ok: true, responseStatus: status };
      const retriable = status === 408 || status === 429 || status >= 500;
      const retryAfterMs = retriable
        ? parseRetryAfter(response.headers.get('retry-after'), now())
        : undefined;
      return failure(`webhook "${delivery.target}" answered HTTP ${status}`, retriable, {
        responseStatus: status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    },
  };
}
