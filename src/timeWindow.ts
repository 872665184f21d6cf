/**
 * A window of time: the half-open range [start, end) of events a monitor run evaluates, a
 * label window, a trailing period, a baseline's range of a model's own events. One type from
 * the plan to the SQL: the scheduler makes it, the drift stage reads the summaries of its
 * pieces, the store binds its ends as query parameters.
 */
export interface TimeWindow {
  start: Date;
  end: Date;
}

export function windowEndingAt(end: Date, windowMs: number): TimeWindow {
  return { start: new Date(end.getTime() - windowMs), end };
}

/** The window of the given length that ends where this one starts (a trailing period). */
export function windowBefore(window: TimeWindow, lengthMs: number): TimeWindow {
  return windowEndingAt(window.start, lengthMs);
}

export function windowLengthMs(window: TimeWindow): number {
  return window.end.getTime() - window.start.getTime();
}

/** The grains the summaries are kept in (store/summaryQueries.ts names their tables). */
export type SummaryGrain = '5m' | '1h' | '1d';

const GRAINS: { grain: SummaryGrain; ms: number }[] = [
  { grain: '1d', ms: 86_400_000 },
  { grain: '1h', ms: 3_600_000 },
  { grain: '5m', ms: 300_000 },
];

/** One part of a window: whole grains of one summary table, or raw events at the edges. */
export type WindowPiece = TimeWindow & { source: SummaryGrain | 'raw' };

/**
 * A window as the summaries answer it: whole days from the day grain, whole hours from the
 * hour grain, whole five minutes from the five-minute grain, and only the edges that fill no
 * grain from raw events. What is read grows with the window's length in grains, not with its
 * events.
 */
export function windowPieces(window: TimeWindow): WindowPiece[] {
  const pieces: WindowPiece[] = [];
  const push = (source: WindowPiece['source'], start: number, end: number) => {
    const last = pieces.at(-1);
    if (last && last.source === source && last.end.getTime() === start) last.end = new Date(end);
    else pieces.push({ source, start: new Date(start), end: new Date(end) });
  };
  let t = window.start.getTime();
  const end = window.end.getTime();
  while (t < end) {
    const whole = GRAINS.find((g) => t % g.ms === 0 && t + g.ms <= end);
    if (whole) {
      push(whole.grain, t, t + whole.ms);
      t += whole.ms;
      continue;
    }
    const next = Math.min(end, (Math.floor(t / 300_000) + 1) * 300_000);
    push('raw', t, next);
    t = next;
  }
  return pieces;
}

/**
 * The one grain table a window is read whole from (windowPieces gives it a single piece),
 * or null when it needs several grains or raw edges.
 */
export function wholeGrainOf(window: TimeWindow): SummaryGrain | null {
  const pieces = windowPieces(window);
  const [only] = pieces;
  return pieces.length === 1 && only && only.source !== 'raw' ? only.source : null;
}
