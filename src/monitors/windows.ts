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
