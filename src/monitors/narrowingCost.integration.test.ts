import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestPredictions, testPrediction } from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { createRandom } from '../demo/random.js';
import type { Store } from '../store/clickhouse.js';
import { buildFinerHour, listFinerHoursToBuild } from '../store/finerCells.js';
import { windowEndingAt } from '../timeWindow.js';
import type { CheckResult } from './checkResult.js';
import { evaluateMonitorWindow, prepareMonitor } from './evaluateWindow.js';
import { loadMonitorFile } from './monitorFile.js';
import type { MonitorPlan } from './plan.js';
import { plainKsD } from '../stats/plainKs.testing.js';

/**
 * Narrowing's cost rule hour by hour (narrowingCost.ts), against an embedded ClickHouse: a
 * two-hour window whose first hour is built and whose second is not is narrowed when the
 * unbuilt hour is small (its raw events cost less than the exact fallback's window), and
 * goes to the exact fallback, reason finer_cells_not_built, when it holds most of the
 * window. Either way the statuses are the exact fallback's.
 */
const HOUR = 3_600_000;
const W = windowEndingAt(new Date('2026-11-20T12:00:00Z'), 2 * HOUR);
const BIG = 3000;
const SMALL = 400;

const yaml = (model: string, minStatistic: number) => `model: ${model}
baseline: { file: base.csv }
features: { x: numeric }
prediction: { threshold: 0.5 }
schedule: '0 * * * *'
window: 2h
min_samples: 50
checks:
  - { metric: ks, features: [x], p_value: 0.01, min_statistic: ${minStatistic.toPrecision(17)} }
`;

describe('narrowing hour by hour against the exact fallback’s cost', () => {
  let store: Store;
  const dir = tempDir('driftwatch-narrowing-cost-');
  const baseline: number[] = [];
  const current = new Map<string, number[]>();

  const planOf = (model: string, minStatistic: number): MonitorPlan => {
    fs.writeFileSync(path.join(dir, `${model}.yaml`), yaml(model, minStatistic));
    const loaded = loadMonitorFile(path.join(dir, `${model}.yaml`));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return loaded.plan;
  };

  /** A model whose first hour has `built` events (built) and second `unbuilt` (not built). */
  async function fillModel(model: string, built: number, unbuilt: number, seed: number) {
    const random = createRandom(seed);
    await prepareMonitor(store, planOf(model, 0.1), W);
    const values: number[] = [];
    const rows = [
      ...Array.from({ length: built }, (_, i) => W.start.getTime() + (i * HOUR) / built),
      ...Array.from({ length: unbuilt }, (_, i) => W.start.getTime() + HOUR + (i * HOUR) / unbuilt),
    ].map((ms, i) => {
      const x = random.normal(0.3, 1);
      values.push(x);
      return testPrediction({
        event_id: `${model}-${i}`,
        model,
        prediction_id: `${model}-p${i}`,
        ts: new Date(Math.floor(ms)).toISOString().replace('T', ' ').replace('Z', ''),
        features: { x },
      });
    });
    await insertTestPredictions(store, rows);
    current.set(
      model,
      values.sort((a, b) => a - b),
    );
    const due = await listFinerHoursToBuild(
      store,
      { sinceMs: W.start.getTime(), beforeMs: W.start.getTime() + HOUR },
      1,
    );
    for (const hour of due.filter((h) => h.model === model)) await buildFinerHour(store, hour);
  }

  beforeAll(async () => {
    store = await openTestStore();
    const random = createRandom(5);
    for (let i = 0; i < 3000; i += 1) baseline.push(random.normal(0, 1));
    fs.writeFileSync(path.join(dir, 'base.csv'), `x\n${baseline.join('\n')}\n`);
    baseline.sort((a, b) => a - b);
    await fillModel('mostly-built', BIG, SMALL, 1);
    await fillModel('mostly-unbuilt', SMALL, BIG, 2);
  });
  afterAll(async () => {
    await store.close();
  });

  /** The window run narrowed and with the exact fallback only, its threshold at the exact D + 1e-4. */
  async function runBoth(model: string) {
    const plan = planOf(model, plainKsD(baseline, current.get(model) ?? []) + 1e-4);
    const options = { now: W.end, persist: false } as const;
    const run = await evaluateMonitorWindow(store, plan, W, options);
    const exact = await evaluateMonitorWindow(store, plan, W, { ...options, narrowing: false });
    const key = (r: CheckResult) => `${r.checkId} ${r.feature} ${r.sliceValue}`;
    const statuses = new Map(exact.results.map((r) => [key(r), r.status]));
    for (const result of run.results)
      expect(result.status, key(result)).toBe(statuses.get(key(result)));
    expect(run.narrowing?.straddling).toBeGreaterThan(0);
    return run;
  }

  it('reads the small unbuilt hour from raw events and the built one from its finer cells', async () => {
    const run = await runBoth('mostly-built');
    expect(run.narrowing).toMatchObject({
      finerCells: { builtHours: 1, rawHours: 1 },
      unsettled: {},
    });
    expect(run.narrowing?.settled).toBe(run.narrowing?.straddling);
    expect(run.exactFallback).toBeNull();
  });

  it('sends the window to the exact fallback when its unbuilt hour holds most of its events', async () => {
    const run = await runBoth('mostly-unbuilt');
    const straddling = run.narrowing?.straddling ?? 0;
    expect(run.narrowing).toMatchObject({
      settled: 0,
      rounds: 0,
      finerCells: { builtHours: 1, rawHours: 1 },
      unsettled: { finer_cells_not_built: straddling },
    });
    expect(run.exactFallback).toEqual({
      verdicts: straddling,
      resolved: true,
      reasons: { finer_cells_not_built: straddling },
    });
  });
});
