import { renderTeamsMessage } from '../render/teams.js';
import type { TeamsTarget } from '../secrets.js';
import type { Delivery, NotificationChannel } from './channel.js';
import {
  postWithinMonitorAccess,
  receiverOf,
  sendJson,
  type ReceiverChannelOptions,
} from './httpPost.js';

export type TeamsChannelOptions = ReceiverChannelOptions<TeamsTarget>;

/**
 * Microsoft Teams through a Workflows webhook: one POST per notification carrying an
 * Adaptive Card. Workflows answers 202 once it has the request; 429 and 5xx are retried.
 * Teams has no idempotency key: a card resent after a crash between send and record shows
 * twice. The URL (a secret: it carries its signature) is never quoted in an error.
 */
export function createTeamsChannel(options: TeamsChannelOptions): NotificationChannel {
  const post =
    options.post ??
    postWithinMonitorAccess(options.access, {
      resolveHost: options.resolveHost,
      secretQuery: true,
    });
  const now = options.now ?? (() => new Date());
  return {
    async send(delivery: Delivery) {
      const what = `Teams "${delivery.target}"`;
      const receiver = receiverOf(options, delivery, what);
      if ('outcome' in receiver) return receiver.outcome;
      const { target } = receiver;
      const body = renderTeamsMessage(delivery.message, options.links(delivery.model));
      return sendJson(
        post,
        {
          url: target.url,
          headers: { 'content-type': 'application/json', 'user-agent': 'driftwatch' },
          body: JSON.stringify(body),
          timeoutMs: options.timeoutMs,
        },
        what,
        now,
      );
    },
  };
}
