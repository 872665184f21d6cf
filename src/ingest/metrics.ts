import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreFailureClass } from '../store/clickhouse.js';
import {
  DEAD_LETTER_REASONS,
  EVENT_KINDS,
  type DeadLetterReason,
  type EventKind,
} from './outcome.js';
import type { PreparedBatch } from './pipeline.js';

export type IngestSource = 'kafka' | 'http';

/**
 * Ingest's counters and gauges on the service's prom-client registry (GET /metrics), and
 * the same figures as plain numbers for tests and benchmarks. Label sets are bounded:
 * sources, kinds, reasons, tables, failure classes, and the partitions this consumer holds.
 */
export interface IngestMetrics {
  readonly registry: Registry;
  /** After a batch is written: its final outcomes. */
  recordBatch(batch: PreparedBatch, source: IngestSource): void;
  /** One insert statement the store acknowledged: its time and its rows. */
  recordInsert(table: string, seconds: number, rows: number): void;
  recordInsertFailure(table: string, failure: StoreFailureClass | 'unexpected'): void;
  recordRetry(source: IngestSource): void;
  /** A dead letter the store refused as well: logged, counted, and not retried. */
  recordLostDeadLetter(): void;
  recordPartition(progress: PartitionProgress): void;
  forgetPartition(topic: string, partition: number): void;
  /** The lag monitor read the group's offsets (at `atMs`), or could not. */
  recordLagRead(result: { ok: true; atMs: number } | { ok: false }): void;
  setConsumerPaused(paused: boolean): void;
  setConsumerStalled(stalled: boolean): void;
  recordHttpRequest(status: number): void;
  httpInFlight(delta: number): void;
  snapshot(): IngestSnapshot;
}

export interface PartitionProgress {
  topic: string;
  partition: number;
  lag: number;
  committedOffset: number;
  /** Unix ms of the last commit, or of when the partition was last seen caught up. */
  lastProgressMs: number;
}

export interface IngestSnapshot {
  events: Record<EventKind, number>;
  duplicates: number;
  dead_letters: Partial<Record<DeadLetterReason, number>>;
  bad_messages: number;
  bytes: number;
  batches: number;
  insert_failures: number;
  retries: number;
  lost_dead_letters: number;
  insert_latency_ms: { p50: number | null; p99: number | null };
  /** Insert statements into `events` and the rows they carried (rows / inserts = insert size). */
  event_inserts: { inserts: number; rows: number };
  lag: Record<string, number>;
}

const LATENCY_SAMPLES = 1024;

