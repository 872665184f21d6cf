import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/api/app.js';
import { loadIngestConfig } from '../src/config/config.js';
import { createKafkaIngest, type KafkaIngestOptions } from '../src/ingest/kafkaConsumer.js';
import { createIngestMetrics, type IngestMetrics } from '../src/ingest/metrics.js';
import { createEventWriter } from '../src/ingest/writer.js';
import type { IncomingMessage, PreparedBatch } from '../src/ingest/pipeline.js';
import { openStore, type Store } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import { startMockBroker } from '../test/helpers/kafka.js';
import { mib, peakRssMiB } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Issue 11's ingest benchmarks. One service process stores ~600-byte predictions (20
 * numeric + 5 categorical features) in embedded ClickHouse while a client in its own
 * process sends them: through librdkafka's mock broker on loopback (`ingest`) or as
 * batched NDJSON posts (`ingest-http`). Throughput is counted in ClickHouse; produce →
 * queryable is each event's ingested_at − ts (ts stamped when the client made the event).
 * Every figure comes with the machine's load, and the service process's CPU per event.
 */
export async function runKafkaIngestBenchmark(
  total = 600_000,
  partitions = 12,
  tuning: Partial<KafkaIngestOptions> = {},
  paced = { events: 100_000, rate: 5_000 },
  linger?: { lingerMessages: number; lingerMs: number },
  /** Events the producer may have sent and not yet seen stored (the mock broker keeps 5 MiB a partition). */
  ahead = 48_000,
): Promise<void> {
  buildMockBroker();
  await withBenchStore('kafka', async (store) => {
    const broker = await startMockBroker({
      brokers: 1,
      topics: { predictions: partitions, features: 1, labels: 1 },
    });
    const metrics = createIngestMetrics();
    if (linger) {
      console.log(
        `writer: lingers up to ${linger.lingerMessages} messages or ${linger.lingerMs} ms; consumer's pending bound ${tuning.maxPendingMessages ?? 'the default'} messages`,
      );
    }
    const ingest = createKafkaIngest(store, metrics, {
      ...(linger ? { writer: createEventWriter(store, { metrics, ...linger }) } : {}),
      brokers: [broker.bootstrap],
      clientId: 'bench',
      groupId: 'bench',
      topics: { predictions: 'predictions', features: 'features', labels: 'labels' },
      sessionTimeout: 3000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 100,
      minBytes: 1,
      ...tuning,
    });
    try {
      await ingest.start();
      console.log(
        `${total} events (~600 bytes, bench/benchEvent.mjs) over ${partitions} partitions, at most ${ahead} sent and not yet stored; producer in its own process (bench/produceEvents.mjs)`,
      );
      const run = await measureRun(store, metrics, total, () =>
        fork(path.join(ROOT, 'bench/produceEvents.mjs'), [
          broker.bootstrap,
          'predictions',
          String(total),
          '0',
          String(ahead),
        ]),
      );
      printRun(run, metrics);
      if (paced.events > 0) {
        console.log(
          `\nthen ${paced.events} more at a sustained ${paced.rate} events/s (latency, not throughput):`,
        );
        await store.command('TRUNCATE TABLE events');
        const pacedRun = await measureRun(store, metrics, paced.events, () =>
          fork(path.join(ROOT, 'bench/produceEvents.mjs'), [
            broker.bootstrap,
            'predictions',
            String(paced.events),
            String(paced.rate),
          ]),
        );
        printRun(pacedRun, metrics);
      }
    } finally {
      await ingest.stop();
      await broker.stop();
    }
  });
}

/**
 * The writer's linger, measured: the Kafka benchmark (600,000 events as fast as kept up
 * with, then 100,000 at 5,000 events/s) without lingering (group commit alone: what
 * arrives during an insert), with config.ingest's defaults, and with larger and longer
 * lingers. Each in a fresh store and broker.
 */
