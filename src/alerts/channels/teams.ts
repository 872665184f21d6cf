import { renderTeamsMessage } from '../render/teams.js';
import type { NotificationLinks } from '../render/text.js';
import type { TeamsTarget } from '../secrets.js';
import { failure, type Delivery, type NotificationChannel } from './channel.js';
import type { MonitorAccess } from '../../monitors/monitorAccess.js';
import type { ResolveHost } from './guardedRequest.js';
import { postWithinMonitorAccess, sendJson, type PostJson } from './httpPost.js';

export interface TeamsChannelOptions {
  /** The channel's webhook, its URL from the environment; null: no longer declared. */
  resolve: (monitor: string, name: string) => TeamsTarget | { missing: string } | null;
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
      const target = options.resolve(delivery.monitor, delivery.target);
      if (target === null)
        return failure(`${what} is no longer declared by monitor ${delivery.monitor}`, false);
      if ('missing' in target) return failure(`${what}: ${target.missing}`, false);
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
