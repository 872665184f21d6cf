import { equalJitterDelayMs, type Backoff } from '../backoff.js';

/** How long to wait before the next delivery attempt. Pure: the random source is passed in. */
export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included; after the last failure a notification is dead. */
  maxAttempts: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay, plus a random part of
 * the other half, so receivers that failed together do not all come back at once. A server
 * that said when to come back (Slack's Retry-After) is taken at its word instead.
 */
export function retryDelayMs(
  failedAttempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.ceil(retryAfterMs);
  return equalJitterDelayMs(failedAttempt, policy, random);
}

/** Parses a Retry-After header: delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}
