import { setTimeout as sleep } from 'node:timers/promises';
import { equalJitterDelayMs, type Backoff } from '../backoff.js';
import type { StoreConfig } from '../config/config.js';
import { DriftwatchError, errorMessage } from '../errors.js';
import { redactSecrets, type Logger } from '../observability/logger.js';
import { openStore, storeLocation, StoreError, type Store } from './clickhouse.js';
import { migrate } from './migrate.js';

/**
 * How the service's start-up waits for a ClickHouse server that does not answer yet (it
 * started after us, it restarts, DNS is not there yet): exponential backoff with equal
 * jitter (src/backoff.ts), so replicas started together do not knock together.
 */
export const STORE_WAIT_BACKOFF: Backoff = { baseDelayMs: 500, maxDelayMs: 15_000 };

/**
 * The pause after the `failedAttempt`-th failure (from 1), `waitedMs` after start-up began
 * to wait: never beyond the deadline; undefined once the deadline has passed. Pure.
 */
export function nextStoreRetryMs(
  failedAttempt: number,
  waitedMs: number,
  deadlineMs: number,
  random: () => number,
): number | undefined {
  const remaining = deadlineMs - waitedMs;
  if (remaining <= 0) return undefined;
  return Math.min(equalJitterDelayMs(failedAttempt, STORE_WAIT_BACKOFF, random), remaining);
}

/** Worth waiting for: the store cannot be reached yet, rather than refusing us or our SQL. */
export function isWorthWaitingFor(error: unknown): boolean {
  // Credentials do not change by waiting (not retriable): start-up fails at once on them.
  return error instanceof StoreError && error.retriable;
}

/** What start-up is doing about its store, for /readyz and the logs. */
export interface StoreWaitStatus {
  store: string;
  attempt: number;
  waitedMs: number;
  retryInMs: number;
  error: string;
}

/** For /readyz while start-up waits: what for, and since when. */
export function describeStoreWait(wait: StoreWaitStatus): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return (
    `waiting for the store at ${wait.store}: attempt ${wait.attempt} failed (${wait.error}); ` +
    `next in ${seconds(wait.retryInMs)}, ${seconds(wait.waitedMs)} waited so far`
  );
}

export interface ConnectStoreOptions {
  logger: Logger;
  /** Told after each failed attempt that will be retried. */
  onWaiting?: (status: StoreWaitStatus) => void;
}

/**
 * The store opened and its schema brought up to date. On a server store (CLICKHOUSE_URL),
 * failures that waiting can mend (connection refused or reset, timeouts, DNS) are retried
 * until `config.waitMs` has passed, each logged as one line; anything else — credentials,
 * a query error, a changed migration — fails at once. The embedded store is opened once:
 * a directory another process holds is reported at once with its holder.
 */
export async function connectStore(
  config: StoreConfig,
  options: ConnectStoreOptions,
): Promise<Store> {
  if (config.kind === 'embedded') return openAndMigrate(config, options.logger);
  const where = storeLocation(config);
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await openAndMigrate(config, options.logger);
    } catch (error) {
      if (!isWorthWaitingFor(error)) throw error;
      const waitedMs = Date.now() - started;
      const retryInMs = nextStoreRetryMs(attempt, waitedMs, config.waitMs, Math.random);
      const message = redactSecrets(errorMessage(error));
      if (retryInMs === undefined) throw storeNeverAnswered(where, attempt, config.waitMs, error);
      const status = { store: where, attempt, waitedMs, retryInMs, error: message };
      options.logger.warn(
        {
          stage: 'store',
          store: where,
          attempt,
          retry_in_ms: retryInMs,
          waited_ms: waitedMs,
          deadline_ms: config.waitMs,
          error: message,
        },
        'the store does not answer yet: start-up waits for it',
      );
      options.onWaiting?.(status);
      await sleep(retryInMs);
    }
  }
}

async function openAndMigrate(config: StoreConfig, logger: Logger): Promise<Store> {
  const store = await openStore(config, { logger });
  try {
    await migrate(store);
    return store;
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

function storeNeverAnswered(
  where: string,
  attempts: number,
  waitMs: number,
  error: unknown,
): Error {
  // DRIFTWATCH_STORE_WAIT_SECONDS=0: the store's own error, as before there was a wait.
  if (waitMs === 0) return error as Error;
  const plural = attempts === 1 ? '' : 's';
  return new DriftwatchError(
    'DW_STORE',
    `the ClickHouse store at ${where} did not answer within ${waitMs / 1000} s ` +
      `(DRIFTWATCH_STORE_WAIT_SECONDS, ${attempts} attempt${plural}); last error: ${redactSecrets(errorMessage(error))}`,
    { cause: error, retriable: true },
  );
}
