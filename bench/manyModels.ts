import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Samples } from '../src/drift/samples.js';
import { readWindowSamples } from '../src/drift/windowSummary.js';
import {
  evaluateMonitorWindow,
  prepareMonitor,
  rangeBaselineName,
} from '../src/monitors/evaluateWindow.js';
import { loadMonitorFile } from '../src/monitors/monitorFile.js';
import type { MonitorPlan } from '../src/monitors/plan.js';
import { openStore, type Store } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import {
  fleetModel,
  insertFleetBaseline,
  insertFleetEvents,
  insertFleetFrames,
  insertFleetSliceCombos,
  insertFleetSummaries,
  measureFleetStorage,
  type Fleet,
  type PartitionBytes,
} from './fleetSummaries.js';
import { loadLine, mib, peakRssMiB, withHeapPeak } from './measure.js';

/**
 * Issue 22's many models: 1,000 models × 100 features (80 numeric, 20 categorical) × 10
 * slice values, their summaries generated as cells (bench/fleetSummaries.ts, no raw events):
 *  - storage per day: one whole day at every grain (five-minute, hour, day) for a sample of
 *    the fleet's models, measured in system.parts (its own partition) and scaled to 1,000;
 *    beside it, one model-day of the same events stored raw, for comparison;
 *  - one model's month-long window query (30 days of its day grain, what the window reads);
 *  - one monitor run of that model over that month (a monitor file with the 100 features and
 *    the 10 slices; the reference profile is built once first and timed apart).
 * Every model's frames, slice combinations and threshold are stored for all 1,000 models.
 * DRIFTWATCH_BENCH_FLEET_DAY_MODELS (default 10) sets how many models get the whole day,
 * DRIFTWATCH_BENCH_FLEET_MONTH_MODELS (default 1) how many get the month's day grain (the
 * measured one in the middle), DRIFTWATCH_BENCH_FLEET_EVENTS (default 1000) the events a
 * model receives a day.
 */
const MODELS = 1000;
const MEASURED = 500;
const DAY_MS = 86_400_000;
const MONTH_START = new Date('2026-09-01T00:00:00Z');
const MONTH_END = new Date('2026-10-01T00:00:00Z');
/** The whole day at every grain, in a month (partition) of its own. */
const STORAGE_DAY = new Date('2026-11-15T00:00:00Z');
/** One model-day of raw events, in yet another month. */
const RAW_DAY = new Date('2026-12-01T00:00:00Z');
const BASELINE_WINDOW = { start: new Date('2026-08-01T00:00:00Z'), end: MONTH_START };
const BASELINE_ROWS = 100_000;

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

