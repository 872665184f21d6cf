import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import type { AlertExplanation } from '../api/explanation.js';
import { loadAlertsConfig } from '../config/config.js';
import { demoBaselineCsv, fraudDetector } from '../demo/demoModels.js';
import { decileEdges } from '../drift/explain.testing.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { evaluateMonitorWindow } from '../monitors/evaluateWindow.js';
import { loadMonitorFile } from '../monitors/monitorFile.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { silentLogger } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import { binCounts, PROPORTION_FLOOR, psi } from '../stats/index.js';
import { listAlertEvents, listAlerts } from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { windowEndingAt } from '../timeWindow.js';
import {
  generateWindow,
  insertTestPredictions,
  type GeneratedWindow,
} from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { createAlertsApi } from './alertsApi.js';
import { createAlertStage } from './alertStage.js';
import { explainAlert } from './explainAlert.js';
import { createSilence } from './operatorActions.js';
import { renderExplanationText } from './render/explanation.js';

/**
 * Deliver 2 of issue 20: every alert explains itself. The demo's planted drift (amount grows
 * on the web channel, a new merchant category, device scores arrive empty) is evaluated and
 * alerted on embedded ClickHouse, then each alert is explained; every number is checked
 * against an independent computation on the raw rows the test generated.
 */
const HOUR = 3_600_000;
const WINDOW = windowEndingAt(new Date('2026-11-20T12:00:00Z'), HOUR / 2);

const MONITOR = `model: fraud-detector
baseline: { file: fraud.csv }
features:
  amount: numeric
  account_age_days: numeric
  device_score: { kind: numeric, range: [0, 1] }
  merchant_category: categorical
prediction: { threshold: 0.5 }
slices: [channel, country]
schedule: '*/30 * * * *'
window: 30m
min_samples: 50
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [amount], p_value: 0.01, min_statistic: 0.1 }
  - { metric: new_categories, features: [merchant_category], severity: warn }
  - { metric: null_rate, features: all, max_increase: 0.05 }
  - { metric: positive_rate, max_shift: 0.02, p_value: 0.01 }
  - { metric: out_of_range, features: [device_score], max_rate: 0.001 }
alerts:
  for: 1
`;

interface BaselineRow {
  amount: number;
  device_score: number | null;
  merchant_category: string;
  channel: string;
  country: string;
}

function parseBaseline(csv: string): BaselineRow[] {
  const [header = '', ...lines] = csv.trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => {
    const cells = Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell]));
    return {
      amount: Number(cells.amount),
      device_score: cells.device_score === '' ? null : Number(cells.device_score),
      merchant_category: String(cells.merchant_category),
      channel: String(cells.channel),
      country: String(cells.country),
    };
  });
}

