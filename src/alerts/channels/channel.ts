import { redactSecrets } from '../../observability/logger.js';
import type { OutboxChannel } from '../../store/outbox.js';
import type { NotificationMessage } from '../notification.js';

/** One notification on its way to one destination. */
export interface Delivery {
  id: string;
  kind: string;
  channel: OutboxChannel;
  /** The Slack channel, the recipients ("a@x, b@y"), or the webhook's name. */
  target: string;
  monitor: string;
  model: string;
  message: NotificationMessage;
}

/**
 * How an attempt went. A failure says whether trying again can help (a timeout, a 5xx, a
 * rate limit) or not (a refused token, an unknown channel, a 4xx): the delivery loop retries
 * only the first kind.
 */
export type SendOutcome =
  | { ok: true; responseStatus: number | null }
  | {
      ok: false;
      retriable: boolean;
      error: string;
      responseStatus: number | null;
      /** The server said when to come back (Slack's Retry-After). */
      retryAfterMs?: number;
    };

export interface NotificationChannel {
  send(delivery: Delivery): Promise<SendOutcome>;
  close?(): Promise<void>;
}

export type Channels = Record<OutboxChannel, NotificationChannel>;

export function failure(
  error: string,
  retriable: boolean,
  extra: { responseStatus?: number | null; retryAfterMs?: number } = {},
): SendOutcome {
  return {
    ok: false,
    retriable,
    // Errors are stored and shown: no secret may ride along in a server's echo.
    error: redactSecrets(error).slice(0, 500),
    responseStatus: extra.responseStatus ?? null,
    ...(extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
  };
}

/** A channel with no configuration: every delivery fails for good, saying what to set. */
export function unconfiguredChannel(what: string): NotificationChannel {
  return { send: async () => failure(`${what} is not configured`, false) };
}

/** Races a send against the channel's timeout (for clients without their own). */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
