import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestPredictions, testPrediction } from '../../test/helpers/events.js';
import { W2, writeBaselineCsv, writeMonitor } from '../../test/helpers/labelWindows.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import type { Store } from '../store/clickhouse.js';
import { toClickHouseTime } from '../store/clickhouse.js';
import type { CheckResult } from './checkResult.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';

/**
 * A feature value of −0 is the value 0 (IEEE 754 says −0 == 0; scipy's ks_2samp and
 * wasserstein_distance see one value). Their bit patterns differ, and a sort or a GROUP BY
 * on bits keeps them apart: KS would then see the reference's step at −0 before the
 * window's at 0 and find D = 0.5 between two equal samples. Each feature's reference and
 * window below are the same multiset once −0 is read as 0, so every drift statistic is 0,
 * as the exact fallback computes it from the raw rows.
 */
const MONITOR = `model: zeros
baseline: { file: base.csv }
features: { x: numeric, y: numeric }
prediction: { threshold: 0.5 }
schedule: '*/30 * * * *'
window: 30m
min_samples: 20
checks:
  - { metric: ks, features: all, p_value: 0.01, min_statistic: 0 }
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: wasserstein_normed, features: all, critical: 0.5 }
`;
const ROWS = 300;

/**
 * A third of the rows hold a zero of the given sign, a third 1e-9 and a third 1. Zero and
 * 1e-9 share a summary cell, which cannot tell their order: the KS bracket straddles the
 * threshold and the run reads the raw values (the exact fallback).
 */
function zeroTinyOrOne(i: number, zero: number): number {
  return [zero, 1e-9, 1][i % 3] as number;
}

describe('feature values of −0 in a monitor run', () => {
  let store: Store;
  let run: WindowEvaluation;
  let narrowed: WindowEvaluation;
  const dir = tempDir('driftwatch-negative-zero-');

  beforeAll(async () => {
    store = await openTestStore();
    // The reference holds −0 in x and 0 in y; the window the other way round.
    const lines = Array.from({ length: ROWS }, (_, i) => {
      const x = ['-0', '1e-9', '1'][i % 3];
      const y = ['0', '1e-9', '1'][i % 3];
      return `${x},${y},${(i % 10) / 10}`;
    });
    writeBaselineCsv(dir, 'x,y,score', lines);
    const plan = writeMonitor(dir, 'zeros', MONITOR);
    const events = Array.from({ length: ROWS }, (_, i) =>
      testPrediction({
        event_id: `z-${i}`,
        model: 'zeros',
        ts: toClickHouseTime(new Date(W2.start.getTime() + i * 1000)),
        prediction_id: `p-${i}`,
        score: (i % 10) / 10,
        features: { x: zeroTinyOrOne(i, 0), y: zeroTinyOrOne(i, -0) },
      }),
    );
    expect(Object.is(events[0]?.features.y, -0)).toBe(true);
    await insertTestPredictions(store, events);
    // narrowing off: the straddles go to the exact fallback, which sorts the raw values
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

  const result = (metric: string, feature: string): CheckResult => {
    const found = run.results.find(
      (r) => r.metric === metric && r.feature === feature && r.sliceValue === 'all',
    );
    if (!found) throw new Error(`no ${metric} result for ${feature}`);
    return found;
  };

  it('settles the straddling KS verdicts from the raw rows', () => {
    expect(run.exactFallback).toMatchObject({ verdicts: expect.any(Number), resolved: true });
    expect(run.exactFallback?.verdicts).toBeGreaterThan(0);
  });

  it('narrows the same straddles from the raw values without the fallback, to the same statistics', () => {
    expect(narrowed.exactFallback).toBeNull();
    expect(narrowed.narrowing?.settled).toBeGreaterThan(0);
    for (const feature of ['x', 'y']) {
      const ks = narrowed.results.find(
        (r) => r.metric === 'ks' && r.feature === feature && r.sliceValue === 'all',
      );
      expect(ks?.status).toBe('ok');
      expect(ks?.value).toBe(0);
      expect(ks?.pValue).toBe(1);
    }
  });

  for (const feature of ['x', 'y'])
    it(`reads −0 and 0 as one value in ${feature}: KS, PSI and Wasserstein are 0`, () => {
      const ks = result('ks', feature);
      expect(ks.value).toBe(0);
      expect(ks.pValue).toBe(1);
      expect(ks.status).toBe('ok');
      expect(result('psi', feature).value).toBe(0);
      expect(result('wasserstein_normed', feature).value).toBe(0);
    });
});
