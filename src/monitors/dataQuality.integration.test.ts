import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateWindow,
  insertTestPredictions,
  type TestPrediction,
} from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { demoBaselineCsv, fraudDetector } from '../demo/demoModels.js';
import { wasserstein1 } from '../stats/index.js';
import type { Store } from '../store/clickhouse.js';
import { queryResultsPage } from '../store/results.js';
import { evaluateMonitorWindow } from './evaluateWindow.js';
import { writeMonitor } from '../../test/helpers/labelWindows.js';
import type { MonitorPlan } from './plan.js';
import { windowEndingAt } from '../timeWindow.js';
import { type CheckResult } from './checkResult.js';

/**
 * Issue 8, items 1-3, on the monitor side: schema-valid events that once crashed a run or
 * looked healthy. Each case failed on the code before the summaries (a ClickHouse error,
 * "ok" for an empty window, a window in 2099 stored, Wasserstein 0 with an infinity).
 */
const HOUR = 3_600_000;
const T0 = new Date('2026-11-20T10:00:00Z');
const W = windowEndingAt(new Date(T0.getTime() + HOUR), HOUR / 2);
const EMPTY = windowEndingAt(new Date(T0.getTime() + 3 * HOUR), HOUR / 2);

const YAML = `model: fraud-detector
baseline: { file: fraud.csv }
features:
  amount: numeric
  account_age_days: { kind: numeric, range: [0, 36500] }
  device_score: { kind: numeric, range: [0, 1] }
  merchant_category: categorical
prediction: { threshold: 0.5 }
slices: [channel]
schedule: '*/30 * * * *'
window: 30m
min_samples: 20
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [amount], p_value: 0.01, min_statistic: 0.1 }
  - { metric: wasserstein_normed, features: [amount], warn: 0.5, critical: 1 }
  - { metric: null_rate, features: all, max_increase: 0.05 }
  - { metric: non_finite, features: [amount], max_rate: 0 }
  - { metric: schema, severity: warn }
  - { metric: volume, min_ratio: 0.5, trailing: 2h }
  - { metric: freshness, max_delay: 10m }
`;

