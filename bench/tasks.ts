import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { replayWindows } from '../src/monitors/backtest.js';
import {
  evaluateMonitorWindow,
  prepareMonitor,
  rangeBaselineName,
} from '../src/monitors/evaluateWindow.js';
import { loadMonitorFile } from '../src/monitors/monitorFile.js';
import type { CheckPlan, MonitorPlan } from '../src/monitors/plan.js';
import { backtestWindows } from '../src/monitors/windows.js';
import { openStore, toClickHouseTime, type Store } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import { windowEndingAt, type TimeWindow } from '../src/timeWindow.js';
import { loadLine, mib, peakRssMiB } from './measure.js';

/**
 * Issue 19 item 6: what each task's monitor run costs at 10M events in its window, and at
 * 1M (so the figures show whether the cost is flat in the events), split into its drift
 * checks and its label checks (each run alone, first and second run: the second reads the
 * baseline's per-version data from memory); and CBPE over a month of five-minute windows
 * (8,640) replayed as `driftwatch backtest` replays them.
 *
 * Each task is one model of 4 numeric + 1 categorical features and 5 segments against a
 * 100k-row stored baseline (with labels, predicted classes and class scores as the task
 * has them); every event of a window has its label, due (the window is its own label
 * window). Events are generated in ClickHouse from numbers() into `events`, so the summary
 * views fire as on ingest; the month's into `summary_input` (no raw copy, as
 * bench/monitor.ts). DRIFTWATCH_BENCH_DIR keeps the generated data between runs.
 */