export async function runManyModelsBenchmark(): Promise<void> {
  const dayModels = Math.min(MODELS, envNumber('DRIFTWATCH_BENCH_FLEET_DAY_MODELS', 10));
  const monthModels = Math.min(MODELS, envNumber('DRIFTWATCH_BENCH_FLEET_MONTH_MODELS', 1));
  const eventsPerDay = envNumber('DRIFTWATCH_BENCH_FLEET_EVENTS', 1_000);
  const fleet: Fleet = {
    prefix: 'fleet-',
    numeric: Array.from({ length: 80 }, (_, i) => `n${String(i).padStart(3, '0')}`),
    categorical: Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(3, '0')}`),
    slices: 10,
    eventsPerSlicePerDay: Math.ceil(eventsPerDay / 10),
    threshold: 0.5,
  };
  console.log(
    `fleet: ${MODELS} models × ${fleet.numeric.length + fleet.categorical.length} features ` +
      `(${fleet.numeric.length} numeric, ${fleet.categorical.length} categorical) × ${fleet.slices} slice values, ` +
      `${fleet.eventsPerSlicePerDay * fleet.slices} events per model per day; generated: a whole day at every grain for ` +
      `${dayModels} model(s), the month's day grain for ${monthModels} model(s)`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-fleet-'));
  const store = await openStore({
    kind: 'embedded',
    dataDir: path.join(dir, 'store'),
    database: 'bench',
  });
  try {
    await migrate(store);
    let started = performance.now();
    let cpu = process.cpuUsage();
    await insertFleetFrames(store, fleet, { first: 0, count: MODELS });
    await insertFleetSliceCombos(store, fleet, { first: 0, count: MODELS });
    console.log(
      `frames, slice combinations and thresholds of all ${MODELS} models: ${seconds(started)} s (${cpuSince(cpu)}); ${loadLine()}`,
    );
    await storagePerDay(store, fleet, dayModels);
    started = performance.now();
    cpu = process.cpuUsage();
    const first = Math.max(0, MEASURED - Math.floor((monthModels - 1) / 2));
    for (let model = first; model < first + monthModels; model += 1) {
      // ten days an insert: a month of one model's day cells at once is millions of keys
      for (let day = 0; day < 30; day += 10) {
        await insertFleetSummaries(
          store,
          fleet,
          {
            first: model,
            count: 1,
            from: new Date(MONTH_START.getTime() + day * DAY_MS),
            days: 10,
          },
          '1d',
        );
      }
    }
    const month = await measureFleetStorage(store, '202609');
    console.log(
      `the month's day grain for ${monthModels} model(s) in ${seconds(started)} s (${cpuSince(cpu)}): ${bytesLine(month)}; ${loadLine()}`,
    );
    await monthWindow(store, fleet, dir);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A whole day at every grain for `models` models, and one model-day of raw events beside it. */
async function storagePerDay(store: Store, fleet: Fleet, models: number): Promise<void> {
  let started = performance.now();
  let cpu = process.cpuUsage();
  for (let model = 0; model < models; model += 1) {
    await insertFleetSummaries(store, fleet, {
      first: model,
      count: 1,
      from: STORAGE_DAY,
      days: 1,
    });
  }
  const generated = `${seconds(started)} s (${cpuSince(cpu)})`;
  const day = await measureFleetStorage(store, '202611');
  console.log(
    `a whole day at every grain for ${models} model(s) generated in ${generated}; ${loadLine()}`,
  );
  for (const table of day) {
    console.log(
      `  ${table.table}: ${bytesLine([table])}; per model-day ${perModel(table, models)}; ` +
        `for ${MODELS} models ${scaled(table, MODELS / models)}`,
    );
  }
  const total = sumOf(day);
  console.log(
    `  storage per day, ${MODELS} models (from ${models}): ${scaled(total, MODELS / models)}; ` +
      `${(total.rows / models / (fleet.eventsPerSlicePerDay * fleet.slices)).toFixed(0)} summary rows per event`,
  );
  started = performance.now();
  cpu = process.cpuUsage();
  // a model past the fleet's (frames first, as for any model), so its summaries stay apart
  await insertFleetFrames(store, fleet, { first: MODELS, count: 1 });
  await insertFleetEvents(store, fleet, { first: MODELS, count: 1, from: RAW_DAY, days: 1 });
  const raw = (await measureFleetStorage(store, '202612')).filter((t) => t.table === 'events');
  console.log(
    `  for comparison, the same model-day's ${fleet.eventsPerSlicePerDay * fleet.slices} events stored raw ` +
      `(events table; its summaries are not counted here): ${bytesLine(raw)}; ingested through the views in ${seconds(started)} s (${cpuSince(cpu)}); ${loadLine()}`,
  );
}

/** The measured model's month: the window query alone, then a monitor run from its file. */
async function monthWindow(store: Store, fleet: Fleet, dir: string): Promise<void> {
  const model = fleetModel(fleet, MEASURED);
  await insertFleetBaseline(store, fleet, {
    model: MEASURED,
    name: rangeBaselineName(BASELINE_WINDOW),
    rows: BASELINE_ROWS,
  });
  const file = writeMonitorFile(dir, fleet, model);
  const loaded = loadMonitorFile(file);
  if (!loaded.ok) throw new Error(`the benchmark's monitor file: ${JSON.stringify(loaded.errors)}`);
  const plan: MonitorPlan = loaded.plan;
  const window = { start: MONTH_START, end: MONTH_END };
  let started = performance.now();
  let cpu = process.cpuUsage();
  const prepared = await prepareMonitor(store, plan, window);
  console.log(
    `reference profile of the ${BASELINE_ROWS / 1000}k-row baseline (once per baseline version): ${seconds(started)} s (${cpuSince(cpu)}); ${loadLine()}`,
  );
  for (const attempt of ['first', 'second']) {
    const load = loadLine();
    cpu = process.cpuUsage();
    const { seconds: took, result } = await withHeapPeak(() =>
      readWindowSamples(store, { model, window, keys: prepared.profile.sliceKeys }),
    );
    const all = [...result.samples.slices.values()].find((slice) => slice.value === 'all');
    console.log(
      `month-long window query of ${model} (${result.pieces.map((p) => p.source).join('+')}; ` +
        `${all?.events ?? 0} events, ${cells(result.samples)} cells after merging), ${attempt} run: ${took.toFixed(2)} s (${cpuSince(cpu)}); ${load}`,
    );
  }
  for (const attempt of ['first', 'second']) {
    const load = loadLine();
    started = performance.now();
    cpu = process.cpuUsage();
    const again = loadMonitorFile(file);
    if (!again.ok) throw new Error('the monitor file stopped loading');
    const {
      seconds: took,
      heapPeakMiB,
      result,
    } = await withHeapPeak(() =>
      evaluateMonitorWindow(store, again.plan, window, {
        now: MONTH_END,
        prepared,
        // there are no raw events to recompute a straddling verdict from: counted, not resolved
        exactFallbackMaxEvents: 0,
      }),
    );
    const statuses = new Map<string, number>();
    for (const r of result.results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    console.log(
      `monitor run over the month (file loaded, window read, judged, ${result.results.length} results stored), ${attempt} run: ` +
        `${seconds(started)} s (${cpuSince(cpu)}; evaluation ${took.toFixed(2)} s); ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `straddling verdicts ${result.exactFallback?.verdicts ?? 0}; JS heap peak ${mib(heapPeakMiB)}; process peak RSS ${mib(peakRssMiB())}; ${load}`,
    );
  }
}

/** The monitor file a team would write for a fleet model: every feature, sliced by segment. */
function writeMonitorFile(dir: string, fleet: Fleet, model: string): string {
  const features = [
    ...fleet.numeric.map((name) => `  ${name}: numeric`),
    ...fleet.categorical.map((name) => `  ${name}: categorical`),
  ];
  const file = path.join(dir, 'monitors', `${model}.yaml`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    [
      `model: ${model}`,
      'baseline:',
      `  range: { from: '${BASELINE_WINDOW.start.toISOString()}', to: '${BASELINE_WINDOW.end.toISOString()}' }`,
      'features:',
      ...features,
      `prediction: { threshold: ${fleet.threshold} }`,
      'slices: [segment]',
      'max_slice_values: 20',
      "schedule: '0 0 * * *'",
      'window: 30d',
      'min_samples: 100',
      'checks:',
      '  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }',
      `  - { metric: ks, features: [${fleet.numeric.join(', ')}], p_value: 0.01, min_statistic: 0.1 }`,
      `  - { metric: chi2, features: [${fleet.categorical.join(', ')}], p_value: 0.01, min_statistic: 0.1 }`,
      '  - { metric: null_rate, features: all, max_increase: 0.05 }',
      '  - { metric: wrong_type, features: all, max_rate: 0 }',
      '  - { metric: positive_rate, max_shift: 0.05, p_value: 0.01 }',
      '',
    ].join('\n'),
  );
  return file;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

/**
 * CPU seconds of this process (every thread: the embedded engine's included) since a
 * mark: on a machine loaded beyond its cores, wall time is mostly waiting, CPU time is not.
 */
function cpuSince(mark: NodeJS.CpuUsage): string {
  const used = process.cpuUsage(mark);
  return `${((used.user + used.system) / 1e6).toFixed(1)} s of CPU`;
}

/** Numeric cells of every feature in the window's slices (the "all" slice included). */
function cells(samples: Samples): string {
  let total = 0;
  for (const slice of samples.slices.values())
    for (const feature of slice.features.values()) total += feature.numbers.length;
  return total.toLocaleString('en');
}

function sumOf(tables: readonly PartitionBytes[]): PartitionBytes {
  return tables.reduce(
    (sum, t) => ({
      table: 'all',
      rows: sum.rows + t.rows,
      compressed: sum.compressed + t.compressed,
      uncompressed: sum.uncompressed + t.uncompressed,
      parts: sum.parts + t.parts,
    }),
    { table: 'all', rows: 0, compressed: 0, uncompressed: 0, parts: 0 },
  );
}

function bytesLine(tables: readonly PartitionBytes[]): string {
  const t = sumOf(tables);
  return `${t.rows.toLocaleString('en')} rows, ${size(t.compressed)} compressed (${size(t.uncompressed)} uncompressed, ${(t.compressed / Math.max(1, t.rows)).toFixed(1)} B a row), ${t.parts} part(s)`;
}

function perModel(t: PartitionBytes, models: number): string {
  return `${Math.round(t.rows / models).toLocaleString('en')} rows, ${size(t.compressed / models)}`;
}

function scaled(t: PartitionBytes, factor: number): string {
  return `${Math.round(t.rows * factor).toLocaleString('en')} rows, ${size(t.compressed * factor)} compressed (${size(t.uncompressed * factor)} uncompressed)`;
}

function size(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(0)} KiB`;
}
