import { describe, expect, it } from 'vitest';
import { createConsumerProgress } from './consumerProgress.js';

describe('consumer progress and stalls', () => {
  function setup() {
    let now = 1_000_000;
    const progress = createConsumerProgress({ stallAfterMs: 60_000, now: () => now });
    return { progress, advance: (ms: number) => (now += ms) };
  }
  const seen = (high: number, committed: number, low = 0) => ({
    t: { 0: { high, low, committed } },
  });

  it('is not stalled while the committed offset advances', () => {
    const { progress, advance } = setup();
    progress.assign({ t: [0] });
    progress.observe(seen(100, 0));
    advance(50_000);
    progress.committed('t', 0, 40);
    advance(50_000);
    progress.observe(seen(200, 40));
    expect(progress.report()).toMatchObject({
      stalled: false,
      partitions: [{ topic: 't', partition: 0, committed: 40, lag: 160, stalled: false }],
    });
  });

  it('is stalled when lag stays and nothing is committed for the stall time', () => {
    const { progress, advance } = setup();
    progress.assign({ t: [0] });
    progress.observe(seen(100, 10));
    advance(61_000);
    progress.observe(seen(120, 10));
    expect(progress.report()).toMatchObject({
      stalled: true,
      partitions: [{ lag: 110, stalled: true }],
    });
    progress.committed('t', 0, 11);
    expect(progress.report().stalled).toBe(false);
  });

  it('is not stalled when quiet: no lag is "caught up", however long', () => {
    const { progress, advance } = setup();
    progress.assign({ t: [0] });
    progress.observe(seen(50, 50));
    advance(3_600_000);
    progress.observe(seen(50, 50));
    expect(progress.report().stalled).toBe(false);
  });

  it('counts from the start of a partition the group never committed', () => {
    const { progress } = setup();
    progress.assign({ t: [0] });
    progress.observe(seen(500, -1, 200));
    expect(progress.report().partitions[0]).toMatchObject({ committed: 200, lag: 300 });
  });

  it('forgets partitions taken away by a rebalance', () => {
    const { progress } = setup();
    progress.assign({ t: [0, 1] });
    expect(progress.assign({ t: [1] }).revoked).toEqual([['t', 0]]);
    expect(progress.report().partitions.map((p) => p.partition)).toEqual([1]);
  });
});
