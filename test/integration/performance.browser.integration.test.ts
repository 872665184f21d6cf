import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createRandom } from '../../src/demo/random.js';
import { startService, type Service } from '../../src/main.js';
import { evaluateMonitorWindow } from '../../src/monitors/evaluateWindow.js';
import type { MonitorPlan } from '../../src/monitors/plan.js';
import { silentLogger } from '../../src/observability/logger.js';
import { toClickHouseTime } from '../../src/store/clickhouse.js';
import { insertLabels, type LabelRow } from '../../src/store/events.js';
import { listRunResults } from '../../src/store/results.js';
import { windowEndingAt, type TimeWindow } from '../../src/timeWindow.js';
import { LOCAL_RECEIVERS_ENV } from '../helpers/alertReceivers.js';
import { launchChromium } from '../helpers/browser.js';
import { REPO_ROOT } from '../helpers/cli.js';
import {
  insertTestPredictions,
  testLabel,
  testPrediction,
  type TestPrediction,
} from '../helpers/events.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 19 item 3, the dashboard: a model page draws CBPE's estimate over time (a line with
 * its band) and the realized value where labels arrived (points, at the window the labels
 * are of), in Debian's chromium. What is drawn is compared with the results real monitor
 * runs stored: eight half-hour windows of a calibrated model, the first four labelled (a
 * label delay of 2h: windows 5 to 8 judge them).
 */
const ARTIFACTS = path.join(REPO_ROOT, 'test/.tmp/dashboard');
const HALF_HOUR = 1_800_000;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const WINDOWS: TimeWindow[] = Array.from({ length: 8 }, (_, k) =>
  windowEndingAt(new Date(T0 + (k + 1) * HALF_HOUR), HALF_HOUR),
);
const MODEL = 'estimated-model';

const MONITOR = `model: ${MODEL}
baseline: { file: base.csv }
features: { amount: numeric }
prediction: { threshold: 0.5 }
schedule: '*/30 * * * *'
window: 30m
min_samples: 100
labels: { delay: 2h, min_count: 100 }
checks:
  - { metric: estimated_roc_auc, min: 0.6 }
  - { metric: estimated_accuracy, min: 0.5 }
  - { metric: auroc, min: 0.5 }
  - { id: accuracy_estimate, metric: estimation_error, estimate: accuracy }
`;

const random = createRandom(7);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const scoreOf = (x: number) => Number(sigmoid(1.5 * x - 1).toFixed(6));
const bernoulli = (p: number) => (random.uniform() < p ? 1 : 0);

function prediction(id: string, ts: number, score: number): TestPrediction {
  return testPrediction({
    event_id: `e-${id}`,
    model: MODEL,
    ts: toClickHouseTime(new Date(ts)),
    prediction_id: id,
    score,
    features: { amount: score * 10 },
  });
}

function label(id: string, value: number): LabelRow {
  return testLabel({
    event_id: `l-${id}`,
    model: MODEL,
    prediction_id: id,
    label: String(value),
    ts: toClickHouseTime(new Date(T0 + 5 * HALF_HOUR)),
  });
}

