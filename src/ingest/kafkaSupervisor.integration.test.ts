import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectProducer,
  startMockBroker,
  TEST_CONSUMER_TIMINGS,
  waitFor,
  type MockBroker,
} from '../../test/helpers/kafka.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from '../store/clickhouse.js';
import { countStored } from '../store/events.js';
import { createKafkaIngest } from './kafkaConsumer.js';
import { superviseKafkaIngest } from './kafkaSupervisor.js';
import { createIngestMetrics } from './metrics.js';

/** The consumer started in the background: at once when a broker answers, later when none does. */
const topics = { predictions: 'sv-predictions', features: 'sv-features', labels: 'sv-labels' };

describe('superviseKafkaIngest', () => {
  let store: Store;
  let broker: MockBroker;
  beforeAll(async () => {
    store = await openTestStore();
    broker = await startMockBroker({
      brokers: 1,
      topics: Object.fromEntries(Object.values(topics).map((topic) => [topic, 2])),
    });
  });
  afterAll(async () => {
    await broker.stop();
    await store.close();
  });

  const ingestAt = (brokers: string[]) => () =>
    createKafkaIngest(store, createIngestMetrics(), {
      brokers,
      clientId: 'supervised',
      groupId: 'supervised',
      topics,
      ...TEST_CONSUMER_TIMINGS,
    });

  it('starts the consumer when a broker answers, and it consumes', async () => {
    const lines: string[] = [];
    const supervisor = superviseKafkaIngest(ingestAt([broker.bootstrap]), {
      brokers: [broker.bootstrap],
      log: (line) => lines.push(line),
    });
    try {
      await supervisor.started;
      expect(supervisor.connected()).toBe(true);
      const producer = await connectProducer(broker.bootstrap);
      await producer.send({
        topic: topics.predictions,
        messages: [
          {
            value: JSON.stringify({
              event_id: 'sv-1',
              model: 'supervised',
              ts: '2026-11-22T10:00:00Z',
              prediction_id: 'p1',
              features: { amount: 1 },
              score: 0.5,
            }),
          },
        ],
      });
      await producer.disconnect();
      await waitFor(async () => (await countStored(store)).events.predictions === 1);
      expect(lines).toEqual([]);
    } finally {
      await supervisor.stop();
    }
    expect(supervisor.connected()).toBe(true);
  });

  it('starts a new consumer when kafkajs gives up on one (a non-retriable error), and it consumes', async () => {
    const lines: string[] = [];
    const supervisor = superviseKafkaIngest(ingestAt([broker.bootstrap]), {
      brokers: [broker.bootstrap],
      log: (line) => lines.push(line),
      retryMs: 200,
    });
    const producer = await connectProducer(broker.bootstrap);
    const send = (id: string) =>
      producer.send({
        topic: topics.predictions,
        messages: [
          {
            value: JSON.stringify({
              event_id: id,
              model: 'supervised-crash',
              ts: '2026-11-22T10:00:00Z',
              prediction_id: `p-${id}`,
              features: { amount: 1 },
              score: 0.5,
            }),
          },
        ],
      });
    const stored = async () =>
      Number(
        (
          await store.query<{ n: string }>(
            "SELECT count() AS n FROM events WHERE model = 'supervised-crash'",
          )
        )[0]?.n,
      );
    try {
      await supervisor.started;
      await send('crash-1');
      await waitFor(async () => (await stored()) === 1);
      // the coordinator answers the next heartbeats with INVALID_REQUEST (Kafka error 42):
      // kafkajs does not retry it and stops the consumer for good
      await broker.command('error 12 42 3');
      await waitFor(async () => !supervisor.health().ok, 20_000);
      await send('crash-2');
      await waitFor(async () => (await stored()) === 2, 30_000);
      expect(lines.join('\n')).toMatch(/the Kafka consumer stopped: .*; starting a new one/);
      expect(supervisor.health()).toMatchObject({ ok: true });
    } finally {
      await producer.disconnect();
      await supervisor.stop();
    }
  });

  it('says when no broker answers, keeps trying, and stops at once when asked', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(closed.address() as net.AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const lines: string[] = [];
    let attempts = 0;
    const supervisor = superviseKafkaIngest(
      () => {
        attempts += 1;
        return ingestAt([address])();
      },
      { brokers: [address], log: (line) => lines.push(line), retryMs: 100 },
    );
    await waitFor(async () => lines.length > 0, 5000, 20);
    expect(lines[0]).toBe(
      `no Kafka broker answers at ${address} (connection refused); trying again every 0.1 s in the background`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // several more probes
    expect(lines).toHaveLength(1); // said once, not on every attempt
    expect(attempts).toBe(0); // kafkajs is not started against a silent cluster
    expect(supervisor.connected()).toBe(false);
    await supervisor.stop();
  });
});