describe('monitor runs on schema-valid but incomplete, empty or non-finite data', () => {
  let store: Store;
  let plan: MonitorPlan;
  let run: Awaited<ReturnType<typeof evaluateMonitorWindow>>;
  let full: TestPrediction[];
  let partial: TestPrediction[];
  const dir = tempDir('driftwatch-quality-');

  beforeAll(async () => {
    store = await openTestStore();
    fs.writeFileSync(path.join(dir, 'fraud.csv'), demoBaselineCsv(fraudDetector, 3000, 3));
    plan = writeMonitor(dir, 'fraud-detector', YAML);
    // The hour before the window: ordinary traffic (the volume check's trailing mean).
    const before = generateWindow(fraudDetector, {
      start: new Date(T0.getTime() - HOUR),
      spanMs: HOUR,
      count: 2000,
      drifted: false,
      seed: 5,
    }).predictions;
    // The window: full events, events with no attributes and only `amount`, and
    // amounts of +inf, -inf and 1e308 (the last finite, the others not).
    full = generateWindow(fraudDetector, {
      start: W.start,
      spanMs: HOUR / 2,
      count: 400,
      drifted: false,
      seed: 6,
    }).predictions;
    partial = full.slice(0, 100).map((event, i) => ({
      ...event,
      event_id: `partial-${i}`,
      prediction_id: `partial-${i}`,
      features: { amount: event.features.amount ?? 1 },
      attributes: {},
    }));
    await insertTestPredictions(store, [...before, ...full, ...partial]);
    await store.command(
      `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, attributes)
       VALUES ('prediction', 'inf-1', 'fraud-detector', {ts:DateTime64(3)}, 'inf-1', 0.2, map('amount', inf), map('channel', 'web')),
              ('prediction', 'inf-2', 'fraud-detector', {ts:DateTime64(3)}, 'inf-2', 0.2, map('amount', -inf), map('channel', 'web')),
              ('prediction', 'huge', 'fraud-detector', {ts:DateTime64(3)}, 'huge', 0.2, map('amount', 1e308), map('channel', 'web'))`,
      { ts: new Date(W.start.getTime() + 60_000).toISOString().replace('T', ' ').replace('Z', '') },
    );
    run = await evaluateMonitorWindow(store, plan, W, { now: new Date(W.end.getTime() + HOUR) });
  });
  afterAll(async () => {
    await store.close();
  });

  const result = (checkId: string, feature: string, slice: string): CheckResult => {
    const [key, value] = slice.includes('=') ? slice.split('=') : ['', slice];
    const found = run.results.find(
      (r) =>
        r.checkId === checkId &&
        r.feature === feature &&
        r.sliceKey === key &&
        r.sliceValue === value,
    );
    if (!found) throw new Error(`no result ${checkId}/${feature}/${slice}`);
    return found;
  };

  it('evaluates events without attributes and with only some features, as data-quality findings', () => {
    const events = full.length + partial.length + 3;
    // device_score: absent from the 100 partial events and the 3 extra ones, null in some full ones
    const nulls = partial.length + 3 + full.filter((e) => e.features.device_score === null).length;
    const nullRate = result('null_rate', 'device_score', 'all');
    expect(nullRate.details.null_rate_current).toBeCloseTo(nulls / events, 12);
    expect(nullRate.status).toBe('critical');
    expect(result('null_rate', 'merchant_category', 'all').details.null_rate_current).toBeCloseTo(
      (partial.length + 3) / events,
      12,
    );
    expect(result('schema', '', 'all').status).toBe('ok');
    // the events without attributes form their own slice value, which the baseline lacks
    const missing = result('null_rate', 'device_score', 'channel=(missing)');
    expect(missing).toMatchObject({ status: 'insufficient_data', nCurrent: partial.length });
    expect(result('psi', 'amount', 'channel=(missing)').status).toBe('insufficient_data');
  });

  it('counts infinities as their own finding and keeps them out of Wasserstein', () => {
    const nonFinite = result('non_finite', 'amount', 'all');
    expect(nonFinite.details).toMatchObject({ count: 2 });
    expect(nonFinite.status).toBe('critical');
    const baseline = fs
      .readFileSync(path.join(dir, 'fraud.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split(',')[0]));
    const current = [
      ...full.map((e) => Number(e.features.amount)),
      ...partial.map((e) => Number(e.features.amount)),
      1e308,
    ];
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const exact = wasserstein1(sorted(baseline), sorted(current));
    const mean = baseline.reduce((s, v) => s + v, 0) / baseline.length;
    const sd = Math.sqrt(baseline.reduce((s, v) => s + (v - mean) ** 2, 0) / baseline.length);
    const normed = result('wasserstein_normed', 'amount', 'all');
    expect(Number.isFinite(exact)).toBe(true);
    expect(exact).toBeGreaterThan(1e304);
    const lower = normed.valueLower ?? normed.value ?? NaN;
    const upper = normed.valueUpper ?? normed.value ?? NaN;
    expect(lower).toBeLessThanOrEqual((exact / sd) * (1 + 1e-9));
    expect(upper).toBeGreaterThanOrEqual((exact / sd) * (1 - 1e-9));
    expect(normed.status).toBe('critical');
  });

  it('says "no data" for a window without events, and how long ago the last one came', async () => {
    const empty = await evaluateMonitorWindow(store, plan, EMPTY, {
      now: new Date(EMPTY.end.getTime() + HOUR),
    });
    expect(empty.status).toBe('no_data');
    expect(empty.events).toBe(0);
    const freshness = empty.results.find((r) => r.checkId === 'freshness');
    expect(freshness?.status).toBe('no_data');
    const last = Math.max(
      ...[...full, ...partial].map((e) => new Date(`${e.ts.replace(' ', 'T')}Z`).getTime()),
    );
    expect(freshness?.value).toBeCloseTo((EMPTY.end.getTime() - last) / 1000, 3);
    expect(empty.results.filter((r) => r.status === 'ok')).toEqual([]);
  });

  it('compares the volume with the trailing mean, and the last event with the window end', () => {
    const volume = result('volume', '', 'all');
    // 2000 events in the two hours before: 500 expected per 30 minutes; 503 arrived
    expect(volume.value).toBeCloseTo((full.length + partial.length + 3) / 500, 12);
    expect(volume.status).toBe('ok');
    expect(result('freshness', '', 'all').status).toBe('ok');
  });

  it('refuses a window that ends in the future, storing nothing', async () => {
    const future = windowEndingAt(new Date('2099-01-01T00:00:00Z'), HOUR / 2);
    await expect(evaluateMonitorWindow(store, plan, future)).rejects.toThrow(/in the future/);
    const { items: history } = await queryResultsPage(
      store,
      { model: 'fraud-detector', from: new Date('2098-01-01') },
      { limit: 1000, offset: 0 },
    );
    expect(history).toEqual([]);
  });
});