export async function runLingerBenchmark(): Promise<void> {
  const settings: { linger: { lingerMessages: number; lingerMs: number }; maxPending?: number }[] =
    [
      { linger: { lingerMessages: 20_000, lingerMs: 0 } },
      { linger: { lingerMessages: 20_000, lingerMs: 200 } },
      { linger: { lingerMessages: 45_000, lingerMs: 200 }, maxPending: 100_000 },
      { linger: { lingerMessages: 20_000, lingerMs: 500 } },
    ];
  for (const { linger, maxPending } of settings) {
    console.log(`\n--- lingerMessages ${linger.lingerMessages}, lingerMs ${linger.lingerMs}`);
    await runKafkaIngestBenchmark(
      600_000,
      12,
      maxPending ? { maxPendingMessages: maxPending } : {},
      { events: 100_000, rate: 5_000 },
      linger,
    );
  }
}

export async function runHttpIngestBenchmark(
  total = 600_000,
  batch = 10_000,
  concurrency = 4,
): Promise<void> {
  await withBenchStore('http', async (store) => {
    const metrics = createIngestMetrics();
    // the HTTP linger can be set to compare (DRIFTWATCH_INGEST_HTTP_LINGER_MS=0: posts never wait)
    const linger = process.env.DRIFTWATCH_INGEST_HTTP_LINGER_MS;
    const ingest = loadIngestConfig(
      linger === undefined ? {} : { DRIFTWATCH_INGEST_HTTP_LINGER_MS: linger },
    );
    const app = buildApp({ store, metrics, monitors: () => [], ingest });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      console.log(`HTTP chunks wait for company up to ${ingest.httpLingerMs} ms`);
      console.log(
        `${total} events (~600 bytes) as NDJSON posts of ${batch} events from ${concurrency} connections; client in its own process (bench/postEvents.mjs)`,
      );
      const run = await measureRun(store, metrics, total, () =>
        fork(path.join(ROOT, 'bench/postEvents.mjs'), [
          url,
          String(total),
          String(batch),
          String(concurrency),
        ]),
      );
      printRun(run, metrics);
      const client = run.client as { p50?: number; p99?: number; statuses?: object };
      console.log(
        `POST latency: p50 ${client.p50?.toFixed(0)} ms, p99 ${client.p99?.toFixed(0)} ms; statuses ${JSON.stringify(client.statuses)}`,
      );
    } finally {
      await app.close();
    }
  });
}

interface Run {
  total: number;
  stored: number;
  seconds: number;
  clientSeconds: number;
  delay: { p50: number; p99: number; max: number } | undefined;
  serviceCpuSeconds: number;
  /** CPU seconds per thread name of the service process during the run. */
  threads: [string, number][];
  client: Record<string, unknown>;
  load: { before: number[]; after: number[] };
  /** Insert statements into `events` during the run, and their rows. */
  inserts: { inserts: number; rows: number };
}

/** Starts the client, follows the stored count, and waits for the client to exit. */
async function measureRun(
  store: Store,
  metrics: IngestMetrics,
  total: number,
  startClient: () => ChildProcess,
): Promise<Run> {
  const load = { before: os.loadavg(), after: [] as number[] };
  const insertsBefore = metrics.snapshot().event_inserts;
  const cpu = process.cpuUsage();
  const threadsBefore = threadCpuSeconds();
  const started = performance.now();
  const client = startClient();
  client.on('error', () => undefined); // a progress note sent as the client exits (EPIPE)
  let report: Record<string, unknown> = {};
  const exited = new Promise<void>((resolve, reject) => {
    client.on('message', (message: Record<string, unknown>) => {
      if (message.done) report = message;
    });
    client.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`client exited with ${code}`)),
    );
  });
  let clientDone = 0;
  void exited.then(() => (clientDone = performance.now()));
  let stored = 0;
  const deadline = started + 900_000;
  while (stored < total && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    stored = await countEvents(store);
    if (client.connected) client.send({ stored });
  }
  const seconds = (performance.now() - started) / 1000;
  const serviceCpu = process.cpuUsage(cpu);
  const threads = [...threadCpuSeconds()]
    .map(([name, seconds]) => [name, seconds - (threadsBefore.get(name) ?? 0)] as [string, number])
    .filter(([, seconds]) => seconds >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  await exited;
  load.after = os.loadavg();
  const [delay] = await store.query<{ p50: number; p99: number; max: number }>(
    `SELECT quantile(0.5)(d) AS p50, quantile(0.99)(d) AS p99, max(d) AS max
     FROM (SELECT dateDiff('millisecond', ts, ingested_at) AS d FROM events)`,
  );
  const insertsAfter = metrics.snapshot().event_inserts;
  return {
    total,
    stored,
    seconds,
    clientSeconds: ((clientDone || performance.now()) - started) / 1000,
    delay,
    serviceCpuSeconds: (serviceCpu.user + serviceCpu.system) / 1e6,
    threads,
    client: report,
    load,
    inserts: {
      inserts: insertsAfter.inserts - insertsBefore.inserts,
      rows: insertsAfter.rows - insertsBefore.rows,
    },
  };
}

