import fs from 'node:fs';
import path from 'node:path';
import { standardDeviation } from 'simple-statistics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestPredictions, type TestPrediction } from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { createRandom, type Random } from '../demo/random.js';
import type { Store } from '../store/clickhouse.js';
import { buildClosedFinerHours } from '../ingest/finerCellBuilder.js';
import { applyRetention, readRetainedDays } from '../store/retention.js';
import { evaluateMonitorWindow, prepareMonitor } from './evaluateWindow.js';
import { loadMonitorFile } from './monitorFile.js';
import type { MonitorPlan } from './plan.js';
import { windowEndingAt } from '../timeWindow.js';
import { type CheckResult } from './checkResult.js';
import { plainKsD } from '../stats/plainKs.testing.js';

/**
 * The exactness contract on the monitor path: a window read from summaries, on data chosen
 * to be hard (a feature far from zero, heavy ties, heavy tails, a single repeated value,
 * values near the float limits). Every value is either exact or its bracket contains the
 * exact value, computed here in plain arithmetic on the raw rows (simple-statistics for
 * the spread); and a bracket that straddles a threshold is recomputed exactly.
 */
const HOUR = 3_600_000;
const W = windowEndingAt(new Date('2026-11-20T12:00:00Z'), HOUR);
const FEATURES = ['located', 'ties', 'tails', 'constant', 'extreme'] as const;
type Feature = (typeof FEATURES)[number];

function draw(random: Random, shifted: boolean): Record<Feature, number> {
  const shift = shifted ? 1 : 0;
  const cauchy = Math.tan(Math.PI * (random.uniform() - 0.5));
  return {
    located: 19 + random.normal(0, 1) + shift * 0.15,
    ties: Math.min(6, Math.max(0, Math.round(random.normal(2 + shift * 0.3, 1.2)))),
    tails: Math.round(cauchy * 1000) / 10 + shift,
    constant: 7,
    extreme:
      random.uniform() < 0.05 ? (random.uniform() < 0.5 ? 1.7e308 : -1.6e308) : random.normal(0, 1),
  };
}

const YAML = (extra = '') => `model: hard-model
baseline: { file: base.csv }
features:
${FEATURES.map((f) => `  ${f}: numeric`).join('\n')}
prediction: { threshold: 0.5 }
slices: [channel]
schedule: '0 * * * *'
window: 1h
min_samples: 50
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: jensen_shannon, features: all, warn: 0.1, critical: 0.2 }
  - { metric: ks, features: all, p_value: 0.01, min_statistic: ${extra || '0.1'} }
  - { metric: wasserstein_normed, features: all, warn: 0.1, critical: 0.5 }
  - { metric: out_of_range, features: all, max_rate: 0.01 }
  - { metric: positive_rate, max_shift: 0.05, p_value: 0.01 }
`;

