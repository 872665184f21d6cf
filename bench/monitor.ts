import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  backtestMonitor,
  replayDistancesFor,
  replayWindows,
  type BacktestWindow,
  type ReplayOptions,
} from '../src/monitors/backtest.js';
import { createAlertPlanner } from '../src/alerts/alertPlan.js';
import {
  evaluateMonitorWindow,
  evaluateWindowSamples,
  prepareMonitor,
} from '../src/monitors/evaluateWindow.js';
import { createKsKnots } from '../src/drift/ksKnots.js';
import { readWindowRun } from '../src/drift/windowSummary.js';
import type { CheckPlan, MonitorPlan } from '../src/monitors/plan.js';
import type { TimeWindow } from '../src/timeWindow.js';
import { backtestWindows } from '../src/monitors/windows.js';
import { openStore, toClickHouseTime, type Store } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import { loadLine, mib, peakRssMiB, withHeapPeak } from './measure.js';
import { type CheckResult, type KeptResult } from '../src/monitors/checkResult.js';

/**
 * Issue 11's monitor benchmark: one monitor of 20 numeric + 5 categorical features × 10
 * slice values (plus "all") against a 1M-row baseline, evaluated from the window summaries:
 *  - a 10M-event hour, events inserted into `events` (the summary views fire as on ingest);
 *  - a 100M-event month (30 days), rows inserted into `summary_input`, the table every
 *    event reaches the views through (no raw copy is kept: 100M raw events would take most
 *    of an hour to generate here), with the exact fallback off so straddles are counted;
 *  - a backtest of that month in 5-minute windows, as the CLI replays it (the month is 10M
 *    events by default: DRIFTWATCH_BENCH_MONTH_EVENTS=100000000 for the 100M month).
 * Each prints its figures with the machine's load, the JS heap's peak and the peak RSS.
 */
const NUMERIC = Array.from({ length: 20 }, (_, i) => `n${i}`);
const CATEGORICAL = Array.from({ length: 5 }, (_, i) => `c${i}`);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOUR_END = new Date('2026-11-22T12:00:00Z');
const MONTH_START = new Date('2026-09-01T00:00:00Z');
const MONTH_END = new Date('2026-10-01T00:00:00Z');

