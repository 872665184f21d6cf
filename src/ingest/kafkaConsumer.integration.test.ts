import { createHash } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectProducer,
  startMockBroker,
  TEST_CONSUMER_TIMINGS,
  waitFor,
  type MockBroker,
} from '../../test/helpers/kafka.js';
import { eventsAcrossMonths, poisonCases, validPrediction } from '../../test/helpers/poison.js';
import { openTestStore } from '../../test/helpers/store.js';
import { storeHoldingFirstInsert } from '../../test/helpers/flakyStore.js';
import type { Store } from '../store/clickhouse.js';
import { createKafkaIngest, type KafkaIngest, type KafkaIngestOptions } from './kafkaConsumer.js';
import { createIngestMetrics, type IngestMetrics } from './metrics.js';
import { createEventWriter } from './writer.js';

/**
 * The consumer against a real Kafka-protocol broker (librdkafka's mock cluster on
 * loopback) and embedded ClickHouse. Each scenario has its own topics, group and model.
 */
const SCENARIOS = [
  'mixed',
  'restart',
  'group',
  'chdown',
  'brokerdown',
  'poison',
  'replay',
  'stopcommit',
  'linger',
  'order',
] as const;

function topicsOf(scenario: string) {
  return {
    predictions: `${scenario}-predictions`,
    features: `${scenario}-features`,
    labels: `${scenario}-labels`,
  };
}

function prediction(model: string, i: number) {
  return JSON.stringify({
    event_id: `${model}-${i}`,
    model,
    ts: new Date(Date.UTC(2026, 10, 22, 10, 0, 0, i)).toISOString(),
    prediction_id: `p${i}`,
    features: { amount: i, merchant_category: i % 2 ? 'grocery' : 'travel' },
    score: (i % 100) / 100,
    attributes: { country: 'US' },
  });
}

