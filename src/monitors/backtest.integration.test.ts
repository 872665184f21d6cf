import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoBaselineCsv, fraudDetector } from '../demo/demoModels.js';
import type { Store } from '../store/clickhouse.js';
import { insertLabels } from '../store/events.js';
import { applyRetention } from '../store/retention.js';
import { generateWindow, insertTestPredictions } from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import {
  backtestMonitor,
  replayDistancesFor,
  replayWindows,
  type Backtest,
  type ReplayOptions,
} from './backtest.js';
import { createAlertPlanner } from '../alerts/alertPlan.js';
import type { KeptResult } from './checkResult.js';
import { createKsKnots, type KsKnots } from '../drift/ksKnots.js';
import { distanceBrackets, exactBracket, sortCells, type Cell } from '../drift/cells.js';
import { createReplayDistances, type PairDistances } from '../drift/replayDistances.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';
import { loadMonitorFile } from './monitorFile.js';
import type { MonitorPlan } from './plan.js';
import type { TimeWindow } from '../timeWindow.js';
import { backtestWindows } from './windows.js';

/**
 * A backtest reads a run of windows in one query and judges each alone; it must give, window
 * by window, exactly what evaluateMonitorWindow gives for that window read on its own.
 * Events: 5-minute blocks of varying size from 22:00 to 02:00 across a day boundary, drift
 * in some blocks, some blocks empty, and a whole earlier day for a trailing baseline.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MIDNIGHT = new Date('2026-11-20T00:00:00Z');
const FIRST_BLOCK = new Date(MIDNIGHT.getTime() - 2 * HOUR);
const BLOCKS = 48; // 22:00 .. 02:00
const EMPTY = new Set([10, 11, 23, 24, 37]);
const DRIFTED = new Set([5, 6, 7, 25, 26, 40]);
const NOW = new Date('2026-11-21T00:00:00Z');

function monitorYaml(baseline: string, window: string): string {
  return `model: fraud-detector
baseline: ${baseline}
features:
  amount: numeric
  account_age_days: { kind: numeric, range: [0, 36500] }
  device_score: { kind: numeric, range: [0, 1] }
  merchant_category: categorical
prediction: { threshold: 0.5 }
slices: [channel]
schedule: '*/5 * * * *'
window: ${window}
min_samples: 20
labels: { delay: 1h, min_count: 20 }
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [amount, device_score], p_value: 0.01, min_statistic: 0.1 }
  - { metric: chi2, features: [merchant_category], p_value: 0.01, min_statistic: 0.1 }
  - { metric: new_categories, features: [merchant_category], severity: warn }
  - { metric: null_rate, features: all, max_increase: 0.05 }
  - { metric: out_of_range, features: [device_score], max_rate: 0.001 }
  - { metric: wrong_type, features: all, max_rate: 0 }
  - { metric: schema, severity: warn }
  - { metric: duplicate_ids, max_rate: 0 }
  - { metric: positive_rate, max_shift: 0.02, p_value: 0.01 }
  - { metric: auroc, min: 0.6 }
  - { metric: jensen_shannon, features: [amount, merchant_category], warn: 0.1, critical: 0.2 }
  - { metric: wasserstein_normed, features: [amount], warn: 0.1, critical: 0.3 }
  - { metric: volume, min_ratio: 0.5, trailing: 30m }
  - { metric: freshness, max_delay: 5m }
alerts:
  for: 2
  resolve_after: 2
  repeat_interval: 15m
  routes:
    - { severity: critical, slack: '#pager' }
    - { severity: warn, slack: '#drift', group: per_alert }
