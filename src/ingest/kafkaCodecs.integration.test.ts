import { gzipSync } from 'node:zlib';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectProducer,
  produceUndecodableBatch,
  produceWithKcat,
  startMockBroker,
  TEST_CONSUMER_TIMINGS,
  waitFor,
  type MockBroker,
} from '../../test/helpers/kafka.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from '../store/clickhouse.js';
import { CODEC_NAMES } from './kafkaCodecs.js';
import { createKafkaIngest, type KafkaIngest } from './kafkaConsumer.js';
import { createIngestMetrics } from './metrics.js';

/**
 * Issue 18, item 1: every codec real producers use, read from a real Kafka-protocol broker
 * (librdkafka's mock cluster) as produced by a third-party client (Debian's kcat, i.e.
 * librdkafka) and by kafkajs; a record batch that still cannot be decoded is dead-lettered
 * by its coordinates and committed past while everything around it is stored.
 */
const SCENARIOS = ['kcat', 'kafkajs', 'corrupt'] as const;
const PARTITIONS = 3;

function topicsOf(scenario: string) {
  return {
    predictions: `${scenario}-predictions`,
    features: `${scenario}-features`,
    labels: `${scenario}-labels`,
  };
}

function prediction(model: string, id: string) {
  return JSON.stringify({
    event_id: id,
    model,
    ts: '2026-11-22T10:00:00Z',
    prediction_id: `p-${id}`,
    features: { amount: id.length, merchant_category: 'grocery' },
    score: 0.5,
  });
}

function label(model: string, i: number) {
  return JSON.stringify({
    model,
    prediction_id: `p${i}`,
    label: i % 2,
    ts: '2026-11-23T00:00:00Z',
  });
}

