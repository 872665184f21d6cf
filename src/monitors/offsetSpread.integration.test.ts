import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestPredictions, testPrediction } from '../../test/helpers/events.js';
import { W2, writeBaselineCsv, writeMonitor } from '../../test/helpers/labelWindows.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { normedWasserstein, wasserstein1 } from '../stats/index.js';
import type { Store } from '../store/clickhouse.js';
import { toClickHouseTime } from '../store/clickhouse.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';

/**
 * A feature far from zero with a small spread (a reading of 1e9 + a noise of 1e-3: a
 * sensor's offset, a timestamp in microseconds): wasserstein_normed divides W1 by the
 * baseline's population standard deviation, which ClickHouse's one-pass stddevPop lost
 * (51.8 at 200k rows, 0 at 5k, where numpy gives 2.9e-4): the normed distance came out
 * 1e5 times too small, or null. Checked against numpy's two-pass form on the offsets from
 * 1e9 (exact: each value is 1e9 plus a multiple of 2^-23).
 */
const MONITOR = `model: sensor
baseline: { file: base.csv }
features: { reading: numeric }
schedule: '*/30 * * * *'
window: 30m
min_samples: 20
checks:
  - { metric: wasserstein_normed, features: all, warn: 0.1, critical: 0.5 }
`;
const BASELINE_ROWS = 5000;
const WINDOW_ROWS = 500;
const reading = (i: number, shift: number) => 1e9 + (((i * 7919) % 1000) + shift) * 1e-6;

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

describe('the spread of a feature far from zero', () => {
  let store: Store;
  let run: WindowEvaluation;
  let narrowed: WindowEvaluation;
  const dir = tempDir('driftwatch-offset-spread-');
  const baseline = Array.from({ length: BASELINE_ROWS }, (_, i) => reading(i, 0));
  const window = Array.from({ length: WINDOW_ROWS }, (_, i) => reading(i, 200));

  beforeAll(async () => {
    store = await openTestStore();
    // 17 significant digits: the CSV holds each double exactly
    writeBaselineCsv(
      dir,
      'reading,score',
      baseline.map((v) => `${v.toPrecision(17)},0.5`),
    );
    const plan = writeMonitor(dir, 'sensor', MONITOR);
    await insertTestPredictions(
      store,
      window.map((v, i) =>
        testPrediction({
          event_id: `s-${i}`,
          model: 'sensor',
          ts: toClickHouseTime(new Date(W2.start.getTime() + i * 1000)),
          prediction_id: `p-${i}`,
          score: 0.5,
          features: { reading: v },
        }),
      ),
    );
    // narrowing off: a value settled by narrowing is a bracket's; the fallback's is exact
    run = await evaluateMonitorWindow(store, plan, W2, { now: W2.end, narrowing: false });
    // no hour of W2 is built: within the fallback's limit the cost rule would send the
    // straddles to the exact fallback (narrowingCost.ts); with none, narrowing reads raw values
    narrowed = await evaluateMonitorWindow(store, plan, W2, {
      now: W2.end,
      persist: false,
      exactFallbackMaxEvents: 0,
    });
  });
  afterAll(async () => {
    await store.close();
  });

  it('divides W1 by the baseline’s spread as numpy’s std computes it', () => {
    const offsets = baseline.map((v) => v - 1e9);
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    const std = Math.sqrt(offsets.reduce((a, b) => a + (b - mean) ** 2, 0) / offsets.length);
    expect(std).toBeGreaterThan(2.8e-4);
    const expected = normedWasserstein(wasserstein1(sorted(baseline), sorted(window)), std);
    const result = run.results.find(
      (r) => r.metric === 'wasserstein_normed' && r.sliceValue === 'all',
    );
    expect(result?.value).toBeCloseTo(expected, 10);
    expect(result?.status).toBe('critical');
    // narrowed instead: the bracket beside the value holds the exact one
    const bracketed = narrowed.results.find(
      (r) => r.metric === 'wasserstein_normed' && r.sliceValue === 'all',
    );
    expect(bracketed?.status).toBe('critical');
    expect(bracketed?.valueLower ?? NaN).toBeLessThanOrEqual(expected);
    expect(bracketed?.valueUpper ?? NaN).toBeGreaterThanOrEqual(expected);
  });
});
