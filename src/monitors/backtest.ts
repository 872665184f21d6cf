import type { Store } from '../store/clickhouse.js';
import type { CheckResult, CheckStatus } from './checkResult.js';
import { windowExpiry } from '../drift/retained.js';
import { wholeGrainOf, windowPieces } from '../timeWindow.js';
import { readWindowRun } from '../drift/windowSummary.js';
import { createKsKnots, type KsKnots } from '../drift/ksKnots.js';
import { createReplayDistances, type PairDistances } from '../drift/replayDistances.js';
import { readRetainedDays } from '../store/retention.js';
import type { SummaryGrain } from '../timeWindow.js';
import {
  evaluateMonitorWindow,
  evaluateWindowSamples,
  isFutureWindow,
  prepareMonitor,
  type PreparedMonitor,
  type Records,
  type ResultsOf,
  type WindowEvaluation,
} from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';
import type { TimeWindow } from '../timeWindow.js';
import { backtestWindows } from './windows.js';
import { createAlertPlanner, type AlertPlan } from '../alerts/alertPlan.js';

/**
 * One replayed window: its end, its worst status, how many checks it judged and fired.
 * A window whose summaries (or raw events) are past their retention is `expired`, judged
 * nothing, and says why: the rest of the range is still replayed.
 */
export interface BacktestWindow {
  end: Date;
  status: CheckStatus | 'expired';
  checks: number;
  fired: number;
  /** Events in the window (absent in answers from a service that does not count them). */
  events?: number;
  /** Why an expired window could not be replayed. */
  reason?: string;
}

export interface Backtest {
  windows: BacktestWindow[];
  /** Every warn and critical result, window by window. */
  fired: CheckResult[];
  /** What each route would have been sent, week by week, had alerts been on (alertPlan.ts). */
  alerts: AlertPlan;
}

/** Why a time range cannot be replayed (by a monitor of windowMs windows), or null. */
export function invalidTimeRange(from: Date, to: Date, windowMs?: number): string | null {
  if (from.getTime() >= to.getTime()) {
    return `--from (${from.toISOString()}) must be before --to (${to.toISOString()})`;
  }
  if (windowMs !== undefined && to.getTime() - from.getTime() < windowMs) {
    return `the range is shorter than one window of ${windowMs / 60_000} min: nothing to replay`;
  }
  return null;
}

/**
 * Replays history window by window without storing anything: how a person tunes
 * thresholds before turning alerts on. The CLI and the service's API share it. Nothing it
 * answers shows a quiet result (only what fired, and the alert plan), so the replay is lean
 * (Records `alerting`): quiet verdicts reach the planner as statuses. `replay` is for
 * benchmarks and tests (replayWindows' options; `records` and `now` are this function's).
 */
export async function backtestMonitor(
  store: Store,
  plan: MonitorPlan,
  range: { from: Date; to: Date },
  onWindow?: (window: BacktestWindow) => void,
  replay: Omit<ReplayOptions, 'now' | 'records'> = {},
): Promise<Backtest> {
  const windows: BacktestWindow[] = [];
  const fired: CheckResult[] = [];
  const planner = createAlertPlanner(plan);
  const report = (window: BacktestWindow) => {
    windows.push(window);
    onWindow?.(window);
  };
  const now = new Date();
  const all = backtestWindows(range.from, range.to, plan.windowMs);
  const expired = await expiredWindows(store, all, now.getTime());
  let next = 0;
  const reportExpired = () => {
    for (let reason = expired.get(next); reason !== undefined; reason = expired.get(++next)) {
      report({
        end: (all[next] as TimeWindow).end,
        status: 'expired',
        checks: 0,
        fired: 0,
        reason,
      });
    }
  };
  const answerable = all.filter((_, i) => !expired.has(i));
  const options = { ...replay, now, records: 'alerting' as const };
  for await (const evaluation of replayWindows(store, plan, answerable, options)) {
    reportExpired();
    const breaches = evaluation.results.filter(
      (r): r is CheckResult => r.status === 'warn' || r.status === 'critical',
    );
    fired.push(...breaches);
    planner.add(evaluation.window.start, evaluation.window.end, evaluation.results);
    report({
      end: evaluation.window.end,
      status: evaluation.status,
      checks: evaluation.results.length,
      fired: breaches.length,
      events: evaluation.events,
    });
    next += 1;
  }
  reportExpired();
  return { windows, fired, alerts: planner.plan(range) };
}

