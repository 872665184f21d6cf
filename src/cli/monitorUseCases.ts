import path from 'node:path';
import { alertingLater, describeRunAlerting } from '../alerts/runAlerting.js';
import { alertPlanFromJson } from '../alerts/alertPlan.js';
import { InputError } from '../errors.js';
import {
  backtestMonitor,
  invalidTimeRange,
  type Backtest,
  type BacktestWindow,
} from '../monitors/backtest.js';
import { freezeBaseline } from '../monitors/baselineActions.js';
import { checkResultFromJson, type CheckResult } from '../monitors/checkResult.js';
import { evaluateMonitorWindow } from '../monitors/evaluateWindow.js';
import { refusalOf, type MonitorDirectory } from '../monitors/monitorFile.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { runWindowEnd } from '../monitors/windows.js';
import type { Store } from '../store/clickhouse.js';
import {
  listRunsPage,
  queryResultsPage,
  storedRunOf,
  type StoredResult,
} from '../store/results.js';
import { windowEndingAt } from '../timeWindow.js';
import type { RunView, ServiceClient } from './serviceClient.js';

/**
 * The monitor commands' use cases, over the store or through the running service that holds
 * it (libchdb lets one process open a store): the commands parse flags and print; one of
 * these two implementations fetches. The store side evaluates here, under this shell's
 * reading of the monitors directory; the service side asks the service's API and turns its
 * JSON back into the same shapes.
 */
export interface MonitorUseCases {
  createBaseline(model: string, source: BaselineSource): Promise<CreatedBaseline>;
  /** Without `windowEnd`: the last complete window of the monitor's schedule. */
  run(model: string, windowEnd: Date | undefined): Promise<WindowRun>;
  /** Each window goes to `onWindow` as it is replayed (the service's, once it answers). */
  backtest(
    model: string,
    range: TimeRange,
    onWindow: (window: BacktestWindow) => void,
  ): Promise<Backtest>;
  history(query: HistoryQuery): Promise<{ items: StoredResult[]; total: number }>;
  runs(model: string, page: PageRequest): Promise<{ items: RunView[]; total: number }>;
  /**
   * The monitored models, to name when nothing is stored for `model`; throws when the file
   * of `model` itself is refused (not a typo, so it says why).
   */
  knownModels(model: string): Promise<string[]>;
}

export type BaselineSource = { file: string } | TimeRange;
export interface TimeRange {
  from: Date;
  to: Date;
}
export interface PageRequest {
  limit: number;
  offset: number;
}
export interface HistoryQuery extends PageRequest {
  model: string;
  feature?: string;
  slice?: string;
  metric?: string;
  breachesOnly: boolean;
}
export interface CreatedBaseline {
  model: string;
  name: string;
  version: number;
  rows: number;
}

/** One evaluated window, as `driftwatch run` prints it. */
export interface WindowRun {
  evaluation: PrintableEvaluation;
  /** What the alert stage did or will do with it, one line. */
  alerting: string;
}

export interface PrintableEvaluation {
  monitor: string;
  window: { start: Date; end: Date };
  baseline: { name: string; version: number };
  status: string;
  results: CheckResult[];
  durationMs: number;
  /** Known when evaluated here (the service's run answer does not carry them). */
  events?: number;
  exactFallback?: { verdicts: number; resolved: boolean } | null;
}

