import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoBaselineCsv, fraudDetector } from '../demo/demoModels.js';
import {
  aurocFromScoreHistogram,
  jensenShannonDistance,
  normedWasserstein,
  wasserstein1,
  binCounts,
  binEdgesFromQuantiles,
  chiSquareHomogeneity,
  ksPValueAsymp,
  ksStatistic,
  psi,
  quantileR7,
  twoProportionZTest,
} from '../stats/index.js';
import type { Store } from '../store/clickhouse.js';
import { insertLabels } from '../store/events.js';
import { queryResultsPage } from '../store/results.js';
import {
  generateWindow,
  insertTestPredictions,
  type GeneratedWindow,
  type TestPrediction,
} from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';
import { loadMonitorFile } from './monitorFile.js';
import type { MonitorPlan } from './plan.js';
import { windowEndingAt } from '../timeWindow.js';

const HOUR = 3_600_000;
const T0 = new Date('2026-11-20T10:00:00Z');
// W1 plain, W2 drifted two hours later: the label delay (2h) makes W1 the label window of W2.
const W1 = windowEndingAt(new Date(T0.getTime() + HOUR / 2), HOUR / 2);
const W2 = windowEndingAt(new Date(T0.getTime() + 2.5 * HOUR), HOUR / 2);

function monitorYaml(baseline: string, extra = ''): string {
  return `model: fraud-detector
baseline: { file: ${baseline} }
features:
  amount: numeric
  account_age_days: { kind: numeric, range: [0, 36500] }
  device_score: { kind: numeric, range: [0, 1] }
  merchant_category: categorical
prediction: { threshold: 0.5 }
slices: [channel]
schedule: '*/30 * * * *'
window: 30m
min_samples: 100
labels: { delay: 2h, min_count: 100 }
${extra}
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [amount], p_value: 0.01, min_statistic: 0.1 }
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
  - { metric: actual_positive_rate, max_shift: 0.05 }
`;
}

interface BaselineRow {
  label: string;
  amount: number;
  merchant_category: string;
  channel: string;
  score: number;
  device_score: number | null;
}

function parseBaseline(csv: string): BaselineRow[] {
  const [header = '', ...lines] = csv.trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => {
    const cells = Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell]));
    return {
      label: String(cells.label),
      amount: Number(cells.amount),
      merchant_category: String(cells.merchant_category),
      channel: String(cells.channel),
      score: Number(cells.score),
      device_score: cells.device_score === '' ? null : Number(cells.device_score),
    };
  });
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const deciles = (reference: number[]) =>
  binEdgesFromQuantiles(
    [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantileR7(sorted(reference), k / 10)),
  );

