import { createHash } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import { equalJitterDelayMs, type Backoff } from '../backoff.js';
import type { KafkaConfig } from '../config/config.js';
import { DriftwatchError, errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { refusesAccess, type Store } from '../store/clickhouse.js';
import type { PartitionOffsets, ProgressReport } from './consumerProgress.js';
import { within } from './deadline.js';
import { registerKafkaCodecs } from './kafkaCodecs.js';
import {
  createLagMonitor,
  describeStall,
  type GroupOffsetsReader,
  type LagMonitor,
} from './lagMonitor.js';
import type { IngestMetrics } from './metrics.js';
import type { EventKind } from './outcome.js';
import { createEventPipeline, type IncomingMessage, type PipelineOptions } from './pipeline.js';
import { guardRecordBatchDecoding, undecodableBatchOf } from './undecodableBatches.js';
import { createEventWriter, type EventWriter } from './writer.js';

// Every codec real producers use, and one undecodable batch never stops a fetch: before any
// consumer of this process fetches.
registerKafkaCodecs();
guardRecordBatchDecoding();

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
  /**
   * Messages prepared and not yet written beyond which fetching waits (memory bound). Twice
   * the writer's largest flush (50,000): while one flush is written the next can fill, so a
   * consumer with a backlog inserts up to 50,000 events at a time (see DEFAULT_MAX_PENDING).
   */
  maxPendingMessages?: number;
  pipeline?: Partial<PipelineOptions>;
  /** Lag with no committed progress for this long is a stall (health not ok). */
  stallAfterMs?: number;
  /** How often watermarks and committed offsets are read for lag and stall detection. */
  progressCheckMs?: number;
  /**
   * The group's lag monitor, when the caller keeps one across consumers (the supervisor
   * does, so lag survives a consumer's replacement); else the consumer runs its own.
   */
  lag?: LagMonitor;
  /**
   * A stop finishes the batches in hand and commits within this; what is not committed by
   * then is left to be redelivered, and the consumer is abandoned (default 10 s).
   */
  stopGraceMs?: number;
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
  /** Finishes the batch in hand, commits, and leaves the group, within its grace. */
  stop(): Promise<void>;
  health(): IngestHealth;
  /** The latest lag and progress per partition this consumer holds. */
  progress(): ProgressReport;
}

/**
 * The summary views cost less per event the larger the insert (docs/BENCHMARKS.md: 37 µs
 * of engine CPU per event through the writer at 20,000 events an insert, 27 at 50,000).
 * With a backlog, the writer's group commit inserts what arrived during the last insert,
 * bounded by what may be pending: at 50,000 pending that was about 20,000 an insert. At
 * 100,000 a flush can take the writer's largest (50,000) while the next fills. Below
 * capacity nothing changes: the linger (20,000 messages or 200 ms) fires first.
 */
const DEFAULT_MAX_PENDING = 100_000;

/** The consumer client's retries (connections, metadata, commits). */
const CLIENT_RETRY = { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 };

/**
 * The one module that knows kafkajs. Each batch goes through the shared pipeline and the
 * process's writer; offsets are committed only after every message of the batch (and of
 * the partition's earlier batches) is in a table: stored, already stored, or
 * dead-lettered. Fetching goes on while batches are written. A failure that is not about content
 * (the store down, a table detached) pauses the consumer, which retries with backoff,
 * heartbeating to keep its partitions, and resumes when the write goes through: nothing
 * is dead-lettered for the store's own trouble. A record batch that cannot be decoded is
 * dead-lettered whole and committed past. Lag and stalls come from the group's lag monitor,
 * which reads the brokers on a timer and a client of its own, whatever this consumer's state.
 */
/** A batch's write as the partition's next batch sees it. */
interface PartitionWrite {
  /** It has failed at least once and not yet settled. */
  failing: boolean;
  /** Resolves once it is written, or given up (stopping, rebalanced). */
  settled: Promise<void>;
}

