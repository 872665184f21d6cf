import cron from 'node-cron';
import { windowEndingAt, type TimeWindow } from '../timeWindow.js';

const MINUTE = 60_000;

export function truncateToMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / MINUTE) * MINUTE);
}

/**
 * The schedule's ticks in (after, until], oldest first: the windows a service that was down
 * missed. node-cron matches minutes, so this walks minute by minute; `limit` bounds a very
 * long outage (the newest ticks are kept, the oldest dropped).
 */
export function scheduledTicks(schedule: string, after: Date, until: Date, limit = 1000): Date[] {
  const task = cron.createTask(schedule, () => undefined);
  try {
    const ticks: Date[] = [];
    for (let t = truncateToMinute(after).getTime() + MINUTE; t <= until.getTime(); t += MINUTE) {
      const tick = new Date(t);
      if (task.match(tick)) {
        ticks.push(tick);
        if (ticks.length > limit) ticks.shift();
      }
    }
    return ticks;
  } finally {
    void task.destroy();
  }
}

const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How far to look for a schedule's tick, widening: most schedules tick within the first. */
const SEARCH_SPANS = [HOUR, DAY, 8 * DAY, 32 * DAY, 367 * DAY];

/**
 * Windows lie on the schedule's grid: the window a run evaluates ends at one of its ticks.
 * The newest tick at or before `at` (the last complete scheduled window ends there), or null
 * when the schedule has not ticked in the year before it.
 */
export function lastScheduledTick(schedule: string, at: Date): Date | null {
  for (const span of SEARCH_SPANS) {
    const [tick] = scheduledTicks(schedule, new Date(at.getTime() - span), at, 1);
    if (tick) return tick;
  }
  return null;
}

/** The first tick after `at`, or null when there is none within `withinMs` (a year). */
export function nextScheduledTick(
  schedule: string,
  at: Date,
  withinMs = SEARCH_SPANS[SEARCH_SPANS.length - 1] ?? 0,
): Date | null {
  const from = truncateToMinute(at).getTime() + MINUTE;
  const task = cron.createTask(schedule, () => undefined);
  try {
    let t = from;
    for (const span of SEARCH_SPANS) {
      const until = from + Math.min(span, withinMs);
      for (; t <= until; t += MINUTE) if (task.match(new Date(t))) return new Date(t);
    }
    return null;
  } finally {
    void task.destroy();
  }
}

export function isScheduledTick(schedule: string, at: Date): boolean {
  if (at.getTime() % MINUTE !== 0) return false;
  const task = cron.createTask(schedule, () => undefined);
  try {
    return task.match(at);
  } finally {
    void task.destroy();
  }
}

/**
 * Why a window end is not on the schedule's grid (with the ticks around it), or null when it
 * is: a window off the grid would land in the history beside windows that overlap it.
 */
export function offTheGrid(schedule: string, end: Date): string | null {
  if (isScheduledTick(schedule, end)) return null;
  const around = [lastScheduledTick(schedule, end), nextScheduledTick(schedule, end)]
    .filter((tick): tick is Date => tick !== null)
    .map((tick) => tick.toISOString());
  return `${end.toISOString()} is not on the schedule "${schedule}"${around.length > 0 ? `: the windows around it end at ${around.join(' and ')}` : ''}`;
}

/**
 * The end of the window a run asked for by a person evaluates: the one asked for, if it is on
 * the grid, else (none asked) the last complete scheduled window. The CLI and the API share it.
 */
export function runWindowEnd(
  schedule: string,
  requested: Date | undefined,
  now: Date,
): { end: Date } | { error: string } {
  if (requested === undefined) {
    const end = lastScheduledTick(schedule, now);
    return end ? { end } : { error: `the schedule "${schedule}" has not ticked in the past year` };
  }
  const off = offTheGrid(schedule, requested);
  return off ? { error: off } : { end: requested };
}

/** Consecutive windows covering [from, to), for a backtest. */
export function backtestWindows(from: Date, to: Date, windowMs: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (let end = from.getTime() + windowMs; end <= to.getTime(); end += windowMs) {
    windows.push(windowEndingAt(new Date(end), windowMs));
  }
  return windows;
}

/**
 * Labels arrive late: a run judges accuracy on the window whose labels are due. A window
 * older than the label delay (a backtest, a catch-up) is its own label window; a live one
 * looks back by the delay.
 */
export function labelWindowFor(window: TimeWindow, delayMs: number, now: Date): TimeWindow {
  if (window.end.getTime() + delayMs <= now.getTime()) return window;
  return {
    start: new Date(window.start.getTime() - delayMs),
    end: new Date(window.end.getTime() - delayMs),
  };
}
