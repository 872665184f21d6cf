import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafkaIngest } from '../src/ingest/kafkaConsumer.js';
import { createIngestMetrics } from '../src/ingest/metrics.js';
import { openStore } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import { startMockBroker } from '../test/helpers/kafka.js';
import { mib, peakRssMiB } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Issue 3's benchmark: ~600-byte prediction events (20 numeric + 5 categorical features)
 * produced to a Kafka-protocol broker on loopback while one consumer process stores them in
 * embedded ClickHouse; throughput is counted in ClickHouse, and the delay from produce to
 * queryable is each event's ingested_at minus its ts (stamped at produce time).
 */
export async function runIngestBenchmark(total = 600_000, partitions = 12): Promise<void> {
  buildMockBroker();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-ingest-'));
  const store = await openStore({ kind: 'embedded', dataDir: dir, database: 'bench' });
  await migrate(store);
  const broker = await startMockBroker({
    brokers: 1,
    topics: { predictions: partitions, features: 1, labels: 1 },
  });
  const metrics = createIngestMetrics();
  const ingest = createKafkaIngest(store, metrics, {
    brokers: [broker.bootstrap],
    clientId: 'bench',
    groupId: 'bench',
    topics: { predictions: 'predictions', features: 'features', labels: 'labels' },
    sessionTimeout: 3000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 500,
    minBytes: 4 * 1024 * 1024,
    partitionsConsumedConcurrently: 2,
  });
  try {
    await ingest.start();
    console.log(
      `${total} events (about 600 bytes each, bench/produceEvents.mjs) over ${partitions} partitions; producer in its own process`,
    );
    const started = performance.now();
    const producer = fork(path.join(ROOT, 'bench/produceEvents.mjs'), [
      broker.bootstrap,
      'predictions',
      String(total),
    ]);
    const produced = new Promise<void>((resolve) => producer.on('message', () => resolve()));
    const reporter = setInterval(() => {
      void countPredictions(store).then(
        (stored) => producer.connected && producer.send({ stored }),
      );
    }, 100);
    await produced;
    clearInterval(reporter);
    const producedSeconds = (performance.now() - started) / 1000;
    let stored = 0;
    while (stored < total && performance.now() - started < 600_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      stored = await countPredictions(store);
    }
    const seconds = (performance.now() - started) / 1000;
    const [delay] = await store.query<{ p50: number; p99: number }>(
      `SELECT quantile(0.5)(d) AS p50, quantile(0.99)(d) AS p99
       FROM (SELECT dateDiff('millisecond', ts, ingested_at) AS d FROM events)`,
    );
    console.log(
      `produced in ${producedSeconds.toFixed(1)} s; stored ${stored} of ${total} in ${seconds.toFixed(1)} s`,
    );
    console.log(
      `throughput: ${Math.round(stored / seconds)} events/s end to end (counted in ClickHouse)`,
    );
    console.log(`delay from produce to queryable: p50 ${delay?.p50} ms, p99 ${delay?.p99} ms`);
    const snapshot = metrics.snapshot();
    console.log(
      `insert latency per batch: p50 ${snapshot.insert_latency_ms.p50?.toFixed(0)} ms, p99 ${snapshot.insert_latency_ms.p99?.toFixed(0)} ms over ${snapshot.batches} batches; process peak RSS ${mib(peakRssMiB())}`,
    );
  } finally {
    await ingest.stop();
    await broker.stop();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function countPredictions(store: Awaited<ReturnType<typeof openStore>>): Promise<number> {
  const [row] = await store.query<{ n: string }>('SELECT count() AS n FROM events');
  return Number(row?.n ?? 0);
}

function buildMockBroker(): void {
  const binary = path.join(ROOT, 'test/.tmp/mock-broker');
  if (fs.existsSync(binary)) return;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  execFileSync('gcc', ['-O2', '-o', binary, path.join(ROOT, 'test/kafka/mock-broker.c'), ...flags]);
}
