import cron, { type Logger as CronLogger, type ScheduledTask, type TaskContext } from 'node-cron';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/clickhouse.js';
import { getLastRunWindowEnd } from '../store/results.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';
import { windowEndingAt } from '../timeWindow.js';
import { lastScheduledTick, scheduledTicks } from './windows.js';

export interface SchedulerOptions {
  now?: () => Date;
  /** Called after every evaluation (the alerting stage and the demo listen here). */
  onEvaluation?: (evaluation: WindowEvaluation) => void | Promise<void>;
  onError?: (monitor: string, error: unknown) => void;
  /** The most missed windows one monitor catches up after downtime. */
  maxCatchUp?: number;
  /** node-cron's own lines (a tick missed, one blocked by the one before) go here, as JSON. */
  logger?: Logger;
}

export interface MonitorScheduler {
  /** Evaluates the windows missed while the service was down, oldest first. */
  catchUp(): Promise<WindowEvaluation[]>;
  /** What each scheduled tick does for one monitor (node-cron calls it; tests call it). */
  tick(plan: MonitorPlan): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * node-cron per monitor schedule. A tick evaluates every window due since the monitor's
 * last stored run: the one ending at that minute, and any whose run failed at an earlier
 * tick (the store away), so a failure delays a window but never leaves it out of the drift
 * history. Runs of one monitor never overlap, and a failing run is reported, not fatal.
 * State lives in ClickHouse only (monitor_runs), so any process can die and another picks up.
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

  /** The ticks due since the monitor's last stored run, oldest first. */
  async function dueTicks(plan: MonitorPlan): Promise<Date[]> {
    const last = await getLastRunWindowEnd(store, plan.monitor);
    const current = now();
    // A monitor that never ran starts with its latest tick, not with all of history.
    if (last) return scheduledTicks(plan.schedule, last, current, options.maxCatchUp ?? 1000);
    const latest = lastScheduledTick(plan.schedule, current);
    return latest ? [latest] : [];
  }

  async function catchUpMonitor(plan: MonitorPlan): Promise<WindowEvaluation[]> {
    const ticks = await dueTicks(plan);
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
    async tick(plan) {
      // Read inside the monitor's queue: what an earlier tick stored is seen.
      await enqueue(plan, async () => {
        for (const tick of await dueTicks(plan)) await runWindowEndingAt(plan, tick);
      });
    },
    start() {
      for (const plan of plans) {
        const task = cron.schedule(
          plan.schedule,
          () => {
            void this.tick(plan);
          },
          {
            name: `monitor:${plan.monitor}`,
            noOverlap: true,
            ...(options.logger ? { logger: cronLogger(options.logger, plan.monitor) } : {}),
          },
        );
        // Said by us (node-cron would print a coloured line of its own): nothing is lost,
        // since a tick evaluates every window due since the monitor's last stored run.
        task.on('execution:missed', (context: TaskContext) => {
          options.logger?.warn(
            { stage: 'scheduler', monitor: plan.monitor, tick: context.date.toISOString() },
            'a scheduled tick was missed (the process was busy or paused); the next tick evaluates every window due',
          );
        });
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

/** node-cron's logger interface onto ours: one JSON line each, never its coloured text. */
function cronLogger(logger: Logger, monitor: string): CronLogger {
  const fields = { stage: 'scheduler', source: 'node-cron', monitor };
  const withError = (error: unknown) => (error === undefined ? {} : { err: errorMessage(error) });
  return {
    info: (message) => logger.info(fields, message),
    warn: (message) => logger.warn(fields, message),
    error: (message, error) =>
      message instanceof Error
        ? logger.error({ ...fields, err: errorMessage(message) }, 'scheduled task failed')
        : logger.error({ ...fields, ...withError(error) }, message),
    debug: (message, error) =>
      message instanceof Error
        ? logger.debug({ ...fields, err: errorMessage(message) }, 'scheduled task')
        : logger.debug({ ...fields, ...withError(error) }, message),
  };
}
