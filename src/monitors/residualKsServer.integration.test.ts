import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startClickHouseHttpStandIn,
  type ClickHouseHttpStandIn,
} from '../../test/helpers/clickhouseHttp.js';
import { insertTestPredictions, testLabel, testPrediction } from '../../test/helpers/events.js';
import {
  LABELS_AT,
  W1,
  W2,
  writeBaselineCsv,
  writeMonitor,
} from '../../test/helpers/labelWindows.js';
import { tempDir } from '../../test/helpers/store.js';
import { loadStoreConfig } from '../config/config.js';
import { openStore, toClickHouseTime, type Store } from '../store/clickhouse.js';
import { insertLabels } from '../store/events.js';
import { migrate } from '../store/migrate.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';

/**
 * A regression's residual KS against a baseline of 80,000 labelled rows, on a ClickHouse
 * server (the loopback stand-in, which takes URLs up to a server's http_max_uri_size of
 * 1 MiB). The baseline's residuals once went to the server as a query parameter, in the
 * URL: about 1.6 MB of them, which a server refuses, so the check failed on every run once
 * a baseline passed ~50,000 labelled rows. D is checked against a plain loop over the
 * same residuals.
 */
const BASELINE_ROWS = 80_000;
const WINDOW_ROWS = 400;

const MONITOR = `model: price
task: regression
baseline: { file: base.csv }
features: { amount: numeric }
schedule: '*/30 * * * *'
window: 30m
min_samples: 50
labels: { delay: 2h, min_count: 50 }
checks:
  - { metric: residual_ks, p_value: 0.01 }
`;

/** Row i's prediction and label on a side: residuals spread over many distinct values. */
function baselineRow(i: number): { prediction: number; label: number } {
  const prediction = 100 + (i % 1000) / 7;
  return { prediction, label: prediction + Math.sin(i * 0.37) * 5 };
}
function windowRow(i: number): { prediction: number; label: number } {
  const prediction = 100 + (i % 500) / 3;
  return { prediction, label: prediction + 1 + Math.cos(i * 0.91) * 4 };
}

/** sup |F_ref − F_cur| by a plain walk over both sorted samples (ties move both). */
function plainKs(reference: number[], current: number[]): number {
  const a = [...reference].sort((x, y) => x - y);
  const b = [...current].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i] as number, b[j] as number);
    while (i < a.length && a[i] === x) i += 1;
    while (j < b.length && b[j] === x) j += 1;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

describe('residual KS against a large baseline on a ClickHouse server', () => {
  let clickhouse: ClickHouseHttpStandIn;
  let store: Store;
  let run: WindowEvaluation;
  const dir = tempDir('driftwatch-residual-server-');

  beforeAll(async () => {
    clickhouse = await startClickHouseHttpStandIn();
    store = await openStore(
      loadStoreConfig({ CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_DATABASE: 'dw_residuals' }),
    );
    await migrate(store);
    const lines = Array.from({ length: BASELINE_ROWS }, (_, i) => {
      const { prediction, label } = baselineRow(i);
      return `${i % 97},${prediction},${label}`;
    });
    writeBaselineCsv(dir, 'amount,score,label', lines);
    const plan = writeMonitor(dir, 'price', MONITOR);
    const rows = Array.from({ length: WINDOW_ROWS }, (_, i) => windowRow(i));
    await insertTestPredictions(
      store,
      rows.map(({ prediction }, i) =>
        testPrediction({
          event_id: `e-${i}`,
          model: 'price',
          ts: toClickHouseTime(new Date(W1.start.getTime() + i * 1000)),
          prediction_id: `p-${i}`,
          score: prediction,
          features: { amount: i % 97 },
        }),
      ),
    );
    await insertLabels(
      store,
      rows.map(({ label }, i) =>
        testLabel({
          event_id: `l-${i}`,
          model: 'price',
          prediction_id: `p-${i}`,
          label: String(label),
          ts: toClickHouseTime(LABELS_AT),
        }),
      ),
    );
    run = await evaluateMonitorWindow(store, plan, W2, { now: W2.end });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await clickhouse?.close();
  });

  it('tests the label window against every baseline residual, D as a plain loop finds it', () => {
    const result = run.results.find((r) => r.metric === 'residual_ks' && r.sliceValue === 'all');
    expect(result?.nReference).toBe(BASELINE_ROWS);
    expect(result?.nCurrent).toBe(WINDOW_ROWS);
    // the residuals as the store computes them: label − prediction of the parsed numbers
    const residual = ({ prediction, label }: { prediction: number; label: number }) =>
      Number(String(label)) - Number(String(prediction));
    const expected = plainKs(
      Array.from({ length: BASELINE_ROWS }, (_, i) => residual(baselineRow(i))),
      Array.from({ length: WINDOW_ROWS }, (_, i) => residual(windowRow(i))),
    );
    expect(result?.value).toBeCloseTo(expected, 12);
    expect(result?.status).toBe('critical');
  });
});
