import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPrediction, toPredictionRow } from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { createRandom } from '../demo/random.js';
import { plainKsD } from '../stats/plainKs.testing.js';
import { toClickHouseTime, type Store } from '../store/clickhouse.js';
import { buildFinerHour, listFinerHoursToBuild } from '../store/finerCells.js';
import { insertFeatureFrames, rebuildSummaries } from '../store/summaryQueries.js';
import { windowEndingAt } from '../timeWindow.js';
import type { CheckResult } from './checkResult.js';
import { evaluateMonitorWindow, prepareMonitor, type WindowEvaluation } from './evaluateWindow.js';
import { loadMonitorFile } from './monitorFile.js';
import type { MonitorPlan } from './plan.js';

/**
 * Finer cells after `driftwatch summaries rebuild` (the last review's open question): an hour
 * built from frame 1, then its day's summaries rebuilt under a new frame. Narrowing must
 * never mix the rebuilt summaries with cells built before: its verdicts stay the exact
 * fallback's, whatever it reads, and the builder takes the hour up again (its fingerprint is
 * the summaries'), after which the hour's straddles settle from the new build.
 */
const HOUR = 3_600_000;
const W = windowEndingAt(new Date('2026-11-20T12:00:00Z'), HOUR);
const MODEL = 'rebuilt';
const EVENTS = 3000;

describe('finer cells after a summaries rebuild', () => {
  let store: Store;
  const dir = tempDir('driftwatch-finer-rebuild-');
  const baseline: number[] = [];
  const current: number[] = [];
  let plan: MonitorPlan;

  beforeAll(async () => {
    store = await openTestStore();
    const random = createRandom(11);
    for (let i = 0; i < 3000; i += 1) baseline.push(random.normal(0, 1));
    fs.writeFileSync(path.join(dir, 'base.csv'), `x\n${baseline.join('\n')}\n`);
    const rows = Array.from({ length: EVENTS }, (_, i) => {
      const x = random.normal(0.3, 1);
      current.push(x);
      return testPrediction({
        event_id: `${MODEL}-${i}`,
        model: MODEL,
        prediction_id: `${MODEL}-p${i}`,
        ts: toClickHouseTime(new Date(W.start.getTime() + Math.floor((i * HOUR) / EVENTS))),
        features: { x },
      });
    });
    // a straddle by construction: the threshold just above the exact D
    const minStatistic = plainKsD(baseline, current) + 1e-4;
    fs.writeFileSync(
      path.join(dir, `${MODEL}.yaml`),
      `model: ${MODEL}
baseline: { file: base.csv }
features: { x: numeric }
prediction: { threshold: 0.5 }
schedule: '0 * * * *'
window: 1h
min_samples: 50
checks:
  - { metric: ks, features: [x], p_value: 0.01, min_statistic: ${minStatistic.toPrecision(17)} }
`,
    );
    const loaded = loadMonitorFile(path.join(dir, `${MODEL}.yaml`));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    plan = loaded.plan;
    await prepareMonitor(store, plan, W);
    // ingested yesterday: what a rebuild replays (events ingested today keep the views' rows)
    const yesterday = toClickHouseTime(new Date(Date.now() - 86_400_000));
    await store.insert(
      'events',
      rows.map((row) => ({ ...toPredictionRow(row), ingested_at: yesterday })),
    );
    await buildDueHours();
  });
  afterAll(async () => {
    await store.close();
  });

  async function buildDueHours(): Promise<number> {
    const due = await listFinerHoursToBuild(
      store,
      { sinceMs: W.start.getTime(), beforeMs: W.end.getTime() },
      1,
    );
    for (const hour of due) await buildFinerHour(store, hour);
    return due.length;
  }

  /** The window narrowed, with its statuses checked against the exact fallback's alone. */
  async function runNarrowed(): Promise<WindowEvaluation> {
    const options = { now: W.end, persist: false } as const;
    const run = await evaluateMonitorWindow(store, plan, W, options);
    const exact = await evaluateMonitorWindow(store, plan, W, { ...options, narrowing: false });
    const key = (r: CheckResult) => `${r.checkId} ${r.feature} ${r.sliceValue}`;
    const statuses = new Map(exact.results.map((r) => [key(r), r.status]));
    expect(run.results.length).toBe(exact.results.length);
    for (const result of run.results)
      expect(result.status, key(result)).toBe(statuses.get(key(result)));
    return run;
  }

  it('settles the straddle from the hour built before the rebuild', async () => {
    const run = await runNarrowed();
    expect(run.narrowing?.straddling).toBeGreaterThan(0);
    expect(run.narrowing?.finerCells).toEqual({ builtHours: 1, rawHours: 0 });
    expect(run.narrowing?.settled).toBe(run.narrowing?.straddling);
  });

  it('after a rebuild under a new frame: verdicts stay exact, the hour is built again and settles', async () => {
    await insertFeatureFrames(store, MODEL, [{ feature: 'x', frame: 2, centre: 0.5, scale: 2 }]);
    const rebuilt = await rebuildSummaries(store, {
      model: MODEL,
      fromDay: '2026-11-20',
      toDay: '2026-11-21',
    });
    expect(rebuilt.events).toBe(EVENTS);
    // the build before the rebuild is stale (its fingerprint is not the rebuilt summaries'):
    // never read beside them; the window goes to the exact fallback, saying why
    const between = await runNarrowed();
    expect(between.narrowing?.finerCells).toEqual({ builtHours: 0, rawHours: 1 });
    expect(between.exactFallback?.reasons).toEqual({
      finer_cells_not_built: between.narrowing?.straddling,
    });
    // the builder takes the rebuilt hour up again, once, and the straddle settles from it
    expect(await buildDueHours()).toBe(1);
    expect(await buildDueHours()).toBe(0);
    const after = await runNarrowed();
    expect(after.narrowing?.straddling).toBeGreaterThan(0);
    expect(after.narrowing?.finerCells).toEqual({ builtHours: 1, rawHours: 0 });
    expect(after.narrowing?.settled).toBe(after.narrowing?.straddling);
  });
});