export function createIngestMetrics(registry: Registry = new Registry()): IngestMetrics {
  const registers = [registry];
  const events = new Counter({
    name: 'driftwatch_ingest_events_total',
    help: 'Events stored (after deduplication), by source and kind',
    labelNames: ['source', 'kind'],
    registers,
  });
  const duplicates = new Counter({
    name: 'driftwatch_ingest_duplicates_total',
    help: 'Events already stored by an earlier delivery (replay, retry): not stored again',
    labelNames: ['source', 'kind'],
    registers,
  });
  const deadLetters = new Counter({
    name: 'driftwatch_ingest_dead_letters_total',
    help: 'Messages dead-lettered, by source and reason',
    labelNames: ['source', 'reason'],
    registers,
  });
  const bytesTotal = new Counter({
    name: 'driftwatch_ingest_bytes_total',
    help: 'Payload bytes ingested, by source',
    labelNames: ['source'],
    registers,
  });
  const insertFailures = new Counter({
    name: 'driftwatch_ingest_insert_failures_total',
    help: 'Inserts and existence checks ClickHouse refused, by table and class (content: isolated by bisection; infrastructure: retried; access: retried, needs an operator; query: a bug)',
    labelNames: ['table', 'class'],
    registers,
  });
  const retries = new Counter({
    name: 'driftwatch_ingest_retries_total',
    help: 'Batches written again after a retriable failure, by source',
    labelNames: ['source'],
    registers,
  });
  const lostDeadLetters = new Counter({
    name: 'driftwatch_ingest_dead_letter_write_failures_total',
    help: 'Dead letters the store refused for their content (logged, not stored)',
    registers,
  });
  const insertSeconds = new Histogram({
    name: 'driftwatch_ingest_insert_duration_seconds',
    help: 'Time of one insert statement, by table',
    labelNames: ['table'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const insertRows = new Histogram({
    name: 'driftwatch_ingest_insert_rows',
    help: 'Rows in one insert statement, by table (the summaries cost less per row in larger inserts: see ingest.linger_events)',
    labelNames: ['table'],
    buckets: [10, 100, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000],
    registers,
  });
  const lagGauge = new Gauge({
    name: 'driftwatch_kafka_consumer_lag',
    help: 'Messages behind the partition high watermark: the group’s committed offset to the high watermark, every partition of the group’s topics',
    labelNames: ['topic', 'partition'],
    registers,
  });
  const committedGauge = new Gauge({
    name: 'driftwatch_kafka_committed_offset',
    help: 'Next offset to consume, as the group committed it after ClickHouse acknowledged the insert',
    labelNames: ['topic', 'partition'],
    registers,
  });
  const progressGauge = new Gauge({
    name: 'driftwatch_kafka_last_progress_timestamp_seconds',
    help: 'Unix time of the last commit (or of the last time the partition was caught up)',
    labelNames: ['topic', 'partition'],
    registers,
  });
  const lagObservedGauge = new Gauge({
    name: 'driftwatch_kafka_lag_observed_timestamp_seconds',
    help: 'Unix time the lag and committed offsets were last read from the brokers',
    registers,
  });
  const lagReadFailures = new Counter({
    name: 'driftwatch_kafka_lag_read_failures_total',
    help: 'Reads of the group’s committed offsets and the partitions’ watermarks that failed',
    registers,
  });
  const pausedGauge = new Gauge({
    name: 'driftwatch_kafka_consumer_paused',
    help: '1 while the consumer is paused, retrying a failed insert',
    registers,
  });
  const stalledGauge = new Gauge({
    name: 'driftwatch_kafka_consumer_stalled',
    help: '1 while a partition of the group has lag and its committed offset has not advanced for the stall time',
    registers,
  });
  const httpRequests = new Counter({
    name: 'driftwatch_http_ingest_requests_total',
    help: 'POST /v1/events requests, by response status',
    labelNames: ['status'],
    registers,
  });
  const httpInFlight = new Gauge({
    name: 'driftwatch_http_ingest_in_flight',
    help: 'POST /v1/events requests being processed or waiting their turn',
    registers,
  });
  for (const source of ['kafka', 'http'] as const) {
    for (const kind of EVENT_KINDS) events.inc({ source, kind }, 0);
    for (const reason of DEAD_LETTER_REASONS) deadLetters.inc({ source, reason }, 0);
  }

  const totals = {
    events: { prediction: 0, feature: 0, label: 0 } as Record<EventKind, number>,
    duplicates: 0,
    deadLetters: {} as Partial<Record<DeadLetterReason, number>>,
    bytes: 0,
    batches: 0,
    insertFailures: 0,
    retries: 0,
    lostDeadLetters: 0,
    eventInserts: 0,
    eventRows: 0,
  };
  const latencies: number[] = [];
  const lag = new Map<string, number>();

  return {
    registry,
    recordBatch(batch, source) {
      for (const outcome of batch.outcomes) {
        if (outcome.status === 'stored') {
          events.inc({ source, kind: outcome.kind });
          totals.events[outcome.kind] += 1;
        } else if (outcome.status === 'duplicate') {
          duplicates.inc({ source, kind: outcome.kind });
          totals.duplicates += 1;
        } else {
          deadLetters.inc({ source, reason: outcome.reason });
          totals.deadLetters[outcome.reason] = (totals.deadLetters[outcome.reason] ?? 0) + 1;
        }
      }
      bytesTotal.inc({ source }, batch.bytes);
      totals.bytes += batch.bytes;
      totals.batches += 1;
    },
    recordInsert(table, seconds, rows) {
      insertSeconds.observe({ table }, seconds);
      insertRows.observe({ table }, rows);
      if (table !== 'events') return;
      totals.eventInserts += 1;
      totals.eventRows += rows;
      latencies.push(seconds * 1000);
      if (latencies.length > LATENCY_SAMPLES) latencies.shift();
    },
    recordInsertFailure(table, failure) {
      insertFailures.inc({ table, class: failure });
      totals.insertFailures += 1;
    },
    recordRetry(source) {
      retries.inc({ source });
      totals.retries += 1;
    },
    recordLostDeadLetter() {
      lostDeadLetters.inc();
      totals.lostDeadLetters += 1;
    },
    recordPartition(progress) {
      const labels = { topic: progress.topic, partition: String(progress.partition) };
      lagGauge.set(labels, progress.lag);
      committedGauge.set(labels, progress.committedOffset);
      progressGauge.set(labels, progress.lastProgressMs / 1000);
      lag.set(`${progress.topic}/${progress.partition}`, progress.lag);
    },
    forgetPartition(topic, partition) {
      const labels = { topic, partition: String(partition) };
      lagGauge.remove(labels);
      committedGauge.remove(labels);
      progressGauge.remove(labels);
      lag.delete(`${topic}/${partition}`);
    },
    recordLagRead(result) {
      if (result.ok) lagObservedGauge.set(result.atMs / 1000);
      else lagReadFailures.inc();
    },
    setConsumerPaused(paused) {
      pausedGauge.set(paused ? 1 : 0);
    },
    setConsumerStalled(stalled) {
      stalledGauge.set(stalled ? 1 : 0);
    },
    recordHttpRequest(status) {
      httpRequests.inc({ status: String(status) });
    },
    httpInFlight(delta) {
      httpInFlight.inc(delta);
    },
    snapshot() {
      const sorted = [...latencies].sort((a, b) => a - b);
      const quantile = (p: number) =>
        sorted.length === 0
          ? null
          : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null);
      const bad = Object.values(totals.deadLetters).reduce((sum, n) => sum + (n ?? 0), 0);
      return {
        events: { ...totals.events },
        duplicates: totals.duplicates,
        dead_letters: { ...totals.deadLetters },
        bad_messages: bad,
        bytes: totals.bytes,
        batches: totals.batches,
        insert_failures: totals.insertFailures,
        retries: totals.retries,
        lost_dead_letters: totals.lostDeadLetters,
        insert_latency_ms: { p50: quantile(0.5), p99: quantile(0.99) },
        event_inserts: { inserts: totals.eventInserts, rows: totals.eventRows },
        lag: Object.fromEntries(lag),
      };
    },
  };
}
