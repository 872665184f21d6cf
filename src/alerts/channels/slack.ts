import type { LogLevel, Logger as SlackLogger, WebClient } from '@slack/web-api';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { renderSlackMessage } from '../render/slack.js';
import type { NotificationLinks } from '../render/text.js';
import { failure, unconfiguredChannel, withTimeout, type NotificationChannel } from './channel.js';

export interface SlackChannelOptions {
  /** The bot token (SLACK_BOT_TOKEN); null: Slack routes fail, saying so. */
  token: string | null;
  /** Slack's Web API (tests point it at a local server). */
  apiUrl: string;
  timeoutMs: number;
  links: (model: string) => NotificationLinks;
  logger: Logger;
}

// Errors that no retry can fix: the token, the channel or the message is wrong.
const PERMANENT = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'no_text',
  'restricted_action',
  'invalid_arguments',
]);

/**
 * Slack through @slack/web-api's chat.postMessage. The client's own retries are off and a
 * rate limit is returned rather than waited out inside the client: the delivery loop owns
 * retries (and their record in the outbox), and schedules the next attempt at Retry-After.
 */
export function createSlackChannel(options: SlackChannelOptions): NotificationChannel {
  const token = options.token;
  if (!token) return unconfiguredChannel('Slack (SLACK_BOT_TOKEN)');
  // the library is loaded at the first message (~0.07 s of CPU that a command sending
  // nothing, such as `driftwatch run`, skips)
  let loaded: Promise<{ slack: SlackModule; client: WebClient }> | undefined;
  const clientOf = async () => {
    const slack = await import('@slack/web-api');
    const client = new slack.WebClient(token, {
      slackApiUrl: options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs,
      logger: slackLogger(options.logger, slack.LogLevel.WARN),
      logLevel: slack.LogLevel.WARN,
    });
    return { slack, client };
  };
  return {
    async send(delivery) {
      const { text, blocks } = renderSlackMessage(delivery.message, options.links(delivery.model));
      let slack: SlackModule | undefined;
      try {
        loaded ??= clientOf();
        const opened = await loaded;
        slack = opened.slack;
        const client = opened.client;
        await withTimeout(
          client.chat.postMessage({
            channel: delivery.target,
            text,
            blocks,
            unfurl_links: false,
            unfurl_media: false,
          }),
          options.timeoutMs + 1000,
          'Slack chat.postMessage',
        );
        return { ok: true, responseStatus: 200 };
      } catch (error) {
        return slackFailure(error, slack);
      }
    },
  };
}

type SlackModule = typeof import('@slack/web-api');

function slackFailure(error: unknown, slack: SlackModule | undefined) {
  if (!slack) return failure(`Slack: ${errorMessage(error)}`, true);
  const { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } =
    slack;
  if (error instanceof WebAPIRateLimitedError)
    return failure(`Slack rate limit: retry after ${error.retryAfter} s`, true, {
      responseStatus: 429,
      retryAfterMs: error.retryAfter * 1000,
    });
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    return failure(`Slack refused the message: ${code}`, !PERMANENT.has(code), {
      responseStatus: 200,
    });
  }
  if (error instanceof WebAPIHTTPError)
    return failure(
      `Slack answered HTTP ${error.statusCode}`,
      error.statusCode >= 500 || error.statusCode === 408,
      {
        responseStatus: error.statusCode,
      },
    );
  if (error instanceof WebAPIRequestError)
    return failure(`Slack unreachable: ${errorMessage(error.original)}`, true);
  return failure(`Slack: ${errorMessage(error)}`, true);
}

/** The client's own log lines go to ours (at warn and above), never with the token. */
function slackLogger(logger: Logger, warn: LogLevel): SlackLogger {
  let level = warn;
  const text = (parts: unknown[]) =>
    parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...parts: unknown[]) => logger.warn({ stage: 'alerts', channel: 'slack' }, text(parts)),
    error: (...parts: unknown[]) =>
      logger.error({ stage: 'alerts', channel: 'slack' }, text(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