describe('the performance panel in a real browser', () => {
  let service: Service;
  let browser: Browser;
  let url: string;
  const dataDir = tempDir('driftwatch-performance-');
  const monitorsDir = tempDir('driftwatch-performance-monitors-');

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const base = Array.from({ length: 3000 }, () => {
      const score = scoreOf(random.normal(0, 1));
      return `${score * 10},${score},${bernoulli(score)}`;
    });
    fs.writeFileSync(
      path.join(monitorsDir, 'base.csv'),
      ['amount,score,label', ...base].join('\n'),
    );
    fs.writeFileSync(path.join(monitorsDir, `${MODEL}.yaml`), MONITOR);
    service = await startService(
      loadConfig({
        ...LOCAL_RECEIVERS_ENV,
        DRIFTWATCH_DATA_DIR: dataDir,
        DRIFTWATCH_PORT: '0',
        DRIFTWATCH_MONITORS_DIR: monitorsDir,
      }),
      {
        kafka: false,
        http: true,
        schedule: false,
        alerts: false,
        log: () => undefined,
        logger: silentLogger(),
      },
    );
    url = service.address ?? '';
    const predictions: TestPrediction[] = [];
    const labels: LabelRow[] = [];
    WINDOWS.forEach((window, k) => {
      // covariate shift, window after window
      const shift = 0.15 * k;
      for (let i = 0; i < 600; i += 1) {
        const id = `w${k}-${i}`;
        const score = scoreOf(random.normal(shift, 1));
        predictions.push(prediction(id, window.start.getTime() + i * 1000, score));
        if (k < 4) labels.push(label(id, bernoulli(score)));
      }
    });
    await insertTestPredictions(service.store, predictions);
    await insertLabels(service.store, labels);
    const plan = service.plans.find((p) => p.model === MODEL) as MonitorPlan;
    for (const window of WINDOWS)
      await evaluateMonitorWindow(service.store, plan, window, { now: window.end });
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The stored results of one check for slice "all", window by window. */
  async function stored(checkId: string) {
    const plan = service.plans.find((p) => p.model === MODEL) as MonitorPlan;
    const all = await Promise.all(
      WINDOWS.map((window) => listRunResults(service.store, plan.monitor, window.end)),
    );
    return all.flat().filter((r) => r.checkId === checkId && r.sliceValue === 'all');
  }

  interface Drawn {
    metric: string;
    x: number[];
    estimate: (number | null)[];
    band_lower: (number | null)[];
    band_upper: (number | null)[];
    realized: (number | null)[];
  }

  it('draws each window’s estimate with its band, and the realized AUROC at the windows its labels are of', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${url}/dashboard/models/${MODEL}`);
    await page.waitForSelector('body[data-ready="true"]');
    const panel = page.locator('#performance');
    await expect.poll(() => page.locator('#performance canvas').count()).toBe(1);
    expect(await panel.getAttribute('data-metric')).toBe('roc_auc');
    const drawn = JSON.parse((await panel.getAttribute('data-drawn')) ?? '{}') as Drawn;

    const estimates = await stored('estimated_roc_auc');
    const realized = await stored('auroc');
    expect(estimates).toHaveLength(WINDOWS.length);
    expect(drawn.x).toEqual(WINDOWS.map((w) => w.end.getTime() / 1000));
    expect(drawn.estimate).toEqual(
      WINDOWS.map((w) => estimates.find((r) => r.windowEnd.getTime() === w.end.getTime())?.value),
    );
    expect(drawn.band_lower).toEqual(
      WINDOWS.map(
        (w) => estimates.find((r) => r.windowEnd.getTime() === w.end.getTime())?.bandLower,
      ),
    );
    expect(drawn.band_upper).toEqual(
      WINDOWS.map(
        (w) => estimates.find((r) => r.windowEnd.getTime() === w.end.getTime())?.bandUpper,
      ),
    );
    for (const [k, band] of drawn.band_lower.entries()) {
      expect(band).not.toBeNull();
      expect(band ?? NaN).toBeLessThanOrEqual(drawn.estimate[k] ?? NaN);
    }
    // the realized AUROC of windows 1-4 (judged in 5-8 as their label windows), none after
    const byLabelWindow = new Map(
      realized
        .filter((r) => r.value !== null)
        .map((r) => [(r.details.label_window as { end: string }).end, r.value]),
    );
    expect(byLabelWindow.size).toBe(4);
    expect(drawn.realized).toEqual(
      WINDOWS.map((w) => byLabelWindow.get(w.end.toISOString()) ?? null),
    );
    expect(drawn.realized.slice(0, 4).every((v) => v !== null)).toBe(true);
    expect(await page.locator('#performance-assumptions').textContent()).toContain(
      'no concept drift',
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'performance.png'), fullPage: true });

    // accuracy: realized from the estimation_error check, which held it against its band
    await page.selectOption('#performance-metric', 'accuracy');
    await expect.poll(() => panel.getAttribute('data-metric')).toBe('accuracy');
    const accuracy = JSON.parse((await panel.getAttribute('data-drawn')) ?? '{}') as Drawn;
    const errors = await stored('accuracy_estimate');
    const realizedAccuracy = new Map(
      errors
        .filter((r) => r.value !== null)
        .map((r) => [(r.details.label_window as { end: string }).end, r.value]),
    );
    expect(realizedAccuracy.size).toBe(4);
    expect(accuracy.realized).toEqual(
      WINDOWS.map((w) => realizedAccuracy.get(w.end.toISOString()) ?? null),
    );
    const accuracyEstimates = await stored('estimated_accuracy');
    expect(accuracy.estimate).toEqual(
      WINDOWS.map(
        (w) => accuracyEstimates.find((r) => r.windowEnd.getTime() === w.end.getTime())?.value,
      ),
    );
    // a calibrated model: every realized value inside the band estimated for its window
    expect(await panel.getAttribute('data-outside-band')).toBe('0');
    await context.close();
  });
});