function printRun(run: Run, metrics: IngestMetrics): void {
  const snapshot = metrics.snapshot();
  console.log(
    `machine load (1/5/15 min) before ${run.load.before.map((l) => l.toFixed(2)).join('/')}, after ${run.load.after.map((l) => l.toFixed(2)).join('/')}`,
  );
  console.log(
    `stored ${run.stored} of ${run.total} in ${run.seconds.toFixed(1)} s (client done after ${run.clientSeconds.toFixed(1)} s)`,
  );
  console.log(
    `throughput: ${Math.round(run.stored / run.seconds)} events/s end to end (counted in ClickHouse)`,
  );
  console.log(
    `produce → queryable: p50 ${run.delay?.p50} ms, p99 ${run.delay?.p99} ms, max ${run.delay?.max} ms`,
  );
  console.log(
    `service process CPU: ${run.serviceCpuSeconds.toFixed(1)} s = ${((run.serviceCpuSeconds * 1e6) / Math.max(1, run.stored)).toFixed(1)} µs per event (${(run.serviceCpuSeconds / run.seconds).toFixed(2)} cores); client CPU ${Number(run.client.cpuSeconds ?? 0).toFixed(1)} s`,
  );
  console.log(
    `  by thread: ${run.threads.map(([name, seconds]) => `${name} ${((seconds * 1e6) / Math.max(1, run.stored)).toFixed(1)}`).join(', ')} µs per event (main = JavaScript, node = V8's GC and compiler, ThreadPool = ClickHouse queries, MergeMutate = merges)`,
  );
  console.log(
    `events per insert: ${Math.round(run.inserts.rows / Math.max(1, run.inserts.inserts))} (${run.inserts.inserts} inserts into events during the run)`,
  );
  console.log(
    `inserts into events: ${snapshot.batches} batches written, insert p50 ${snapshot.insert_latency_ms.p50?.toFixed(0)} ms, p99 ${snapshot.insert_latency_ms.p99?.toFixed(0)} ms; duplicates ${snapshot.duplicates}, dead letters ${snapshot.bad_messages}; process peak RSS ${mib(peakRssMiB())}`,
  );
}

