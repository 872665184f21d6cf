import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWindow, insertTestPredictions } from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { demoBaselineCsv, fraudDetector } from '../demo/demoModels.js';
import type { Store } from '../store/clickhouse.js';
import { insertMonitorRun, listMonitorRuns } from '../store/results.js';
import { writeMonitor } from '../../test/helpers/labelWindows.js';
import type { MonitorPlan } from './plan.js';
import { createMonitorScheduler } from './scheduler.js';

const T = new Date('2026-11-20T10:00:00Z');

describe('the monitor scheduler', () => {
  let store: Store;
  let plan: MonitorPlan;
  beforeAll(async () => {
    store = await openTestStore();
    const dir = tempDir('driftwatch-scheduler-');
    fs.writeFileSync(path.join(dir, 'fraud.csv'), demoBaselineCsv(fraudDetector, 2000, 3));
    plan = writeMonitor(
      dir,
      'fraud-detector',
      `model: fraud-detector
baseline: { file: fraud.csv }
features: { amount: numeric, merchant_category: categorical }
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`,
    );
    const events = generateWindow(fraudDetector, {
      start: new Date(T.getTime() - 3_600_000),
      spanMs: 4 * 3_600_000,
      count: 4000,
      drifted: false,
      seed: 9,
    });
    await insertTestPredictions(store, events.predictions);
  });
  afterAll(async () => {
    await store.close();
  });

  it('catches up the windows missed while the service was down, once', async () => {
    // The service last evaluated the window ending at T, then was down for two hours.
    await insertMonitorRun(store, {
      monitor: plan.monitor,
      windowStart: new Date(T.getTime() - 1_800_000),
      windowEnd: T,
      status: 'ok',
      checks: 0,
      breaches: 0,
      durationMs: 1,
      monitorHash: plan.hash,
    });
    const now = () => new Date(T.getTime() + 2 * 3_600_000 + 5 * 60_000);
    const evaluated: string[] = [];
    const scheduler = createMonitorScheduler(store, [plan], {
      now,
      onEvaluation: (e) => void evaluated.push(e.window.end.toISOString()),
    });
    await scheduler.catchUp();
    expect(evaluated).toEqual([
      '2026-11-20T10:30:00.000Z',
      '2026-11-20T11:00:00.000Z',
      '2026-11-20T11:30:00.000Z',
      '2026-11-20T12:00:00.000Z',
    ]);
    await scheduler.catchUp();
    expect(evaluated).toHaveLength(4);
    const runs = await listMonitorRuns(store, plan.monitor);
    expect(runs.map((run) => run.windowEnd.toISOString())).toEqual(
      [...evaluated].reverse().concat([T.toISOString()]),
    );
    expect(runs.slice(0, 4).every((run) => run.status === 'ok' && run.checks > 0)).toBe(true);
    await scheduler.stop();
  });

  // Found by the soak (npm run soak): a tick whose run failed while the store was away left
  // its window out of the drift history for good; the next tick evaluated only its own.
  it('also evaluates at a tick the windows whose runs failed at earlier ticks, oldest first', async () => {
    // a monitor of its own name: its runs start with the window ending at T
    const monitor: MonitorPlan = { ...plan, monitor: 'fraud-detector-ticks' };
    await insertMonitorRun(store, {
      monitor: monitor.monitor,
      windowStart: new Date(T.getTime() - 1_800_000),
      windowEnd: T,
      status: 'ok',
      checks: 0,
      breaches: 0,
      durationMs: 1,
      monitorHash: monitor.hash,
    });
    let clock = new Date(T.getTime() + 30 * 60_000 + 50);
    let storeAway = true;
    const away = () =>
      Promise.reject(new Error('ClickHouse: connect ECONNREFUSED (the store is away)'));
    const flaky: Store = {
      ...store,
      query: (...args) => (storeAway ? away() : store.query(...args)),
      command: (...args) => (storeAway ? away() : store.command(...args)),
      insert: (...args) => (storeAway ? away() : store.insert(...args)),
      insertRowBinary: (...args) => (storeAway ? away() : store.insertRowBinary(...args)),
    };
    const evaluated: string[] = [];
    const failures: string[] = [];
    const scheduler = createMonitorScheduler(flaky, [monitor], {
      now: () => clock,
      onEvaluation: (e) => void evaluated.push(e.window.end.toISOString()),
      onError: (_monitor, error) => void failures.push((error as Error).message),
    });
    await scheduler.tick(monitor); // 10:30: the store is away, the run fails
    expect(failures).toHaveLength(1);
    expect(evaluated).toEqual([]);
    storeAway = false;
    clock = new Date(T.getTime() + 60 * 60_000 + 50);
    await scheduler.tick(monitor); // 11:00: the store is back
    expect(evaluated).toEqual(['2026-11-20T10:30:00.000Z', '2026-11-20T11:00:00.000Z']);
    const runs = await listMonitorRuns(store, monitor.monitor);
    expect(runs.map((run) => run.windowEnd.toISOString())).toEqual([
      '2026-11-20T11:00:00.000Z',
      '2026-11-20T10:30:00.000Z',
      T.toISOString(),
    ]);
    await scheduler.stop();
  });
});
