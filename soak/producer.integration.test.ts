import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockBroker, type MockBroker } from '../test/helpers/kafka.js';
import { PARTITIONS, TOPICS } from './cluster.js';
import { KAFKA_CODECS, type ProducerProgress, type ProducerSettings } from './protocol.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The soak's producer against the librdkafka mock broker for a few seconds: its sends take
 * every codec (issue 18.9), and what it reports acknowledged per codec is what the soak's
 * record states and its verdict requires.
 */
describe('the soak producer', () => {
  let broker: MockBroker;

  beforeAll(async () => {
    broker = await startMockBroker({
      topics: { [TOPICS.predictions]: PARTITIONS.predictions, [TOPICS.labels]: PARTITIONS.labels },
    });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('has messages acknowledged with each of Kafka`s codecs', async () => {
    const settings: ProducerSettings = {
      bootstrap: broker.bootstrap,
      topics: { predictions: TOPICS.predictions, labels: TOPICS.labels },
      partitions: { predictions: PARTITIONS.predictions, labels: PARTITIONS.labels },
      rate: 200,
      badEvery: 100,
      labelEvery: 10,
      monthsEveryMs: 60_000,
      seed: 42,
    };
    const child = fork(path.join(HERE, 'producer.ts'), [JSON.stringify(settings)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let last: ProducerProgress | undefined;
    child.on('message', (message: ProducerProgress) => (last = message));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // each tick sends one batch: a few seconds take the five codecs several times over
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        const acked = last?.acknowledgedByCodec ?? {};
        if (KAFKA_CODECS.every((codec) => (acked[codec] ?? 0) > 0)) {
          clearInterval(timer);
          resolve();
        } else if (Date.now() - started > 45_000) {
          clearInterval(timer);
          reject(new Error(`not every codec acknowledged: ${JSON.stringify(acked)}`));
        }
      }, 200);
    });
    child.send({ type: 'stop' });
    expect(await exited).toBe(0);
    expect(last?.type).toBe('done');
    const byCodec = last?.acknowledgedByCodec ?? {};
    for (const codec of KAFKA_CODECS)
      expect({ codec, n: byCodec[codec] ?? 0 }).not.toEqual({ codec, n: 0 });
    // every acknowledged message is counted under one codec
    const total = Object.values(byCodec).reduce((sum, n) => sum + (n ?? 0), 0);
    expect(total).toBeGreaterThanOrEqual((last?.goodAcked ?? 0) + (last?.labelsAcked ?? 0));
  }, 90_000);
});
