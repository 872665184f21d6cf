import type { Store } from '../store/clickhouse.js';
import type { MonitorResult } from '../store/results.js';
import type { CheckStatus } from '../store/results.js';
import { evaluateMonitorWindow } from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';
import { backtestWindows } from './windows.js';

/** One replayed window: its end, its worst status, how many checks it judged and fired. */
export interface BacktestWindow {
  end: Date;
  status: CheckStatus;
  checks: number;
  fired: number;
}

export interface Backtest {
  windows: BacktestWindow[];
  /** Every warn and critical result, window by window. */
  fired: MonitorResult[];
}

/** Why a time range cannot be replayed, or null. */
export function invalidTimeRange(from: Date, to: Date): string | null {
  if (from.getTime() >= to.getTime()) {
    return `--from (${from.toISOString()}) must be before --to (${to.toISOString()})`;
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
  for (const window of backtestWindows(range.from, range.to, plan.windowMs)) {
    const evaluation = await evaluateMonitorWindow(store, plan, window, { persist: false, now });
    const breaches = evaluation.results.filter(
      (r) => r.status === 'warn' || r.status === 'critical',
    );
    fired.push(...breaches);
    const replayed = {
      end: window.end,
      status: evaluation.status,
      checks: evaluation.results.length,
      fired: breaches.length,
    };
    windows.push(replayed);
    onWindow?.(replayed);
  }
  return { windows, fired };
}