async function withBenchStore(name: string, run: (store: Store) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `driftwatch-bench-${name}-`));
  const store = await openStore({ kind: 'embedded', dataDir: dir, database: 'bench' });
  try {
    await migrate(store);
    await run(store);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function countEvents(store: Store): Promise<number> {
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

/**
 * Issue 11 item 5: the `events` layout (typed maps in one table) with many distinct
 * feature names. (1) The insert path's cost per event and per feature value, from one
 * model of 25 features to 2,000 models × 200 features (400,000 distinct names) and to
 * events carrying 300 features each. (2) Reading one feature of one model from raw events,
 * with the Map column stored plainly and in buckets (`map_serialization_version`).
 */
export async function runLayoutBenchmark(events = 200_000): Promise<void> {
  await withBenchStore('layout', async (store) => {
    console.log(
      `machine load (1/5/15 min) ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join('/')}`,
    );
    const { createEventPipeline } = await import('../src/ingest/pipeline.js');
    const prepare = createEventPipeline();
    const writer = createEventWriter(store, { metrics: createIngestMetrics() });
    const ts = new Date(Date.now() - 3_600_000).toISOString();
    const cases = [
      {
        name: '1 model, 25 features (20 numeric, 5 categorical)',
        models: 1,
        perModel: 25,
        perEvent: 25,
        events,
      },
      {
        name: '2,000 models × 200 features (400,000 names), 25 per event',
        models: 2000,
        perModel: 200,
        perEvent: 25,
        events,
      },
      {
        name: '50 models × 300 features, all 300 in every event',
        models: 50,
        perModel: 300,
        perEvent: 300,
        events: events / 10,
      },
    ];
    let next = 0;
    for (const c of cases) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let sent = 0; sent < c.events; sent += 10_000) {
        const messages = Array.from({ length: Math.min(10_000, c.events - sent) }, (_, k) => {
          const i = next++;
          const model = i % c.models;
          const features: Record<string, number | string> = {};
          const round = Math.floor(i / c.models);
          for (let f = 0; f < c.perEvent; f += 1) {
            // A model's successive events cycle through all of its features.
            const feature = (round * c.perEvent + f) % c.perModel;
            features[`m${model}_f${feature}`] =
              f % 5 === 4 ? `cat${(i + f) % 7}` : ((i * 31 + f * 17) % 10_000) / 100;
          }
          const payload = JSON.stringify({
            event_id: `l${i}`,
            model: `layout-${model}`,
            ts,
            prediction_id: `p${i}`,
            features,
            score: (i % 100) / 100,
            attributes: { country: ['US', 'GB', 'DE'][k % 3] },
          });
          return {
            kind: 'prediction' as const,
            payload: Buffer.from(payload),
            origin: { source: 'http' as const, topic: '', partition: -1, offset: -1 },
          };
        });
        await writer.write(await prepare(messages));
      }
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const micros = (used.user + used.system) / c.events;
      console.log(
        `insert, ${c.name}: ${Math.round(c.events / seconds)} events/s, ${micros.toFixed(1)} µs CPU per event = ${(micros / c.perEvent).toFixed(2)} µs per feature value (${c.events} events)`,
      );
    }
    const [size] = await store.query<{ rows: string; bytes: string; names: string }>(
      `SELECT sum(rows) AS rows, sum(data_compressed_bytes) AS bytes,
              (SELECT uniqExact(arrayJoin(mapKeys(feature_numbers))) FROM events) AS names
       FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active`,
    );
    console.log(
      `stored: ${size?.rows} events, ${size?.names} distinct numeric feature names, ${(Number(size?.bytes) / Number(size?.rows)).toFixed(0)} compressed bytes per event`,
    );
    await compareMapKeyTypes(store, prepare);
    await readOneFeature(store, Math.max(100_000, events * 5));
  });
}

/**
 * The same 100,000 rows with 400,000 possible feature names inserted into `events`
 * (map keys LowCardinality(String)) and into a copy whose map keys are plain String: the
 * engine's CPU per event, merges included.
 */
async function compareMapKeyTypes(
  store: Store,
  prepare: (messages: IncomingMessage[]) => Promise<PreparedBatch>,
): Promise<void> {
  const { EVENT_COLUMNS, EVENT_STRUCTURE } = await import('../src/store/events.js');
  for (const table of ['events_lc_keys', 'events_string_keys']) {
    await store.command(
      `CREATE TABLE ${table} AS events ENGINE = ReplacingMergeTree(ingested_at)
       PARTITION BY toYYYYMM(ts) ORDER BY (model, kind, ts, event_id)`,
    );
  }
  await store.command(
    `ALTER TABLE events_string_keys MODIFY COLUMN feature_numbers Map(String, Float64),
                                    MODIFY COLUMN feature_strings Map(String, String)`,
  );
  const ts = new Date(Date.now() - 7_200_000).toISOString();
  const batches = [];
  for (let k = 0; k < 10; k += 1) {
    batches.push(
      await prepare(
        Array.from({ length: 10_000 }, (_, j) => {
          const i = k * 10_000 + j;
          const features: Record<string, number | string> = {};
          for (let f = 0; f < 25; f += 1) {
            features[`m${i % 2000}_f${(Math.floor(i / 2000) * 25 + f) % 200}`] =
              f % 5 === 4 ? `c${f}` : i % 997;
          }
          const payload = JSON.stringify({
            event_id: `k${i}`,
            model: `keys-${i % 2000}`,
            ts,
            prediction_id: `p${i}`,
            features,
            score: 0.5,
          });
          return {
            kind: 'prediction' as const,
            payload: Buffer.from(payload),
            origin: { source: 'http' as const, topic: '', partition: -1, offset: -1 },
          };
        }),
      ),
    );
  }
  for (const table of ['events_lc_keys', 'events_string_keys']) {
    const before = process.cpuUsage();
    for (const batch of batches) {
      await store.insertRowBinary(table, EVENT_COLUMNS, EVENT_STRUCTURE, batch.encoded);
    }
    await store.command(`OPTIMIZE TABLE ${table} FINAL`);
    const used = process.cpuUsage(before);
    const [size] = await store.query<{ bytes: string }>(
      `SELECT sum(data_compressed_bytes) AS bytes FROM system.parts
       WHERE database = currentDatabase() AND table = {table:String} AND active`,
      { table },
    );
    console.log(
      `engine CPU, 100,000 events with 400,000 possible names, map keys ${table === 'events_lc_keys' ? 'LowCardinality(String)' : 'String'}: ${((used.user + used.system) / 100_000).toFixed(1)} µs per event (insert and a full merge); ${(Number(size?.bytes) / 2 ** 20).toFixed(1)} MiB stored`,
    );
  }
  await store.command('DROP TABLE events_lc_keys');
  await store.command('DROP TABLE events_string_keys');
}