describe('an alert explains itself, from the summaries it was judged on', () => {
  let store: Store;
  let plan: MonitorPlan;
  let baseline: BaselineRow[];
  let window: GeneratedWindow;
  const dir = tempDir('driftwatch-explain-');

  beforeAll(async () => {
    store = await openTestStore();
    const csv = demoBaselineCsv(fraudDetector, 4000, 7);
    fs.writeFileSync(path.join(dir, 'fraud.csv'), csv);
    baseline = parseBaseline(csv);
    fs.writeFileSync(path.join(dir, 'fraud-detector.yaml'), MONITOR);
    const loaded = loadMonitorFile(path.join(dir, 'fraud-detector.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    plan = loaded.plan;
    window = generateWindow(fraudDetector, {
      start: WINDOW.start,
      spanMs: HOUR / 2,
      count: 3000,
      drifted: true,
      seed: 5,
    });
    // out of [0, 1]: an out-of-range alert, which is no sum over slices to attribute
    for (const row of window.predictions.slice(0, 40)) row.features.device_score = 7;
    await insertTestPredictions(store, window.predictions);
    await evaluateMonitorWindow(store, plan, WINDOW, { now: WINDOW.end });
    const stage = createAlertStage({
      store,
      plans: [plan],
      config: loadAlertsConfig({}),
      logger: silentLogger(),
      registry: createMetricsRegistry({ processMetrics: false }),
    });
    await stage.processMonitor(plan.monitor, WINDOW.end);
    await stage.stop();
  }, 120_000);
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function explained(
    checkId: string,
    feature: string,
    slice = 'all',
  ): Promise<AlertExplanation> {
    const alerts = await listAlerts(store, { state: 'all' });
    const alert = alerts.find(
      (candidate) =>
        candidate.checkId === checkId &&
        candidate.feature === feature &&
        (candidate.sliceKey === '' ? 'all' : `${candidate.sliceKey}=${candidate.sliceValue}`) ===
          slice,
    );
    if (!alert) throw new Error(`no alert for ${checkId} ${feature} ${slice}`);
    return explainAlert(store, [plan], alert.alertId);
  }

  const amounts = (channel?: string) =>
    window.predictions
      .filter((row) => channel === undefined || row.attributes.channel === channel)
      .map((row) => row.features.amount)
      .filter((value): value is number => typeof value === 'number');
  const referenceAmounts = (channel?: string) =>
    baseline.filter((row) => channel === undefined || row.channel === channel).map((r) => r.amount);
  const contains = (bracket: { lower: number; upper: number }, exact: number, slack = 1e-12) => {
    expect(bracket.lower - slack).toBeLessThanOrEqual(exact);
    expect(exact).toBeLessThanOrEqual(bracket.upper + slack);
  };

  it('says what fired and when: its transitions, the window that fired it and its stored result', async () => {
    const explanation = await explained('psi', 'amount');
    const events = await listAlertEvents(store, { alertId: explanation.alert.alert_id });
    expect(explanation.transitions.map((t) => [t.event, t.window_end])).toEqual(
      events.map((event) => [event.event, event.windowEnd.toISOString()]),
    );
    expect(explanation.transitions.at(-1)?.event).toBe('firing');
    expect(explanation.window).toEqual({
      start: WINDOW.start.toISOString(),
      end: WINDOW.end.toISOString(),
      chosen: 'fired',
    });
    expect(explanation.result).toMatchObject({
      check_id: 'psi',
      feature: 'amount',
      slice_value: 'all',
      window_end: WINDOW.end.toISOString(),
    });
    expect(['warn', 'critical']).toContain(explanation.result?.status);
  });

  it("shows the breached window's bins beside the baseline's, each with its part of PSI", async () => {
    const { distribution } = await explained('psi', 'amount');
    if (!distribution) throw new Error('a numeric feature has a distribution');
    const reference = referenceAmounts();
    const current = amounts();
    const edges = decileEdges(reference);
    expect(distribution.edges).toEqual(edges);
    const r = binCounts(edges, reference);
    const c = binCounts(edges, current);
    distribution.bins.forEach((bin, i) => {
      expect(bin.reference_count).toEqual({ lower: r[i], upper: r[i] });
      contains(bin.current_count, c[i] ?? NaN, 0);
      expect(bin.lower_edge).toBe(i === 0 ? null : edges[i - 1]);
      expect(bin.upper_edge).toBe(edges[i] ?? null);
    });
    contains(distribution.psi, psi(r, c), 1e-9);
    // the window's amounts moved up: the bins that moved most are the top ones
    expect(distribution.moved_most[0]).toBe(edges.length);
    const shares = distribution.bins.reduce((sum, bin) => sum + bin.psi_share, 0);
    expect(shares).toBeCloseTo(1, 9);
    expect(distribution.slice).toBe('all');
  });

  it('attributes the model-level shift to the slice that explains it: channel=web', async () => {
    const { attribution } = await explained('psi', 'amount');
    if (!attribution) throw new Error('a sliced monitor attributes');
    expect(attribution.statistic).toBe('psi');
    const channel = attribution.keys.find((key) => key.key === 'channel');
    expect(channel?.slices[0]?.slice).toBe('channel=web');
    expect(channel?.slices[0]?.share).toBeGreaterThan(0.6);
    // each contribution, recomputed on the raw rows: Σ_i (a_si/N_c − b_si/N_r)·ln(c_i/r_i)
    const edges = decileEdges(referenceAmounts());
    const r = binCounts(edges, referenceAmounts());
    const c = binCounts(edges, amounts());
    const nr = referenceAmounts().length;
    const nc = amounts().length;
    for (const slice of channel?.slices ?? []) {
      const value = slice.slice.split('=')[1];
      const rs = binCounts(edges, referenceAmounts(value));
      const cs = binCounts(edges, amounts(value));
      const exact = c.reduce((sum, ci, i) => {
        const x = Math.max(ci / nc, PROPORTION_FLOOR);
        const y = Math.max((r[i] ?? 0) / nr, PROPORTION_FLOOR);
        return sum + ((cs[i] ?? 0) / nc - (rs[i] ?? 0) / nr) * Math.log(x / y);
      }, 0);
      contains(slice.contribution, exact);
      expect(slice.reference_size).toBe(rs.reduce((s, n) => s + n, 0));
      expect(slice.alert_slice).toBe(false);
    }
    // the country key spreads the shift over its slices: none explains most of it
    const country = attribution.keys.find((key) => key.key === 'country');
    expect(country?.slices[0]?.share ?? 1).toBeLessThan(0.8);
  });

  it('marks the alert’s own slice among the contributions of a sliced alert', async () => {
    const { attribution, distribution } = await explained('psi', 'amount', 'channel=web');
    const web = attribution?.keys
      .find((key) => key.key === 'channel')
      ?.slices.find((slice) => slice.slice === 'channel=web');
    expect(web?.alert_slice).toBe(true);
    // the distribution is the web channel's own, on its own baseline deciles
    expect(distribution?.slice).toBe('channel=web');
    expect(distribution?.edges).toEqual(decileEdges(referenceAmounts('web')));
  });

  it('locates KS’s D where the CDFs differ most, and splits D into the slices', async () => {
    const { distribution, attribution } = await explained('ks', 'amount');
    const ks = distribution?.ks;
    if (!ks) throw new Error('a numeric feature has a KS location');
    const share = (values: number[], x: number) =>
      values.filter((v) => v <= x).length / values.length;
    const fRef = share(referenceAmounts(), ks.x);
    const fCur = share(amounts(), ks.x);
    contains(ks.reference_cdf, fRef);
    contains(ks.current_cdf, fCur);
    contains(ks.gap, Math.abs(fRef - fCur));
    expect(ks.direction).toBe('less_below'); // amounts moved up
    expect(attribution?.statistic).toBe('ks');
    const channel = attribution?.keys.find((key) => key.key === 'channel');
    expect(channel?.slices[0]?.slice).toBe('channel=web');
    expect(channel?.explained).toBeCloseTo(attribution?.value ?? NaN, 9);
  });

  it('names new categories with their counts', async () => {
    const { distribution } = await explained('new_categories', 'merchant_category');
    const gaming = window.predictions.filter(
      (row) => row.features.merchant_category === 'gaming',
    ).length;
    expect(distribution?.kind).toBe('categorical');
    expect(distribution?.new_categories).toEqual([{ category: 'gaming', count: gaming }]);
    expect(distribution?.vanished_categories).toEqual([]);
  });

  it('splits a null-rate rise into slices, exactly', async () => {
    const { attribution } = await explained('null_rate', 'device_score');
    expect(attribution?.statistic).toBe('null_rate');
    const nulls = (channel: string) =>
      window.predictions.filter(
        (row) => row.attributes.channel === channel && row.features.device_score === null,
      ).length;
    const referenceNulls = (channel: string) =>
      baseline.filter((row) => row.channel === channel && row.device_score === null).length;
    for (const slice of attribution?.keys.find((key) => key.key === 'channel')?.slices ?? []) {
      const value = slice.slice.split('=')[1] ?? '';
      const exact =
        nulls(value) / window.predictions.length - referenceNulls(value) / baseline.length;
      expect(slice.contribution.lower).toBe(slice.contribution.upper);
      expect(slice.contribution.value).toBeCloseTo(exact, 14);
    }
  });

  it('ranks the features of a model-level alert by their PSI in the window', async () => {
    const { features, distribution, attribution } = await explained('positive_rate', '');
    expect(distribution).toBeNull();
    expect(attribution?.statistic).toBe('positive_rate');
    expect(features.map((rank) => rank.feature).sort()).toEqual(
      plan.features.map((feature) => feature.name).sort(),
    );
    const values = features.map((rank) => rank.psi?.value ?? -1);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const merchant = features.find((rank) => rank.feature === 'merchant_category');
    const categories = [...new Set(baseline.map((row) => row.merchant_category)), 'gaming'].sort();
    const count = (values: string[]) => categories.map((c) => values.filter((v) => v === c).length);
    expect(merchant?.psi?.value).toBeCloseTo(
      psi(
        count(baseline.map((row) => row.merchant_category)),
        count(window.predictions.map((row) => String(row.features.merchant_category))),
      ),
      12,
    );
  });

  it('says plainly what it cannot explain', async () => {
    const explanation = await explained('out_of_range', 'device_score');
    // the feature's distribution is still shown: the values past 1 are in its top bin
    expect(explanation.distribution?.kind).toBe('numeric');
    expect(explanation.attribution).toBeNull();
    expect(explanation.notes.join(' ')).toMatch(/no attribution for out_of_range/);
  });

  it('answers GET /v1/alerts/:id/explanation, 404 for an unknown alert, 501 without alerting', async () => {
    const withAlerts = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [plan],
      alerts: createAlertsApi(store, { plans: () => [plan], config: loadAlertsConfig({}) }),
    });
    const [alert] = await listAlerts(store, { state: 'all' });
    const ok = await withAlerts.inject(`/v1/alerts/${alert?.alertId}/explanation`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual(
      JSON.parse(JSON.stringify(await explainAlert(store, [plan], alert?.alertId ?? ''))),
    );
    const asked = await withAlerts.inject(
      `/v1/alerts/${alert?.alertId}/explanation?window_end=${WINDOW.end.toISOString()}`,
    );
    expect((asked.json() as AlertExplanation).window?.chosen).toBe('requested');
    const unknown = await withAlerts.inject('/v1/alerts/0123456789abcdef/explanation');
    expect(unknown.statusCode).toBe(404);
    await withAlerts.close();
    const without = buildApp({ store, metrics: createIngestMetrics(), monitors: () => [plan] });
    expect((await without.inject(`/v1/alerts/${alert?.alertId}/explanation`)).statusCode).toBe(501);
    await without.close();
  });
  it('names the silences muting it now (who, why, until), and no other', async () => {
    expect((await explained('psi', 'amount', 'channel=web')).silences).toEqual([]);
    const at = new Date();
    const until = new Date(at.getTime() + 4 * HOUR);
    const silence = (request: Partial<Parameters<typeof createSilence>[1]>) =>
      createSilence(store, {
        model: 'fraud-detector',
        endsAt: until,
        reason: 'another alert',
        by: 'someone',
        now: at,
        ...request,
      });
    const muting = await silence({
      checkId: 'psi',
      slice: 'channel=web',
      reason: 'retraining tonight',
      by: 'oncall',
    });
    await silence({ feature: 'account_age_days' }); // another feature
    await silence({ slice: 'channel=app' }); // another slice
    await silence({ model: 'other-model' });
    await silence({ now: new Date(at.getTime() - HOUR), endsAt: new Date(at.getTime() - 1) });
    const explanation = await explained('psi', 'amount', 'channel=web');
    expect(explanation.silences).toEqual([
      {
        silence_id: muting.silenceId,
        by: 'oncall',
        reason: 'retraining tonight',
        since: at.toISOString(),
        until: until.toISOString(),
        matches: { check_id: 'psi', feature: null, slice: 'channel=web' },
      },
    ]);
    // the whole-window alert of the same check is not in that silence's slice
    expect((await explained('psi', 'amount')).silences).toEqual([]);
    const minute = until
      .toISOString()
      .replace('T', ' ')
      .replace(/:\d\d\.\d+Z$/, 'Z');
    expect(renderExplanationText(explanation)).toContain(
      `silenced until ${minute} by oncall: retraining tonight (silence ${muting.silenceId}, psi · channel=web)`,
    );
  });
});
