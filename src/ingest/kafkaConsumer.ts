import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import type { KafkaConfig } from '../config/config.js';
import { errorMessage } from '../errors.js';
import type { Store } from '../store/clickhouse.js';
import type { IngestMetrics } from './metrics.js';
import type { EventKind } from './outcome.js';
import { createEventPipeline, type IncomingMessage } from './pipeline.js';
import { writeRoutedBatch } from './writer.js';

/** Backoff while ClickHouse refuses inserts: all retry defaults live here. */
export const INSERT_RETRY = { initialMs: 200, maxMs: 10_000, factor: 2 } as const;

export interface KafkaIngestOptions extends KafkaConfig {
  /** Consumer-group timings; the defaults suit a real broker (which refuses < 6 s sessions). */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxWaitTimeInMs?: number;
  /** A fetch waits (up to maxWaitTimeInMs) for this much data: fewer, larger inserts. */
  minBytes?: number;
  maxBytesPerPartition?: number;
  partitionsConsumedConcurrently?: number;
  maxEventBytes?: number;
  log?: (line: string) => void;
}

export interface KafkaIngest {
  readonly consumer: Consumer;
  start(): Promise<void>;
  /** Finishes the batch in hand, commits, and leaves the group. */
  stop(): Promise<void>;
}

/**
 * The one module that knows kafkajs. Each batch goes through the shared pipeline; offsets
 * are committed only after ClickHouse acknowledged the insert (at least once), and the
 * tables' dedup keys make a redelivered batch count once. While ClickHouse fails, the
 * consumer pauses its topics and retries with backoff, heartbeating so it keeps its
 * partitions, and resumes when the insert goes through.
 */
export function createKafkaIngest(
  store: Store,
  metrics: IngestMetrics,
  options: KafkaIngestOptions,
): KafkaIngest {
  const log = options.log ?? (() => undefined);
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
  const kindByTopic = new Map<string, EventKind>([
    [options.topics.predictions, 'prediction'],
    [options.topics.features, 'feature'],
    [options.topics.labels, 'label'],
  ]);
  const topics = [...kindByTopic.keys()];
  const routeBatch = createEventPipeline({ maxBytes: options.maxEventBytes });

  async function writeWithRetry(
    payload: EachBatchPayload,
    write: () => Promise<void>,
  ): Promise<boolean> {
    let delay: number = INSERT_RETRY.initialMs;
    let paused = false;
    for (;;) {
      try {
        await write();
        if (paused) {
          consumer.resume(topics.map((topic) => ({ topic })));
          log('ClickHouse accepts inserts again: resumed');
        }
        return true;
      } catch (error) {
        metrics.recordInsertFailure();
        if (!paused) {
          consumer.pause(topics.map((topic) => ({ topic })));
          paused = true;
          log(`insert failed, pausing and retrying: ${errorMessage(error)}`);
        }
        if (!payload.isRunning() || payload.isStale()) return false;
        await sleep(delay);
        delay = Math.min(delay * INSERT_RETRY.factor, INSERT_RETRY.maxMs);
        await payload.heartbeat().catch(() => undefined);
      }
    }
  }

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
    const routed = routeBatch(messages);
    const bytes = messages.reduce((sum, message) => sum + message.payload.length, 0);
    const started = performance.now();
    const written = await writeWithRetry(payload, () => writeRoutedBatch(store, routed));
    if (!written) return; // stopping or rebalanced: the batch is redelivered, dedup absorbs it
    metrics.recordBatch(routed, bytes, performance.now() - started);
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    try {
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
      ]);
    } catch (error) {
      // A commit refused during a rebalance means redelivery, which deduplication absorbs.
      log(`offset commit failed (the batch may be redelivered): ${errorMessage(error)}`);
    }
    metrics.recordLag(batch.topic, batch.partition, Number(batch.offsetLag()));
  }

  return {
    consumer,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch,
      });
    },
    async stop() {
      await consumer.disconnect();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