/** What the consumer keeps for one partition it has fetched from (key `topic/partition`). */
interface PartitionInHand {
  /** Its last batch's whole task (written, then committed after the earlier ones), if any. */
  pending?: Promise<boolean>;
  /** Its last batch handed to the writer, while that write has not settled. */
  lastWrite?: PartitionWrite;
  /** Its series in the writer: batches queued behind a failed flush of it are refused. */
  series: object;
}

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
    retry: CLIENT_RETRY,
  });
  const consumer = kafka.consumer({
    // kafkajs's default retries; a consumer being stopped is not restarted behind our back.
    retry: { retries: 5, restartOnFailure: async () => !stopping },
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
  const prepareBatch = createEventPipeline(options.pipeline);
  const writer = options.writer ?? createEventWriter(store, { metrics, logger });
  const stallAfterMs = options.stallAfterMs ?? 60_000;
  const ownLag = options.lag === undefined;
  const lag =
    options.lag ??
    createKafkaLagMonitor(metrics, {
      ...options,
      stallAfterMs,
      intervalMs: options.progressCheckMs,
    });
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  /** The partitions this consumer holds (its last assignment). */
  let assigned = new Set<string>();
  const holds = (topic: string, partition: number) => assigned.has(`${topic}/${partition}`);
  let retrying = 0;
  let stopping = false;
  const maxPending = options.maxPendingMessages ?? DEFAULT_MAX_PENDING;
  let pendingMessages = 0;
  const partitions = new Map<string, PartitionInHand>();
  const partitionInHand = (key: string): PartitionInHand => {
    let partition = partitions.get(key);
    if (!partition) partitions.set(key, (partition = { series: {} }));
    return partition;
  };
  const pendingTasks = (): Promise<boolean>[] =>
    [...partitions.values()].flatMap((partition) => (partition.pending ? [partition.pending] : []));
  let lastFailure: string | undefined;
  let state: 'stopped' | 'running' | 'crashed' = 'stopped';
  let crash: string | undefined;
  let stopped: Promise<void> | undefined;

  /**
   * Writes a batch, retrying while the store refuses it. `own` and `earlier` are this batch's
   * and the previous batch's of its partition: once a batch has failed, the partition's later
   * batches write (and retry) only after it has settled, so a later batch's copy of an event
   * is never stored before the earlier batch's own (the writer refuses the later batches
   * queued behind a failed flush: their `series` is the partition).
   */
  async function writeWithRetry(
    payload: EachBatchPayload,
    write: () => Promise<void>,
    own: PartitionWrite,
    earlier: PartitionWrite | undefined,
  ): Promise<boolean> {
    let failures = 0;
    let waiting = false;
    try {
      for (;;) {
        try {
          if (earlier?.failing || failures > 0) await earlier?.settled;
          await write();
          if (waiting) {
            lastFailure = undefined;
            notice('the store accepts the batch again: resumed');
          }
          return true;
        } catch (error) {
          own.failing = true;
          const retriable = error instanceof DriftwatchError && error.retriable;
          lastFailure = errorMessage(error);
          metrics.recordRetry('kafka');
          if (!waiting) {
            waiting = true;
            retrying += 1;
            if (retrying === 1) consumer.pause(topics.map((topic) => ({ topic })));
            metrics.setConsumerPaused(true);
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
          metrics.setConsumerPaused(false);
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
    const messages: IncomingMessage[] = batch.messages.map((message) =>
      toIncoming(batch.topic, batch.partition, message),
    );
    const prepared = await prepareBatch(messages);
    while (!stopping && pendingMessages > 0 && pendingMessages + messages.length > maxPending) {
      await Promise.race([...pendingTasks(), sleep(500)]);
      await payload.heartbeat().catch(() => undefined);
    }
    // A stop waits only for batches already handed over: this one is left uncommitted
    // (redelivered to the next owner) rather than written after the stop returned.
    if (stopping) return;
    const partition = partitionInHand(`${batch.topic}/${batch.partition}`);
    const earlier = partition.pending ?? Promise.resolve(true);
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    pendingMessages += messages.length;
    const earlierWrite = partition.lastWrite;
    let settle!: () => void;
    const own: PartitionWrite = {
      failing: false,
      settled: new Promise<void>((resolve) => (settle = resolve)),
    };
    partition.lastWrite = own;
    const { series } = partition;
    const task: Promise<boolean> = (async (): Promise<boolean> => {
      try {
        // Lingers (fewer, larger inserts) unless stopping: a stop flushes what waits.
        const written = await writeWithRetry(
          payload,
          () => writer.write(prepared, { linger: !stopping, series }),
          own,
          earlierWrite,
        ).finally(() => {
          settle();
          if (partition.lastWrite === own) delete partition.lastWrite;
        });
        // Stopping or rebalanced: not committed, so redelivered; dedup absorbs it.
        if (!(await earlier) || !written) return false;
        metrics.recordBatch(prepared, 'kafka');
        await commit(batch.topic, batch.partition, next);
        return true;
      } finally {
        pendingMessages -= messages.length;
      }
    })();
    partition.pending = task;
    void task.then(() => {
      if (partition.pending === task) delete partition.pending;
    });
    // The next fetch of this partition starts after this batch; what is committed is not.
    payload.resolveOffset(batch.lastOffset());
  }

  /**
   * A fetched message as the pipeline takes it. A record batch that could not be decoded
   * arrives as one marker message: dead-lettered (by its first offset, with its offset
   * range and why) with the batch's raw bytes as base64, and committed past like any other.
   */
  function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
    const origin = { source: 'kafka', topic, partition, offset: Number(message.offset) } as const;
    const kind = kindByTopic.get(topic);
    const undecodable = undecodableBatchOf(message);
    if (!undecodable) return { kind, payload: message.value ?? Buffer.alloc(0), origin };
    const detail =
      `${undecodable.codec} record batch of ${undecodable.records} records, offsets ` +
      `${undecodable.firstOffset}-${undecodable.lastOffset}: ${undecodable.cause} ` +
      '(payload: the record batch as base64)';
    const line = `dead-lettered an undecodable record batch of ${topic}/${partition}: ${detail}`;
    logger?.error({ topic, partition, reason: undecodable.reason }, line);
    notice(line);
    return {
      kind,
      payload: Buffer.from(undecodable.bytes.toString('base64')),
      payloadBytes: undecodable.bytes.length,
      payloadSha256: createHash('sha256').update(undecodable.bytes).digest('hex'),
      origin: { ...origin, offset: Number(undecodable.firstOffset) },
      refused: { reason: undecodable.reason, detail },
    };
  }

  async function commit(topic: string, partition: number, offset: string): Promise<void> {
    try {
      await consumer.commitOffsets([{ topic, partition, offset }]);
    } catch (error) {
      // A commit refused during a rebalance means redelivery, which deduplication absorbs.
      logger?.warn(
        { err: errorMessage(error) },
        'offset commit refused: the batch may be redelivered',
      );
    }
  }

  /**
   * Finishes what is in hand: nothing more is fetched; batches being written finish and
   * commit while the consumer is still in its group (kafkajs refuses commits once stopped,
   * and a written batch left uncommitted is redelivered to the next owner). One retrying a
   * failed write gives up (uncommitted, so redelivered to whoever consumes next).
   */
  async function finishInHand(): Promise<void> {
    if (state === 'running') consumer.pause(topics.map((topic) => ({ topic })));
    await writer.flush();
    for (let tasks = pendingTasks(); tasks.length > 0; tasks = pendingTasks())
      await Promise.all(tasks);
    await consumer.stop();
    await Promise.all(pendingTasks());
  }

  async function stop(): Promise<void> {
    stopping = true;
    const deadline = Date.now() + stopGraceMs;
    const lagStopped = ownLag ? lag.stop() : Promise.resolve();
    const finished = finishInHand().catch((error: unknown) =>
      logger?.warn({ err: errorMessage(error) }, 'stopping: finishing the batches in hand failed'),
    );
    if (!(await within(finished, deadline))) {
      const line = `stopping: batches still in hand after ${stopGraceMs / 1000} s are left uncommitted, to be redelivered`;
      logger?.warn(line);
      notice(line);
    }
    state = 'stopped';
    // Leaving the group waits for requests in flight (a join can take the session timeout):
    // past the grace the consumer is abandoned; a process that exits takes it along.
    await within(
      consumer.disconnect().catch(() => undefined),
      Math.max(deadline, Date.now() + 1_000),
    );
    await lagStopped;
  }

  /** Throws when a stop came while starting: kafkajs would otherwise go on joining. */
  function unlessStopping(): void {
    if (stopping) throw new DriftwatchError('DW_INTERNAL', 'stopped while starting');
  }

  return {
    consumer,
    async start() {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assigned = new Set(
          Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
            partitions.map((partition) => `${topic}/${partition}`),
          ),
        );
      });
      consumer.on(consumer.events.CRASH, (event) => {
        crash = errorMessage(event.payload.error);
        if (!event.payload.restart) state = 'crashed';
        logger?.error({ err: crash, restart: event.payload.restart }, 'Kafka consumer crashed');
      });
      if (ownLag) lag.start();
      await consumer.connect();
      unlessStopping();
      await consumer.subscribe({ topics, fromBeginning: true });
      unlessStopping();
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch,
      });
      if (stopping) {
        // the stop's disconnect may have come before kafkajs finished joining
        await consumer.disconnect().catch(() => undefined);
        unlessStopping();
      }
      if (state !== 'crashed') state = 'running';
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
    health() {
      if (state === 'stopped') return { ok: false, detail: 'the Kafka consumer is not running' };
      if (state === 'crashed') return { ok: false, detail: `the Kafka consumer crashed: ${crash}` };
      const report = lag.report(holds);
      if (report.stalled) {
        const failure = lastFailure ? ` (last failure: ${lastFailure})` : '';
        return { ok: false, detail: `stalled: ${describeStall(report, Date.now())}${failure}` };
      }
      const total = report.partitions.reduce((sum, p) => sum + p.lag, 0);
      return {
        ok: true,
        detail: `${report.partitions.length} partitions, lag ${total}${retrying > 0 ? `, retrying: ${lastFailure}` : ''}`,
      };
    },
    progress: () => lag.report(holds),
  };
}