describe('Kafka ingestion through a real Kafka-protocol broker', () => {
  let store: Store;
  let broker: MockBroker;
  let producer: Producer;
  const running: KafkaIngest[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    // Counts every row inserted into events and labels, as the drift engine's summaries do.
    await store.command(
      `CREATE TABLE inserted_rows (tbl LowCardinality(String), model String, n UInt64)
       ENGINE = SummingMergeTree ORDER BY (tbl, model)`,
    );
    await store.command(
      `CREATE MATERIALIZED VIEW count_events TO inserted_rows AS
       SELECT 'events' AS tbl, model, count() AS n FROM events GROUP BY model`,
    );
    await store.command(
      `CREATE MATERIALIZED VIEW count_labels TO inserted_rows AS
       SELECT 'labels' AS tbl, model, count() AS n FROM labels GROUP BY model`,
    );
    const topics = Object.fromEntries(
      SCENARIOS.flatMap((s) => Object.values(topicsOf(s)).map((topic) => [topic, 4])),
    );
    broker = await startMockBroker({ brokers: 1, topics });
    producer = await connectProducer(broker.bootstrap);
  });
  afterAll(async () => {
    await Promise.all(running.map((ingest) => ingest.stop().catch(() => undefined)));
    await producer.disconnect();
    await broker.stop();
    await store.close();
  });

  async function startIngest(
    scenario: string,
    metrics: IngestMetrics = createIngestMetrics(),
    options: Partial<KafkaIngestOptions> = {},
  ): Promise<KafkaIngest> {
    const ingest = createKafkaIngest(store, metrics, {
      brokers: [broker.bootstrap],
      clientId: `test-${scenario}`,
      groupId: `group-${scenario}`,
      topics: topicsOf(scenario),
      ...TEST_CONSUMER_TIMINGS,
      ...options,
    });
    running.push(ingest);
    await ingest.start();
    return ingest;
  }

  async function produce(scenario: string, from: number, count: number): Promise<void> {
    const messages = Array.from({ length: count }, (_, k) => ({
      key: String(from + k),
      value: prediction(scenario, from + k),
    }));
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({
        topic: topicsOf(scenario).predictions,
        messages: messages.slice(i, i + 500),
      });
    }
  }

  async function stored(model: string): Promise<number> {
    const [row] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM events FINAL WHERE model = {model:String} AND kind = 'prediction'",
      { model },
    );
    return Number(row?.n ?? 0);
  }

  it('stores every valid message and dead-letters every malformed one with its reason', async () => {
    await startIngest('mixed');
    await produce('mixed', 0, 200);
    await producer.send({
      topic: topicsOf('mixed').predictions,
      messages: [
        { value: '{"event_id": "broken' },
        { value: JSON.stringify({ ...JSON.parse(prediction('mixed', 999)), score: 'high' }) },
      ],
    });
    await producer.send({
      topic: topicsOf('mixed').labels,
      messages: Array.from({ length: 50 }, (_, i) => ({
        value: JSON.stringify({
          model: 'mixed',
          prediction_id: `p${i}`,
          label: i % 2,
          ts: '2026-11-23T00:00:00Z',
        }),
      })),
    });
    await waitFor(
      async () =>
        (await stored('mixed')) === 200 && (await deadLetters('mixed-predictions')).length === 2,
    );
    const dead = await deadLetters('mixed-predictions');
    expect(dead.map((d) => d.reason).sort()).toEqual(['invalid', 'not_json']);
    expect(dead.find((d) => d.reason === 'invalid')?.detail).toBe(
      'field "score": must be number, got "high"',
    );
    expect(dead.find((d) => d.reason === 'not_json')?.payload).toBe('{"event_id": "broken');
    await waitFor(
      async () =>
        Number(
          (
            await store.query<{ n: string }>(
              "SELECT count() AS n FROM labels FINAL WHERE model = 'mixed'",
            )
          )[0]?.n,
        ) === 50,
    );
  });

  async function insertedRows(table: string, model: string): Promise<number> {
    const [row] = await store.query<{ n: string }>(
      'SELECT sum(n) AS n FROM inserted_rows WHERE tbl = {table:String} AND model = {model:String}',
      { table, model },
    );
    return Number(row?.n ?? 0);
  }

  async function deadLetters(topic: string) {
    return store.query<{
      reason: string;
      detail: string;
      payload: string;
      partition: number;
      offset: string;
      payload_sha256: string;
    }>(
      `SELECT reason, detail, payload, partition, offset, payload_sha256
       FROM dead_letters FINAL WHERE topic = {topic:String}`,
      { topic },
    );
  }

  it('loses nothing and counts nothing twice when a consumer stops mid-stream and restarts', async () => {
    const first = await startIngest('restart');
    await produce('restart', 0, 1000);
    await waitFor(async () => (await stored('restart')) > 0);
    await first.stop();
    await produce('restart', 1000, 1000);
    await startIngest('restart');
    await waitFor(async () => (await stored('restart')) >= 2000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // any redelivery has landed by now
    expect(await stored('restart')).toBe(2000);
    expect(await insertedRows('events', 'restart')).toBe(2000);
  });

  it('commits on a graceful stop the batches it was still writing', async () => {
    const metrics = createIngestMetrics();
    const real = createEventWriter(store, { metrics });
    let writing = 0;
    // the store is slow: each write takes a second, so the stop comes while one is in hand
    const slow = {
      async write(batch: Parameters<typeof real.write>[0]) {
        writing += 1;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await real.write(batch);
      },
      flush: () => real.flush(),
    };
    const ingest = await startIngest('stopcommit', metrics, { writer: slow });
    await produce('stopcommit', 0, 200);
    await waitFor(async () => writing > 0);
    await ingest.stop();
    expect(await stored('stopcommit')).toBeGreaterThan(0);
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: 'group-stopcommit',
        topics: [topicsOf('stopcommit').predictions],
      });
      const total = (committed?.partitions ?? []).reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
      // what was stored is committed: nothing written is redelivered to the next owner
      expect(total).toBe(await stored('stopcommit'));
    } finally {
      await admin.disconnect();
    }
  });

  it('commits no offset of a lingering batch before its write, bounds what lingers, and writes it all on stop', async () => {
    const metrics = createIngestMetrics();
    // lingers past the test's end unless flushed: only a stop writes anything
    const real = createEventWriter(store, {
      metrics,
      lingerMessages: 1_000_000,
      lingerMs: 3_600_000,
    });
    let handed = 0;
    const counting = {
      write(batch: Parameters<typeof real.write>[0], options?: Parameters<typeof real.write>[1]) {
        handed += batch.messages.length;
        return real.write(batch, options);
      },
      flush: () => real.flush(),
    };
    const maxPendingMessages = 300;
    await produce('linger', 0, 2000);
    const ingest = await startIngest('linger', metrics, {
      writer: counting,
      maxPendingMessages,
    });
    await waitFor(async () => handed > 0);
    // until the consumer stops taking batches: bounded, it stops at the bound
    let seen = -1;
    while (seen !== handed) {
      seen = handed;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(handed).toBeLessThanOrEqual(maxPendingMessages);
    expect(await stored('linger')).toBe(0);
    expect(await committedTotal('linger')).toBe(0);
    await ingest.stop();
    const storedCount = await stored('linger');
    expect(storedCount).toBeGreaterThanOrEqual(seen);
    expect(storedCount).toBe(handed);
    // what was stored is committed, and nothing else
    expect(await committedTotal('linger')).toBe(storedCount);
    expect(await insertedRows('events', 'linger')).toBe(storedCount);
  });

  async function committedTotal(scenario: string): Promise<number> {
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: `group-${scenario}`,
        topics: [topicsOf(scenario).predictions],
      });
      return (committed?.partitions ?? []).reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
    } finally {
      await admin.disconnect();
    }
  }

  it("stores a partition's events in its order when a write fails: an event repeated by a later batch keeps the earlier batch's copy", async () => {
    // the first insert into events waits until released, then fails as a lost connection does
    let release!: () => void;
    const until = new Promise<void>((resolve) => (release = resolve));
    const gated = storeHoldingFirstInsert(store, 'events', until, { fail: true });
    const metrics = createIngestMetrics();
    const real = createEventWriter(gated.store, { metrics, lingerMs: 10 });
    let handed = 0;
    const counting = {
      write(batch: Parameters<typeof real.write>[0], options?: Parameters<typeof real.write>[1]) {
        handed += 1;
        return real.write(batch, options);
      },
      flush: () => real.flush(),
    };
    const topic = topicsOf('order').predictions;
    const copy = (score: number, id = 'order-1') =>
      JSON.stringify({ ...JSON.parse(prediction('order', 1)), event_id: id, score });
    const ingest = await startIngest('order', metrics, { writer: counting });
    // batch 1: the event's first copy; its insert is held, then fails
    await producer.send({ topic, messages: [{ key: 'k', value: copy(0.1) }] });
    await waitFor(async () => gated.entered());
    // batch 2, same partition (same key): a second copy of it, and one more event
    await producer.send({
      topic,
      messages: [
        { key: 'k', value: copy(0.9) },
        { key: 'k', value: copy(0.5, 'order-2') },
      ],
    });
    await waitFor(async () => handed >= 2);
    release();
    await waitFor(async () => (await stored('order')) === 2);
    const rows = await store.query<{ event_id: string; score: number }>(
      "SELECT event_id, score FROM events FINAL WHERE model = 'order' ORDER BY event_id",
    );
    // before, batch 2 was written while batch 1 backed off: the later copy (0.9) was stored
    expect(rows).toEqual([
      { event_id: 'order-1', score: 0.1 },
      { event_id: 'order-2', score: 0.5 },
    ]);
    expect(gated.failed()).toBe(true);
    // its consumer leaves the group now: the next tests' groups settle on a quieter broker
    await ingest.stop();
  });

  it('shares the partitions between two consumers of one group', async () => {
    const a = createIngestMetrics();
    const b = createIngestMetrics();
    // One member joins and takes every partition, then the second joins and the group
    // rebalances onto both: the path a scaled-out deployment takes. (Both joining at once
    // raced the mock coordinator's join rounds: on a loaded machine the group sometimes had
    // not settled after 30 s.) Settled means each member holds partitions.
    const first = await startIngest('group', a);
    await waitFor(async () => first.progress().partitions.length > 0, 60_000);
    const second = await startIngest('group', b);
    await waitFor(
      async () => first.progress().partitions.length > 0 && second.progress().partitions.length > 0,
      60_000,
    );
    await produce('group', 0, 2000);
    await waitFor(async () => (await stored('group')) >= 2000);
    expect(await stored('group')).toBe(2000);
    expect(await insertedRows('events', 'group')).toBe(2000);
    expect(a.snapshot().events.prediction).toBeGreaterThan(0);
    expect(b.snapshot().events.prediction).toBeGreaterThan(0);
  });

  it('pauses while ClickHouse refuses inserts, reports the stall, and resumes without loss', async () => {
    const metrics = createIngestMetrics();
    const ingest = await startIngest('chdown', metrics, {
      stallAfterMs: 1500,
      progressCheckMs: 200,
    });
    await produce('chdown', 0, 100);
    await waitFor(async () => (await stored('chdown')) === 100);
    await waitFor(async () => ingest.health().ok);
    await store.command('DETACH TABLE events');
    try {
      await produce('chdown', 100, 300);
      await waitFor(async () => metrics.snapshot().insert_failures >= 2);
      // No progress while lag grows: reported as a stall, in health and in /metrics.
      await waitFor(async () => !ingest.health().ok);
      expect(ingest.health().detail).toMatch(
        /stalled: chdown-predictions\/\d lag \d+.*last failure: ClickHouse: (Unknown table|Table .* does not exist)/,
      );
      await waitFor(async () =>
        / 1$/m.test(
          await metrics.registry.getSingleMetricAsString('driftwatch_kafka_consumer_stalled'),
        ),
      );
      expect(metrics.snapshot().retries).toBeGreaterThanOrEqual(2);
    } finally {
      await store.command('ATTACH TABLE events');
    }
    await waitFor(async () => (await stored('chdown')) === 400);
    await waitFor(async () => ingest.health().ok);
    expect(await deadLetters('chdown-predictions')).toEqual([]);
    expect(await insertedRows('events', 'chdown')).toBe(400);
  });

  it('inserts nothing twice when another group replays the topics in other batches', async () => {
    await startIngest('replay', createIngestMetrics(), { groupId: 'replay-first' });
    await produce('replay', 0, 1000);
    await producer.send({
      topic: topicsOf('replay').labels,
      messages: Array.from({ length: 100 }, (_, i) => ({
        value: JSON.stringify({
          model: 'replay',
          prediction_id: `p${i}`,
          label: i % 2,
          ts: '2026-11-22T11:00:00Z',
        }),
      })),
    });
    await producer.send({
      topic: topicsOf('replay').predictions,
      messages: [{ value: 'not json' }],
    });
    await waitFor(
      async () =>
        (await insertedRows('labels', 'replay')) === 100 && (await stored('replay')) === 1000,
    );
    const replaying = createIngestMetrics();
    await startIngest('replay', replaying, { groupId: 'replay-second' });
    await waitFor(
      async () =>
        replaying.snapshot().duplicates === 1100 && replaying.snapshot().bad_messages === 1,
    );
    expect(replaying.snapshot().events).toEqual({ prediction: 0, feature: 0, label: 0 });
    expect(await insertedRows('events', 'replay')).toBe(1000);
    expect(await insertedRows('labels', 'replay')).toBe(100);
    const [letters] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM dead_letters WHERE topic = 'replay-predictions'",
    );
    expect(Number(letters?.n)).toBe(1);
  });

  it('dead-letters each poison message alone, with its reason, and stores everything around it', async () => {
    await startIngest('poison');
    const cases = poisonCases('poison');
    const good = (from: number) =>
      Array.from({ length: 50 }, (_, i) =>
        validPrediction('poison', `good-${from + i}`, '2026-11-22T10:00:00Z'),
      );
    // One partition, one send: on the old code the first poison message stalled everything after it.
    await producer.send({
      topic: topicsOf('poison').predictions,
      messages: [
        ...good(0),
        ...cases.map((c) => c.payload),
        ...eventsAcrossMonths('poison'),
        ...good(50),
      ].map((value) => ({ value, partition: 0 })),
    });
    const storedCases = cases.filter((c) => c.expect === 'stored').length;
    const expectedStored = 100 + 120 + storedCases;
    const expectedDead = cases.length - storedCases;
    await waitFor(
      async () =>
        (await stored('poison')) === expectedStored &&
        (await deadLetters('poison-predictions')).length === expectedDead,
    );
    const dead = await deadLetters('poison-predictions');
    for (const c of cases) {
      if (c.expect === 'stored') continue;
      const letter = dead.find((d) => d.payload_sha256 === sha256(c.payload));
      expect(letter?.reason, c.name).toBe(c.expect.reason);
    }
    const infinities = await store.query<{ event_id: string; amount: string }>(
      `SELECT event_id, toString(feature_numbers['amount']) AS amount FROM events
       WHERE model = 'poison' AND event_id IN ('inffeature', 'neginffeature') ORDER BY event_id`,
    );
    expect(infinities).toEqual([
      { event_id: 'inffeature', amount: 'inf' },
      { event_id: 'neginffeature', amount: '-inf' },
    ]);
  });

  it('carries on after the broker goes down and comes back', async () => {
    await startIngest('brokerdown');
    await produce('brokerdown', 0, 100);
    await waitFor(async () => (await stored('brokerdown')) === 100);
    await broker.command('down 1');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await broker.command('up 1');
    await produce('brokerdown', 100, 100);
    await waitFor(async () => (await stored('brokerdown')) === 200, 60_000);
    expect(await stored('brokerdown')).toBe(200);
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
