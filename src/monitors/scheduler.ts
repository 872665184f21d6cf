import cron, { type ScheduledTask } from 'node-cron';
import { errorMessage } from '../errors.js';
import type { Store } from '../store/clickhouse.js';
import { getLastRunWindowEnd } from '../store/results.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';
import { scheduledTicks, truncateToMinute, windowEndingAt } from './windows.js';

export interface SchedulerOptions {
  now?: () => Date;
  /** Called after every evaluation (the alerting stage and the demo listen here). */
  onEvaluation?: (evaluation: WindowEvaluation) => void | Promise<void>;
  onError?: (monitor: string, error: unknown) => void;
  /** The most missed windows one monitor catches up after downtime. */
  maxCatchUp?: number;
}

export interface MonitorScheduler {
  /** Evaluates the windows missed while the service was down, oldest first. */
  catchUp(): Promise<WindowEvaluation[]>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * node-cron per monitor schedule. A tick evaluates the window ending at that minute;
 * runs of one monitor never overlap, and a failing run is reported, not fatal. State lives
 * in ClickHouse only (monitor_runs), so any process can die and another picks up.
 */
export function createMonitorScheduler(
  store: Store,
  plans: readonly MonitorPlan[],
  options: SchedulerOptions = {},
): MonitorScheduler {
  const now = options.now ?? (() => new Date());
  const tasks: ScheduledTask[] = [];
  const queues = new Map<string, Promise<unknown>>();

  function enqueue<T>(plan: MonitorPlan, job: () => Promise<T>): Promise<T | undefined> {
    const previous = queues.get(plan.monitor) ?? Promise.resolve();
    const next = previous.then(job).catch((error: unknown) => {
      options.onError?.(plan.monitor, error);
      return undefined;
    });
    queues.set(plan.monitor, next);
    return next;
  }

  async function runWindowEndingAt(plan: MonitorPlan, end: Date): Promise<WindowEvaluation> {
    const evaluation = await evaluateMonitorWindow(
      store,
      plan,
      windowEndingAt(end, plan.windowMs),
      { now: now() },
    );
    await options.onEvaluation?.(evaluation);
    return evaluation;
  }

  async function catchUpMonitor(plan: MonitorPlan): Promise<WindowEvaluation[]> {
    const last = await getLastRunWindowEnd(store, plan.monitor);
    const current = now();
    // A monitor that never ran starts with its latest tick, not with all of history.
    const ticks = last
      ? scheduledTicks(plan.schedule, last, current, options.maxCatchUp ?? 1000)
      : scheduledTicks(plan.schedule, new Date(current.getTime() - 24 * 3600_000), current).slice(
          -1,
        );
    const evaluations: WindowEvaluation[] = [];
    for (const tick of ticks) {
      const evaluation = await enqueue(plan, () => runWindowEndingAt(plan, tick));
      if (evaluation) evaluations.push(evaluation);
    }
    return evaluations;
  }

  return {
    async catchUp() {
      const all = await Promise.all(plans.map((plan) => catchUpMonitor(plan)));
      return all.flat();
    },
    start() {
      for (const plan of plans) {
        const task = cron.schedule(
          plan.schedule,
          () => {
            void enqueue(plan, () => runWindowEndingAt(plan, truncateToMinute(now())));
          },
          { name: `monitor:${plan.monitor}`, noOverlap: true },
        );
        tasks.push(task);
      }
    },
    async stop() {
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.all(
        [...queues.values()].map((queue) => queue.catch((error: unknown) => errorMessage(error))),
      );
    },
  };
}