describe('evaluating a monitor window on embedded ClickHouse', () => {
  let store: Store;
  let plan: MonitorPlan;
  let baseline: BaselineRow[];
  let w1: GeneratedWindow;
  let w2: GeneratedWindow;
  let second: WindowEvaluation;
  const dir = tempDir('driftwatch-monitor-');

  beforeAll(async () => {
    store = await openTestStore();
    const csv = demoBaselineCsv(fraudDetector, 4000, 7);
    fs.writeFileSync(path.join(dir, 'fraud.csv'), csv);
    baseline = parseBaseline(csv);
    fs.writeFileSync(path.join(dir, 'fraud-detector.yaml'), monitorYaml('fraud.csv'));
    const loaded = loadMonitorFile(path.join(dir, 'fraud-detector.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    plan = loaded.plan;
    w1 = generateWindow(fraudDetector, {
      start: W1.start,
      spanMs: HOUR / 2,
      count: 1500,
      drifted: false,
      seed: 21,
    });
    w2 = generateWindow(fraudDetector, {
      start: W2.start,
      spanMs: HOUR / 2,
      count: 1500,
      drifted: true,
      seed: 22,
    });
    // Data-quality faults planted in W2: a text amount, two device scores out of [0, 1], a
    // prediction id sent twice under two event ids, and a field the baseline never had.
    const faulty = w2.predictions;
    faulty[0] = {
      ...faulty[0],
      features: { ...faulty[0]?.features, amount: 'n/a' },
    } as TestPrediction;
    faulty[1] = {
      ...faulty[1],
      features: { ...faulty[1]?.features, device_score: 7 },
    } as TestPrediction;
    faulty[2] = {
      ...faulty[2],
      features: { ...faulty[2]?.features, device_score: -1 },
    } as TestPrediction;
    faulty[3] = { ...faulty[3], prediction_id: String(faulty[4]?.prediction_id) } as TestPrediction;
    faulty[5] = {
      ...faulty[5],
      features: { ...faulty[5]?.features, promo_code: 'X1' },
    } as TestPrediction;
    await insertTestPredictions(store, [...w1.predictions, ...w2.predictions]);
    await insertLabels(store, w1.labels); // W2's labels have not arrived yet
    // these tests compare values with the raw rows' to 9-12 digits: the straddling ones are
    // the exact fallback's (narrowing would settle them with a bracket, brackets.integration)
    await evaluateMonitorWindow(store, plan, W2, { now: W2.end, narrowing: false });
    second = await evaluateMonitorWindow(store, plan, W2, { now: W2.end, narrowing: false });
  });
  afterAll(async () => {
    await store.close();
  });

  const result = (checkId: string, feature: string, sliceValue: string) => {
    const found = second.results.find(
      (r) => r.checkId === checkId && r.feature === feature && r.sliceValue === sliceValue,
    );
    if (!found) throw new Error(`no result for ${checkId}/${feature}/${sliceValue}`);
    return found;
  };

  it('computes PSI per slice as an independent computation on the raw rows does', () => {
    for (const channel of ['web', 'ios', 'android']) {
      const reference = baseline.filter((r) => r.channel === channel).map((r) => r.amount);
      const current = w2.predictions
        .filter((r) => r.attributes.channel === channel && typeof r.features.amount === 'number')
        .map((r) => r.features.amount as number);
      const edges = deciles(reference);
      const expected = psi(binCounts(edges, reference), binCounts(edges, current));
      const actual = result('psi', 'amount', channel);
      expect(actual.sliceKey).toBe('channel');
      expect(actual.value).toBeCloseTo(expected, 9);
      expect(actual.nReference).toBe(reference.length);
      expect(actual.nCurrent).toBe(current.length);
    }
    expect(result('psi', 'amount', 'web').status).toBe('critical');
    expect(result('psi', 'account_age_days', 'all').status).toBe('ok');
  });

  it('computes KS with its effect size as ks_2samp does on the raw rows', () => {
    const reference = sorted(baseline.map((r) => r.amount));
    const current = sorted(
      w2.predictions
        .map((r) => r.features.amount)
        .filter((v): v is number => typeof v === 'number'),
    );
    const d = ksStatistic(reference, current);
    const ks = result('ks', 'amount', 'all');
    expect(ks.value).toBeCloseTo(d, 12);
    expect(ks.pValue).toBeCloseTo(ksPValueAsymp(d, reference.length, current.length), 12);
    expect(result('ks', 'amount', 'web').status).toBe('critical');
    // amount drifts on the web channel only: its D there dwarfs the other channels'
    expect(result('ks', 'amount', 'web').value).toBeGreaterThan(
      3 * (result('ks', 'amount', 'ios').value ?? 1),
    );
    expect(result('ks', 'amount', 'web').value).toBeGreaterThan(
      3 * (result('ks', 'amount', 'android').value ?? 1),
    );
  });

  it('finds the new category, the chi-square shift and the rise in nulls', () => {
    const count = (values: string[]) =>
      values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());
    const chi2 = chiSquareHomogeneity(
      count(baseline.map((r) => r.merchant_category)),
      count(w2.predictions.map((r) => String(r.features.merchant_category))),
    );
    expect(result('chi2', 'merchant_category', 'all').value).toBeCloseTo(chi2.statistic, 9);
    expect(result('new_categories', 'merchant_category', 'all')).toMatchObject({
      status: 'warn',
      details: { new_categories: ['gaming'] },
    });
    const nulls = result('null_rate', 'device_score', 'all');
    const expectedCurrent =
      w2.predictions.filter((r) => r.features.device_score === null).length / w2.predictions.length;
    const expectedReference =
      baseline.filter((r) => r.device_score === null).length / baseline.length;
    expect(nulls.value).toBeCloseTo(expectedCurrent - expectedReference, 12);
    expect(nulls.status).toBe('critical');
  });

  it('catches the planted data-quality faults', () => {
    expect(result('wrong_type', 'amount', 'all')).toMatchObject({
      status: 'critical',
      details: { count: 1 },
    });
    expect(result('wrong_type', 'merchant_category', 'all').status).toBe('ok');
    expect(result('out_of_range', 'device_score', 'all')).toMatchObject({
      status: 'critical',
      details: { count: 2 },
    });
    expect(result('duplicate_ids', '', 'all')).toMatchObject({
      status: 'critical',
      details: { duplicates: 1 },
    });
    expect(result('schema', '', 'all')).toMatchObject({
      status: 'warn',
      details: { missing_features: [], new_features: ['promo_code'] },
    });
  });

  it('tests the predicted positive rate shift against the baseline', () => {
    const referencePositives = baseline.filter((r) => r.score >= 0.5).length;
    const currentPositives = w2.predictions.filter((r) => (r.score ?? 0) >= 0.5).length;
    const test = twoProportionZTest(
      { positives: referencePositives, n: baseline.length },
      { positives: currentPositives, n: w2.predictions.length },
    );
    const shift = result('positive_rate', '', 'all');
    expect(shift.value).toBeCloseTo(
      currentPositives / w2.predictions.length - referencePositives / baseline.length,
      12,
    );
    expect(shift.pValue).toBeCloseTo(test.pValue, 12);
  });

  it('judges accuracy on the window whose labels are due (late labels)', () => {
    const byScore = new Map<number, { score: number; positives: number; negatives: number }>();
    w1.predictions.forEach((p, i) => {
      const row = byScore.get(p.score ?? 0) ?? { score: p.score ?? 0, positives: 0, negatives: 0 };
      if (w1.labels[i]?.label === '1') row.positives += 1;
      else row.negatives += 1;
      byScore.set(row.score, row);
    });
    const auroc = result('auroc', '', 'all');
    expect(auroc.value).toBeCloseTo(aurocFromScoreHistogram([...byScore.values()]), 12);
    expect(auroc.details.label_window).toEqual({
      start: W1.start.toISOString(),
      end: W1.end.toISOString(),
    });
  });

  it('computes Jensen-Shannon and normed Wasserstein as an independent computation does', () => {
    const reference = baseline.filter((r) => r.channel === 'web').map((r) => r.amount);
    const current = w2.predictions
      .filter((r) => r.attributes.channel === 'web' && typeof r.features.amount === 'number')
      .map((r) => r.features.amount as number);
    const edges = deciles(reference);
    const js = result('jensen_shannon', 'amount', 'web');
    expect(js.value).toBeCloseTo(
      jensenShannonDistance(binCounts(edges, reference), binCounts(edges, current)),
      9,
    );
    expect(js.status).toBe('critical');
    const mean = reference.reduce((a, b) => a + b, 0) / reference.length;
    const std = Math.sqrt(reference.reduce((a, b) => a + (b - mean) ** 2, 0) / reference.length);
    const expected = normedWasserstein(wasserstein1(sorted(reference), sorted(current)), std);
    expect(result('wasserstein_normed', 'amount', 'web').value).toBeCloseTo(expected, 9);
    const categories = ['electronics', 'gaming', 'grocery', 'travel'];
    const tally = (values: string[]) => categories.map((c) => values.filter((v) => v === c).length);
    expect(result('jensen_shannon', 'merchant_category', 'all').value).toBeCloseTo(
      jensenShannonDistance(
        tally(baseline.map((r) => r.merchant_category)),
        tally(w2.predictions.map((r) => String(r.features.merchant_category))),
      ),
      9,
    );
  });

  it('compares the actual positive rate of the label window with the baseline labels', () => {
    const referenceRate = baseline.filter((r) => r.label === '1').length / baseline.length;
    const currentRate = w1.labels.filter((l) => l.label === '1').length / w1.labels.length;
    const shift = result('actual_positive_rate', '', 'all');
    expect(shift.value).toBeCloseTo(currentRate - referenceRate, 12);
    expect(shift.nReference).toBe(baseline.length);
    expect(shift.nCurrent).toBe(w1.labels.length);
  });

  it('reports insufficient data when labels have not arrived', async () => {
    const first = await evaluateMonitorWindow(store, plan, W1, { now: W1.end, persist: false });
    const auroc = first.results.find((r) => r.checkId === 'auroc' && r.sliceValue === 'all');
    expect(auroc).toMatchObject({ status: 'insufficient_data', value: null });
  });

  it('stores a re-run window once', async () => {
    const { items: history } = await queryResultsPage(
      store,
      { model: 'fraud-detector', from: W1.end },
      { limit: 100_000, offset: 0 },
    );
    expect(history).toHaveLength(second.results.length);
    const [runs] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM monitor_runs FINAL WHERE monitor = 'fraud-detector'",
    );
    expect(Number(runs?.n)).toBe(1);
    expect(new Set(history.map((row) => row.baseline_version))).toEqual(new Set([1]));
    expect(new Set(history.map((row) => row.monitor_hash))).toEqual(new Set([plan.hash]));
  });

  it('applies Benjamini-Hochberg across the run when asked, and says so', async () => {
    fs.writeFileSync(
      path.join(dir, 'fdr.yaml'),
      monitorYaml('fraud.csv', 'false_discovery_rate: benjamini-hochberg'),
    );
    const loaded = loadMonitorFile(path.join(dir, 'fdr.yaml'));
    if (!loaded.ok) throw new Error('invalid');
    const run = await evaluateMonitorWindow(store, loaded.plan, W2, {
      now: W2.end,
      persist: false,
    });
    const tests = run.results.filter(
      (r) => r.metric === 'ks' || r.metric === 'chi2' || r.metric === 'positive_rate',
    );
    const withP = tests.filter((r) => r.pValue !== null);
    expect(withP.length).toBeGreaterThan(4);
    for (const r of withP) {
      expect(r.correction).toBe('benjamini-hochberg');
      expect(r.adjustedPValue).toBeGreaterThanOrEqual((r.pValue ?? 1) * (1 - 1e-12));
    }
    expect(second.results.every((r) => r.correction === 'none')).toBe(true);
  });
});
