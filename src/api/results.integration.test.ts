import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { MonitorPlan } from '../monitors/plan.js';
import type { Store } from '../store/clickhouse.js';
import { insertMonitorResults, insertMonitorRun } from '../store/results.js';
import { buildApp } from './app.js';
import { NULL_FIELDS, type CheckResult } from '../monitors/checkResult.js';

const WINDOW = 30 * 60_000;
const END = Date.parse('2026-11-30T00:00:00Z');
const WINDOWS = 30 * 48; // a month of 30-minute windows
const SLICES: [string, string][] = [
  ['', 'all'],
  ['channel', 'web'],
  ['channel', 'ios'],
  ['channel', 'android'],
];

function plan(model: string): MonitorPlan {
  return {
    monitor: model,
    model,
    hash: model.slice(0, 1).repeat(64),
    baseline: { kind: 'file', path: `${model}.csv` },
    features: [{ name: 'amount', kind: 'numeric' }],
    slices: [['channel']],
    maxSliceValues: 10,
    minSamples: 100,
    threshold: 0.5,
    labels: null,
    falseDiscoveryRate: 'none',
    windowMs: WINDOW,
    schedule: '*/30 * * * *',
    checks: [{ id: 'psi', metric: 'psi', features: ['amount'], warn: 0.1, critical: 0.25 }],
  };
}

/** PSI of amount per slice: web drifts in the last 5 days; ios is warn every 10th window. */
function psiAt(i: number, slice: string): number {
  if (slice === 'web' && i >= WINDOWS - 5 * 48) return 0.3 + (i % 5) / 100;
  if (slice === 'ios' && i % 10 === 0) return 0.15;
  return 0.01 + (i % 7) / 1000;
}
const statusOf = (value: number) => (value >= 0.25 ? 'critical' : value >= 0.1 ? 'warn' : 'ok');