export async function runMonitorBenchmark(
  parts: ('hour' | 'month' | 'backtest')[] = ['hour', 'month', 'backtest'],
): Promise<void> {
  // DRIFTWATCH_BENCH_DIR keeps the generated data between runs (generation is the slow part)
  const kept = process.env.DRIFTWATCH_BENCH_DIR;
  const dir = kept ?? fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-monitor-'));
  const store = await openStore({ kind: 'embedded', dataDir: dir, database: 'bench' });
  try {
    await migrate(store);
    const present = async (sql: string) =>
      Number((await store.query<{ n: string }>(`SELECT count() AS n FROM ${sql}`))[0]?.n ?? 0) > 0;
    if (!(await present("reference_rows WHERE model = 'bench-model'"))) {
      await fillBaseline(store, 1_000_000);
    }
    const started = performance.now();
    await prepareMonitor(store, plan(), { start: MONTH_START, end: MONTH_END });
    console.log(
      `reference profile of the 1M-row baseline (once per baseline version): ${seconds(started)} s`,
    );
    if (parts.includes('hour')) {
      if (!(await present("events WHERE model = 'bench-model'"))) await fillHour(store, 10_000_000);
      // as the engine's background merges would have by the time an hour's events are in
      const merged = performance.now();
      for (const table of ['summary_1h', 'summary_1d', 'summary_5m'])
        await store.command(`OPTIMIZE TABLE ${table} FINAL`);
      console.log(`summaries merged in ${seconds(merged)} s`);
      await benchmarkWindow(store, 'hour', new Date(HOUR_END.getTime() - HOUR), HOUR_END);
    }
    if (parts.includes('month') || parts.includes('backtest')) {
      const from = MONTH_START.toISOString().slice(0, 10);
      if (
        !(await present(
          `summary_1d WHERE model = 'bench-model' AND toDate(grain_start) = '${from}'`,
        ))
      )
        // DRIFTWATCH_BENCH_MONTH_EVENTS=100000000: the month the figures of 2026-11-23 used
        // (about 70 min to generate here); 10M by default (about a tenth of that)
        await fillMonth(store, Number(process.env.DRIFTWATCH_BENCH_MONTH_EVENTS ?? 10_000_000));
      if (parts.includes('month')) await benchmarkWindow(store, 'month', MONTH_START, MONTH_END);
      if (parts.includes('backtest')) await benchmarkBacktest(store);
    }
  } finally {
    await store.close();
    if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

async function fillHour(store: Store, size: number): Promise<void> {
  const filled = performance.now();
  const chunk = 1_000_000;
  for (let offset = 0; offset < size; offset += chunk) {
    await generateEvents(store, offset, Math.min(chunk, size - offset), size);
  }
  console.log(
    `${size / 1e6}M events inserted into events (summary views attached): ${seconds(filled)} s`,
  );
}

async function benchmarkWindow(store: Store, label: string, start: Date, end: Date) {
  const [events] = await store.query<{ n: string; rows: string }>(
    `SELECT (SELECT sum(count) FROM summary_1h WHERE model = 'bench-model' AND kind = 'prediction' AND state = 'event'
               AND grain_start >= {from:DateTime64(3)} AND grain_start < {to:DateTime64(3)}) AS n,
            (SELECT count() FROM summary_1h WHERE model = 'bench-model') AS rows`,
    { from: toClickHouseTime(start), to: toClickHouseTime(end) },
  );
  for (const attempt of ['first run', 'second run']) {
    const load = loadLine();
    const timed = timeQueries(store);
    const {
      seconds: took,
      heapPeakMiB,
      result,
    } = await withHeapPeak(() =>
      evaluateMonitorWindow(
        timed.store,
        plan(),
        { start, end },
        {
          persist: false,
          now: end,
          exactFallbackMaxEvents: label === 'hour' ? undefined : 0,
        },
      ),
    );
    console.log(
      `monitor over the ${label} window (${(Number(events?.n ?? 0) / 1e6).toFixed(0)}M events), ${attempt}: ${took.toFixed(2)} s, ` +
        `${result.results.length} results (${result.results.filter((r) => r.status === 'critical').length} critical), ` +
        `${bracketLine(result.results)}; exact fallback ${JSON.stringify(result.exactFallback)}; ` +
        `JS heap peak ${mib(heapPeakMiB)}; process peak RSS ${mib(peakRssMiB())}; ${load}`,
    );
    console.log(`  where the time went: ${timed.summary(took)}`);
  }
}

/**
 * The store with every query timed: how much of a run is ClickHouse (and which queries)
 * and how much is JavaScript folding cells and judging. Queries run concurrently, so
 * their sum can exceed the wall time; the slowest ones are named by their first words.
 */
function timeQueries(store: Store): {
  store: Store;
  /** Milliseconds when at least one query was running (the union of the spans). */
  busyMs(): number;
  summary(wallSeconds: number): string;
} {
  const spans: { sql: string; ms: number; start: number; end: number }[] = [];
  const timed = <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    return run().finally(() => {
      const end = performance.now();
      spans.push({
        sql: sql.replace(/\s+/g, ' ').trim().slice(0, 70),
        ms: end - start,
        start,
        end,
      });
    });
  };
  // exec (the batched cells' Arrow answer): timed until the engine hands the answer over
  const client = new Proxy(store.client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (property === 'exec') {
        return (params: Parameters<Store['client']['exec']>[0]) =>
          timed(params.query, () => target.exec(params));
      }
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  const wrapped: Store = {
    kind: store.kind,
    client,
    query: (sql, params, settings) => timed(sql, () => store.query(sql, params, settings)),
    command: (sql, params, settings) => timed(sql, () => store.command(sql, params, settings)),
    insert: (table, rows, settings) => store.insert(table, rows, settings),
    insertRowBinary: (table, columns, structure, data, settings) =>
      store.insertRowBinary(table, columns, structure, data, settings),
    close: () => store.close(),
  };
  const busyMs = () => {
    const sorted = [...spans].sort((a, b) => a.start - b.start);
    let busy = 0;
    let until = -Infinity;
    for (const span of sorted) {
      if (span.end <= until) continue;
      busy += span.end - Math.max(span.start, until);
      until = span.end;
    }
    return busy;
  };
  return {
    store: wrapped,
    busyMs,
    summary(wallSeconds) {
      const busy = busyMs();
      const slowest = [...spans]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 4)
        .map((span) => `${(span.ms / 1000).toFixed(2)} s ${span.sql}`)
        .join(' | ');
      return (
        `${spans.length} queries; ClickHouse busy ${(busy / 1000).toFixed(2)} s of ${wallSeconds.toFixed(2)} s ` +
        `(JavaScript alone the other ${(wallSeconds - busy / 1000).toFixed(2)} s); slowest: ${slowest}`
      );
    },
  };
}

function bracketLine(results: readonly CheckResult[]): string {
  const widths = (metric: string) =>
    results
      .filter((r) => r.metric === metric && r.valueLower !== null && r.valueUpper !== null)
      .map((r) => (r.valueUpper ?? 0) - (r.valueLower ?? 0));
  const describe = (metric: string) => {
    const w = widths(metric);
    const exact = results.filter((r) => r.metric === metric && r.value !== null).length - w.length;
    return `${metric} ${exact} exact, ${w.length} bracketed (widest ${w.length ? Math.max(...w).toExponential(2) : '-'})`;
  };
  return ['ks', 'psi', 'out_of_range'].map(describe).join(', ');
}

/**
 * The month's 5-minute windows replayed as `driftwatch backtest` does; the first `days`
 * days are measured (DRIFTWATCH_BENCH_BACKTEST_DAYS; 30 is the whole month) and the month
 * extrapolated. Each way of DRIFTWATCH_BENCH_BACKTEST_MODES (default `exact,full`) in turn:
 *  - full: what `driftwatch backtest` does (backtestMonitor): every window read and judged
 *    from its cells (a run of 24 windows a query), KS p-values from cached knots refined per
 *    verdict, quiet verdicts carried as statuses, every window handed to the alert planner;
 *  - whole: the same with whole result records fed to the planner (backtestMonitor before
 *    its replay was lean);
 *  - replay: the replay alone, whole records, no planner (what `full` measured before);
 *  - knots: replay with every KS D and Wasserstein bracket from the full sweep (as before
 *    replayDistances.ts);
 *  - exact: that replay with every KS p-value bracket computed as a scheduled run does;
 *  - one-by-one: each window read alone (evaluateMonitorWindow), as before the batched replay;
 *  - fallback: full with the exact fallback at its default limit, as `driftwatch backtest`
 *    runs (every other way turns it off, so that straddles are narrowed and counted, not
 *    resolved from raw rows: their answers differ from fallback's, which is compared only
 *    with itself).
 * The ways must agree on every window's answer (its status, checks, and each fired result),
 * the ways that replay whole records on every status of every check and slice, and the ways
 * that plan on the alert plan: the run says so, or stops.
 */
async function benchmarkBacktest(
  store: Store,
  days = Number(process.env.DRIFTWATCH_BENCH_BACKTEST_DAYS ?? 2),
): Promise<void> {
  const monitor = { ...plan(), windowMs: 5 * 60_000 };
  const until = new Date(Math.min(MONTH_END.getTime(), MONTH_START.getTime() + days * DAY));
  const range = { from: MONTH_START, to: until };
  const windows = backtestWindows(MONTH_START, until, monitor.windowMs);
  const monthWindows = backtestWindows(MONTH_START, MONTH_END, monitor.windowMs).length;
  await prepareMonitor(store, monitor, { start: MONTH_START, end: MONTH_END });
  const [month] = await store.query<{ n: string }>(
    `SELECT sum(count) AS n FROM summary_1d WHERE model = 'bench-model' AND kind = 'prediction' AND state = 'event'`,
  );
  const monthEvents = `${(Number(month?.n ?? 0) / 1e6).toFixed(0)}M-event`;
  const modes = (process.env.DRIFTWATCH_BENCH_BACKTEST_MODES ?? 'exact,full')
    .split(',')
    .filter(Boolean);
  const references: Record<string, { mode: string; digests: string[] }> = {};
  for (const mode of modes) {
    const load = loadLine();
    const timed = timeQueries(store);
    const ks = { refined: 0, pairs: 0 };
    const options = {
      now: MONTH_END,
      // fallback: the exact fallback at its default limit, as `driftwatch backtest` runs it
      // (the other ways turn it off, so straddles are counted and narrowed, not resolved)
      ...(mode === 'fallback' ? {} : { exactFallbackMaxEvents: 0 }),
      ...(mode === 'exact' || mode === 'one-by-one' ? { ksKnots: false as const } : {}),
      ...(mode === 'knots' ? { distances: false as const } : {}),
      onKsRefined: (refined: number, pairs: number) => {
        ks.refined += refined;
        ks.pairs += pairs;
      },
    };
    const cpu = process.cpuUsage();
    const {
      seconds: took,
      heapPeakMiB,
      result,
    } = await withHeapPeak(() => answerBacktest(timed.store, monitor, mode, range, options));
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    const perWindow = (ms: number) => (ms / windows.length).toFixed(1);
    const clickhouse = timed.busyMs();
    console.log(
      `backtest (${mode}) of the ${monthEvents} month in 5-minute windows: the first ${days} day(s) (${windows.length} windows) in ${took.toFixed(1)} s, ` +
        `CPU ${cpuSeconds.toFixed(1)} s (${perWindow(cpuSeconds * 1000)} ms per window) ` +
        `(${perWindow(took * 1000)} ms of wall per window: ClickHouse ${perWindow(clickhouse)} ms, JavaScript ${perWindow(took * 1000 - clickhouse)} ms; ` +
        `${result.fired} checks fired` +
        `${ks.pairs > 0 ? `; KS p-values from knots, ${ks.refined} of ${ks.pairs} numeric (feature, slice) pairs recomputed exactly` : ''}), ` +
        `so the month's ${monthWindows} windows in about ` +
        `${(((took / windows.length) * monthWindows) / 60).toFixed(1)} min; JS heap peak ${mib(heapPeakMiB)}; process peak RSS ${mib(peakRssMiB())}; ${load}`,
    );
    console.log(`  where the time went: ${timed.summary(took)}`);
    for (const kind of ['answers', 'verdicts', 'plan'] as const) {
      const digests = result[kind];
      if (!digests) continue;
      // the exact fallback resolves what the other ways leave undecided: compared apart
      const key = mode === 'fallback' ? `${kind} (fallback)` : kind;
      const reference = references[key];
      if (!reference) {
        references[key] = { mode, digests };
        continue;
      }
      const differing = digests.filter((d, i) => d !== reference.digests[i]).length;
      if (differing > 0 || digests.length !== reference.digests.length)
        throw new Error(`${mode} and ${reference.mode} disagree on ${kind}: ${differing} differ`);
      console.log(`  ${mode} and ${reference.mode}: the same ${kind} (${digests.length})`);
    }
  }
  const rounds = Number(process.env.DRIFTWATCH_BENCH_BACKTEST_JUDGE_ROUNDS ?? 0);
  if (rounds > 0) await judgeInProcess(store, monitor, windows.slice(0, 24), rounds);
}

/**
 * The replay's JavaScript alone (DRIFTWATCH_BENCH_BACKTEST_JUDGE_ROUNDS=N): one run of 24
 * windows read once, then folded and judged N times over (after a round that warms the
 * caches) by each way in turn — `knots` (every distance bracket from the full sweep) and
 * `full` (replayDistances.ts) — with the process's CPU time of each round. No query runs
 * while judging (this monitor has no check that reads the store per window).
 */
async function judgeInProcess(
  store: Store,
  monitor: MonitorPlan,
  windows: readonly TimeWindow[],
  rounds: number,
): Promise<void> {
  const first = windows[0] as TimeWindow;
  const prepared = await prepareMonitor(store, monitor, first);
  const cells = await readWindowRun(store, {
    model: monitor.model,
    source: '5m',
    start: first.start,
    windowMs: first.end.getTime() - first.start.getTime(),
    windows: windows.length,
    keys: prepared.profile.sliceKeys,
  });
  const ways = {
    knots: { ksKnots: createKsKnots() },
    full: { ksKnots: createKsKnots(), distances: replayDistancesFor(monitor) },
  };
  const cpu: Record<keyof typeof ways, number[]> = { knots: [], full: [] };
  const digests: Record<keyof typeof ways, string[]> = { knots: [], full: [] };
  // DRIFTWATCH_BENCH_BACKTEST_JUDGE_WAYS=knots (or full) judges one way only: a CPU profile's
  const chosen = (process.env.DRIFTWATCH_BENCH_BACKTEST_JUDGE_WAYS ?? 'knots,full')
    .split(',')
    .filter((way): way is keyof typeof ways => way in ways);
  const load = loadLine();
  for (let round = 0; round <= rounds; round += 1) {
    for (const way of chosen) {
      const started = process.cpuUsage();
      const seen: string[] = [];
      for (let k = 0; k < windows.length; k += 1) {
        const evaluation = await evaluateWindowSamples(
          store,
          monitor,
          windows[k] as TimeWindow,
          cells.samplesOf(k),
          { persist: false, now: MONTH_END, prepared, exactFallbackMaxEvents: 0, ...ways[way] },
        );
        seen.push(verdictDigest(evaluation.results));
      }
      const used = process.cpuUsage(started);
      if (round === 0) digests[way] = seen;
      else cpu[way].push((used.user + used.system) / 1000 / windows.length);
    }
  }
  const same = digests.knots.join() === digests.full.join();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
  const list = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ');
  console.log(
    `backtest judging in-process, ${windows.length} windows × ${rounds} rounds, CPU ms a window: ` +
      `knots (full sweep) ${list(cpu.knots)} (median ${median(cpu.knots).toFixed(1)}); ` +
      `full (replayDistances) ${list(cpu.full)} (median ${median(cpu.full).toFixed(1)}); ` +
      `${chosen.length === 2 ? `statuses ${same ? 'the same' : 'DIFFERENT'}; ` : ''}${load} / ${loadLine()}`,
  );
  if (chosen.length === 2 && !same) throw new Error('knots and full disagree on a status');
}

/** What a way of replaying gave: digests of its answers, of every status, of its alert plan. */
interface Answer {
  answers: string[];
  verdicts?: string[];
  plan?: string[];
}

/** The month's windows replayed one way (benchmarkBacktest's modes), as digests. */
async function answerBacktest(
  store: Store,
  monitor: MonitorPlan,
  mode: string,
  range: { from: Date; to: Date },
  options: Omit<ReplayOptions, 'records'>,
): Promise<Answer & { fired: number }> {
  const windows = backtestWindows(range.from, range.to, monitor.windowMs);
  if (mode === 'full' || mode === 'fallback') {
    const { now, ...replay } = options;
    void now; // backtestMonitor's own: the month is past either way
    const backtest = await backtestMonitor(store, monitor, range, undefined, replay);
    const firedAt = new Map<number, CheckResult[]>();
    for (const r of backtest.fired)
      firedAt.set(r.windowEnd.getTime(), [...(firedAt.get(r.windowEnd.getTime()) ?? []), r]);
    return {
      answers: backtest.windows.map((w) => answerDigest(w, firedAt.get(w.end.getTime()) ?? [])),
      plan: [JSON.stringify(backtest.alerts)],
      fired: backtest.fired.length,
    };
  }
  const planner = mode === 'whole' ? createAlertPlanner(monitor) : null;
  const answers: string[] = [];
  const verdicts: string[] = [];
  let fired = 0;
  const replay = async function* () {
    if (mode !== 'one-by-one') {
      yield* replayWindows(store, monitor, windows, options);
      return;
    }
    const prepared = await prepareMonitor(store, monitor, windows[0] as TimeWindow);
    for (const window of windows)
      yield await evaluateMonitorWindow(store, monitor, window, {
        ...options,
        persist: false,
        prepared,
      });
  };
  for await (const evaluation of replay()) {
    const breaches = evaluation.results.filter(
      (r) => r.status === 'warn' || r.status === 'critical',
    );
    fired += breaches.length;
    planner?.add(evaluation.window.start, evaluation.window.end, evaluation.results);
    const window = {
      end: evaluation.window.end,
      status: evaluation.status,
      checks: evaluation.results.length,
      fired: breaches.length,
    };
    answers.push(answerDigest(window, breaches));
    // every status's digest costs about what the planner does with quiet records: `whole`
    // (a backtest's work) is left without it, as `full` is
    if (mode !== 'whole') verdicts.push(verdictDigest(evaluation.results));
  }
  return {
    answers,
    ...(mode !== 'whole' ? { verdicts } : {}),
    ...(planner ? { plan: [JSON.stringify(planner.plan(range))] } : {}),
    fired,
  };
}

/** A window's answer as `driftwatch backtest` gives it: status, checks, each fired result's status. */
function answerDigest(
  window: Pick<BacktestWindow, 'end' | 'status' | 'checks' | 'fired'>,
  breaches: readonly CheckResult[],
): string {
  return [
    window.end.toISOString(),
    window.status,
    window.checks,
    window.fired,
    verdictDigest(breaches),
  ].join(' ');
}

/** A window's statuses, check by check and slice by slice, as one digest. */
function verdictDigest(results: readonly KeptResult[]): string {
  const keyed = results
    .map(
      (r) =>
        `${r.checkId}|${r.metric}|${r.feature ?? ''}|${r.sliceKey}=${r.sliceValue}:${r.status}`,
    )
    .sort();
  return createHash('sha256').update(keyed.join('\n')).digest('hex');
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

/** One slice of the 10M-event hour, inserted into `events` so the summary views fire. */
async function generateEvents(store: Store, offset: number, rows: number, total: number) {
  await store.command(
    `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, feature_strings, feature_nulls, attributes)
     SELECT 'prediction', toString(number), 'bench-model',
            toDateTime64({start:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * 3600000, ${total})),
            toString(number), rand() / 4294967295, ${featureColumns(true)},
            map('segment', concat('s', toString(number % 10)))
     FROM numbers(${offset}, ${rows})`,
    { start: toClickHouseTime(new Date(HOUR_END.getTime() - HOUR)), ...FEATURE_NAMES },
  );
}

/** The month's events (10M by default) over 30 days into the views' input, a million at a time. */
async function fillMonth(store: Store, total: number): Promise<void> {
  const filled = performance.now();
  const chunk = 1_000_000;
  const span = MONTH_END.getTime() - MONTH_START.getTime();
  for (let offset = 0; offset < total; offset += chunk) {
    await store.command(
      `INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                                  feature_numbers, feature_strings, feature_nulls, attributes)
       SELECT 'bench-model', 'bench-model', 'prediction',
              toDateTime64({start:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * ${span}, ${total})),
              now64(3), 0, rand() / 4294967295, ${featureColumns(true)},
              map('segment', concat('s', toString(number % 10)))
       FROM numbers(${offset}, ${chunk})`,
      { start: toClickHouseTime(MONTH_START), ...FEATURE_NAMES },
    );
  }
  console.log(
    `${total / 1e6}M month events inserted into summary_input: ${seconds(filled)} s; optimizing the summaries`,
  );
  const merged = performance.now();
  for (const table of ['summary_1d', 'summary_1h', 'summary_5m'])
    await store.command(`OPTIMIZE TABLE ${table} FINAL`);
  const [rows] = await store.query<Record<string, string>>(
    `SELECT (SELECT count() FROM summary_1d) AS day, (SELECT count() FROM summary_1h) AS hour, (SELECT count() FROM summary_5m) AS five`,
  );
  console.log(
    `summaries merged in ${seconds(merged)} s: rows day ${rows?.day}, hour ${rows?.hour}, five-minute ${rows?.five}`,
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
    baseline: { kind: 'range', window: { start: new Date(0), end: new Date(1) } },
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
