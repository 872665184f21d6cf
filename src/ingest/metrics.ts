import type { RoutedBatch } from './pipeline.js';

/** The ingest counters the service exposes at /metrics. */
export interface IngestMetrics {
  recordBatch(batch: RoutedBatch, bytes: number, insertMs: number): void;
  recordLag(topic: string, partition: number, lag: number): void;
  recordInsertFailure(): void;
  snapshot(): IngestSnapshot;
}

export interface IngestSnapshot {
  events: { prediction: number; feature: number; label: number };
  bytes: number;
  bad_messages: number;
  insert_failures: number;
  batches: number;
  insert_latency_ms: { p50: number | null; p99: number | null };
  lag: Record<string, number>;
}

const LATENCY_SAMPLES = 1024;

export function createIngestMetrics(): IngestMetrics {
  const events = { prediction: 0, feature: 0, label: 0 };
  let bytes = 0;
  let badMessages = 0;
  let insertFailures = 0;
  let batches = 0;
  const latencies: number[] = [];
  const lag = new Map<string, number>();
  return {
    recordBatch(batch, batchBytes, insertMs) {
      events.prediction += batch.predictions.length;
      events.feature += batch.features.length;
      events.label += batch.labels.length;
      badMessages += batch.deadLetters.length;
      bytes += batchBytes;
      batches += 1;
      latencies.push(insertMs);
      if (latencies.length > LATENCY_SAMPLES) latencies.shift();
    },
    recordLag(topic, partition, value) {
      lag.set(`${topic}/${partition}`, value);
    },
    recordInsertFailure() {
      insertFailures += 1;
    },
    snapshot() {
      const sorted = [...latencies].sort((a, b) => a - b);
      const quantile = (p: number) =>
        sorted.length === 0
          ? null
          : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null);
      return {
        events: { ...events },
        bytes,
        bad_messages: badMessages,
        insert_failures: insertFailures,
        batches,
        insert_latency_ms: { p50: quantile(0.5), p99: quantile(0.99) },
        lag: Object.fromEntries(lag),
      };
    },
  };
}

/** The same counters in Prometheus' text format. */
export function toPrometheus(snapshot: IngestSnapshot): string {
  const lines = [
    '# TYPE driftwatch_ingested_events_total counter',
    ...Object.entries(snapshot.events).map(
      ([kind, n]) => `driftwatch_ingested_events_total{kind="${kind}"} ${n}`,
    ),
    '# TYPE driftwatch_ingested_bytes_total counter',
    `driftwatch_ingested_bytes_total ${snapshot.bytes}`,
    '# TYPE driftwatch_dead_letters_total counter',
    `driftwatch_dead_letters_total ${snapshot.bad_messages}`,
    '# TYPE driftwatch_insert_failures_total counter',
    `driftwatch_insert_failures_total ${snapshot.insert_failures}`,
    '# TYPE driftwatch_insert_latency_ms gauge',
    `driftwatch_insert_latency_ms{quantile="0.5"} ${snapshot.insert_latency_ms.p50 ?? 'NaN'}`,
    `driftwatch_insert_latency_ms{quantile="0.99"} ${snapshot.insert_latency_ms.p99 ?? 'NaN'}`,
    '# TYPE driftwatch_consumer_lag gauge',
    ...Object.entries(snapshot.lag).map(([key, value]) => {
      const [topic, partition] = key.split('/');
      return `driftwatch_consumer_lag{topic="${topic}",partition="${partition}"} ${value}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