/** The windows (by index) that reach back past what the store keeps, with why. */
async function expiredWindows(
  store: Store,
  windows: readonly TimeWindow[],
  now: number,
): Promise<Map<number, string>> {
  const retained = await readRetainedDays(store, now);
  const expired = new Map<number, string>();
  windows.forEach((window, i) => {
    const reason = windowExpiry(window, windowPieces(window), retained, now);
    if (reason !== undefined) expired.set(i, reason);
  });
  return expired;
}

export interface ReplayOptions<R extends Records = Records> {
  now: Date;
  /** Whole records (the default), or quiet verdicts as statuses (evaluateWindow.ts, Records). */
  records?: R;
  /** As evaluateMonitorWindow's: straddling verdicts recomputed from raw rows per window. */
  exactFallbackMaxEvents?: number;
  /** Windows read per query (2 hours of 5-minute windows by default): what memory holds. */
  windowsPerRead?: number;
  /**
   * KS p-values from knots cached across the replay's windows, refined per verdict
   * (evaluateWindowSamples' `ksKnots`): a new cache per replay by default; false judges every
   * window from the exact brackets alone, as a scheduled run does.
   */
  ksKnots?: KsKnots | false;
  /**
   * KS D and Wasserstein brackets without the full sweep of the reference's cells
   * (replayDistances.ts; evaluateWindowSamples' `distances`): a new one per replay by default,
   * with the features a check reads Wasserstein of on the exact sweep; false sweeps every
   * pair, as does `ksKnots: false` (every window judged as a scheduled run judges it).
   */
  distances?: PairDistances | false;
  /** Told, window by window, how many numeric (feature, slice) pairs were recomputed exactly. */
  onKsRefined?: (refined: number, pairs: number) => void;
}

export const DEFAULT_WINDOWS_PER_READ = 24;

const DAY = 86_400_000;

/**
 * Each window's evaluation, oldest first, as evaluateMonitorWindow gives it (not stored):
 * consecutive windows that are whole grains of one summary table are read up to
 * `windowsPerRead` at a time in one query and judged one by one through the same code;
 * a window with raw edges or several grains is evaluated alone. A trailing baseline is
 * prepared once per UTC day (the version it resolves to), any other once.
 */
export async function* replayWindows<R extends Records = 'all'>(
  store: Store,
  plan: MonitorPlan,
  windows: readonly TimeWindow[],
  options: ReplayOptions<R>,
): AsyncGenerator<WindowEvaluation<ResultsOf<R>>> {
  const first = windows[0];
  if (!first) return;
  const trailing = plan.baseline.kind === 'trailing';
  const fixed = trailing ? undefined : await prepareMonitor(store, plan, first);
  const limit = Math.max(1, options.windowsPerRead ?? DEFAULT_WINDOWS_PER_READ);
  // what every window shares (a window evaluated alone prepares a trailing baseline itself)
  const single = {
    persist: false,
    now: options.now,
    prepared: fixed,
    exactFallbackMaxEvents: options.exactFallbackMaxEvents,
  };
  const knots =
    options.ksKnots === false
      ? {}
      : {
          ksKnots: options.ksKnots ?? createKsKnots(),
          onKsRefined: options.onKsRefined,
          ...(options.distances === false
            ? {}
            : { distances: options.distances ?? replayDistancesFor(plan) }),
        };
  const readRun = (run: WindowRunPlan, prepared: PreparedMonitor) => {
    const head = windows[run.from] as TimeWindow;
    return readWindowRun(store, {
      model: plan.model,
      source: run.source,
      start: head.start,
      windowMs: head.end.getTime() - head.start.getTime(),
      windows: run.length,
      keys: prepared.profile.sliceKeys,
    });
  };
  const runs = planRuns(windows, limit, options.now, trailing);
  // the next run's read, started before this run is judged (see below)
  let ahead: { run: number; read: ReturnType<typeof readRun> } | null = null;
  for (let r = 0; r < runs.length; r += 1) {
    const run = runs[r] as WindowRunPlan | SingleWindow;
    const head = windows[run.from] as TimeWindow;
    if (!('source' in run)) {
      // raw edges, mixed grains or a future window (which throws as it does alone)
      yield await evaluateMonitorWindow(store, plan, head, single);
      continue;
    }
    const prepared = fixed ?? (await prepareMonitor(store, plan, head));
    const read = ahead?.run === r ? ahead.read : readRun(run, prepared);
    ahead = null;
    const cells = await read;
    // With a baseline that does not move, the next run's cells are read while this run is
    // judged: the engine's query runs on its own threads, so its time and the judging's
    // overlap on two cores (a trailing baseline prepares each day's version first: in turn).
    const next = runs[r + 1];
    if (fixed && next && 'source' in next) {
      const nextRead = readRun(next, fixed);
      nextRead.catch(() => undefined); // awaited (and so thrown) when its run comes
      ahead = { run: r + 1, read: nextRead };
    }
    for (let k = 0; k < run.length; k += 1) {
      const started = performance.now();
      yield (await evaluateWindowSamples(
        store,
        plan,
        windows[run.from + k] as TimeWindow,
        cells.samplesOf(k),
        { ...single, ...knots, prepared, started, records: options.records },
      )) as WindowEvaluation<ResultsOf<R>>;
    }
  }
}