describe('Kafka codecs and undecodable record batches', () => {
  let store: Store;
  let broker: MockBroker;
  let producer: Producer;
  const running: KafkaIngest[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    broker = await startMockBroker({
      brokers: 1,
      topics: Object.fromEntries(
        SCENARIOS.flatMap((s) => Object.values(topicsOf(s)).map((topic) => [topic, PARTITIONS])),
      ),
    });
    producer = await connectProducer(broker.bootstrap);
  });
  afterAll(async () => {
    await Promise.all(running.map((ingest) => ingest.stop()));
    await producer.disconnect();
    await broker.stop();
    await store.close();
  });

  async function startIngest(scenario: string): Promise<KafkaIngest> {
    const ingest = createKafkaIngest(store, createIngestMetrics(), {
      brokers: [broker.bootstrap],
      clientId: `codecs-${scenario}`,
      groupId: `codecs-${scenario}`,
      topics: topicsOf(scenario),
      ...TEST_CONSUMER_TIMINGS,
    });
    running.push(ingest);
    await ingest.start();
    return ingest;
  }

  async function storedByPrefix(model: string): Promise<Record<string, number>> {
    const rows = await store.query<{ prefix: string; n: string }>(
      `SELECT splitByChar('-', event_id)[1] AS prefix, count() AS n FROM events FINAL
       WHERE model = {model:String} GROUP BY prefix ORDER BY prefix`,
      { model },
    );
    return Object.fromEntries(rows.map((row) => [row.prefix, Number(row.n)]));
  }

  async function labelsOf(model: string): Promise<number> {
    const [row] = await store.query<{ n: string }>(
      'SELECT count() AS n FROM labels FINAL WHERE model = {model:String}',
      { model },
    );
    return Number(row?.n ?? 0);
  }

  async function deadLetters(topic: string) {
    return store.query<{
      partition: number;
      offset: number;
      reason: string;
      detail: string;
      payload_bytes: string;
    }>(
      `SELECT partition, offset, reason, detail, payload_bytes FROM dead_letters FINAL
       WHERE topic = {topic:String} ORDER BY partition, offset`,
      { topic },
    );
  }

  const everyCodec = (count: number) => Object.fromEntries(CODEC_NAMES.map((c) => [c, count]));
  const countsAre = (counts: Record<string, number>, count: number) =>
    CODEC_NAMES.every((codec) => counts[codec] === count);

  it('stores what kcat (librdkafka) produces with every codec, and the other topics flow', async () => {
    const topics = topicsOf('kcat');
    for (const [index, codec] of CODEC_NAMES.entries()) {
      const values = Array.from({ length: 200 }, (_, i) => prediction('kcat', `${codec}-${i}`));
      await produceWithKcat(broker.bootstrap, topics.predictions, values, {
        codec,
        partition: index % PARTITIONS,
      });
    }
    await produceWithKcat(
      broker.bootstrap,
      topics.labels,
      Array.from({ length: 200 }, (_, i) => label('kcat', i)),
      { codec: 'none' },
    );
    await startIngest('kcat');
    await waitFor(
      async () => countsAre(await storedByPrefix('kcat'), 200) && (await labelsOf('kcat')) === 200,
    );
    expect(await storedByPrefix('kcat')).toEqual(everyCodec(200));
    expect(await deadLetters(topics.predictions)).toEqual([]);
  });

  it('stores what kafkajs produces with every codec', async () => {
    const types: Record<string, CompressionTypes> = {
      none: CompressionTypes.None,
      gzip: CompressionTypes.GZIP,
      snappy: CompressionTypes.Snappy,
      lz4: CompressionTypes.LZ4,
      zstd: CompressionTypes.ZSTD,
    };
    for (const codec of CODEC_NAMES) {
      await producer.send({
        topic: topicsOf('kafkajs').predictions,
        compression: types[codec],
        messages: Array.from({ length: 200 }, (_, i) => ({
          key: String(i),
          value: prediction('kafkajs', `${codec}-${i}`),
        })),
      });
    }
    await startIngest('kafkajs');
    await waitFor(async () => countsAre(await storedByPrefix('kafkajs'), 200));
    expect(await storedByPrefix('kafkajs')).toEqual(everyCodec(200));
    expect(await deadLetters(topicsOf('kafkajs').predictions)).toEqual([]);
  });

  it('dead-letters each undecodable record batch by its offsets and reason, commits past it, and stores everything around it', async () => {
    const topics = topicsOf('corrupt');
    const good = (from: number, count: number, partition: number) =>
      producer.send({
        topic: topics.predictions,
        messages: Array.from({ length: count }, (_, i) => ({
          partition,
          value: prediction('corrupt', `good-${partition}-${from + i}`),
        })),
      });
    // partition 0: 10 good, then one undecodable batch of 3 records per case, 10 good after
    await good(0, 10, 0);
    const cases = [
      { codecId: 1, garbage: Buffer.from('not gzip at all') },
      { codecId: 2, garbage: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]) },
      { codecId: 3, garbage: Buffer.from('not an lz4 frame') },
      { codecId: 4, garbage: Buffer.from('not a zstd frame') },
      // decompresses, but what comes out is not Kafka records
      { codecId: 1, garbage: gzipSync(Buffer.from('records? no')) },
      { codecId: 5, garbage: Buffer.from('a codec Kafka does not define') },
    ];
    for (const c of cases) {
      await produceUndecodableBatch(broker.bootstrap, topics.predictions, {
        partition: 0,
        codecId: c.codecId,
        records: 3,
        garbage: c.garbage,
      });
    }
    await good(10, 10, 0);
    await good(0, 30, 1);
    await producer.send({
      topic: topics.labels,
      messages: Array.from({ length: 20 }, (_, i) => ({ value: label('corrupt', i) })),
    });
    const lines: string[] = [];
    const ingest = createKafkaIngest(store, createIngestMetrics(), {
      brokers: [broker.bootstrap],
      clientId: 'codecs-corrupt',
      groupId: 'codecs-corrupt',
      topics,
      ...TEST_CONSUMER_TIMINGS,
      log: (line) => lines.push(line),
    });
    running.push(ingest);
    await ingest.start();
    await waitFor(
      async () =>
        (await storedByPrefix('corrupt')).good === 50 &&
        (await labelsOf('corrupt')) === 20 &&
        (await deadLetters(topics.predictions)).length === cases.length,
    );
    const letters = await deadLetters(topics.predictions);
    // the batches sit at offsets 10, 13, ... 25 of partition 0, three records each
    expect(letters.map(({ partition, offset, reason }) => ({ partition, offset, reason }))).toEqual(
      cases.map((c, i) => ({
        partition: 0,
        offset: 10 + 3 * i,
        reason: c.codecId === 5 ? 'unknown_codec' : 'undecodable_batch',
      })),
    );
    const codecs = ['gzip', 'snappy', 'lz4', 'zstd', 'gzip', 'codec id 5'];
    for (const [i, letter] of letters.entries()) {
      expect(letter.detail).toMatch(
        new RegExp(
          `^${codecs[i]} record batch of 3 records, offsets ${10 + 3 * i}-${12 + 3 * i}: .+ \\(payload: the record batch as base64\\)$`,
        ),
      );
    }
    expect(letters[5]?.detail).toContain('Kafka defines codec ids 0 to 4');
    expect(lines.filter((line) => line.startsWith('dead-lettered an undecodable'))).toHaveLength(
      cases.length,
    );
    // committed past every batch: the group's offsets reach the partitions' ends
    await waitFor(async () => (await committed('codecs-corrupt', topics.predictions)) === 38 + 30);
    expect(ingest.health()).toMatchObject({ ok: true });
  });

  async function committed(groupId: string, topic: string): Promise<number> {
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }
});
