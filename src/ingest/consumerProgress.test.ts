import { describe, expect, it } from 'vitest';
import { createConsumerProgress } from './consumerProgress.js';

describe('consumer group progress and stalls', () => {
  function setup() {
    let now = 1_000_000;
    const progress = createConsumerProgress({ stallAfterMs: 60_000, now: () => now });
    return { progress, advance: (ms: number) => (now += ms) };
  }
  const seen = (high: number, committed: number, low = 0, partition = 0) => ({
    topic: 't',
    partition,
    high,
    low,
    committed,
  });

  it('is not stalled while the committed offset advances', () => {
    const { progress, advance } = setup();
    progress.observe([seen(100, 0)]);
    advance(50_000);
    progress.observe([seen(150, 40)]);
    advance(50_000);
    progress.observe([seen(200, 40)]);
    expect(progress.report()).toEqual({
      stalled: false,
      lastObservedMs: 1_100_000,
      partitions: [
        {
          topic: 't',
          partition: 0,
          committed: 40,
          highWatermark: 200,
          lag: 160,
          lastProgressMs: 1_050_000,
          stalled: false,
        },
      ],
    });
  });

  it('is stalled when lag stays and nothing is committed for the stall time', () => {
    const { progress, advance } = setup();
    progress.observe([seen(100, 10)]);
    advance(61_000);
    progress.observe([seen(120, 10)]);
    expect(progress.report()).toMatchObject({
      stalled: true,
      partitions: [{ lag: 110, stalled: true }],
    });
    progress.observe([seen(120, 11)]);
    expect(progress.report().stalled).toBe(false);
  });

  it('is stalled when the brokers stop answering while there was lag (no new observation)', () => {
    const { progress, advance } = setup();
    progress.observe([seen(100, 10)]);
    advance(61_000);
    expect(progress.report()).toMatchObject({ stalled: true, lastObservedMs: 1_000_000 });
  });

  it('is not stalled when quiet: no lag is "caught up", however long', () => {
    const { progress, advance } = setup();
    progress.observe([seen(50, 50)]);
    advance(3_600_000);
    progress.observe([seen(50, 50)]);
    expect(progress.report().stalled).toBe(false);
  });

  it('counts from the start of a partition the group never committed, or committed before its start', () => {
    const { progress } = setup();
    progress.observe([seen(500, -1, 200), seen(500, 100, 300, 1)]);
    expect(progress.report().partitions).toMatchObject([
      { partition: 0, committed: 200, lag: 300 },
      { partition: 1, committed: 300, lag: 200 },
    ]);
  });

  it('reports one consumer’s partitions when asked, and forgets partitions no longer there', () => {
    const { progress } = setup();
    progress.observe([seen(10, 0), seen(10, 0, 0, 1)]);
    expect(progress.report((_, partition) => partition === 1).partitions).toMatchObject([
      { partition: 1 },
    ]);
    expect(progress.observe([seen(10, 0, 0, 1)]).gone).toEqual([['t', 0]]);
    expect(progress.report().partitions.map((p) => p.partition)).toEqual([1]);
  });
});
