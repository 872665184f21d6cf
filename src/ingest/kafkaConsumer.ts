import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload } from 'kafkajs';
import { equalJitterDelayMs, type Backoff } from '../backoff.js';
import type { KafkaConfig } from '../config/config.js';
import { DriftwatchError, errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { refusesAccess, type Store } from '../store/clickhouse.js';
import { createConsumerProgress, type ProgressReport } from './consumerProgress.js';
import type { IngestMetrics } from './metrics.js';
import type { EventKind } from './outcome.js';
import { createEventPipeline, type IncomingMessage, type PipelineOptions } from './pipeline.js';
import { createEventWriter, type EventWriter } from './writer.js';

/**
 * Backoff while ClickHouse refuses inserts: the service's one backoff (equal jitter), so
 * consumers of one group that failed together do not all come back at once.
 */
const INSERT_RETRY: Backoff = { baseDelayMs: 200, maxDelayMs: 10_000 };

export interface KafkaIngestOptions extends KafkaConfig {
  /** Consumer-group timings; the defaults suit a real broker (which refuses < 6 s sessions). */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxWaitTimeInMs?: number;
  /** A fetch waits (up to maxWaitTimeInMs) for this much data: fewer, larger inserts. */
  minBytes?: number;
  maxBytesPerPartition?: number;
  /** Batches of different partitions prepared at once. */
  partitionsConsumedConcurrently?: number;
  /** Messages prepared and not yet written beyond which fetching waits (memory bound). */
  maxPendingMessages?: number;
  pipeline?: Partial<PipelineOptions>;
  /** Lag with no committed progress for this long is a stall (health not ok). */
  stallAfterMs?: number;
  /** How often watermarks and committed offsets are read for lag and stall detection. */
  progressCheckMs?: number;
  /** The process's one writer, shared with HTTP ingest; one of its own when absent. */
  writer?: Pick<EventWriter, 'write' | 'flush'>;
  logger?: Logger;
  /** One-line notices for a terminal (the `ingest` command). */
  log?: (line: string) => void;
}

/** What a readiness check reads: `ok` false while stalled, crashed or stopped. */
export interface IngestHealth {
  ok: boolean;
  detail: string;
}

export interface KafkaIngest {
  readonly consumer: Consumer;
  start(): Promise<void>;
  /** Finishes the batch in hand, commits, and leaves the group. */
  stop(): Promise<void>;
  health(): IngestHealth;
  /** The latest lag and progress per partition this consumer holds. */
  progress(): ProgressReport;
}

/**
 * The one module that knows kafkajs. Each batch goes through the shared pipeline and the
 * process's writer; offsets are committed only after every message of the batch (and of
 * the partition's earlier batches) is in a table: stored, already stored, or
 * dead-lettered. Fetching goes on while batches are written. A failure that is not about content
 * (the store down, a table detached) pauses the consumer, which retries with backoff,
 * heartbeating to keep its partitions, and resumes when the write goes through: nothing
 * is dead-lettered for the store's own trouble. Lag and progress per partition are read
 * from the broker every few seconds; a partition with lag and no progress is a stall.
 */
export function createKafkaIngest(
  store: Store,
  metrics: IngestMetrics,
  options: KafkaIngestOptions,
): KafkaIngest {
  const notice = options.log ?? (() => undefined);
  const logger = options.logger;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeout ?? 30_000,
    heartbeatInterval: options.heartbeatInterval ?? 3_000,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500,
    minBytes: options.minBytes ?? 1024 * 1024,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
  });
  const admin: Admin = kafka.admin();
  const kindByTopic = new Map<string, EventKind>([
    [options.topics.predictions, 'prediction'],
    [options.topics.features, 'feature'],
    [options.topics.labels, 'label'],
  ]);
  const topics = [...kindByTopic.keys()];
  const prepareBatch = createEventPipeline(options.pipeline);
  const writer = options.writer ?? createEventWriter(store, { metrics, logger });
  const stallAfterMs = options.stallAfterMs ?? 60_000;
  const progress = createConsumerProgress({ stallAfterMs });
  let retrying = 0;
  let stopping = false;
  const maxPending = options.maxPendingMessages ?? 50_000;
  let pendingMessages = 0;
  const pendingByPartition = new Map<string, Promise<boolean>>();
  let lastFailure: string | undefined;
  let state: 'stopped' | 'running' | 'crashed' = 'stopped';
  let crash: string | undefined;
  let stalled = false;
  let checkTimer: NodeJS.Timeout | undefined;

  async function writeWithRetry(
    payload: EachBatchPayload,
    write: () => Promise<void>,
  ): Promise<boolean> {
    let failures = 0;
    let waiting = false;
    try {
      for (;;) {
        try {
          await write();
          if (waiting) {
            lastFailure = undefined;
            notice('the store accepts the batch again: resumed');
          }
          return true;
        } catch (error) {
          const retriable = error instanceof DriftwatchError && error.retriable;
          lastFailure = errorMessage(error);
          metrics.recordRetry('kafka');
          if (!waiting) {
            waiting = true;
            retrying += 1;
            if (retrying === 1) consumer.pause(topics.map((topic) => ({ topic })));
            metrics.setConsumerState({ paused: true, stalled });
            // Retriable: the store's own trouble, expected to pass. Not retriable and not
            // about content (a schema mismatch, a bug): nothing to isolate and nothing to
            // drop either — the consumer waits at the longest backoff until it is fixed.
            const why = retriable
              ? 'retriable'
              : refusesAccess(error)
                ? 'the store refuses our credentials: needs an operator'
                : 'not retriable: needs an operator';
            const line = `writing ${payload.batch.topic}/${payload.batch.partition} failed (${why}), paused and retrying: ${lastFailure}`;
            if (retriable) logger?.warn({ err: lastFailure }, line);
            else logger?.error({ err: lastFailure }, line);
            notice(line);
          }
          if (stopping || !payload.isRunning() || payload.isStale()) return false;
          failures += 1;
          await sleep(
            retriable
              ? equalJitterDelayMs(failures, INSERT_RETRY, Math.random)
              : INSERT_RETRY.maxDelayMs,
          );
          await payload.heartbeat().catch(() => undefined);
        }
      }
    } finally {
      if (waiting) {
        retrying -= 1;
        if (retrying === 0) {
          consumer.resume(topics.map((topic) => ({ topic })));
          metrics.setConsumerState({ paused: false, stalled });
        }
      }
    }
  }

  /**
   * Prepares a batch, hands it to the writer and returns without waiting for the insert:
   * the fetcher goes on to the next batches (JavaScript parsing them while the engine
   * inserts on another core). Offsets are committed per partition, in order, once a
   * batch and every earlier one of its partition are written. Pending messages are
   * bounded: past `maxPendingMessages` a batch waits for earlier writes (heartbeating),
   * and kafkajs fetches again only once every batch of its last fetch has returned from
   * here, so memory holds at most the bound, one prepared batch and one fetch. The writer
   * lingers on these batches (larger inserts) until its own count — under this bound — or
   * its time runs out.
   */
  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const messages: IncomingMessage[] = batch.messages.map((message) => ({
      kind: kindByTopic.get(batch.topic),
      payload: message.value ?? Buffer.alloc(0),
      origin: {
        source: 'kafka',
        topic: batch.topic,
        partition: batch.partition,
        offset: Number(message.offset),
      },
    }));
    const prepared = await prepareBatch(messages);
    while (!stopping && pendingMessages > 0 && pendingMessages + messages.length > maxPending) {
      await Promise.race([...pendingByPartition.values(), sleep(500)]);
      await payload.heartbeat().catch(() => undefined);
    }
    // A stop waits only for batches already handed over: this one is left uncommitted
    // (redelivered to the next owner) rather than written after the stop returned.
    if (stopping) return;
    const key = `${batch.topic}/${batch.partition}`;
    const earlier = pendingByPartition.get(key) ?? Promise.resolve(true);
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    pendingMessages += messages.length;
    const task: Promise<boolean> = (async (): Promise<boolean> => {
      try {
        // Lingers (fewer, larger inserts) unless stopping: a stop flushes what waits.
        const written = await writeWithRetry(payload, () =>
          writer.write(prepared, { linger: !stopping }),
        );
        // Stopping or rebalanced: not committed, so redelivered; dedup absorbs it.
        if (!(await earlier) || !written) return false;
        metrics.recordBatch(prepared, 'kafka');
        await commit(batch.topic, batch.partition, next);
        return true;
      } finally {
        pendingMessages -= messages.length;
      }
    })();
    pendingByPartition.set(key, task);
    void task.then(() => {
      if (pendingByPartition.get(key) === task) pendingByPartition.delete(key);
    });
    // The next fetch of this partition starts after this batch; what is committed is not.
    payload.resolveOffset(batch.lastOffset());
  }

  async function commit(topic: string, partition: number, offset: string): Promise<void> {
    try {
      await consumer.commitOffsets([{ topic, partition, offset }]);
      progress.committed(topic, partition, Number(offset));
    } catch (error) {
      // A commit refused during a rebalance means redelivery, which deduplication absorbs.
      logger?.warn(
        { err: errorMessage(error) },
        'offset commit refused: the batch may be redelivered',
      );
    }
  }

  async function checkProgress(): Promise<void> {
    try {
      const watermarks: Record<
        string,
        Record<number, { high: number; low: number; committed: number }>
      > = {};
      const committed = await admin.fetchOffsets({ groupId: options.groupId, topics });
      const committedBy = new Map<string, number>();
      for (const { topic, partitions } of committed) {
        for (const p of partitions) committedBy.set(`${topic}/${p.partition}`, Number(p.offset));
      }
      for (const topic of topics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        watermarks[topic] = Object.fromEntries(
          offsets.map((o) => [
            o.partition,
            {
              high: Number(o.high),
              low: Number(o.low),
              committed: committedBy.get(`${topic}/${o.partition}`) ?? -1,
            },
          ]),
        );
      }
      progress.observe(watermarks);
    } catch (error) {
      logger?.warn({ err: errorMessage(error) }, 'cannot read partition offsets for lag');
    }
    const report = progress.report();
    for (const partition of report.partitions) {
      metrics.recordPartition({
        topic: partition.topic,
        partition: partition.partition,
        lag: partition.lag,
        committedOffset: partition.committed,
        lastProgressMs: partition.lastProgressMs,
      });
    }
    if (report.stalled !== stalled) {
      stalled = report.stalled;
      const line = stalled
        ? `stalled: ${describeStall(report, lastFailure)}`
        : 'making progress again';
      if (stalled) logger?.error({ partitions: report.partitions }, line);
      else logger?.info(line);
      notice(line);
    }
    metrics.setConsumerState({ paused: retrying > 0, stalled });
  }

  return {
    consumer,
    async start() {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const { revoked } = progress.assign(event.payload.memberAssignment);
        for (const [topic, partition] of revoked) metrics.forgetPartition(topic, partition);
      });
      consumer.on(consumer.events.CRASH, (event) => {
        crash = errorMessage(event.payload.error);
        if (!event.payload.restart) state = 'crashed';
        logger?.error({ err: crash, restart: event.payload.restart }, 'Kafka consumer crashed');
      });
      await admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch,
      });
      state = 'running';
      const every = options.progressCheckMs ?? Math.min(5_000, Math.max(100, stallAfterMs / 4));
      checkTimer = setInterval(() => void checkProgress(), every);
      checkTimer.unref();
    },
    async stop() {
      if (checkTimer) clearInterval(checkTimer);
      // Nothing more is fetched; batches being written finish and commit while the consumer
      // is still in its group (kafkajs refuses commits once stopped, and a written batch
      // left uncommitted is redelivered to the next owner). One retrying a failed write
      // gives up (uncommitted, so redelivered to whoever consumes next).
      stopping = true;
      if (state === 'running') consumer.pause(topics.map((topic) => ({ topic })));
      await writer.flush();
      while (pendingByPartition.size > 0) await Promise.all(pendingByPartition.values());
      await consumer.stop();
      await Promise.all(pendingByPartition.values());
      state = 'stopped';
      await consumer.disconnect();
      await admin.disconnect();
    },
    health() {
      if (state === 'stopped') return { ok: false, detail: 'the Kafka consumer is not running' };
      if (state === 'crashed') return { ok: false, detail: `the Kafka consumer crashed: ${crash}` };
      const report = progress.report();
      if (report.stalled)
        return { ok: false, detail: `stalled: ${describeStall(report, lastFailure)}` };
      const lag = report.partitions.reduce((sum, p) => sum + p.lag, 0);
      return {
        ok: true,
        detail: `${report.partitions.length} partitions, lag ${lag}${retrying > 0 ? `, retrying: ${lastFailure}` : ''}`,
      };
    },
    progress: () => progress.report(),
  };
}

function describeStall(report: ProgressReport, lastFailure: string | undefined): string {
  const stuck = report.partitions.filter((p) => p.stalled);
  const parts = stuck
    .slice(0, 5)
    .map(
      (p) =>
        `${p.topic}/${p.partition} lag ${p.lag}, no progress for ${Math.round((Date.now() - p.lastProgressMs) / 1000)} s`,
    );
  const more = stuck.length > 5 ? ` and ${stuck.length - 5} more` : '';
  return `${parts.join('; ')}${more}${lastFailure ? ` (last failure: ${lastFailure})` : ''}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
