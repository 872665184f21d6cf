import { Gauge } from 'prom-client';
import type { MonitorPlan } from '../monitors/plan.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { listLatestResultsOfAllModels, type StoredResult } from '../store/results.js';
import { severityRank } from './routes/shared.js';

/** Status as a number, so Prometheus rules can alert on `driftwatch_drift_status >= 2`. */
export const STATUS_VALUES: Readonly<Record<string, number>> = {
  ok: 0,
  warn: 1,
  critical: 2,
  insufficient_data: -1,
  no_data: -2,
  awaiting_data: -3,
};

const LABELS = ['model', 'check', 'metric', 'feature', 'slice'] as const;

/**
 * The newest window's value and status of every check, per model, feature, slice and
 * metric, read from the store when Prometheus scrapes. Label sets stay bounded: the
 * monitored models, their checks and features, and per model at most `slicesPerModel`
 * slices ("all" first, then the worst).
 */
export function registerDriftGauges(
  registry: MetricsRegistry,
  store: Store,
  options: { monitors: () => readonly MonitorPlan[]; slicesPerModel: number },
): void {
  // One read of the store per scrape, shared by the gauges (prom-client collects them
  // in turn, or at once): whichever is collected first starts it, the others await it.
  let pending: { at: number; done: Promise<void> } | undefined;
  const refresh = (): Promise<void> => {
    if (!pending || Date.now() - pending.at > 1000) {
      pending = { at: Date.now(), done: readLatest() };
    }
    return pending.done;
  };
  const collect = async () => refresh();
  const value = new Gauge({
    name: 'driftwatch_drift_value',
    help: "The newest window's value of each check (PSI, KS D, null-rate increase, AUROC...)",
    labelNames: LABELS,
    registers: [registry],
    collect,
  });
  const status = new Gauge({
    name: 'driftwatch_drift_status',
    help: "The newest window's status of each check: 0 ok, 1 warn, 2 critical, -1 insufficient data, -2 no data",
    labelNames: LABELS,
    registers: [registry],
    collect,
  });
  const up = new Gauge({
    name: 'driftwatch_drift_gauges_up',
    help: '1 when the drift gauges were read from the store at this scrape, 0 when the store failed',
    registers: [registry],
    collect,
  });
  const windowEnd = new Gauge({
    name: 'driftwatch_drift_window_end_seconds',
    help: 'End of the newest evaluated window per model (unix seconds): stale means the monitor stopped',
    labelNames: ['model'],
    registers: [registry],
    collect,
  });

  async function readLatest(): Promise<void> {
    let latest: StoredResult[];
    try {
      latest = await listLatestResultsOfAllModels(store);
    } catch {
      // The rest of /metrics still answers; the failure itself is what this scrape shows.
      value.reset();
      status.reset();
      windowEnd.reset();
      up.set(0);
      return;
    }
    value.reset();
    status.reset();
    windowEnd.reset();
    up.set(1);
    const monitored = new Set(options.monitors().map((plan) => plan.model));
    const results = latest.filter((result) => monitored.has(result.model));
    for (const result of boundSlices(results, options.slicesPerModel)) {
      const labels = {
        model: result.model,
        check: result.check_id,
        metric: result.metric,
        feature: result.feature,
        slice: result.slice_key ? `${result.slice_key}=${result.slice_value}` : result.slice_value,
      };
      if (result.value !== null) value.set(labels, result.value);
      status.set(labels, STATUS_VALUES[result.status] ?? -1);
      windowEnd.set({ model: result.model }, Date.parse(result.window_end) / 1000);
    }
  }
}

/** Per model: "all" and the slices whose worst status is worst, up to the cap. */
export function boundSlices(results: readonly StoredResult[], cap: number): StoredResult[] {
  const kept = new Map<string, Set<string>>();
  const worst = new Map<string, number>();
  const sliceOf = (r: StoredResult) => `${r.model}\u0000${r.slice_key}\u0000${r.slice_value}`;
  for (const result of results) {
    const key = sliceOf(result);
    worst.set(key, Math.min(worst.get(key) ?? 99, severityRank(result.status)));
  }
  const byModel = new Map<string, string[]>();
  for (const key of worst.keys()) {
    const model = key.split('\u0000')[0] ?? '';
    byModel.set(model, [...(byModel.get(model) ?? []), key]);
  }
  for (const [model, keys] of byModel) {
    const ranked = keys.sort((a, b) => {
      const allA = a.endsWith('\u0000\u0000all') ? 0 : 1;
      const allB = b.endsWith('\u0000\u0000all') ? 0 : 1;
      return allA - allB || (worst.get(a) ?? 99) - (worst.get(b) ?? 99) || a.localeCompare(b);
    });
    kept.set(model, new Set(ranked.slice(0, cap)));
  }
  return results.filter((result) => kept.get(result.model)?.has(sliceOf(result)));
}