`;
}

/** A store that counts the batched reads (queries over a run of windows, read as Arrow). */
function countingRunReads(store: Store): { store: Store; runReads: () => number } {
  let reads = 0;
  const client = new Proxy(store.client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (property === 'exec') {
        return (params: Parameters<Store['client']['exec']>[0]) => {
          if (/^\s*SELECT toUInt32\(window\)/.test(params.query)) reads += 1;
          return target.exec(params);
        };
      }
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return {
    store: {
      kind: store.kind,
      client,
      query: (sql, params, settings) => store.query(sql, params, settings),
      command: (sql, params, settings) => store.command(sql, params, settings),
      insert: (table, rows, settings) => store.insert(table, rows, settings),
      insertRowBinary: (table, columns, structure, data, settings) =>
        store.insertRowBinary(table, columns, structure, data, settings),
      close: () => store.close(),
    },
    runReads: () => reads,
  };
}

/** Everything an evaluation says except how long it took. */
function comparable(evaluation: WindowEvaluation): WindowEvaluation {
  return { ...evaluation, durationMs: 0 };
}

describe('a batched backtest against window-by-window evaluation (embedded ClickHouse)', () => {
  let store: Store;
  const dir = tempDir('driftwatch-backtest-');
  const plans = new Map<string, MonitorPlan>();

  const planOf = (name: string, baseline: string, window: string, extra = ''): MonitorPlan => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, monitorYaml(baseline, window) + extra);
    const loaded = loadMonitorFile(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return loaded.plan;
  };

  beforeAll(async () => {
    store = await openTestStore();
    fs.writeFileSync(path.join(dir, 'fraud.csv'), demoBaselineCsv(fraudDetector, 3000, 7));
    plans.set('file-5m', planOf('file-5m', '{ file: fraud.csv }', '5m'));
    plans.set('file-2h', planOf('file-2h', '{ file: fraud.csv }', '2h'));
    plans.set('trailing-5m', planOf('trailing-5m', '{ trailing: 1d }', '5m'));
    plans.set(
      'file-5m-fdr',
      planOf(
        'file-5m-fdr',
        '{ file: fraud.csv }',
        '5m',
        'false_discovery_rate: benjamini-hochberg\n',
      ),
    );
    // the day before the blocks: the trailing baseline of the first day's windows
    const dayBefore = generateWindow(fraudDetector, {
      start: new Date(MIDNIGHT.getTime() - 2 * 24 * HOUR),
      spanMs: 24 * HOUR,
      count: 3000,
      drifted: false,
      seed: 3,
    });
    await insertTestPredictions(store, dayBefore.predictions);
    for (let block = 0; block < BLOCKS; block += 1) {
      if (EMPTY.has(block)) continue;
      const generated = generateWindow(fraudDetector, {
        start: new Date(FIRST_BLOCK.getTime() + block * 5 * MINUTE),
        spanMs: 5 * MINUTE,
        count: 60 + ((block * 37) % 90),
        drifted: DRIFTED.has(block),
        seed: 100 + block,
      });
      // ids unique across blocks (the generator numbers from 0 in each)
      const predictions = generated.predictions.map((p) => ({
        ...p,
        event_id: `${block}-${p.event_id}`,
        prediction_id: `${block}-${p.prediction_id}`,
      }));
      if (block === 30 && predictions[1] && predictions[2]) {
        predictions[2] = { ...predictions[2], prediction_id: predictions[1].prediction_id };
      }
      await insertTestPredictions(store, predictions);
      await insertLabels(
        store,
        generated.labels.map((l) => ({
          ...l,
          event_id: `${block}-${l.event_id}`,
          prediction_id: `${block}-${l.prediction_id}`,
        })),
      );
    }
  });
  afterAll(async () => {
    await store.close();
  });

  // each window evaluated alone once per plan (the slow side: a few queries per window)
  const evaluations = new WeakMap<MonitorPlan, Map<number, WindowEvaluation>>();
  /** The first block's windows of a plan, each evaluated alone (what a replay must equal). */
  async function blockAlone(
    plan: MonitorPlan,
  ): Promise<{ windows: TimeWindow[]; alone: WindowEvaluation[] }> {
    const windows = backtestWindows(
      FIRST_BLOCK,
      new Date(FIRST_BLOCK.getTime() + BLOCKS * 5 * MINUTE),
      plan.windowMs,
    );
    const alone: WindowEvaluation[] = [];
    for (const window of windows) alone.push(await evaluatedAlone(plan, window));
    return { windows, alone };
  }

  async function evaluatedAlone(plan: MonitorPlan, window: TimeWindow): Promise<WindowEvaluation> {
    const known = evaluations.get(plan) ?? new Map<number, WindowEvaluation>();
    evaluations.set(plan, known);
    const cached = known.get(window.start.getTime());
    if (cached?.window.end.getTime() === window.end.getTime()) return cached;
    const evaluation = await evaluateMonitorWindow(store, plan, window, {
      persist: false,
      now: NOW,
    });
    known.set(window.start.getTime(), evaluation);
    return evaluation;
  }

  /** Both ways over [from, to): window by window, and replayed `windowsPerRead` at a time. */
  async function bothWays(
    plan: MonitorPlan,
    from: Date,
    to: Date,
    windowsPerRead?: number,
  ): Promise<{
    alone: WindowEvaluation[];
    replayed: WindowEvaluation[];
    runReads: number;
    /** How many run reads had been started when each window was handed over. */
    readsBefore: number[];
  }> {
    const windows = backtestWindows(from, to, plan.windowMs);
    const alone: WindowEvaluation[] = [];
    for (const window of windows) alone.push(await evaluatedAlone(plan, window));
    const counting = countingRunReads(store);
    const replayed: WindowEvaluation[] = [];
    const readsBefore: number[] = [];
    for await (const evaluation of replayWindows(counting.store, plan, windows, {
      now: NOW,
      windowsPerRead,
      // every value as a window alone has it (the default's KS knots: tested below)
      ksKnots: false,
    })) {
      replayed.push(evaluation);
      readsBefore.push(counting.runReads());
    }
    return { alone, replayed, runReads: counting.runReads(), readsBefore };
  }

  function expectSame(alone: WindowEvaluation[], replayed: WindowEvaluation[]): void {
    expect(replayed.map((e) => e.window)).toEqual(alone.map((e) => e.window));
    alone.forEach((expected, i) => {
      const actual = replayed[i] as WindowEvaluation;
      const at = expected.window.start.toISOString();
      expect({ at, events: actual.events, status: actual.status }).toEqual({
        at,
        events: expected.events,
        status: expected.status,
      });
      expect(comparable(actual), at).toEqual(comparable(expected));
    });
  }

  /** Blocks [from, to) replayed in runs of 7 against each window alone. */
  async function replayBlocksInRunsOf7(from: number, to: number): Promise<void> {
    const plan = plans.get('file-5m') as MonitorPlan;
    const { alone, replayed, runReads } = await bothWays(
      plan,
      new Date(FIRST_BLOCK.getTime() + from * 5 * MINUTE),
      new Date(FIRST_BLOCK.getTime() + to * 5 * MINUTE),
      7,
    );
    expect(alone).toHaveLength(to - from);
    expectSame(alone, replayed);
    expect(runReads).toBe(Math.ceil((to - from) / 7));
    // the data really varies: empty windows say no_data, drifted ones breach, counts differ
    const at = (block: number) => alone[block - from] as WindowEvaluation;
    const within = (blocks: Set<number>) => [...blocks].filter((b) => b >= from && b < to);
    expect(within(EMPTY).length).toBeGreaterThan(0);
    expect(within(DRIFTED).length).toBeGreaterThan(0);
    for (const block of within(EMPTY)) {
      expect(at(block).events).toBe(0);
      expect(at(block).status).toBe('no_data');
    }
    for (const block of within(DRIFTED)) expect(['warn', 'critical']).toContain(at(block).status);
    expect(new Set(alone.map((e) => e.events)).size).toBeGreaterThan((to - from) / 2);
  }

  // two halves of 22:00–02:00, each a test of its own (one took ~25 s alone)
  it('gives every 5-minute window from 22:00 to 00:20, across midnight, what it gets alone, in runs of 7', async () => {
    await replayBlocksInRunsOf7(0, 28);
  });

  it('gives every 5-minute window from 00:20 to 02:00 what it gets alone, in runs of 7', async () => {
    await replayBlocksInRunsOf7(28, BLOCKS);
  });

  it('reads the next run while this one is judged (a baseline that does not move), and gives the same', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const { alone, replayed, readsBefore } = await bothWays(
      plan,
      FIRST_BLOCK,
      new Date(FIRST_BLOCK.getTime() + 21 * 5 * MINUTE),
      7,
    );
    expectSame(alone, replayed);
    // three runs of 7: the second's read is under way when the first's first window is
    // handed over, the third's when the second's is; none after the last
    expect([0, 6, 7, 13, 14, 20].map((i) => readsBefore[i])).toEqual([2, 2, 3, 3, 3, 3]);
  });

  it('reads a whole range in one query by default', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const from = new Date(MIDNIGHT.getTime() - HOUR);
    const { alone, replayed, runReads } = await bothWays(plan, from, MIDNIGHT);
    expectSame(alone, replayed);
    expect(runReads).toBe(1);
  });

  it('reads 2-hour windows whole from the hour grain, one straddling midnight', async () => {
    const plan = plans.get('file-2h') as MonitorPlan;
    const from = new Date(MIDNIGHT.getTime() - 3 * HOUR);
    const { alone, replayed, runReads } = await bothWays(
      plan,
      from,
      new Date(MIDNIGHT.getTime() + 3 * HOUR),
    );
    expect(alone.map((e) => e.window.start.toISOString())).toContain('2026-11-19T23:00:00.000Z');
    expectSame(alone, replayed);
    expect(runReads).toBe(1);
    expect(alone.every((e) => e.events > 0 || e.status === 'no_data')).toBe(true);
  });

  it('evaluates windows with raw edges alone, and gives the same', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const from = new Date(MIDNIGHT.getTime() - 30 * MINUTE + 150_000); // 2.5 minutes off the grain
    const { alone, replayed, runReads } = await bothWays(
      plan,
      from,
      new Date(from.getTime() + 12 * 5 * MINUTE),
    );
    expectSame(alone, replayed);
    expect(runReads).toBe(0);
  });

  it('with a trailing baseline, splits runs at midnight where the baseline version changes', async () => {
    const plan = plans.get('trailing-5m') as MonitorPlan;
    const { alone, replayed, runReads, readsBefore } = await bothWays(
      plan,
      new Date(MIDNIGHT.getTime() - 30 * MINUTE),
      new Date(MIDNIGHT.getTime() + 30 * MINUTE),
    );
    expect(new Set(alone.map((e) => e.baseline.version)).size).toBe(2);
    expectSame(alone, replayed);
    expect(runReads).toBe(2);
    // each day's baseline version is prepared before its run is read: in turn, not ahead
    expect(readsBefore[0]).toBe(1);
    expect(readsBefore.at(-1)).toBe(2);
  });

  it('backtestMonitor reports each replayed window and every breach', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const range = { from: new Date(MIDNIGHT.getTime() - HOUR), to: new Date(MIDNIGHT.getTime()) };
    const alone: WindowEvaluation[] = [];
    for (const window of backtestWindows(range.from, range.to, plan.windowMs)) {
      alone.push(await evaluateMonitorWindow(store, plan, window, { persist: false }));
    }
    const seen: Date[] = [];
    const backtest = await backtestMonitor(store, plan, range, (w) => seen.push(w.end));
    expect(backtest.windows).toEqual(
      alone.map((e) => {
        const fired = e.results.filter((r) => r.status === 'warn' || r.status === 'critical');
        return {
          end: e.window.end,
          status: e.status,
          checks: e.results.length,
          fired: fired.length,
          events: e.events,
        };
      }),
    );
    expect(seen).toEqual(alone.map((e) => e.window.end));
    expect(backtest.fired).toEqual(
      alone.flatMap((e) => e.results.filter((r) => r.status === 'warn' || r.status === 'critical')),
    );
  });

  /** Every result's status, by check, metric, feature and slice: what a backtest judges. */
  function verdictsOf(evaluations: readonly WindowEvaluation[]): Record<string, string>[] {
    return evaluations.map((e) =>
      Object.fromEntries(
        e.results.map((r) => [
          `${r.checkId}|${r.metric}|${r.feature ?? ''}|${r.sliceKey}=${r.sliceValue}`,
          r.status,
        ]),
      ),
    );
  }

  /** The range replayed with KS p-values from knots, with how many pairs were recomputed. */
  async function replayedWithKnots(
    plan: MonitorPlan,
    windows: readonly TimeWindow[],
    ksKnots?: KsKnots,
    distances?: PairDistances,
  ): Promise<{ replayed: WindowEvaluation[]; refined: number; pairs: number }> {
    const replayed: WindowEvaluation[] = [];
    const counted = { refined: 0, pairs: 0 };
    for await (const evaluation of replayWindows(store, plan, windows, {
      now: NOW,
      windowsPerRead: 12,
      ...(ksKnots ? { ksKnots } : {}),
      ...(distances ? { distances } : {}),
      onKsRefined: (refined, pairs) => {
        counted.refined += refined;
        counted.pairs += pairs;
      },
    }))
      replayed.push(evaluation);
    return { replayed, ...counted };
  }

  const fired = (all: WindowEvaluation[]) =>
    all.flatMap((e) => e.results.filter((r) => r.status === 'warn' || r.status === 'critical'));
  // Benjamini-Hochberg's adjusted point value mixes every test's midpoint: not compared
  const withoutAdjusted = (results: WindowEvaluation['results']) =>
    results.map((r) => ({ ...r, adjustedPValue: null }));

  for (const name of ['file-5m', 'trailing-5m', 'file-5m-fdr'])
    it(`KS p-values from knots (${name}) give every window, check and slice the status it gets alone, recomputing only some pairs; what fires is shown as alone`, async () => {
      const plan = plans.get(name) as MonitorPlan;
      const { windows, alone } = await blockAlone(plan);
      const { replayed, refined, pairs } = await replayedWithKnots(plan, windows);
      expect(replayed.map((e) => e.window)).toEqual(alone.map((e) => e.window));
      expect(verdictsOf(replayed)).toEqual(verdictsOf(alone));
      expect(replayed.map((e) => [e.status, e.events, e.exactFallback])).toEqual(
        alone.map((e) => [e.status, e.events, e.exactFallback]),
      );
      expect(fired(alone).length).toBeGreaterThan(0);
      if (plan.falseDiscoveryRate === 'none') expect(fired(replayed)).toEqual(fired(alone));
      else expect(withoutAdjusted(fired(replayed))).toEqual(withoutAdjusted(fired(alone)));
      // some pairs needed the exact bracket (breaches), most did not
      expect(refined).toBeGreaterThan(0);
      expect(refined).toBeLessThan(pairs / 2);
    }, 240_000);

  it('the comparison catches KS knots that are not proven (the distribution read at a quarter of the sample size)', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const { windows, alone } = await blockAlone(plan);
    const real = createKsKnots();
    // p-values too large: breaches read as decided "ok", so never recomputed
    const broken: KsKnots = {
      evaluations: 0,
      bracket: (d, n, m) => real.bracket(d, Math.ceil(n / 4), Math.ceil(m / 4)),
    };
    const { replayed } = await replayedWithKnots(plan, windows, broken);
    expect(verdictsOf(replayed)).not.toEqual(verdictsOf(alone));
  }, 240_000);

  /** The windows evaluated alone, replayed as driftwatch backtest replays them (lean records). */
  async function leanReplay(
    plan: MonitorPlan,
    alone: readonly WindowEvaluation[],
  ): Promise<WindowEvaluation<KeptResult>[]> {
    const lean: WindowEvaluation<KeptResult>[] = [];
    const windows = alone.map((a) => a.window);
    for await (const e of replayWindows(store, plan, windows, { now: NOW, records: 'alerting' }))
      lean.push(e);
    return lean;
  }

  /** The block's range, and what backtestMonitor answered for it before replays were lean. */
  function blockRange(): { from: Date; to: Date } {
    return { from: FIRST_BLOCK, to: new Date(FIRST_BLOCK.getTime() + BLOCKS * 5 * MINUTE) };
  }

  /** A backtest's answer from evaluations with whole records, every result fed to the planner. */
  function answerOf(
    plan: MonitorPlan,
    evaluations: readonly WindowEvaluation<KeptResult>[],
    feed: (results: KeptResult[]) => KeptResult[] = (results) => results,
  ): Backtest {
    const planner = createAlertPlanner(plan);
    const windows = evaluations.map((e) => {
      planner.add(e.window.start, e.window.end, feed(e.results));
      return {
        end: e.window.end,
        status: e.status,
        checks: e.results.length,
        fired: e.results.filter((r) => r.status === 'warn' || r.status === 'critical').length,
        events: e.events,
      };
    });
    const fired = evaluations.flatMap((e) =>
      e.results.filter((r) => r.status === 'warn' || r.status === 'critical'),
    ) as Backtest['fired'];
    return { windows, fired, alerts: planner.plan(blockRange()) };
  }

  const STATUS_KEYS = ['checkId', 'feature', 'metric', 'sliceKey', 'sliceValue', 'status'];

  for (const name of ['file-5m', 'trailing-5m', 'file-5m-fdr'])
    it(`backtestMonitor (${name}) answers, with quiet verdicts carried as statuses, what each window evaluated alone with whole records fed to the planner answers`, async () => {
      const plan = plans.get(name) as MonitorPlan;
      const { alone } = await blockAlone(plan);
      const backtest = await backtestMonitor(store, plan, blockRange());
      const expected = answerOf(plan, alone);
      expect(backtest.windows).toEqual(expected.windows);
      expect(backtest.alerts).toEqual(expected.alerts);
      // Benjamini-Hochberg's adjusted point value under KS knots mixes midpoints (see above)
      if (plan.falseDiscoveryRate === 'none') expect(backtest.fired).toEqual(expected.fired);
      else expect(withoutAdjusted(backtest.fired)).toEqual(withoutAdjusted(expected.fired));
      // the same replay with whole records (the same knots): the very same answer, bit for bit
      const whole: WindowEvaluation[] = [];
      for await (const e of replayWindows(
        store,
        plan,
        alone.map((a) => a.window),
        { now: NOW },
      ))
        whole.push(e);
      expect(backtest).toEqual(answerOf(plan, whole));
      // the plan is not trivial: alerts fire and resolve, "no data" among them
      const notices = expected.alerts.alerts.map((alert) => alert.notices);
      expect(notices.filter((n) => (n.firing ?? 0) > 0).length).toBeGreaterThan(1);
      expect(notices.filter((n) => (n.resolved ?? 0) > 0).length).toBeGreaterThan(1);
      expect(expected.alerts.alerts.some((a) => a.subject.includes('(model)'))).toBe(true);
      // and the lean replay did carry statuses: quiet verdicts are only their identity and status
      const lean = await leanReplay(plan, alone);
      const quiet = lean.flatMap((e) =>
        e.results.filter((r) => ['ok', 'insufficient_data', 'awaiting_data'].includes(r.status)),
      );
      expect(quiet.length).toBeGreaterThan(lean.length * 10);
      expect(new Set(quiet.map((r) => Object.keys(r).sort().join()))).toEqual(
        new Set([STATUS_KEYS.join()]),
      );
    }, 240_000);

  it('the comparison catches statuses that lose what the planner reads (a status, or a subject)', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const { alone } = await blockAlone(plan);
    const lean = await leanReplay(plan, alone);
    const expected = answerOf(plan, alone).alerts;
    expect(answerOf(plan, lean).alerts).toEqual(expected);
    const statusesOnly = (results: KeptResult[], change: (r: KeptResult) => KeptResult | null) =>
      results.flatMap((r) => {
        if (r.status !== 'ok') return [r];
        const changed = change(r);
        return changed ? [changed] : [];
      });
    // "ok" read as insufficient: nothing clears
    const noClears = answerOf(plan, lean, (results) =>
      statusesOnly(results, (r) => ({ ...r, status: 'insufficient_data' }) as KeptResult),
    );
    expect(noClears.alerts).not.toEqual(expected);
    // the statuses left out: "no data" is never cleared by the checks that judged data
    const dropped = answerOf(plan, lean, (results) => statusesOnly(results, () => null));
    expect(dropped.alerts).not.toEqual(expected);
    // a status that lost its slice: its alert never sees it
    const unsliced = answerOf(plan, lean, (results) =>
      statusesOnly(results, (r) => ({ ...r, sliceValue: `${r.sliceValue}?` })),
    );
    expect(unsliced.alerts).not.toEqual(expected);
  }, 240_000);

  // The replay's KS D brackets are the sweep's, bit for bit (replayDistances.ts): the tests
  // above, which compare every status and every breach whole with each window alone, rest on
  // it. These show that they would catch a D bracket that is not, and a Wasserstein reader
  // judged on the cheaper bracket.
  it('the comparison catches KS D brackets shifted inward (no longer containing the exact D)', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const { windows, alone } = await blockAlone(plan);
    const real = replayDistancesFor(plan);
    const shifted: PairDistances = (reference, current, feature) => {
      const brackets = real(reference, current, feature);
      if (!brackets) return brackets;
      const lower = brackets.ks.lower * 0.7;
      const upper = brackets.ks.upper * 0.7;
      return { ...brackets, ks: { value: (lower + upper) / 2, lower, upper } };
    };
    const { replayed } = await replayedWithKnots(plan, windows, undefined, shifted);
    expect(verdictsOf(replayed)).not.toEqual(verdictsOf(alone));
  }, 240_000);

  it('keeps the features a check reads Wasserstein of on the exact sweep, and gives the exact replay’s statuses with the exact fallback off', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    // the plan's wasserstein_normed check reads amount: swept exactly, the others not
    const distances = replayDistancesFor(plan);
    const values = Array.from({ length: 500 }, (_, i) => 50 + 40 * Math.sin(i));
    const cells = (from: number[]): Cell[] =>
      from.map((v) => ({ count: 1, sum: Math.floor(v), min: Math.floor(v), max: Math.floor(v) }));
    const reference = sortCells(cells(values));
    const current = sortCells(cells(values.slice(0, 30).map((v) => v + 3)));
    expect(distances(reference, current, 'amount')).toEqual(distanceBrackets(reference, current));
    expect(distances(reference, current, 'device_score')?.wasserstein).not.toEqual(
      distanceBrackets(reference, current)?.wasserstein,
    );
    // With the exact fallback off (as the benchmark runs) a straddling verdict that narrowing
    // leaves keeps its worst case: the default replay gives every status the exact one gives.
    const windows = backtestWindows(
      FIRST_BLOCK,
      new Date(FIRST_BLOCK.getTime() + BLOCKS * 5 * MINUTE),
      plan.windowMs,
    );
    const replay = async (options: Partial<ReplayOptions<'all'>>) => {
      const all: WindowEvaluation[] = [];
      const replayOptions = { now: NOW, exactFallbackMaxEvents: 0, ...options };
      for await (const e of replayWindows(store, plan, windows, replayOptions)) all.push(e);
      return all;
    };
    const exact = await replay({ ksKnots: false });
    expect(verdictsOf(await replay({}))).toEqual(verdictsOf(exact));
    // a Wasserstein bracket that is not proven (0) for every feature, the read one too:
    // the comparison sees it (a verdict rests on whatever bracket a read feature gets)
    const cheap = createReplayDistances();
    const zero = await replay({
      distances: (reference, current, feature) => {
        const brackets = cheap(reference, current, feature);
        return brackets && { ...brackets, wasserstein: exactBracket(0) };
      },
    });
    const wasserstein = (all: WindowEvaluation[]) =>
      verdictsOf(all).map((verdicts) =>
        Object.entries(verdicts).filter(([key]) => key.includes('|wasserstein_normed|')),
      );
    expect(wasserstein(zero)).not.toEqual(wasserstein(exact));
    expect(
      wasserstein(exact)
        .flat()
        .some(([, status]) => status === 'critical'),
    ).toBe(true);
  }, 240_000);

  it('stops at a window in the future as a window evaluated alone does', async () => {
    const plan = plans.get('file-5m') as MonitorPlan;
    const windows: TimeWindow[] = backtestWindows(
      new Date(NOW.getTime() - 10 * MINUTE),
      new Date(NOW.getTime() + 10 * MINUTE),
      plan.windowMs,
    );
    const replayed: WindowEvaluation[] = [];
    await expect(async () => {
      for await (const e of replayWindows(store, plan, windows, { now: NOW })) replayed.push(e);
    }).rejects.toThrow(/in the future/);
    // the window ending at NOW is past; the next one, 5 minutes later, is not
    expect(replayed.map((e) => e.window.end)).toEqual([new Date(NOW.getTime() - 5 * MINUTE), NOW]);
  });

  it('refuses windows older than the summaries they need are kept, and says which and why', async () => {
    const keepForever = {
      eventsDays: 0,
      deadLettersDays: 0,
      fiveMinuteSummaryDays: 0,
      hourSummaryDays: 0,
      finerSummaryDays: 0,
    };
    // the blocks are days old whenever this runs: five-minute summaries kept one day
    await applyRetention(store, { ...keepForever, fiveMinuteSummaryDays: 1 });
    try {
      const plan = plans.get('file-5m') as MonitorPlan;
      const window = { start: MIDNIGHT, end: new Date(MIDNIGHT.getTime() + 5 * MINUTE) };
      const expired = {
        code: 'DW_EXPIRED',
        message: expect.stringContaining(
          'needs the five-minute summaries from 2026-11-20T00:00:00.000Z, which are kept 1 days (DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS)',
        ) as unknown,
      };
      await expect(
        evaluateMonitorWindow(store, plan, window, { persist: false, now: NOW }),
      ).rejects.toMatchObject(expired);
      await expect(async () => {
        for await (const e of replayWindows(store, plan, [window], { now: NOW })) void e;
      }).rejects.toMatchObject(expired);
      // windows of whole hours read the hour grain, kept forever here: still answered
      const hours = plans.get('file-2h') as MonitorPlan;
      const evaluation = await evaluateMonitorWindow(
        store,
        hours,
        { start: new Date(MIDNIGHT.getTime() - 2 * HOUR), end: MIDNIGHT },
        { persist: false, now: NOW },
      );
      expect(evaluation.events).toBeGreaterThan(0);

      // a backtest replays what it can and marks the rest expired, in order, with why
      const seen: string[] = [];
      const old = await backtestMonitor(
        store,
        plan,
        { from: MIDNIGHT, to: new Date(MIDNIGHT.getTime() + 10 * MINUTE) },
        (w) => seen.push(w.status),
      );
      expect(old.windows.map((w) => w.status)).toEqual(['expired', 'expired']);
      expect(seen).toEqual(['expired', 'expired']);
      expect(old.windows[0]).toMatchObject({ checks: 0, fired: 0 });
      expect(old.windows[0]?.events).toBeUndefined();
      expect(old.windows[0]?.reason).toContain('DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS');
      // across the horizon (a day back, less the hour's margin): expired, then replayed
      const horizon = Date.now() - 23 * HOUR;
      const from = new Date(Math.floor(horizon / (5 * MINUTE)) * 5 * MINUTE - 15 * MINUTE);
      const across = await backtestMonitor(store, plan, {
        from,
        to: new Date(from.getTime() + 30 * MINUTE),
      });
      const statuses = across.windows.map((w) => w.status);
      expect(across.windows.map((w) => w.end)).toEqual(
        backtestWindows(from, new Date(from.getTime() + 30 * MINUTE), plan.windowMs).map(
          (w) => w.end,
        ),
      );
      const firstKept = statuses.indexOf('no_data');
      expect(firstKept).toBeGreaterThan(0);
      expect(statuses.slice(0, firstKept).every((status) => status === 'expired')).toBe(true);
      expect(statuses.slice(firstKept).every((status) => status === 'no_data')).toBe(true);
      across.windows.forEach((w) => {
        const start = w.end.getTime() - 5 * MINUTE;
        if (w.status === 'expired') expect(start).toBeLessThan(horizon + MINUTE);
        else expect(start).toBeGreaterThan(horizon - MINUTE);
      });
      // a kept window whose volume check looks back past the horizon expects nothing, and says why
      const kept = across.windows[firstKept] as { end: Date };
      const start = new Date(kept.end.getTime() - 5 * MINUTE);
      const recent = generateWindow(fraudDetector, {
        start,
        spanMs: 5 * MINUTE,
        count: 40,
        drifted: false,
        seed: 999,
      });
      await insertTestPredictions(
        store,
        recent.predictions.map((p) => ({ ...p, event_id: `recent-${p.event_id}` })),
      );
      const justAfter = await evaluateMonitorWindow(
        store,
        plan,
        { start, end: kept.end },
        { persist: false, now: new Date() },
      );
      expect(justAfter.events).toBe(40);
      const volume = justAfter.results.find((r) => r.metric === 'volume');
      expect(volume).toMatchObject({ status: 'insufficient_data', value: null });
      expect(volume?.details.reason).toMatch(
        /^the trailing period: .*DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS/,
      );
    } finally {
      await applyRetention(store, keepForever);
    }
  });
});