/** One feature of one model, read from raw events: plain Map vs bucketed Map parts. */
async function readOneFeature(store: Store, rows: number): Promise<void> {
  // Parts as inserted stay plain either way (the insert path's cost is unchanged); merged
  // parts are written in buckets or not.
  for (const serialization of ['basic', 'with_buckets'] as const) {
    const table = `layout_${serialization}`;
    await store.command(
      `CREATE TABLE ${table} AS events ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (model, kind, ts, event_id)
       SETTINGS map_serialization_version = '${serialization}'`,
    );
    const filled = performance.now();
    await store.command(
      `INSERT INTO ${table} (model, kind, ts, event_id, feature_numbers)
       SELECT concat('model-', toString(number % 10)), 'prediction',
              toDateTime64('2026-11-22 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 50),
              toString(number),
              mapFromArrays(arrayMap(f -> concat('f', toString(f)), range(300)),
                            arrayMap(f -> (number * 31 + f * 17) % 1000 / 10., range(300)))
       FROM numbers({rows:UInt64})`,
      { rows },
    );
    await store.command(`OPTIMIZE TABLE ${table} FINAL`);
    const fillSeconds = (performance.now() - filled) / 1000;
    const times: number[] = [];
    for (let run = 0; run < 5; run += 1) {
      const started = performance.now();
      await store.query(
        `SELECT quantiles(0.1, 0.5, 0.9)(feature_numbers['f17']) FROM ${table} WHERE model = 'model-3'`,
      );
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const [bytes] = await store.query<{ b: string }>(
      `SELECT sum(data_compressed_bytes) AS b FROM system.parts WHERE database = currentDatabase() AND table = {table:String} AND active`,
      { table },
    );
    console.log(
      `read one feature of one model (${rows / 10} of ${rows} events, 300 features each), Map ${serialization}: median ${times[2]?.toFixed(0)} ms (fill + merge ${fillSeconds.toFixed(0)} s, ${(Number(bytes?.b) / 2 ** 20).toFixed(0)} MiB)`,
    );
    await store.command(`DROP TABLE ${table}`);
  }
}

/**
 * Where an event's time goes, stage by stage, in one process with nothing else running in
 * it: each step of the pipeline over the same 50,000 events, then the writer's existence
 * check and RowBinary insert, and the old object → JSONEachRow insert for comparison. CPU
 * time per event (all threads of the process), so the machine's load inflates it less than
 * wall time.
 */
export async function runIngestBreakdownBenchmark(events = 50_000): Promise<void> {
  const { isUtf8 } = await import('node:buffer');
  const { createCheckValuesStep } = await import('../src/ingest/steps/checkValues.js');
  const { createValidateEventStep } = await import('../src/ingest/steps/validateEvent.js');
  const { createCheckTimestampStep } = await import('../src/ingest/steps/checkTimestamp.js');
  const { toEventInsert, splitFeatures } = await import('../src/ingest/steps/toRow.js');
  const { encodeEvent, findStoredEvents, insertEncodedEvents } =
    await import('../src/store/events.js');
  const { createRowBinaryWriter } = await import('../src/store/rowBinary.js');
  const { createEventPipeline } = await import('../src/ingest/pipeline.js');
  const { toClickHouseTime } = await import('../src/store/clickhouse.js');
  // @ts-expect-error a plain JavaScript module shared with the benchmark clients
  const { eventText } = (await import('./benchEvent.mjs')) as {
    eventText: (i: number, ts: string) => string;
  };
  await withBenchStore('breakdown', async (store) => {
    console.log(
      `machine load (1/5/15 min) ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join('/')}; ${events} events of ~600 bytes`,
    );
    const ts = new Date(Date.now() - 60_000).toISOString();
    const origin = { source: 'kafka' as const, topic: 'predictions', partition: 0, offset: 0 };
    const payloads = Array.from({ length: events }, (_, i) => Buffer.from(eventText(i, ts)));
    const cpuPerEvent = async (name: string, work: () => unknown) => {
      const before = process.cpuUsage();
      await work();
      const used = process.cpuUsage(before);
      console.log(
        `  ${name.padEnd(44)} ${((used.user + used.system) / events).toFixed(1).padStart(6)} µs/event`,
      );
    };
    let texts: string[] = [];
    let parsed: Record<string, unknown>[] = [];
    let inserts: ReturnType<typeof toEventInsert>[] = [];
    const checkValues = createCheckValuesStep({ maxDepth: 32 });
    const validate = createValidateEventStep();
    const checkTimestamp = createCheckTimestampStep({ earliestMs: 0, maxFutureSkewMs: 3_600_000 });
    console.log('pipeline steps, one at a time:');
    await cpuPerEvent('UTF-8 check', () => payloads.forEach((p) => isUtf8(p)));
    await cpuPerEvent('decode to text', () => (texts = payloads.map((p) => p.toString('utf8'))));
    await cpuPerEvent(
      'JSON.parse',
      () => (parsed = texts.map((t) => JSON.parse(t) as Record<string, unknown>)),
    );
    await cpuPerEvent('depth, lone surrogates, non-finite (one walk)', () =>
      parsed.forEach((e) => checkValues(e)),
    );
    await cpuPerEvent('JSON Schema (ajv)', () => parsed.forEach((e) => validate('prediction', e)));
    await cpuPerEvent('timestamp: calendar and range', () =>
      parsed.forEach((e) => checkTimestamp(e.ts)),
    );
    await cpuPerEvent(
      'map to the row',
      () =>
        (inserts = parsed.map((e) =>
          toEventInsert('prediction', e, Date.parse(String(e.ts)), origin),
        )),
    );
    const writer = createRowBinaryWriter(events * 700);
    await cpuPerEvent('encode RowBinary', () => inserts.forEach((e) => encodeEvent(writer, e)));
    const prepare = createEventPipeline();
    const messages = (from: number) =>
      Array.from({ length: 20_000 }, (_, i) => ({
        kind: 'prediction' as const,
        payload: Buffer.from(eventText(from + i, ts)),
        origin: { ...origin, offset: from + i },
      }));
    console.log('the whole pipeline and the store, 20,000-event batches:');
    let batch = await prepare(messages(1_000_000));
    await cpuPerEvent('prepareBatch (all steps, 20,000 per call)', async () => {
      for (let k = 0; k < events / 20_000; k += 1)
        batch = await prepare(messages(2_000_000 + k * 20_000));
    });
    const threads = threadCpuSeconds();
    const keys = batch.events;
    await cpuPerEvent('existence check (20,000 new keys)', () => findStoredEvents(store, keys));
    await cpuPerEvent('RowBinary insert (20,000 rows, file())', () =>
      insertEncodedEvents(store, batch.encoded),
    );
    await cpuPerEvent('existence check (20,000 stored keys)', () => findStoredEvents(store, keys));
    const rows = inserts.slice(0, 20_000).map((e, i) => ({
      ...e,
      event_id: `json-${i}`,
      ts: toClickHouseTime(new Date(e.tsMs)),
      ...splitFeatures(e.features as Record<string, number | string | null>),
      attributes: Object.fromEntries(Object.entries(e.attributes).map(([k, v]) => [k, String(v)])),
    }));
    await cpuPerEvent('old path: objects → JSONEachRow insert (20,000)', () =>
      store.insert('events', rows),
    );
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let merges of these parts run
    const after = threadCpuSeconds();
    console.log(
      `engine threads during the store steps (incl. merges): ${[...after]
        .map(([name, seconds]) => [name, seconds - (threads.get(name) ?? 0)] as const)
        .filter(([, seconds]) => seconds > 0.01)
        .map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`)
        .join(', ')}`,
    );
  });
}

/** CPU seconds per thread name of this process (Linux /proc): the JS thread vs the engine's. */
function threadCpuSeconds(): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name =
        tid === String(process.pid)
          ? 'main (JS)'
          : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds.set(name, (seconds.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return seconds;
}

/**
 * Where the engine's share of an event goes, without Kafka: the same prepared batches of
 * 2,000 events (the consumer's batch here) written through the writer in flushes of 20,000
 * and 50,000 events (the existence check, the insert and the summary views), then inserted
 * alone, without the day grain's view and without any summary view. CPU per event by
 * thread, merges included (3 s after the last insert), each case in a fresh store.
 */
export async function runWriterBenchmark(total = 200_000): Promise<void> {
  const { createEventPipeline } = await import('../src/ingest/pipeline.js');
  const { insertEncodedEvents } = await import('../src/store/events.js');
  // @ts-expect-error a plain JavaScript module shared with the benchmark clients
  const { eventText } = (await import('./benchEvent.mjs')) as {
    eventText: (i: number, ts: string) => string;
  };
  const prepare = createEventPipeline();
  const batches: PreparedBatch[] = [];
  const start = Date.now() - 600_000;
  for (let b = 0; b < total / 2000; b += 1) {
    // one event time per 24,000 events, as the Kafka benchmark's producer stamps them
    const ts = new Date(start + Math.floor(b / 12) * 1000).toISOString();
    const messages: IncomingMessage[] = Array.from({ length: 2000 }, (_, i) => ({
      kind: 'prediction',
      payload: Buffer.from(eventText(b * 2000 + i, ts)),
      origin: { source: 'kafka', topic: 'predictions', partition: b % 12, offset: b * 2000 + i },
    }));
    batches.push(await prepare(messages));
  }
  const cases = [
    { name: 'writer, 20,000 an insert', perInsert: 20_000, through: 'writer' },
    { name: 'writer, 50,000 an insert', perInsert: 50_000, through: 'writer' },
    { name: 'insert alone, 20,000', perInsert: 20_000, through: 'insert' },
    { name: 'insert alone, 50,000', perInsert: 50_000, through: 'insert' },
    {
      name: 'insert, 20,000, no day view',
      perInsert: 20_000,
      through: 'insert',
      drop: ['summary_1d_fine_mv'],
    },
    {
      name: 'insert, 20,000, no summary view',
      perInsert: 20_000,
      through: 'insert',
      drop: ['events_summary_input_mv'],
    },
  ] as const;
  console.log(
    `${total} prepared events (~600 bytes) in batches of 2,000; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join('/')}`,
  );
  for (const c of cases) {
    await withBenchStore('writer', async (store) => {
      for (const view of 'drop' in c ? c.drop : []) await store.command(`DROP VIEW ${view}`);
      const writer = createEventWriter(store, { metrics: createIngestMetrics(), lingerMs: 0 });
      const per = c.perInsert / 2000;
      const before = threadCpuSeconds();
      for (let i = 0; i < batches.length; i += per) {
        const group = batches.slice(i, i + per);
        if (c.through === 'writer') await Promise.all(group.map((batch) => writer.write(batch)));
        else await insertEncodedEvents(store, Buffer.concat(group.map((batch) => batch.encoded)));
      }
      await new Promise((resolve) => setTimeout(resolve, 3000)); // merges of these parts
      const used = [...threadCpuSeconds()]
        .map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)] as const)
        .filter(([, seconds]) => seconds >= 0.02)
        .sort((a, b) => b[1] - a[1]);
      const all = used.reduce((sum, [, seconds]) => sum + seconds, 0);
      const perEvent = (seconds: number) => ((seconds * 1e6) / total).toFixed(1);
      console.log(
        `  ${c.name.padEnd(32)} ${perEvent(all).padStart(5)} µs/event (${used.map(([name, seconds]) => `${name} ${perEvent(seconds)}`).join(', ')}); load ${os.loadavg()[0]!.toFixed(2)}`,
      );
    });
  }
}