describe('the drift history over HTTP', () => {
  let store: Store;
  let app: FastifyInstance;
  const generated: { end: number; slice: string; value: number }[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    const rows: CheckResult[] = [];
    for (let i = 0; i < WINDOWS; i += 1) {
      const end = END - (WINDOWS - 1 - i) * WINDOW;
      for (const [key, value] of SLICES) {
        const psi = psiAt(i, value);
        generated.push({ end, slice: value, value: psi });
        rows.push({
          ...NULL_FIELDS,
          monitor: 'fraud-detector',
          model: 'fraud-detector',
          windowStart: new Date(end - WINDOW),
          windowEnd: new Date(end),
          checkId: 'psi',
          metric: 'psi',
          feature: 'amount',
          sliceKey: key,
          sliceValue: value,
          status: statusOf(psi),
          value: psi,
          correction: 'none',
          warnThreshold: 0.1,
          criticalThreshold: 0.25,
          nReference: 5000,
          nCurrent: 1000,
          baseline: 'file:fraud-detector.csv',
          baselineVersion: 1,
          monitorHash: 'f'.repeat(64),
          details: { histogram: { edges: [10, 20], reference: [5, 3, 2], current: [2, 3, 5 + i] } },
        });
      }
    }
    await insertMonitorResults(store, rows);
    for (const [monitor, status, breaches] of [
      ['fraud-detector', 'critical', 1],
      ['churn-model', 'ok', 0],
    ] as const) {
      await insertMonitorRun(store, {
        monitor,
        windowStart: new Date(END - WINDOW),
        windowEnd: new Date(END),
        status,
        checks: 4,
        breaches,
        durationMs: 12,
        monitorHash: monitor.slice(0, 1).repeat(64),
      });
    }
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [plan('churn-model'), plan('fraud-detector'), plan('image-classifier')],
      gaugeSlicesPerModel: 2,
    });
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    return response.json();
  };

  it('lists the models worst first, with monitor hash and last run', async () => {
    const models = await get('/v1/models');
    expect(models.map((m: { model: string; status: string }) => [m.model, m.status])).toEqual([
      ['fraud-detector', 'critical'],
      ['image-classifier', 'unknown'],
      ['churn-model', 'ok'],
    ]);
    expect(models[0]).toMatchObject({
      monitor_hash: 'f'.repeat(64),
      window_seconds: 1800,
      last_run: { window_end: new Date(END).toISOString(), breaches: 1, checks: 4 },
    });
  });

  it('filters results by feature, slice, status and time, pages them, and states the total', async () => {
    const from = new Date(END - 10 * 86_400_000).toISOString();
    const expected = generated.filter(
      (g) => g.slice === 'ios' && g.end > Date.parse(from) && statusOf(g.value) === 'warn',
    );
    const seen: { window_end: string; value: number }[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page = await get(
        `/v1/results?model=fraud-detector&feature=amount&slice=channel=ios&metric=psi&status=warn,critical&from=${from}&limit=7&offset=${offset}`,
      );
      expect(page.total).toBe(expected.length);
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items);
      offset = page.next_offset;
    }
    expect(seen.map((r) => Date.parse(r.window_end)).sort()).toEqual(
      expected.map((g) => g.end).sort(),
    );
    const [first] = (await get('/v1/results?model=fraud-detector&slice=channel=web&limit=1')).items;
    expect(first).toMatchObject({
      window_end: new Date(END).toISOString(),
      slice_key: 'channel',
      slice_value: 'web',
      status: 'critical',
      details: { histogram: { edges: [10, 20] } },
    });
    expect(typeof first.details).toBe('object');
  });

  it("merges a month into buckets for a chart, keeping each bucket's range and worst status", async () => {
    const series = await get(
      '/v1/models/fraud-detector/series?check_id=psi&feature=amount&slice=channel=web&max_points=100',
    );
    expect(series.points.length).toBeLessThanOrEqual(101);
    expect(series.points.length).toBeGreaterThan(50);
    expect(series.bucket_seconds).toBeGreaterThan(1800);
    const web = generated.filter((g) => g.slice === 'web');
    const max = Math.max(...web.map((g) => g.value));
    expect(Math.max(...series.points.map((p: { value_max: number }) => p.value_max))).toBeCloseTo(
      max,
      12,
    );
    expect(series.points.reduce((n: number, p: { windows: number }) => n + p.windows, 0)).toBe(
      WINDOWS,
    );
    expect(series.points.at(-1)).toMatchObject({
      status: 'critical',
      warn_threshold: 0.1,
      critical_threshold: 0.25,
    });
    const full = await get(
      '/v1/models/fraud-detector/series?check_id=psi&feature=amount&slice=all',
    );
    expect(full.bucket_seconds).toBe(0);
    expect(full.points).toHaveLength(WINDOWS);
  });

  it('serves the stored histogram of a feature in a window', async () => {
    const histogram = await get(
      '/v1/models/fraud-detector/histogram?feature=amount&slice=channel=web',
    );
    expect(histogram).toMatchObject({
      window_end: new Date(END).toISOString(),
      edges: [10, 20],
      reference: [5, 3, 2],
      current: [2, 3, 5 + WINDOWS - 1],
      categories: null,
    });
  });

  it('exposes the newest drift per model, feature, slice and metric as gauges, slices capped', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const lines = text.split('\n').filter((line) => line.startsWith('driftwatch_drift_status{'));
    // "all" and the worst slice (web, critical) only: the cap is 2 slices per model.
    expect(lines.sort()).toEqual([
      'driftwatch_drift_status{model="fraud-detector",check="psi",metric="psi",feature="amount",slice="all"} 0',
      'driftwatch_drift_status{model="fraud-detector",check="psi",metric="psi",feature="amount",slice="channel=web"} 2',
    ]);
    expect(text).toMatch(
      new RegExp(
        `driftwatch_drift_value\\{model="fraud-detector",check="psi",metric="psi",feature="amount",slice="channel=web"\\} ${psiAt(WINDOWS - 1, 'web')}`,
      ),
    );
    expect(text).toMatch(/driftwatch_drift_gauges_up 1/);
  });
});
