import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestPredictions, testPrediction } from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { createRandom } from '../demo/random.js';
import type { Store } from '../store/clickhouse.js';
import { replayWindows } from './backtest.js';
import type { CheckResult } from './checkResult.js';
import { evaluateMonitorWindow, prepareMonitor, type WindowEvaluation } from './evaluateWindow.js';
import { loadMonitorFile } from './monitorFile.js';
import type { MonitorPlan } from './plan.js';
import { backtestWindows } from './windows.js';
import { plainKsD } from '../stats/plainKs.testing.js';

/**
 * A backtest keeps its stored baseline's straddling pairs in memory (keptReference.ts)
 * instead of reading the baseline's rows again to narrow every window. Six 5-minute
 * windows hold the same 300 values, so each window's exact KS D is the same, and the check's
 * threshold sits 1e-4 above it: every window's bracket straddles and, with the exact fallback
 * off (what narrowing is the only way to settle), is narrowed. Replayed
 * with the reference kept, replayed reading it every time, and evaluated window by window
 * alone, every window must give the same statuses and the same narrowing; kept, the
 * baseline's rows are read once for the whole replay.
 */
const MINUTE = 60_000;
const START = new Date('2026-11-20T10:00:00Z');
const WINDOWS = 6;
const PER_WINDOW = 300;
const END = new Date(START.getTime() + WINDOWS * 5 * MINUTE);

/** A store whose reads of the baseline's rows for narrowing are counted, by kind. */
function countingBaselineReads(store: Store) {
  const reads = { finerCells: 0, keptValues: 0 };
  const client = new Proxy(store.client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (property === 'exec') {
        return (params: Parameters<Store['client']['exec']>[0]) => {
          if (/FROM reference_rows/.test(params.query) && /ORDER BY r, v/.test(params.query))
            reads.keptValues += 1;
          return target.exec(params);
        };
      }
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  const counted: Store = {
    kind: store.kind,
    client,
    query: (sql, params, settings) => {
      console.log('Q', sql.slice(0, 90).replace(/\s+/g, ' '), /reference_rows/.test(sql));
      if (/FROM reference_rows/.test(sql) && /GROUP BY r, j, part/.test(sql)) reads.finerCells += 1;
      return store.query(sql, params, settings);
    },
    command: (sql, params, settings) => store.command(sql, params, settings),
    insert: (table, rows, settings) => store.insert(table, rows, settings),
    insertRowBinary: (table, columns, structure, data, settings) =>
      store.insertRowBinary(table, columns, structure, data, settings),
    close: () => store.close(),
  };
  return { store: counted, reads };
}

describe('a backtest narrows from its baseline kept in memory (embedded ClickHouse)', () => {
  let store: Store;
  let plan: MonitorPlan;
  const dir = tempDir('driftwatch-kept-reference-');

  beforeAll(async () => {
    store = await openTestStore();
    const random = createRandom(11);
    const baseline = Array.from({ length: 3000 }, () => random.normal(0, 1));
    const values = Array.from({ length: PER_WINDOW }, () => random.normal(0.3, 1));
    fs.writeFileSync(path.join(dir, 'base.csv'), `x\n${baseline.join('\n')}\n`);
    const d = plainKsD(baseline, values);
    fs.writeFileSync(
      path.join(dir, 'kept.yaml'),
      `model: kept
baseline: { file: base.csv }
features: { x: numeric }
prediction: { threshold: 0.5 }
schedule: '*/5 * * * *'
window: 5m
min_samples: 50
checks:
  - { metric: ks, features: [x], p_value: 0.01, min_statistic: ${(d + 1e-4).toPrecision(17)} }
`,
    );
    const loaded = loadMonitorFile(path.join(dir, 'kept.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    plan = loaded.plan;
    await prepareMonitor(store, plan, { start: START, end: END });
    const rows = [];
    for (let w = 0; w < WINDOWS; w += 1) {
      for (let i = 0; i < PER_WINDOW; i += 1) {
        const ms = START.getTime() + w * 5 * MINUTE + Math.floor((i * 5 * MINUTE) / PER_WINDOW);
        rows.push(
          testPrediction({
            event_id: `kept-${w}-${i}`,
            model: 'kept',
            prediction_id: `kept-p${w}-${i}`,
            ts: new Date(ms).toISOString().replace('T', ' ').replace('Z', ''),
            features: { x: values[i] as number },
          }),
        );
      }
    }
    await insertTestPredictions(store, rows);
  });
  afterAll(async () => {
    await store.close();
  });

  const windows = () => backtestWindows(START, END, 5 * MINUTE);
  const now = new Date(END.getTime() + 60 * MINUTE);

  async function replay(on: Store, keepReference: boolean): Promise<WindowEvaluation[]> {
    const evaluations: WindowEvaluation[] = [];
    const options = { now, keepReference, exactFallbackMaxEvents: 0 };
    for await (const evaluation of replayWindows(on, plan, windows(), options))
      evaluations.push(evaluation);
    return evaluations;
  }

  const statuses = (evaluation: WindowEvaluation) =>
    evaluation.results.map((r: CheckResult) => `${r.checkId} ${r.sliceValue} ${r.status}`);

  it('gives every window the statuses and narrowing it gets alone, reading the baseline once', async () => {
    const kept = countingBaselineReads(store);
    const unkept = countingBaselineReads(store);
    const withKept = await replay(kept.store, true);
    const without = await replay(unkept.store, false);
    expect(withKept).toHaveLength(WINDOWS);
    for (const [i, window] of windows().entries()) {
      const alone = await evaluateMonitorWindow(store, plan, window, {
        now,
        persist: false,
        exactFallbackMaxEvents: 0,
      });
      const mine = withKept[i] as WindowEvaluation;
      // the fixture's point: every window straddles and is narrowed
      expect(alone.narrowing?.straddling, `window ${i}`).toBeGreaterThan(0);
      expect(statuses(mine)).toEqual(statuses(alone));
      expect(statuses(without[i] as WindowEvaluation)).toEqual(statuses(alone));
      expect(mine.narrowing).toEqual(alone.narrowing);
      expect(mine.exactFallback).toEqual(alone.exactFallback);
    }
    // read again for every window (and round) without; once, as values, with
    expect(unkept.reads.finerCells).toBeGreaterThanOrEqual(WINDOWS);
    expect(unkept.reads.keptValues).toBe(0);
    expect(kept.reads.finerCells).toBe(0);
    expect(kept.reads.keptValues).toBe(1);
  });
});