/**
 * The group's lag monitor (src/ingest/lagMonitor.ts) reading the brokers through a kafkajs
 * admin client of its own: the group's committed offsets (OffsetFetch, from the group's
 * coordinator) and each partition's watermarks (ListOffsets, from its leader) — calls a real
 * broker and librdkafka's mock cluster both answer, none routed to the controller.
 */
export function createKafkaLagMonitor(
  metrics: IngestMetrics,
  options: KafkaConfig & {
    stallAfterMs: number;
    intervalMs?: number;
    logger?: Logger;
    log?: (line: string) => void;
  },
): LagMonitor {
  return createLagMonitor(createGroupOffsetsReader(options), {
    stallAfterMs: options.stallAfterMs,
    intervalMs: options.intervalMs,
    metrics,
    logger: options.logger,
    log: options.log,
  });
}

function createGroupOffsetsReader(config: KafkaConfig): GroupOffsetsReader {
  const topics = [config.topics.predictions, config.topics.features, config.topics.labels];
  // Few, short retries: a read that fails is simply made again at the next interval.
  const admin = new Kafka({
    clientId: `${config.clientId}-lag`,
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  }).admin();
  let connected: Promise<void> | undefined;
  return {
    async read() {
      connected ??= admin.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await connected;
      const committed = new Map<string, number>();
      for (const { topic, partitions } of await admin.fetchOffsets({
        groupId: config.groupId,
        topics,
      })) {
        for (const p of partitions) committed.set(`${topic}/${p.partition}`, Number(p.offset));
      }
      const offsets: PartitionOffsets[] = [];
      for (const topic of topics) {
        for (const o of await admin.fetchTopicOffsets(topic)) {
          offsets.push({
            topic,
            partition: o.partition,
            high: Number(o.high),
            low: Number(o.low),
            committed: committed.get(`${topic}/${o.partition}`) ?? -1,
          });
        }
      }
      return offsets;
    },
    async close() {
      connected = undefined;
      await admin.disconnect();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
