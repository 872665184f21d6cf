import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import {
  connectProducer,
  produceUndecodableBatch,
  produceWithKcat,
  startMockBroker,
  waitFor,
  type MockBroker,
} from '../helpers/kafka.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 18, item 1, as an operator meets it: the real `serve --kafka` and `ingest` against
 * librdkafka's mock cluster, fed by kcat. Every codec is stored; a consumer that cannot
 * progress shows lag and `stalled` in /metrics; SIGTERM ends the process within the grace
 * (DRIFTWATCH_STOP_GRACE_SECONDS) whether it is consuming, crash-looping, connecting to a
 * broker that never answers, or in the middle of writing batches.
 */
const GRACE_SECONDS = 8;
/** Process exit after the grace: the timer fires, then node tears down. */
const EXIT_SLACK_MS = 1_500;
const TOPICS = { predictions: 'cli-predictions', features: 'cli-features', labels: 'cli-labels' };

function prediction(id: string) {
  return JSON.stringify({
    event_id: id,
    model: 'cli',
    ts: '2026-11-22T10:00:00Z',
    prediction_id: `p-${id}`,
    features: { amount: 1 },
    score: 0.5,
  });
}

describe('serve --kafka and ingest: every codec, lag while stuck, a stop that ends', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  async function broker(partitions = 2): Promise<MockBroker> {
    const started = await startMockBroker({
      brokers: 1,
      topics: Object.fromEntries(Object.values(TOPICS).map((topic) => [topic, partitions])),
    });
    cleanup.push(() => started.stop());
    return started;
  }

  function environment(bootstrap: string, extra: Record<string, string> = {}) {
    const dir = tempDir('driftwatch-kafka-cli-');
    fs.mkdirSync(path.join(dir, 'monitors'));
    return {
      DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
      DRIFTWATCH_MONITORS_DIR: path.join(dir, 'monitors'),
      DRIFTWATCH_PORT: '0',
      DRIFTWATCH_STOP_GRACE_SECONDS: String(GRACE_SECONDS),
      DRIFTWATCH_KAFKA_STALL_SECONDS: '2',
      KAFKA_BROKERS: bootstrap,
      KAFKA_GROUP: 'cli',
      KAFKA_SESSION_TIMEOUT_MS: '3000',
      KAFKA_TOPIC_PREDICTIONS: TOPICS.predictions,
      KAFKA_TOPIC_FEATURES: TOPICS.features,
      KAFKA_TOPIC_LABELS: TOPICS.labels,
      ...extra,
    };
  }

  async function serve(env: Record<string, string>): Promise<{ cli: RunningCli; url: string }> {
    const cli = startCli(['serve', '--kafka'], env);
    cleanup.push(() => cli.stop());
    const url = (await cli.waitForStderr(/listening on (http:\/\/\S+);/))[1] ?? '';
    return { cli, url };
  }

  /** Sends SIGTERM; the exit status and how long the process took to end. */
  async function terminate(cli: RunningCli): Promise<{ status: number; ms: number }> {
    const start = Date.now();
    const status = await cli.stop();
    return { status, ms: Date.now() - start };
  }

  async function metric(url: string, name: string, labels = ''): Promise<number[]> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const pattern = new RegExp(`^${name}(\\{[^}]*${labels}[^}]*\\})? (\\S+)$`, 'gm');
    return [...text.matchAll(pattern)].map((match) => Number(match[2]));
  }

  async function stored(env: Record<string, string>) {
    const status = await runCli(['status', '--json'], env);
    expect(status.status, status.stderr).toBe(0);
    return JSON.parse(status.stdout) as { events: { predictions: number }; dead_letters: number };
  }

  async function committedTotal(bootstrap: string): Promise<number> {
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: 'cli', topics: [TOPICS.predictions] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  it('serve --kafka stores what kcat produces with every codec, dead-letters an undecodable batch, and stops within the grace', async () => {
    const kafka = await broker();
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
    for (const [i, codec] of codecs.entries()) {
      const values = Array.from({ length: 100 }, (_, k) => prediction(`${codec}-${k}`));
      await produceWithKcat(kafka.bootstrap, TOPICS.predictions, values, {
        codec,
        partition: i % 2,
      });
    }
    await produceUndecodableBatch(kafka.bootstrap, TOPICS.predictions, {
      partition: 1,
      codecId: 2,
      records: 5,
      garbage: Buffer.from('not snappy'),
    });
    const env = environment(kafka.bootstrap);
    const { cli, url } = await serve(env);
    await waitFor(
      async () =>
        (
          await metric(url, 'driftwatch_ingest_events_total', 'source="kafka",kind="prediction"')
        )[0] === 500,
      60_000,
    );
    expect(
      await metric(
        url,
        'driftwatch_ingest_dead_letters_total',
        'source="kafka",reason="undecodable_batch"',
      ),
    ).toEqual([1]);
    const stop = await terminate(cli);
    expect(stop.status).toBe(0);
    expect(stop.ms).toBeLessThan(GRACE_SECONDS * 1000);
    expect(await stored(env)).toMatchObject({ events: { predictions: 500 }, dead_letters: 1 });
    expect(cli.stderr()).toMatch(/dead-lettered an undecodable record batch of cli-predictions\/1/);
  });

  it('serve --kafka in a crash-restart loop shows growing lag and stalled in /metrics, and SIGTERM ends it within the grace', async () => {
    const kafka = await broker();
    const producer = await connectProducer(kafka.bootstrap);
    cleanup.push(() => producer.disconnect());
    await producer.send({
      topic: TOPICS.predictions,
      messages: Array.from({ length: 300 }, (_, i) => ({ value: prediction(`loop-${i}`) })),
    });
    // Every fetch fails with UNKNOWN_SERVER_ERROR: kafkajs gives the consumer up each time, it
    // is replaced, rejoins, and fails again — it never commits anything.
    await kafka.command('error 1 -1 64');
    const { cli, url } = await serve(environment(kafka.bootstrap));
    await cli.waitForStderr(/the Kafka consumer stopped: .*; starting a new one/, 30_000);
    // stalled once the stall time (2 s) passes without progress; lag read every 0.5 s
    await waitFor(
      async () =>
        (await metric(url, 'driftwatch_kafka_consumer_stalled'))[0] === 1 &&
        (
          await metric(url, 'driftwatch_kafka_consumer_lag', `topic="${TOPICS.predictions}"`)
        ).reduce((sum, lag) => sum + lag, 0) === 300,
      10_000,
    );
    await producer.send({
      topic: TOPICS.predictions,
      messages: Array.from({ length: 50 }, (_, i) => ({ value: prediction(`more-${i}`) })),
    });
    await waitFor(
      async () =>
        (
          await metric(url, 'driftwatch_kafka_consumer_lag', `topic="${TOPICS.predictions}"`)
        ).reduce((sum, lag) => sum + lag, 0) === 350,
      10_000,
    );
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    await cli.waitForStderr(/the Kafka consumer stopped: .*; starting a new one/);
    const stop = await terminate(cli);
    expect(stop.ms).toBeLessThan(GRACE_SECONDS * 1000 + EXIT_SLACK_MS);
    expect(stop.status).toBe(0);
  });

  it('ingest in a crash-restart loop says it stopped and exits within the grace', async () => {
    const kafka = await broker();
    const producer = await connectProducer(kafka.bootstrap);
    cleanup.push(() => producer.disconnect());
    await producer.send({ topic: TOPICS.predictions, messages: [{ value: prediction('x') }] });
    await kafka.command('error 1 -1 64');
    const cli = startCli(['ingest'], environment(kafka.bootstrap));
    cleanup.push(() => cli.stop());
    await cli.waitForStderr(/the Kafka consumer stopped: .*; starting a new one/, 60_000);
    // in the middle of the next replacement: its join takes the mock's session timeout
    await cli.waitForStderr(/starting a new one[\s\S]*starting a new one/, 30_000);
    const stop = await terminate(cli);
    expect(stop.ms).toBeLessThan(GRACE_SECONDS * 1000 + EXIT_SLACK_MS);
    expect(stop.status).toBe(0);
    expect(cli.stderr()).toMatch(/driftwatch ingest: stopped: /);
  });

  it('ingest connecting to a broker that accepts connections and never answers exits within the grace', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const address = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const cli = startCli(['ingest'], environment(address));
    cleanup.push(() => cli.stop());
    // the probe's TCP connection opened: kafkajs is connecting, and will wait for an answer
    await waitFor(async () => held.length >= 2, 60_000, 100);
    const stop = await terminate(cli);
    expect(stop.ms).toBeLessThan(GRACE_SECONDS * 1000 + EXIT_SLACK_MS);
  });

  it('serve --kafka stopped in the middle of its batches commits only what it stored, and a restart stores the rest once', async () => {
    const kafka = await broker(8);
    const producer = await connectProducer(kafka.bootstrap);
    cleanup.push(() => producer.disconnect());
    const total = 80_000;
    for (let from = 0; from < total; from += 5_000) {
      await producer.send({
        topic: TOPICS.predictions,
        messages: Array.from({ length: 5_000 }, (_, i) => ({
          value: prediction(`mid-${from + i}`),
        })),
      });
    }
    // batches wait up to a second for company before their insert: a stop finds some in hand
    const env = environment(kafka.bootstrap, { DRIFTWATCH_INGEST_LINGER_MS: '1000' });
    const { cli, url } = await serve(env);
    await waitFor(
      async () =>
        ((
          await metric(url, 'driftwatch_ingest_events_total', 'source="kafka",kind="prediction"')
        )[0] ?? 0) > 0,
      60_000,
      50,
    );
    const stop = await terminate(cli);
    expect(stop.ms).toBeLessThan(GRACE_SECONDS * 1000);
    expect(stop.status).toBe(0);
    const first = (await stored(env)).events.predictions;
    expect(await committedTotal(kafka.bootstrap)).toBeLessThanOrEqual(first);
    const again = await serve(env);
    await waitFor(
      async () =>
        (await metric(again.url, 'driftwatch_kafka_consumer_lag', `topic="${TOPICS.predictions}"`))
          .length === 8 &&
        (
          await metric(again.url, 'driftwatch_kafka_consumer_lag', `topic="${TOPICS.predictions}"`)
        ).every((lag) => lag === 0),
      90_000,
    );
    expect((await terminate(again.cli)).status).toBe(0);
    expect((await stored(env)).events.predictions).toBe(total);
  });
});
