import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixedBatch, type FuzzKind } from '../../test/helpers/eventArbitraries.js';
import {
  connectProducer,
  startMockBroker,
  TEST_CONSUMER_TIMINGS,
  waitFor,
  type MockBroker,
} from '../../test/helpers/kafka.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from '../store/clickhouse.js';
import { createKafkaIngest, type KafkaIngest } from './kafkaConsumer.js';
import { createIngestMetrics } from './metrics.js';
import { DEAD_LETTER_REASONS } from './outcome.js';

const SEED = 20_261_124;
const CASES = 150;
const TOPICS: Record<FuzzKind, string> = {
  prediction: 'fuzz-predictions',
  feature: 'fuzz-features',
  label: 'fuzz-labels',
};

/**
 * The same property through the Kafka path (librdkafka's mock broker on loopback): random
 * and hostile messages on all three topics, produced in seeded cases. Every message ends
 * stored exactly once or dead-lettered with a known reason, nothing good is dead-lettered,
 * the consumer stays healthy and commits to the end. A failure names the seed and the case.
 */
describe('Kafka ingest under random and malicious messages (fast-check)', () => {
  let store: Store;
  let broker: MockBroker;
  let producer: Producer;
  let ingest: KafkaIngest;

  beforeAll(async () => {
    store = await openTestStore();
    await store.command(
      `CREATE TABLE inserted_rows (tbl LowCardinality(String), model String, n UInt64)
       ENGINE = SummingMergeTree ORDER BY (tbl, model)`,
    );
    for (const table of ['events', 'labels']) {
      await store.command(
        `CREATE MATERIALIZED VIEW count_${table} TO inserted_rows AS
         SELECT '${table}' AS tbl, model, count() AS n FROM ${table} GROUP BY model`,
      );
    }
    broker = await startMockBroker({
      brokers: 1,
      topics: Object.fromEntries(Object.values(TOPICS).map((topic) => [topic, 3])),
    });
    producer = await connectProducer(broker.bootstrap);
    ingest = createKafkaIngest(store, createIngestMetrics(), {
      brokers: [broker.bootstrap],
      clientId: 'fuzz',
      groupId: 'fuzz',
      topics: { predictions: TOPICS.prediction, features: TOPICS.feature, labels: TOPICS.label },
      pipeline: { maxEventBytes: 16 * 1024 },
      progressCheckMs: 200,
      ...TEST_CONSUMER_TIMINGS,
    });
    await ingest.start();
  });
  afterAll(async () => {
    await ingest.stop().catch(() => undefined);
    await producer.disconnect();
    await broker.stop();
    await store.close();
  });

  it('stores every good message once and dead-letters every refused one with its reason', async () => {
    const cases = fc.sample(
      mixedBatch('k', ['prediction', 'feature', 'label'], { good: 'kafka-good', bad: 'kafka-bad' }),
      { seed: SEED, numRuns: CASES },
    );
    const items = cases.flatMap((batch, c) =>
      batch.map((item, i) => ({
        ...item,
        // Ids unique across cases: the arbitrary numbers them within one case.
        payload: Buffer.from(
          item.payload.toString('latin1').replaceAll('"k-', `"k${c}-`),
          'latin1',
        ),
        where: `case ${c} item ${i}`,
      })),
    );
    for (const kind of ['prediction', 'feature', 'label'] as const) {
      const messages = items
        .filter((item) => item.kind === kind)
        .map((item) => ({ value: item.payload }));
      for (let i = 0; i < messages.length; i += 200) {
        await producer.send({ topic: TOPICS[kind], messages: messages.slice(i, i + 200) });
      }
    }
    const good = items.filter((item) => item.good).length;
    const bad = items.length - good;
    expect(Math.min(good, bad)).toBeGreaterThan(items.length / 4); // both kinds well exercised
    const settled = async () => {
      const [letters] = await store.query<{ n: string }>(
        "SELECT count() AS n FROM dead_letters WHERE topic LIKE 'fuzz-%'",
      );
      const acceptedBad = await inserted('kafka-bad');
      return (await inserted('kafka-good')) === good && Number(letters?.n) + acceptedBad === bad;
    };
    await waitFor(settled, 120_000).catch((error: Error) => {
      throw new Error(`${error.message} (fast-check seed ${SEED}, ${CASES} cases)`);
    });
    const letters = await store.query<{ reason: string; payload_sha256: string; detail: string }>(
      "SELECT reason, payload_sha256, detail FROM dead_letters WHERE topic LIKE 'fuzz-%'",
    );
    const goodHashes = new Map(
      items.filter((item) => item.good).map((item) => [sha256(item.payload), item.where]),
    );
    for (const letter of letters) {
      expect(DEAD_LETTER_REASONS, `seed ${SEED}`).toContain(letter.reason);
      expect(
        goodHashes.get(letter.payload_sha256),
        `seed ${SEED}: a good message dead-lettered: ${letter.detail}`,
      ).toBeUndefined();
    }
    await waitFor(async () => ingest.progress().partitions.every((p) => p.lag === 0), 30_000);
    expect(ingest.health()).toMatchObject({ ok: true });
  });

  async function inserted(model: string): Promise<number> {
    const [row] = await store.query<{ n: string }>(
      'SELECT sum(n) AS n FROM inserted_rows WHERE model = {model:String}',
      { model },
    );
    return Number(row?.n ?? 0);
  }
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
