import type { Store } from '../store/clickhouse.js';
import type { MonitorResult } from '../store/results.js';
import type { CheckStatus } from '../store/results.js';
import { evaluateMonitorWindow, prepareMonitor } from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';
import { backtestWindows } from './windows.js';

/** One replayed window: its end, its worst status, how many checks it judged and fired. */
export interface BacktestWindow {
  end: Date;
  status: CheckStatus;
  checks: number;
  fired: number;
  /** Events in the window (absent in answers from a service that does not count them). */
  events?: number;
}

export interface Backtest {
  windows: BacktestWindow[];
  /** Every warn and critical result, window by window. */
  fired: MonitorResult[];
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
 * thresholds before turning alerts on. The CLI and the service's API share it.
 */
export async function backtestMonitor(
  store: Store,
  plan: MonitorPlan,
  range: { from: Date; to: Date },
  onWindow?: (window: BacktestWindow) => void,
): Promise<Backtest> {
  const now = new Date();
  const windows: BacktestWindow[] = [];
  const fired: MonitorResult[] = [];
  const all = backtestWindows(range.from, range.to, plan.windowMs);
  const first = all[0];
  if (!first) return { windows, fired };
  // the baseline and its profile are the same for every window (unless trailing)
  const prepared = await prepareMonitor(store, plan, first);
  for (const window of all) {
    const evaluation = await evaluateMonitorWindow(store, plan, window, {
      persist: false,
      now,
      prepared,
    });
    const breaches = evaluation.results.filter(
      (r) => r.status === 'warn' || r.status === 'critical',
    );
    fired.push(...breaches);
    const replayed = {
      end: window.end,
      status: evaluation.status,
      checks: evaluation.results.length,
      fired: breaches.length,
      events: evaluation.events,
    };
    windows.push(replayed);
    onWindow?.(replayed);
  }
  return { windows, fired };
}