describe('brackets from summaries contain the exact values', () => {
  let store: Store;
  let plan: MonitorPlan;
  const dir = tempDir('driftwatch-brackets-');
  const baseline: (Record<Feature, number> & { channel: string; score: number })[] = [];
  const events: TestPrediction[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    const random = createRandom(11);
    for (let i = 0; i < 4000; i += 1)
      baseline.push({
        ...draw(random, false),
        channel: i % 3 ? 'web' : 'ios',
        score: random.uniform(),
      });
    fs.writeFileSync(
      path.join(dir, 'base.csv'),
      `${[...FEATURES, 'channel', 'score'].join(',')}\n${baseline
        .map((row) => [...FEATURES.map((f) => row[f]), row.channel, row.score].join(','))
        .join('\n')}\n`,
    );
    fs.writeFileSync(path.join(dir, 'hard.yaml'), YAML());
    const loaded = loadMonitorFile(path.join(dir, 'hard.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    plan = loaded.plan;
    // frames first, as the service does at start; then the window's events arrive
    await prepareMonitor(store, plan, W);
    for (let i = 0; i < 12000; i += 1) {
      events.push({
        kind: 'prediction',
        event_id: `e${i}`,
        model: 'hard-model',
        model_version: 'v1',
        ts: new Date(W.start.getTime() + (i * HOUR) / 12000)
          .toISOString()
          .replace('T', ' ')
          .replace('Z', ''),
        prediction_id: `p${i}`,
        score: Math.min(1, random.uniform() * 1.1),
        prediction: null,
        features: draw(random, true),
        attributes: { channel: i % 4 ? 'web' : 'ios' },
        source: 'test',
        kafka_topic: '',
        kafka_partition: -1,
        kafka_offset: -1,
      });
    }
    await insertTestPredictions(store, events);
  });
  afterAll(async () => {
    await store.close();
  });

  const valuesOf = (feature: Feature, slice: string, side: 'reference' | 'current'): number[] => {
    const rows =
      side === 'reference'
        ? baseline.map((row) => ({ value: row[feature], channel: row.channel }))
        : events.map((e) => ({
            value: Number(e.features[feature]),
            channel: e.attributes.channel,
          }));
    return rows
      .filter((row) => slice === 'all' || row.channel === slice)
      .map((row) => row.value)
      .sort((a, b) => a - b);
  };

  function expectContains(result: CheckResult, exact: number) {
    const lower = result.valueLower ?? result.value ?? NaN;
    const upper = result.valueUpper ?? result.value ?? NaN;
    const slack = Math.abs(exact) * 1e-9 + 1e-12;
    expect(
      lower - slack,
      `${result.checkId} ${result.feature} ${result.sliceValue}`,
    ).toBeLessThanOrEqual(exact);
    expect(
      upper + slack,
      `${result.checkId} ${result.feature} ${result.sliceValue}`,
    ).toBeGreaterThanOrEqual(exact);
  }

  it('for every KS, Wasserstein, PSI, Jensen-Shannon, out-of-range and positive-rate result', async () => {
    const run = await evaluateMonitorWindow(store, plan, W, {
      now: W.end,
      persist: false,
      exactFallbackMaxEvents: 0,
    });
    let bracketed = 0;
    let checked = 0;
    for (const result of run.results) {
      if (result.status === 'insufficient_data') continue;
      const feature = result.feature as Feature;
      const slice = result.sliceValue;
      const reference = result.feature ? valuesOf(feature, slice, 'reference') : [];
      const current = result.feature ? valuesOf(feature, slice, 'current') : [];
      const exact = exactValue(result.metric, feature, reference, current, slice);
      if (exact === undefined) continue;
      expectContains(result, exact);
      checked += 1;
      if (result.valueLower !== null) bracketed += 1;
    }
    expect(checked).toBeGreaterThan(60);
    expect(bracketed).toBeGreaterThan(10);
    // the far-from-zero feature is bracketed narrowly (the frame centres it)
    const located = run.results.find(
      (r) => r.checkId === 'ks' && r.feature === 'located' && r.sliceValue === 'all',
    );
    expect((located?.valueUpper ?? 1) - (located?.valueLower ?? 0)).toBeLessThan(0.01);
  });

  it('recomputes exactly a verdict whose bracket straddles its threshold', async () => {
    const d = plainKsD(
      valuesOf('located', 'all', 'reference'),
      valuesOf('located', 'all', 'current'),
    );
    // just below the exact D: the bracket straddles it, the exact value breaches it
    fs.writeFileSync(path.join(dir, 'hard.yaml'), YAML((d - 1e-9).toPrecision(17)));
    const loaded = loadMonitorFile(path.join(dir, 'hard.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const run = await evaluateMonitorWindow(store, loaded.plan, W, {
      now: W.end,
      persist: false,
      narrowing: false,
    });
    const ks = run.results.find(
      (r) => r.checkId === 'ks' && r.feature === 'located' && r.sliceValue === 'all',
    );
    expect(run.exactFallback?.resolved).toBe(true);
    expect(ks).toMatchObject({ valueLower: null, valueUpper: null, status: 'critical' });
    expect(ks?.value).toBeCloseTo(d, 12);
    const cut = await evaluateMonitorWindow(store, loaded.plan, W, {
      now: W.end,
      persist: false,
      exactFallbackMaxEvents: 0,
      narrowing: false,
    });
    const judged = cut.results.find(
      (r) => r.checkId === 'ks' && r.feature === 'located' && r.sliceValue === 'all',
    );
    expect(judged?.status).toBe('critical');
    expect(judged?.details.judged_on).toBe('bracket_worst_case');
  });

  // first: no hour's finer cells are built yet (the builder runs in the next test)
  it('narrows straddling verdicts from raw events of an hour not built: the same statuses as the exact values, brackets containing them', async () => {
    const d = plainKsD(
      valuesOf('located', 'all', 'reference'),
      valuesOf('located', 'all', 'current'),
    );
    for (const offset of [-1e-3, -1e-4, 1e-4, 1e-3]) {
      fs.writeFileSync(path.join(dir, 'hard.yaml'), YAML((d + offset).toPrecision(17)));
      const loaded = loadMonitorFile(path.join(dir, 'hard.yaml'));
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
      const options = { now: W.end, persist: false } as const;
      // past the exact fallback's limit (0 events here): narrowing decides from raw events
      const narrowed = await evaluateMonitorWindow(store, loaded.plan, W, {
        ...options,
        exactFallbackMaxEvents: 0,
      });
      const exact = await evaluateMonitorWindow(store, loaded.plan, W, {
        ...options,
        narrowing: false,
      });
      expect(narrowed.narrowing?.straddling, `offset ${offset}`).toBeGreaterThan(0);
      expect(narrowed.narrowing?.settled, `offset ${offset}`).toBeGreaterThan(0);
      // the window's one hour has no finer cells: its raw events were read for the straddling ranges
      expect(narrowed.narrowing?.finerCells).toEqual({ builtHours: 0, rawHours: 1 });
      const key = (r: CheckResult) => `${r.checkId} ${r.feature} ${r.sliceValue}`;
      const statuses = new Map(exact.results.map((r) => [key(r), r.status]));
      for (const result of narrowed.results) {
        expect(result.status, key(result)).toBe(statuses.get(key(result)));
        const feature = result.feature as Feature;
        if (!result.feature || result.status === 'insufficient_data') continue;
        const value = exactValue(
          result.metric,
          feature,
          valuesOf(feature, result.sliceValue, 'reference'),
          valuesOf(feature, result.sliceValue, 'current'),
          result.sliceValue,
        );
        if (value !== undefined) expectContains(result, value);
      }
    }
  });

  // last: it deletes the window's raw events
  // still before the build: within the fallback's limit the exact fallback is cheaper than counting the whole window raw
  it('sends straddling verdicts of a window with no hour built to the exact fallback, saying why', async () => {
    const d = plainKsD(
      valuesOf('located', 'all', 'reference'),
      valuesOf('located', 'all', 'current'),
    );
    fs.writeFileSync(path.join(dir, 'hard.yaml'), YAML((d + 1e-3).toPrecision(17)));
    const loaded = loadMonitorFile(path.join(dir, 'hard.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const options = { now: W.end, persist: false } as const;
    const run = await evaluateMonitorWindow(store, loaded.plan, W, options);
    const exact = await evaluateMonitorWindow(store, loaded.plan, W, {
      ...options,
      narrowing: false,
    });
    const straddling = run.narrowing?.straddling ?? 0;
    expect(straddling).toBeGreaterThan(0);
    expect(run.narrowing).toMatchObject({
      settled: 0,
      rounds: 0,
      finerCells: { builtHours: 0, rawHours: 1 },
      unsettled: { finer_cells_not_built: straddling },
    });
    expect(run.exactFallback).toEqual({
      verdicts: straddling,
      resolved: true,
      reasons: { finer_cells_not_built: straddling },
    });
    const key = (r: CheckResult) => `${r.checkId} ${r.feature} ${r.sliceValue}`;
    const statuses = new Map(exact.results.map((r) => [key(r), r.status]));
    for (const result of run.results)
      expect(result.status, key(result)).toBe(statuses.get(key(result)));
  });

  it('settles straddling verdicts from the finer cells built once the hour closed: the same statuses with the raw events gone', async () => {
    const built = await buildClosedFinerHours(store, {
      graceMs: 0,
      retained: await readRetainedDays(store),
      nowMs: W.end.getTime(),
      limit: 10,
      minEvents: 1,
    });
    expect(built).toMatchObject({ built: 1, rebuilt: 0, events: events.length });
    const d = plainKsD(
      valuesOf('located', 'all', 'reference'),
      valuesOf('located', 'all', 'current'),
    );
    const key = (r: CheckResult) => `${r.checkId} ${r.feature} ${r.sliceValue}`;
    const cases: { offset: number; statuses: Map<string, string> }[] = [];
    const options = { now: W.end, persist: false } as const;
    const planFor = (offset: number) => {
      fs.writeFileSync(path.join(dir, 'hard.yaml'), YAML((d + offset).toPrecision(17)));
      const loaded = loadMonitorFile(path.join(dir, 'hard.yaml'));
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
      return loaded.plan;
    };
    for (const offset of [-1e-3, 1e-3]) {
      const exact = await evaluateMonitorWindow(store, planFor(offset), W, {
        ...options,
        narrowing: false,
      });
      cases.push({ offset, statuses: new Map(exact.results.map((r) => [key(r), r.status])) });
    }
    await store.command(
      `ALTER TABLE events DELETE WHERE model = 'hard-model'`,
      {},
      { mutations_sync: '2' },
    );
    const [left] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM events WHERE model = 'hard-model'`,
    );
    expect(Number(left?.n)).toBe(0);
    for (const { offset, statuses } of cases) {
      const narrowed = await evaluateMonitorWindow(store, planFor(offset), W, options);
      expect(narrowed.narrowing?.straddling, `offset ${offset}`).toBeGreaterThan(0);
      // every straddling verdict settled in the first round, from stored cells: no raw row was there to read
      expect(narrowed.narrowing, `offset ${offset}`).toMatchObject({
        rounds: 1,
        rawEventRounds: 0,
        finerCells: { builtHours: 1, rawHours: 0 },
        unsettled: {},
      });
      expect(narrowed.narrowing?.settled).toBe(narrowed.narrowing?.straddling);
      expect(narrowed.exactFallback).toBeNull();
      for (const result of narrowed.results)
        expect(result.status, key(result)).toBe(statuses.get(key(result)));
    }
  });

  // after the raw events are gone: only the report is compared (the exact path is the one above)
  it('leaves straddling verdicts to the exact fallback, saying why, when the window reaches past the finer cells kept', async () => {
    const d = plainKsD(
      valuesOf('located', 'all', 'reference'),
      valuesOf('located', 'all', 'current'),
    );
    fs.writeFileSync(path.join(dir, 'hard.yaml'), YAML((d + 1e-3).toPrecision(17)));
    const loaded = loadMonitorFile(path.join(dir, 'hard.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    // the window is days old whenever this runs: finer cells kept one day
    const keepForever = {
      eventsDays: 0,
      deadLettersDays: 0,
      fiveMinuteSummaryDays: 0,
      hourSummaryDays: 0,
      finerSummaryDays: 0,
    };
    await applyRetention(store, { ...keepForever, finerSummaryDays: 1 });
    try {
      const run = await evaluateMonitorWindow(store, loaded.plan, W, {
        now: W.end,
        persist: false,
      });
      const straddling = run.narrowing?.straddling ?? 0;
      expect(straddling).toBeGreaterThan(0);
      expect(run.narrowing).toMatchObject({
        settled: 0,
        rounds: 0,
        unsettled: { finer_cells_expired: straddling },
        finerCellsExpired: { keptDays: 1, windowStart: W.start.toISOString() },
      });
      expect(run.exactFallback).toMatchObject({
        verdicts: straddling,
        reasons: { finer_cells_expired: straddling },
      });
    } finally {
      await applyRetention(store, keepForever);
    }
  });

  function exactValue(
    metric: string,
    feature: Feature,
    reference: number[],
    current: number[],
    slice: string,
  ) {
    switch (metric) {
      case 'ks':
        return plainKsD(reference, current);
      case 'wasserstein_normed': {
        const sd = standardDeviation(reference);
        return sd > 0 ? wasserstein(reference, current) / sd : undefined;
      }
      case 'psi':
      case 'jensen_shannon': {
        const edges = [
          ...new Set([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => r7(reference, k / 10))),
        ].filter(Number.isFinite);
        const r = bins(edges, reference);
        const c = bins(edges, current);
        return metric === 'psi' ? psiOf(r, c) : jsOf(r, c);
      }
      case 'out_of_range': {
        // the range is the baseline's finite min and max over all rows, for every slice
        const all = valuesOf(feature, 'all', 'reference');
        const [min, max] = [all[0] ?? 0, all.at(-1) ?? 0];
        return current.filter((v) => v < min || v > max).length / current.length;
      }
      case 'positive_rate': {
        const scores = events
          .filter((e) => slice === 'all' || e.attributes.channel === slice)
          .map((e) => e.score ?? 0);
        const refScores = baseline
          .filter((b) => slice === 'all' || b.channel === slice)
          .map((b) => b.score);
        return (
          scores.filter((s) => s >= 0.5).length / scores.length -
          refScores.filter((s) => s >= 0.5).length / refScores.length
        );
      }
      default:
        return undefined;
    }
  }
});

function wasserstein(a: number[], b: number[]): number {
  const all = [...a, ...b].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let half = 0;
  for (let k = 0; k < all.length - 1; k += 1) {
    const x = all[k] ?? 0;
    const next = all[k + 1] ?? 0;
    while (i < a.length && (a[i] ?? Infinity) <= x) i += 1;
    while (j < b.length && (b[j] ?? Infinity) <= x) j += 1;
    half += Math.abs(i / a.length - j / b.length) * (next / 2 - x / 2);
  }
  return half * 2;
}

function r7(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? NaN;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? NaN;
  const t = h - lo;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

function bins(edges: number[], values: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    const bin = edges.filter((e) => e <= v).length;
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return counts;
}

function proportions(counts: number[]): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  return counts.map((c) => Math.max(c / total, 1e-4));
}

function psiOf(r: number[], c: number[]): number {
  const p = proportions(r);
  return proportions(c).reduce(
    (s, ci, i) => s + (ci - (p[i] ?? 0)) * Math.log(ci / (p[i] ?? 1)),
    0,
  );
}

function jsOf(r: number[], c: number[]): number {
  const norm = (v: number[]) => {
    const total = v.reduce((s, x) => s + x, 0);
    return v.map((x) => x / total);
  };
  const q = norm(proportions(r));
  const p = norm(proportions(c));
  let total = 0;
  p.forEach((pi, i) => {
    const qi = q[i] ?? 0;
    const m = (pi + qi) / 2;
    total += (pi * Math.log(pi / m) + qi * Math.log(qi / m)) / 2;
  });
  return Math.sqrt(total / Math.LN2);
}