const NUMERIC = ['n0', 'n1', 'n2', 'n3'];
const CLASSES = ['a', 'b', 'c'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BASELINE_ROWS = 100_000;
/** The baseline's range (its rows are generated, not frozen from events). */
const BASELINE_RANGE: TimeWindow = {
  start: new Date('2026-01-01T00:00:00Z'),
  end: new Date('2026-01-02T00:00:00Z'),
};
/** The windows measured, by events: each an hour of its own. */
const SIZES = [
  { events: 1_000_000, window: windowEndingAt(new Date('2026-11-22T10:00:00Z'), HOUR) },
  { events: 10_000_000, window: windowEndingAt(new Date('2026-11-22T12:00:00Z'), HOUR) },
];
const NOW = new Date('2026-11-24T00:00:00Z');
const MONTH = { start: new Date('2026-09-01T00:00:00Z'), end: new Date('2026-10-01T00:00:00Z') };
const MONTH_EVENTS = 10_000_000;

type Task = 'binary' | 'multiclass' | 'regression';
const TASKS: Task[] = ['binary', 'multiclass', 'regression'];
type Group = 'drift' | 'labels' | 'estimated';

export async function runTasksBenchmark(): Promise<void> {
  const kept = process.env.DRIFTWATCH_BENCH_DIR;
  const dir = kept ?? fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-tasks-'));
  const store = await openStore({ kind: 'embedded', dataDir: dir, database: 'bench_tasks' });
  const monitors = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-tasks-monitors-'));
  // DRIFTWATCH_BENCH_TASKS=binary,regression and DRIFTWATCH_BENCH_SIZES=1000000 run fewer
  const tasks = listed(process.env.DRIFTWATCH_BENCH_TASKS, TASKS);
  const sizeNames = listed(
    process.env.DRIFTWATCH_BENCH_SIZES,
    SIZES.map((size) => String(size.events)),
  );
  const sizes = SIZES.filter((size) => sizeNames.includes(String(size.events)));
  try {
    await migrate(store);
    for (const task of tasks) {
      const plans = taskPlans(monitors, task);
      await ensureBaseline(store, task, plans.all);
      for (const size of sizes) {
        await ensureWindow(store, task, size.events, size.window);
        for (const group of groupsOf(task))
          await benchmarkRun(store, plans[group], task, group, size);
      }
    }
    if (listed(process.env.DRIFTWATCH_BENCH_CBPE, ['1']).includes('1'))
      await benchmarkCbpeMonth(store, monitors);
  } finally {
    await store.close();
    fs.rmSync(monitors, { recursive: true, force: true });
    if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function listed<T extends string>(value: string | undefined, all: readonly T[]): T[] {
  if (value === undefined || value === '') return [...all];
  const wanted = new Set(value.split(','));
  return all.filter((item) => wanted.has(item));
}

function groupsOf(task: Task): Group[] {
  return task === 'binary' ? ['drift', 'labels', 'estimated'] : ['drift', 'labels'];
}

function modelOf(task: Task): string {
  return `bench-${task}`;
}

const CHECKS: Record<Task, Record<Exclude<Group, 'estimated'>, string>> & {
  binary: { estimated: string };
} = {
  binary: {
    drift: `  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [n0, n1, n2, n3], p_value: 0.01, min_statistic: 0.1 }
  - { metric: positive_rate, max_shift: 0.05, p_value: 0.01 }`,
    labels: `  - { metric: auroc, min: 0.6 }
  - { metric: accuracy, min: 0.5 }
  - { metric: f1, min: 0.3 }
  - { metric: log_loss, warn: 0.69, critical: 0.9 }
  - { metric: brier_score, warn: 0.25, critical: 0.3 }
  - { metric: ece, bins: 10, critical: 0.1 }`,
    estimated: `  - { metric: estimated_roc_auc, min: 0.6 }
  - { metric: estimated_accuracy, min: 0.5 }
  - { metric: estimated_precision, min: 0.3 }
  - { metric: estimated_recall, min: 0.3 }
  - { metric: estimated_f1, min: 0.3 }`,
  },
  multiclass: {
    drift: `  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [n0, n1, n2, n3], p_value: 0.01, min_statistic: 0.1 }
  - { metric: prediction_psi, warn: 0.1, critical: 0.25 }
  - { metric: prediction_chi2, p_value: 0.01, min_statistic: 0.05 }
  - { metric: class_score_psi, warn: 0.1, critical: 0.25 }`,
    labels: `  - { metric: accuracy, min: 0.3 }
  - { metric: f1_macro, min: 0.3 }
  - { metric: f1_weighted, min: 0.3 }
  - { metric: precision_macro, min: 0.3 }
  - { metric: recall_macro, min: 0.3 }
  - { metric: roc_auc_ovr, min: 0.6 }`,
  },
  regression: {
    drift: `  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [n0, n1, n2, n3, prediction], p_value: 0.01, min_statistic: 0.1 }`,
    labels: `  - { metric: mae, warn: 1, critical: 2 }
  - { metric: rmse, warn: 1, critical: 2 }
  - { metric: mape, warn: 0.2, critical: 0.5 }
  - { metric: r2, min: 0.1 }
  - { metric: residual_ks, p_value: 0.01, min_statistic: 0.05 }`,
  },
};

/** The task's monitor as a file would declare it, once per group of checks and once whole. */
function taskPlans(dir: string, task: Task): Record<Group | 'all', MonitorPlan> {
  const checks = CHECKS[task] as Partial<Record<Group, string>>;
  const groups = groupsOf(task);
  const planOf = (name: string, text: string) => monitorPlan(dir, task, name, text);
  const all = planOf('all', groups.map((g) => checks[g]).join('\n'));
  const byGroup = Object.fromEntries(groups.map((g) => [g, planOf(g, checks[g] ?? '')]));
  return { all, drift: all, labels: all, estimated: all, ...byGroup };
}

function monitorPlan(dir: string, task: Task, name: string, checks: string): MonitorPlan {
  const text = `model: ${modelOf(task)}
task: ${task}
baseline: { range: { from: '${BASELINE_RANGE.start.toISOString()}', to: '${BASELINE_RANGE.end.toISOString()}' } }
features: { n0: numeric, n1: numeric, n2: numeric, n3: numeric, c0: categorical }
${task === 'multiclass' ? 'prediction: { class_scores: p_ }\n' : task === 'binary' ? 'prediction: { threshold: 0.5 }\n' : ''}slices: [segment]
schedule: '0 * * * *'
window: 1h
labels: { delay: 1h, min_count: 100 }
min_samples: 100
false_discovery_rate: benjamini-hochberg
checks:
${checks}
`;
  const file = path.join(dir, `${task}-${name}.yaml`);
  fs.writeFileSync(file, text);
  const loaded = loadMonitorFile(file);
  if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.errors)}`);
  return loaded.plan;
}

/** Generated features in the events layout, drifted in the window (n0 shifted for a tenth). */
function featureColumns(drifted: boolean): string {
  const numeric = NUMERIC.map((_, i) => {
    const shift = drifted && i === 0 ? ` + if(number % 10 = 0, 0.5, 0)` : '';
    return `if(rand(${i}) % 200 = 0, NULL, round(randNormal(${i}, 1)${shift}, 4))`;
  });
  const values = `[${numeric.join(', ')}]`;
  return `mapFromArrays(arrayFilter((k, v) -> isNotNull(v), {num_names:Array(String)}, ${values}),
            arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), ${values}))) AS feature_numbers,
          map('c0', ['a','b','c','d','e'][rand(100) % 5 + 1]) AS feature_strings,
          arrayFilter((k, v) -> isNull(v), {num_names:Array(String)}, ${values}) AS feature_nulls`;
}

/**
 * The task's prediction and label from two uniforms u and v of the row (`number`): binary, a
 * score u and a label drawn with probability u (a calibrated model); multiclass, three class
 * scores, their argmax and a label drawn from them; regression, a prediction 10 + 5u and a
 * label off by a normal error.
 */
function outputColumns(task: Task): {
  score: string;
  prediction: string;
  scores: string;
  label: string;
} {
  const u = 'rand(200) / 4294967295';
  if (task === 'binary')
    return {
      score: u,
      prediction: 'NULL',
      scores: 'map()',
      label: `toString(toUInt8(rand(201) / 4294967295 < score))`,
    };
  if (task === 'regression')
    return {
      score: `10 + 5 * ${u}`,
      prediction: 'NULL',
      scores: 'map()',
      label: `toString(round(score + randNormal(0, 1), 4))`,
    };
  const raw = CLASSES.map((_, c) => `(rand(${210 + c}) / 4294967295 + 0.01)`);
  const total = raw.join(' + ');
  return {
    score: 'NULL',
    // class scores summing to 1 and the class of the largest
    scores: `mapFromArrays({classes:Array(String)}, arrayMap(x -> x / (${total}), [${raw.join(', ')}]))`,
    prediction: `{classes:Array(String)}[arrayFirstIndex(x -> x = arrayMax(mapValues(scores)), mapValues(scores))]`,
    // a label drawn from the class scores
    label: `{classes:Array(String)}[least(3, 1 + arrayCount(c -> c < rand(220) / 4294967295, arrayCumSum(mapValues(scores))))]`,
  };
}

const NAMES = { num_names: NUMERIC, classes: CLASSES };

async function present(store: Store, sql: string): Promise<boolean> {
  return (
    Number((await store.query<{ n: string }>(`SELECT count() AS n FROM ${sql}`))[0]?.n ?? 0) > 0
  );
}

/** The task's 100k-row baseline, stored as the range baseline its monitor names, then profiled. */
async function ensureBaseline(store: Store, task: Task, plan: MonitorPlan): Promise<void> {
  const model = modelOf(task);
  const name = rangeBaselineName(BASELINE_RANGE);
  if (!(await present(store, `reference_rows WHERE model = '${model}'`))) {
    await store.insert('baselines', [
      {
        model,
        name,
        version: 1,
        kind: 'range',
        source: 'bench',
        columns: '[]',
        row_count: BASELINE_ROWS,
      },
    ]);
    const out = outputColumns(task);
    await store.command(
      `INSERT INTO reference_rows (model, baseline, version, row_id, score, prediction, scores, label,
                                   feature_numbers, feature_strings, feature_nulls, attributes)
       SELECT {model:String}, {name:String}, 1, number, ${out.score} AS score, ${out.prediction} AS prediction,
              ${out.scores} AS scores, ${out.label} AS label, ${featureColumns(false)},
              map('segment', concat('s', toString(number % 5)))
       FROM numbers(${BASELINE_ROWS})`,
      { model, name, ...NAMES },
    );
  }
  // the profile (and the numeric features' frames) before any event is summarized
  const started = performance.now();
  await prepareMonitor(store, plan, SIZES[0]?.window ?? BASELINE_RANGE);
  console.log(
    `${task}: baseline of ${BASELINE_ROWS / 1000}k rows profiled in ${seconds(started)} s`,
  );
}

/** The window's events (into `events`, the summary views firing) and each one's label. */
async function ensureWindow(store: Store, task: Task, events: number, window: TimeWindow) {
  const model = modelOf(task);
  const range = { from: toClickHouseTime(window.start), to: toClickHouseTime(window.end) };
  if (
    await present(
      store,
      `events WHERE model = '${model}' AND ts >= toDateTime64('${range.from}', 3, 'UTC') AND ts < toDateTime64('${range.to}', 3, 'UTC')`,
    )
  )
    return;
  const started = performance.now();
  const out = outputColumns(task);
  const chunk = 1_000_000;
  const tag = `${events / 1e6}m`;
  for (let offset = 0; offset < events; offset += chunk) {
    await store.command(
      `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, prediction, scores,
                           feature_numbers, feature_strings, feature_nulls, attributes)
       SELECT 'prediction', concat({tag:String}, toString(number)), {model:String},
              toDateTime64({start:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * ${HOUR}, ${events})),
              concat({tag:String}, toString(number)), ${out.score} AS score, ${out.prediction} AS prediction,
              ${out.scores} AS scores, ${featureColumns(true)},
              map('segment', concat('s', toString(number % 5)))
       FROM numbers(${offset}, ${Math.min(chunk, events - offset)})`,
      { model, tag, start: range.from, ...NAMES },
    );
  }
  const inserted = performance.now();
  // each label drawn from its own prediction (read back: rand() differs per statement)
  await store.command(
    `INSERT INTO labels (event_id, model, prediction_id, label, ts)
     SELECT concat('l', prediction_id), model, prediction_id, ${out.label} AS label,
            ts + toIntervalMinute(5)
     FROM (SELECT model, prediction_id, ts, score, scores FROM events
           WHERE model = {model:String} AND kind = 'prediction'
             AND ts >= toDateTime64({start:String}, 3, 'UTC') AND ts < toDateTime64({end:String}, 3, 'UTC'))`,
    { model, start: range.from, end: range.to, ...NAMES },
  );
  const labelled = performance.now();
  for (const table of ['summary_1h', 'summary_1d', 'summary_5m'])
    await store.command(`OPTIMIZE TABLE ${table} FINAL`);
  console.log(
    `${task}: ${events / 1e6}M events generated into events in ${((inserted - started) / 1000).toFixed(1)} s, ` +
      `their labels in ${((labelled - inserted) / 1000).toFixed(1)} s, summaries merged in ${seconds(labelled)} s; ${loadLine()}`,
  );
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

/** Wall and CPU seconds (this process: Node and the embedded engine's threads) of a task. */
async function timed<T>(run: () => Promise<T>): Promise<{ result: T; wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await run();
  const used = process.cpuUsage(cpu);
  return {
    result,
    wall: (performance.now() - started) / 1000,
    cpu: (used.user + used.system) / 1e6,
  };
}

async function benchmarkRun(
  store: Store,
  plan: MonitorPlan,
  task: Task,
  group: Group,
  size: { events: number; window: TimeWindow },
): Promise<void> {
  const figures: string[] = [];
  let summary = '';
  for (const attempt of ['first', 'second']) {
    const load = loadLine();
    const { result, wall, cpu } = await timed(() =>
      evaluateMonitorWindow(store, plan, size.window, { persist: false, now: NOW }),
    );
    figures.push(`${attempt} ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU (${load})`);
    const judged = result.results.filter((r) => r.value !== null).length;
    summary =
      `${result.events.toLocaleString('en-US')} events, ${result.results.length} results (${judged} with a value; ` +
      `${statusCounts(result.results.map((r) => r.status))}); exact fallback ${JSON.stringify(result.exactFallback)}`;
  }
  console.log(
    `${task} ${group} checks, ${size.events / 1e6}M-event window: ${figures.join('; ')}; ${summary}; process peak RSS ${mib(peakRssMiB())}`,
  );
}

function statusCounts(statuses: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts.entries()].map(([status, n]) => `${n} ${status}`).join(', ');
}

/**
 * CBPE over a month of five-minute windows: a binary model's estimated_* checks replayed as
 * the backtest replays them (replayWindows: windows read a run at a time from the summaries),
 * every window of the month, or the first DRIFTWATCH_BENCH_CBPE_DAYS days and the month
 * extrapolated. The month's events go into `summary_input` (no raw copy), so no exact
 * fallback can read raw rows: it is off, as in bench/monitor.ts's backtest.
 */
async function benchmarkCbpeMonth(store: Store, dir: string): Promise<void> {
  const task: Task = 'binary';
  const model = modelOf(task);
  const monthPlan = monitorPlan(dir, task, 'cbpe-month', CHECKS.binary.estimated);
  const plan: MonitorPlan = { ...monthPlan, windowMs: 5 * 60_000 };
  await ensureBaseline(store, task, plan);
  const from = MONTH.start.toISOString().slice(0, 10);
  if (
    !(await present(
      store,
      `summary_1d WHERE model = '${model}' AND toDate(grain_start) = '${from}'`,
    ))
  ) {
    const started = performance.now();
    const chunk = 1_000_000;
    const span = MONTH.end.getTime() - MONTH.start.getTime();
    const out = outputColumns(task);
    for (let offset = 0; offset < MONTH_EVENTS; offset += chunk)
      await store.command(
        `INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                                    feature_numbers, feature_strings, feature_nulls, attributes)
         SELECT {model:String}, {model:String}, 'prediction',
                toDateTime64({start:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * ${span}, ${MONTH_EVENTS})),
                now64(3), 0, ${out.score}, ${featureColumns(true)},
                map('segment', concat('s', toString(number % 5)))
         FROM numbers(${offset}, ${chunk})`,
        { model, start: toClickHouseTime(MONTH.start), ...NAMES },
      );
    for (const table of ['summary_1d', 'summary_1h', 'summary_5m'])
      await store.command(`OPTIMIZE TABLE ${table} FINAL`);
    console.log(
      `cbpe: ${MONTH_EVENTS / 1e6}M month events into summary_input and merged in ${seconds(started)} s; ${loadLine()}`,
    );
  }
  const days = Number(process.env.DRIFTWATCH_BENCH_CBPE_DAYS ?? 30);
  const until = new Date(Math.min(MONTH.end.getTime(), MONTH.start.getTime() + days * DAY));
  const windows = backtestWindows(MONTH.start, until, plan.windowMs);
  const monthWindows = backtestWindows(MONTH.start, MONTH.end, plan.windowMs).length;
  const load = loadLine();
  const { result, wall, cpu } = await timed(async () => {
    let judged = 0;
    let estimates = 0;
    for await (const evaluation of replayWindows(store, plan, windows, {
      now: MONTH.end,
      exactFallbackMaxEvents: 0,
    })) {
      judged += 1;
      estimates += evaluation.results.filter(
        (r) => r.metric.startsWith('estimated_') && r.value !== null,
      ).length;
    }
    return { judged, estimates };
  });
  const perWindow = (wall * 1000) / windows.length;
  console.log(
    `CBPE over five-minute windows (${checkNames(plan.checks)}, 5 segments + all): ${windows.length} windows ` +
      `(${result.estimates} estimates) in ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU: ${perWindow.toFixed(1)} ms a window` +
      (windows.length < monthWindows
        ? `, so the month's ${monthWindows} windows in about ${((perWindow * monthWindows) / 60_000).toFixed(1)} min`
        : ' (the whole month)') +
      `; process peak RSS ${mib(peakRssMiB())}; ${load} (before), ${loadLine()} (after)`,
  );
}

function checkNames(checks: readonly CheckPlan[]): string {
  return checks.map((check) => check.metric).join(', ');
}