/**
 * The replay's distance brackets for a plan: the features whose Wasserstein a check reads
 * (wasserstein_normed, the one check that reads it) keep the exact sweep in every slice, so
 * no verdict rests on the cheaper Wasserstein bracket, which is proven but does not nest in
 * the sweep's (a check without a feature list reads every feature's).
 */
export function replayDistancesFor(plan: MonitorPlan): PairDistances {
  const readers = plan.checks.filter((check) => check.metric === 'wasserstein_normed');
  const exactFeatures = new Set(
    readers.flatMap((check) =>
      'features' in check && Array.isArray(check.features)
        ? (check.features as string[])
        : plan.features.map((feature) => feature.name),
    ),
  );
  return createReplayDistances({ exactFeatures });
}

/** Consecutive windows read together (runLength), from `from` on. */
interface WindowRunPlan {
  from: number;
  length: number;
  source: SummaryGrain;
}

/** A window evaluated alone. */
interface SingleWindow {
  from: number;
}

/** The replay's windows as runs read together and windows evaluated alone, in order. */
function planRuns(
  windows: readonly TimeWindow[],
  limit: number,
  now: Date,
  trailing: boolean,
): (WindowRunPlan | SingleWindow)[] {
  const runs: (WindowRunPlan | SingleWindow)[] = [];
  let i = 0;
  while (i < windows.length) {
    const source = wholeGrainOf(windows[i] as TimeWindow);
    const length = source ? runLength(windows, i, source, limit, now, trailing) : 0;
    if (!source || length === 0) {
      runs.push({ from: i });
      i += 1;
    } else {
      runs.push({ from: i, length, source });
      i += length;
    }
  }
  return runs;
}

/**
 * How many windows from `from` on can be read together: consecutive, of the head's length,
 * whole grains of `source`, past, at most `limit`, and (for a trailing baseline) of the same
 * UTC day, so they share one baseline version.
 */
function runLength(
  windows: readonly TimeWindow[],
  from: number,
  source: SummaryGrain,
  limit: number,
  now: Date,
  trailing: boolean,
): number {
  const head = windows[from] as TimeWindow;
  const length = head.end.getTime() - head.start.getTime();
  const day = Math.floor(head.start.getTime() / DAY);
  let n = 0;
  let previousEnd = head.start.getTime();
  while (n < limit && from + n < windows.length) {
    const window = windows[from + n] as TimeWindow;
    if (
      window.start.getTime() !== previousEnd ||
      window.end.getTime() - window.start.getTime() !== length ||
      wholeGrainOf(window) !== source ||
      isFutureWindow(window, now) ||
      (trailing && Math.floor(window.start.getTime() / DAY) !== day)
    )
      break;
    previousEnd = window.end.getTime();
    n += 1;
  }
  return n;
}
