/**
 * Exponential backoff, shared by alert deliveries, the wait for the store at start-up and
 * the Kafka consumer's insert retries.
 */
export interface Backoff {
  /** The first retry waits about this long; each further one twice as long ... */
  baseDelayMs: number;
  /** ... up to this. */
  maxDelayMs: number;
}

/**
 * The pause after the `failedAttempt`-th failure (from 1), with "equal jitter": half the
 * exponential delay, plus a random part of the other half, so clients that failed together
 * do not all come back at once. Pure: the random source is passed in.
 */
export function equalJitterDelayMs(
  failedAttempt: number,
  backoff: Backoff,
  random: () => number,
): number {
  const exponential = Math.min(
    backoff.maxDelayMs,
    backoff.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1),
  );
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
