import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/clickhouse.js';
import { listUndelivered, recordDeliveryAttempt, type OutboxEntry } from '../store/outbox.js';
import { retryDelayMs, type RetryPolicy } from './backoff.js';
import { failure, type Channels, type Delivery, type SendOutcome } from './channels/channel.js';
import type { AlertMetrics } from './metrics.js';
import type { NotificationMessage } from './notification.js';
import { targetOf } from './routing.js';

export interface DeliveryLoopOptions {
  store: Store;
  channels: Channels;
  logger: Logger;
  metrics: AlertMetrics;
  policy: RetryPolicy;
  /** How often the outbox is read when nothing wakes the loop. */
  pollMs: number;
  /** Destinations served at the same time. */
  concurrency?: number;
  /** Only these notifications (`driftwatch alerts test` sends its own and nothing else). */
  only?: (entry: OutboxEntry) => boolean;
  now?: () => Date;
  random?: () => number;
}

export interface DeliveryLoop {
  start(): void;
  /** Something was written to the outbox: look now. */
  wake(): void;
  /** One pass over the outbox: every due notification, each destination in order. */
  runOnce(): Promise<number>;
  /** Passes until the given notifications (or all) are delivered or dead, or the time is up. */
  drain(options?: { ids?: readonly string[]; timeoutMs?: number }): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Sends what the outbox holds. State lives in ClickHouse only: each attempt is recorded
 * after it ends (delivered, retrying with its next time, or dead with the last error), so a
 * restarted process resumes exactly where the last one stopped. A process killed between a
 * send and its record sends that notification again: at least once, with the same id.
 *
 * Each destination receives its notifications in order (by window): the head waits out its
 * backoff before the next is tried, so a resolution never overtakes its firing notice.
 */
export function createDeliveryLoop(options: DeliveryLoopOptions): DeliveryLoop {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const concurrency = options.concurrency ?? 4;
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let pass: Promise<number> | null = null;
  let nextDue: number | null = null;

  async function attempt(entry: OutboxEntry): Promise<'done' | 'waiting'> {
    const number = entry.attempts + 1;
    const started = now();
    const outcome = await send(entry);
    const finished = now();
    const base = {
      outboxId: entry.id,
      attempt: number,
      durationMs: finished.getTime() - started.getTime(),
      attemptedAt: finished,
      responseStatus: outcome.responseStatus,
    };
    if (outcome.ok) {
      await recordDeliveryAttempt(options.store, {
        ...base,
        status: 'delivered',
        error: '',
        nextAttemptAt: null,
      });
      options.metrics.attempt(entry.channel, 'delivered');
      return 'done';
    }
    const context = {
      stage: 'alerts',
      notification: entry.id,
      destination: entry.destination,
      attempt: number,
      reason: outcome.error,
    };
    if (!outcome.retriable || number >= options.policy.maxAttempts) {
      await recordDeliveryAttempt(options.store, {
        ...base,
        status: 'dead',
        error: outcome.error,
        nextAttemptAt: null,
      });
      options.metrics.attempt(entry.channel, 'dead');
      options.logger.error(context, 'notification dead: no further attempts');
      return 'done';
    }
    const delay = retryDelayMs(number, options.policy, random, outcome.retryAfterMs);
    const nextAttemptAt = new Date(finished.getTime() + delay);
    await recordDeliveryAttempt(options.store, {
      ...base,
      status: 'retrying',
      error: outcome.error,
      nextAttemptAt,
    });
    options.metrics.attempt(entry.channel, 'retry');
    options.logger.warn(
      { ...context, retry_in_ms: delay },
      'notification not delivered: will retry',
    );
    noteDue(nextAttemptAt.getTime());
    return 'waiting';
  }

  async function send(entry: OutboxEntry): Promise<SendOutcome> {
    let message: NotificationMessage;
    try {
      message = JSON.parse(entry.message) as NotificationMessage;
    } catch {
      return failure('the stored message is not readable JSON', false);
    }
    const delivery: Delivery = {
      id: entry.id,
      kind: entry.kind,
      channel: entry.channel,
      target: targetOf(entry.destination),
      monitor: entry.monitor,
      model: entry.model,
      message,
    };
    try {
      return await options.channels[entry.channel].send(delivery);
    } catch (error) {
      // A channel bug must not stop the loop: the notification is retried like any failure.
      return failure(`unexpected: ${errorMessage(error)}`, true);
    }
  }

  function noteDue(at: number): void {
    nextDue = nextDue === null ? at : Math.min(nextDue, at);
  }

  async function serveDestination(entries: OutboxEntry[]): Promise<number> {
    let attempted = 0;
    for (const entry of entries) {
      if (entry.nextAttemptAt && entry.nextAttemptAt.getTime() > now().getTime()) {
        noteDue(entry.nextAttemptAt.getTime());
        break;
      }
      attempted += 1;
      if ((await attempt(entry)) === 'waiting') break;
    }
    return attempted;
  }

  async function runPass(): Promise<number> {
    nextDue = null;
    const all = await listUndelivered(options.store);
    const entries = options.only ? all.filter(options.only) : all;
    const byDestination = new Map<string, OutboxEntry[]>();
    for (const entry of entries) {
      const list = byDestination.get(entry.destination) ?? [];
      list.push(entry);
      byDestination.set(entry.destination, list);
    }
    const queues = [...byDestination.values()];
    let attempted = 0;
    const workers = Array.from({ length: Math.min(concurrency, queues.length) }, async () => {
      for (let queue = queues.shift(); queue; queue = queues.shift())
        attempted += await serveDestination(queue);
    });
    await Promise.all(workers);
    return attempted;
  }

  function runOnce(): Promise<number> {
    // One pass at a time: two would send the same notification twice.
    pass ??= runPass().finally(() => {
      pass = null;
    });
    return pass;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function run(): Promise<void> {
    while (running) {
      try {
        await runOnce();
      } catch (error) {
        options.logger.error(
          { stage: 'alerts', reason: errorMessage(error) },
          'outbox pass failed',
        );
      }
      if (!running) break;
      const untilDue = nextDue === null ? options.pollMs : nextDue - now().getTime();
      await sleep(Math.max(10, Math.min(options.pollMs, untilDue)));
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    wake() {
      wakeUp?.();
    },
    runOnce,
    async drain({ ids, timeoutMs = 30_000 } = {}) {
      const deadline = now().getTime() + timeoutMs;
      for (;;) {
        await runOnce();
        const open = (await listUndelivered(options.store)).filter(options.only ?? (() => true));
        const waiting = ids ? open.filter((entry) => ids.includes(entry.id)) : open;
        if (waiting.length === 0) return true;
        if (now().getTime() >= deadline) return false;
        const due = Math.min(...waiting.map((entry) => entry.nextAttemptAt?.getTime() ?? 0));
        await new Promise((resolve) =>
          setTimeout(
            resolve,
            Math.max(10, Math.min(due - now().getTime(), deadline - now().getTime(), 1000)),
          ),
        );
      }
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
      await pass;
    },
  };
}
