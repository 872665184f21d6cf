import { describe, expect, it } from 'vitest';
import type { PartitionOffsets } from './consumerProgress.js';
import { createLagMonitor, type GroupOffsetsReader } from './lagMonitor.js';
import { createIngestMetrics } from './metrics.js';

/**
 * The lag monitor between the brokers (a stand-in reader: the brokers are outside) and
 * /metrics: what it publishes when reads succeed, fail, and stop answering.
 */
describe('the lag monitor', () => {
  function setup() {
    let now = 1_000_000;
    let answer: () => Promise<PartitionOffsets[]> = async () => [];
    const reader: GroupOffsetsReader = { read: () => answer(), close: async () => undefined };
    const metrics = createIngestMetrics();
    const lines: string[] = [];
    const monitor = createLagMonitor(reader, {
      stallAfterMs: 10_000,
      metrics,
      log: (line) => lines.push(line),
      now: () => now,
    });
    const gauge = async (name: string) =>
      (await metrics.registry.getSingleMetricAsString(name))
        .split('\n')
        .filter((line) => !line.startsWith('#'));
    return {
      monitor,
      lines,
      gauge,
      answer: (value: () => Promise<PartitionOffsets[]>) => (answer = value),
      advance: (ms: number) => (now += ms),
    };
  }
  const offsets = (committed: number): PartitionOffsets[] => [
    { topic: 'p', partition: 0, high: 100, low: 0, committed },
    { topic: 'p', partition: 1, high: 5, low: 0, committed: 5 },
  ];

  it('publishes every partition’s lag and turns stalled when the committed offset stays', async () => {
    const { monitor, lines, gauge, answer, advance } = setup();
    answer(async () => offsets(-1));
    await monitor.check();
    expect(await gauge('driftwatch_kafka_consumer_lag')).toEqual([
      'driftwatch_kafka_consumer_lag{topic="p",partition="0"} 100',
      'driftwatch_kafka_consumer_lag{topic="p",partition="1"} 0',
    ]);
    expect(await gauge('driftwatch_kafka_consumer_stalled')).toEqual([
      'driftwatch_kafka_consumer_stalled 0',
    ]);
    advance(11_000);
    await monitor.check();
    expect(await gauge('driftwatch_kafka_consumer_stalled')).toEqual([
      'driftwatch_kafka_consumer_stalled 1',
    ]);
    expect(lines).toEqual(['stalled: p/0 lag 100, no progress for 11 s']);
    answer(async () => offsets(40));
    await monitor.check();
    expect(await gauge('driftwatch_kafka_consumer_stalled')).toEqual([
      'driftwatch_kafka_consumer_stalled 0',
    ]);
    expect(lines.at(-1)).toBe('making progress again');
  });

  it('keeps the last figures while the brokers cannot be read, counts each failure, says so once, and stalls', async () => {
    const { monitor, lines, gauge, answer, advance } = setup();
    answer(async () => offsets(10));
    await monitor.check();
    answer(async () => {
      throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    });
    advance(5_000);
    await monitor.check();
    advance(6_000);
    await monitor.check();
    expect(await gauge('driftwatch_kafka_lag_read_failures_total')).toEqual([
      'driftwatch_kafka_lag_read_failures_total 2',
    ]);
    expect(await gauge('driftwatch_kafka_lag_observed_timestamp_seconds')).toEqual([
      'driftwatch_kafka_lag_observed_timestamp_seconds 1000',
    ]);
    expect(await gauge('driftwatch_kafka_consumer_stalled')).toEqual([
      'driftwatch_kafka_consumer_stalled 1',
    ]);
    expect(lines).toEqual([
      "cannot read the group's committed offsets and the partitions' watermarks: Connection error: connect ECONNREFUSED 127.0.0.1:9092; lag shows the last figures read",
      'stalled: p/0 lag 90, no progress for 11 s',
    ]);
  });

  it('reads once at a time, and not after it is stopped', async () => {
    const { monitor, answer } = setup();
    let reads = 0;
    answer(async () => {
      reads += 1;
      return offsets(0);
    });
    await Promise.all([monitor.check(), monitor.check()]);
    expect(reads).toBe(1);
    await monitor.stop();
    monitor.start();
    expect(reads).toBe(1);
  });
});
