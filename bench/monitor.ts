import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateMonitorWindow } from '../src/monitors/evaluateWindow.js';
import type { CheckPlan, MonitorPlan } from '../src/monitors/plan.js';
import { openStore, toClickHouseTime, type Store } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import { mib, peakRssMiB, withHeapPeak } from './measure.js';

/**
 * Issue 4's benchmark: one monitor of 20 numeric + 5 categorical features × 10 slice values
 * evaluated over a window of events already in embedded ClickHouse (1M and 10M events)
 * against a 1M-row baseline, with the JavaScript heap's peak and the process's peak RSS.
 */
const NUMERIC = Array.from({ length: 20 }, (_, i) => `n${i}`);
const CATEGORICAL = Array.from({ length: 5 }, (_, i) => `c${i}`);
const WINDOW_END = new Date('2026-11-22T12:00:00Z');
const HOUR = 3_600_000;

export async function runMonitorBenchmark(sizes = [1_000_000, 10_000_000]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-monitor-'));
  const store = await openStore({ kind: 'embedded', dataDir: dir, database: 'bench' });
  try {
    await migrate(store);
    await fillBaseline(store, 1_000_000);
    for (const size of sizes) {
      await store.command('TRUNCATE TABLE events');
      const filled = performance.now();
      await fillWindow(store, size);
      const fillSeconds = (performance.now() - filled) / 1000;
      const { seconds, heapPeakMiB, result } = await withHeapPeak(() =>
        evaluateMonitorWindow(
          store,
          plan(),
          { start: new Date(WINDOW_END.getTime() - HOUR), end: WINDOW_END },
          { persist: false },
        ),
      );
      console.log(
        `monitor over a ${(size / 1e6).toFixed(0)}M-event window (${fillSeconds.toFixed(0)} s to generate): evaluated in ${seconds.toFixed(2)} s,` +
          ` ${result.results.length} results (${result.results.filter((r) => r.status === 'critical').length} critical);` +
          ` JS heap peak ${mib(heapPeakMiB)}; process peak RSS ${mib(peakRssMiB())}`,
      );
    }
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Generated feature values in the events layout: (numbers, strings, nulls) columns. */
function featureColumns(drifted: boolean): string {
  const numeric = NUMERIC.map((_, i) => {
    const shift = drifted && i < 3 ? ` + if(number % 10 = 0, 0.5, 0)` : '';
    return `if(rand(${i}) % 200 = 0, NULL, round(randNormal(${i}, 1)${shift}, 4))`;
  });
  const categorical = CATEGORICAL.map((_, i) => `['a','b','c','d','e'][rand(${100 + i}) % 5 + 1]`);
  const values = `[${numeric.join(', ')}]`;
  return `mapFromArrays(arrayFilter((k, v) -> isNotNull(v), {num_names:Array(String)}, ${values}),
            arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), ${values}))) AS feature_numbers,
          mapFromArrays({cat_names:Array(String)}, [${categorical.join(', ')}]) AS feature_strings,
          arrayFilter((k, v) -> isNull(v), {num_names:Array(String)}, ${values}) AS feature_nulls`;
}

const FEATURE_NAMES = { num_names: NUMERIC, cat_names: CATEGORICAL };

/** Stored as the frozen range baseline the plan names, as `baseline create --from --to` would. */
const BASELINE_NAME = 'range:1970-01-01T00:00:00.000Z..1970-01-01T00:00:00.001Z';

async function fillBaseline(store: Store, rows: number): Promise<void> {
  await store.insert('baselines', [
    {
      model: 'bench-model',
      name: BASELINE_NAME,
      version: 1,
      kind: 'range',
      source: 'bench',
      columns: '[]',
      row_count: rows,
    },
  ]);
  await store.command(
    `INSERT INTO reference_rows (model, baseline, version, row_id, score, label, feature_numbers, feature_strings, feature_nulls, attributes)
     SELECT 'bench-model', {name:String}, 1, number, rand() / 4294967295, toString(rand() % 2), ${featureColumns(false)},
            map('segment', concat('s', toString(number % 10)))
     FROM numbers(${rows})`,
    { name: BASELINE_NAME, ...FEATURE_NAMES },
  );
}

/** Events are generated a million at a time; larger windows repeat that million, re-keyed. */
async function fillWindow(store: Store, rows: number): Promise<void> {
  const chunk = Math.min(rows, 1_000_000);
  await generateEvents(store, chunk);
  for (let copy = 1; copy * chunk < rows; copy += 1) {
    await store.command(
      `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, feature_strings, feature_nulls, attributes)
       SELECT kind, concat(event_id, '-', {copy:String}), model, ts, concat(prediction_id, '-', {copy:String}), score,
              feature_numbers, feature_strings, feature_nulls, attributes
       FROM events WHERE model = 'bench-model' AND position(event_id, '-') = 0`,
      { copy: String(copy) },
    );
  }
}

async function generateEvents(store: Store, rows: number): Promise<void> {
  await store.command(
    `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, feature_strings, feature_nulls, attributes)
     SELECT 'prediction', toString(number), 'bench-model',
            toDateTime64({start:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * 3600000, ${rows})),
            toString(number), rand() / 4294967295, ${featureColumns(true)},
            map('segment', concat('s', toString(number % 10)))
     FROM numbers(${rows})`,
    { start: toClickHouseTime(new Date(WINDOW_END.getTime() - HOUR)), ...FEATURE_NAMES },
  );
}

function plan(): MonitorPlan {
  const features = [
    ...NUMERIC.map((name) => ({ name, kind: 'numeric' as const })),
    ...CATEGORICAL.map((name) => ({ name, kind: 'categorical' as const })),
  ];
  const checks: CheckPlan[] = [
    { id: 'psi', metric: 'psi', features: features.map((f) => f.name), warn: 0.1, critical: 0.25 },
    {
      id: 'ks',
      metric: 'ks',
      features: NUMERIC,
      pValue: 0.01,
      minStatistic: 0.1,
      severity: 'critical',
    },
    {
      id: 'chi2',
      metric: 'chi2',
      features: CATEGORICAL,
      pValue: 0.01,
      minStatistic: 0.1,
      severity: 'critical',
    },
    {
      id: 'null_rate',
      metric: 'null_rate',
      features: features.map((f) => f.name),
      maxIncrease: 0.05,
      severity: 'critical',
    },
    {
      id: 'out_of_range',
      metric: 'out_of_range',
      features: NUMERIC,
      maxRate: 0.01,
      severity: 'warn',
    },
    {
      id: 'wrong_type',
      metric: 'wrong_type',
      features: features.map((f) => f.name),
      maxRate: 0,
      severity: 'critical',
    },
    {
      id: 'positive_rate',
      metric: 'positive_rate',
      maxShift: 0.05,
      pValue: 0.01,
      severity: 'critical',
    },
  ];
  return {
    monitor: 'bench-model',
    model: 'bench-model',
    hash: 'bench',
    baseline: { kind: 'range', from: new Date(0), to: new Date(1) },
    features,
    slices: [['segment']],
    maxSliceValues: 20,
    minSamples: 100,
    threshold: 0.5,
    labels: null,
    falseDiscoveryRate: 'benjamini-hochberg',
    windowMs: HOUR,
    schedule: '0 * * * *',
    checks,
  };
}