/** Over a store this process opened; `monitors` is the command's one read of the directory. */
export function storeMonitorUseCases(
  store: Store,
  monitors: () => MonitorDirectory,
  monitorsDir: string,
): MonitorUseCases {
  const plan = (model: string) => findPlan(monitors(), monitorsDir, model);
  return {
    async createBaseline(model, source) {
      const record = await freezeBaseline(store, plan(model), source);
      return { ...record, rows: record.rowCount };
    },
    async run(model, requested) {
      const monitor = plan(model);
      const chosen = runWindowEnd(monitor.schedule, requested, new Date());
      if ('error' in chosen) throw new InputError({ file: '--window-end' }, chosen.error);
      const evaluation = await evaluateMonitorWindow(
        store,
        monitor,
        windowEndingAt(chosen.end, monitor.windowMs),
      );
      const alerting = describeRunAlerting(await alertingLater(store, monitor.monitor, chosen.end));
      return { evaluation, alerting };
    },
    backtest(model, range, onWindow) {
      const monitor = plan(model);
      const invalid = invalidTimeRange(range.from, range.to, monitor.windowMs);
      if (invalid) throw new InputError({ file: '--to' }, invalid);
      return backtestMonitor(store, monitor, range, onWindow);
    },
    history({ breachesOnly, limit, offset, ...filter }) {
      return queryResultsPage(
        store,
        { ...filter, statuses: breachesOnly ? ['warn', 'critical'] : undefined },
        { limit, offset },
      );
    },
    async runs(model, { limit, offset }) {
      const stored = await listRunsPage(store, { monitor: plan(model).monitor, limit, offset });
      return { total: stored.total, items: stored.items.map(storedRunOf) };
    },
    knownModels(model) {
      return Promise.resolve(localModels(monitors(), model));
    },
  };
}

/** Through the running service's API (it reads files on this same machine). */
export function serviceMonitorUseCases(service: ServiceClient): MonitorUseCases {
  return {
    async createBaseline(model, source) {
      const view = await service.createBaseline(
        model,
        'file' in source
          ? { file: path.resolve(source.file) }
          : { from: source.from.toISOString(), to: source.to.toISOString() },
      );
      return { model: view.model, name: view.name, version: view.version, rows: view.row_count };
    },
    async run(model, requested) {
      const { run, results, alerts } = await service.run(model, requested?.toISOString());
      const evaluation: PrintableEvaluation = {
        monitor: run.monitor,
        window: { start: new Date(run.window_start), end: new Date(run.window_end) },
        baseline: {
          name: results[0]?.baseline ?? '-',
          version: results[0]?.baseline_version ?? 0,
        },
        status: run.status,
        results: results.map(checkResultFromJson),
        durationMs: run.duration_ms,
      };
      return { evaluation, alerting: alerts.message };
    },
    async backtest(model, range, onWindow) {
      const answer = await service.backtest(
        model,
        range.from.toISOString(),
        range.to.toISOString(),
      );
      const windows: BacktestWindow[] = answer.windows.map((window) => ({
        end: new Date(window.window_end),
        status: window.status as BacktestWindow['status'],
        checks: window.checks,
        fired: window.fired,
        events: window.events,
        reason: window.reason,
      }));
      windows.forEach(onWindow);
      return {
        windows,
        fired: answer.fired.map(checkResultFromJson),
        alerts: alertPlanFromJson(answer.alerts),
      };
    },
    history({ breachesOnly, ...query }) {
      return service.results({ ...query, status: breachesOnly ? 'warn,critical' : undefined });
    },
    runs(model, page) {
      return service.runs(model, page);
    },
    async knownModels() {
      return (await service.models()).map((monitor) => monitor.model);
    },
  };
}

/**
 * The models of this shell's monitors directory; a model whose file is refused is not a
 * typo, so its refusal is thrown instead.
 */
export function localModels({ plans, errors }: MonitorDirectory, model: string): string[] {
  const known = plans.map((p) => p.model);
  const refusal = known.includes(model) ? null : refusalOf(errors, model);
  if (refusal) throw new InputError({ file: refusal.file }, refusal.message);
  return known;
}

/** The valid monitor of a model, read under the service's rules; a refused file says why. */
export function findPlan(
  { plans, errors }: MonitorDirectory,
  monitorsDir: string,
  model: string,
): MonitorPlan {
  const plan = plans.find((p) => p.model === model);
  if (plan) return plan;
  const refusal = refusalOf(errors, model);
  if (refusal !== null) throw new InputError({ file: refusal.file }, refusal.message);
  throw new InputError(
    { file: monitorsDir },
    `no monitor for model "${model}" (monitors: ${plans.map((p) => p.model).join(', ') || 'none'})`,
  );
}
