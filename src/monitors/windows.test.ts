import { describe, expect, it } from 'vitest';
import { windowEndingAt } from '../timeWindow.js';
import {
  backtestWindows,
  isScheduledTick,
  labelWindowFor,
  lastScheduledTick,
  nextScheduledTick,
  offTheGrid,
  scheduledTicks,
} from './windows.js';

const at = (iso: string) => new Date(iso);

describe('scheduledTicks', () => {
  it('lists the ticks missed between the last run and now, oldest first', () => {
    expect(
      scheduledTicks('*/15 * * * *', at('2026-11-22T10:00:00Z'), at('2026-11-22T11:05:30Z')),
    ).toEqual([
      at('2026-11-22T10:15:00Z'),
      at('2026-11-22T10:30:00Z'),
      at('2026-11-22T10:45:00Z'),
      at('2026-11-22T11:00:00Z'),
    ]);
  });

  it('keeps only the newest ticks after a very long outage', () => {
    const ticks = scheduledTicks(
      '* * * * *',
      at('2026-11-22T10:00:00Z'),
      at('2026-11-22T12:00:00Z'),
      10,
    );
    expect(ticks).toHaveLength(10);
    expect(ticks.at(-1)).toEqual(at('2026-11-22T12:00:00Z'));
  });
});

describe('windows', () => {
  it('ends a window at the tick', () => {
    expect(windowEndingAt(at('2026-11-22T11:00:00Z'), 3_600_000)).toEqual({
      start: at('2026-11-22T10:00:00Z'),
      end: at('2026-11-22T11:00:00Z'),
    });
  });

  it('cuts a backtest range into consecutive windows', () => {
    const windows = backtestWindows(
      at('2026-11-22T00:00:00Z'),
      at('2026-11-22T03:30:00Z'),
      3_600_000,
    );
    expect(windows.map((w) => w.end.toISOString())).toEqual([
      '2026-11-22T01:00:00.000Z',
      '2026-11-22T02:00:00.000Z',
      '2026-11-22T03:00:00.000Z',
    ]);
  });

  it('judges labels on the window itself once the delay has passed, else on the window the delay ago', () => {
    const window = windowEndingAt(at('2026-11-01T11:00:00Z'), 3_600_000);
    const day = 86_400_000;
    expect(labelWindowFor(window, day, at('2026-11-22T00:00:00Z'))).toEqual(window);
    expect(labelWindowFor(window, day, at('2026-11-01T11:00:00Z'))).toEqual({
      start: at('2026-10-31T10:00:00Z'),
      end: at('2026-10-31T11:00:00Z'),
    });
  });
});

describe("the schedule's grid", () => {
  it('puts the last complete window at the newest tick, not at now (issue 20: 18:18-19:18 on */10)', () => {
    expect(lastScheduledTick('*/10 * * * *', at('2026-12-06T19:18:42Z'))).toEqual(
      at('2026-12-06T19:10:00Z'),
    );
    // a tick at the very minute counts: that window is complete
    expect(lastScheduledTick('*/10 * * * *', at('2026-12-06T19:20:00Z'))).toEqual(
      at('2026-12-06T19:20:00Z'),
    );
    // an hourly schedule, searched back past the first hour
    expect(lastScheduledTick('0 * * * *', at('2026-12-06T19:59:00Z'))).toEqual(
      at('2026-12-06T19:00:00Z'),
    );
    expect(nextScheduledTick('*/10 * * * *', at('2026-12-06T19:18:42Z'))).toEqual(
      at('2026-12-06T19:20:00Z'),
    );
  });

  it('accepts window ends on the grid only, and names the ticks around one that is not', () => {
    expect(isScheduledTick('*/10 * * * *', at('2026-12-06T19:10:00Z'))).toBe(true);
    expect(isScheduledTick('*/10 * * * *', at('2026-12-06T19:10:30Z'))).toBe(false);
    expect(isScheduledTick('*/10 * * * *', at('2026-12-06T19:18:00Z'))).toBe(false);
    expect(offTheGrid('*/10 * * * *', at('2026-12-06T19:10:00Z'))).toBeNull();
    expect(offTheGrid('*/10 * * * *', at('2026-12-06T19:18:00Z'))).toBe(
      '2026-12-06T19:18:00.000Z is not on the schedule "*/10 * * * *": the windows around it end at 2026-12-06T19:10:00.000Z and 2026-12-06T19:20:00.000Z',
    );
  });
});
