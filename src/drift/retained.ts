import { DriftwatchError } from '../errors.js';
import type { Store } from '../store/clickhouse.js';
import { readRetainedDays, type RetainedDays } from '../store/retention.js';
import type { TimeWindow, WindowPiece } from '../timeWindow.js';

const DAY_MS = 86_400_000;
/**
 * A piece is read as expired when it starts within this margin of its horizon: the TTL
 * deletes at merges, at any moment, so a piece at the very horizon might lose rows while
 * it is read.
 */
const MARGIN_MS = 3_600_000;

/** What each source is, and the setting that says how long it is kept. */
const SOURCES: Record<keyof RetainedDays, { what: string; setting: string }> = {
  raw: { what: 'raw events', setting: 'DRIFTWATCH_EVENTS_RETENTION_DAYS' },
  '5m': { what: 'five-minute summaries', setting: 'DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS' },
  '1h': { what: 'hour summaries', setting: 'DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS' },
  finer: {
    what: 'finer cells of numbers',
    setting: 'DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS',
  },
};

/**
 * The first piece that reaches back past what its source keeps (the day summaries are
 * kept forever), or undefined. Pure: `now` and the kept days are given.
 */
export function firstExpiredPiece(
  pieces: readonly WindowPiece[],
  retained: RetainedDays,
  now: number,
): { piece: WindowPiece; days: number; source: keyof RetainedDays } | undefined {
  for (const piece of pieces) {
    if (piece.source === '1d') continue;
    const days = retained[piece.source];
    if (days > 0 && piece.start.getTime() < now - days * DAY_MS + MARGIN_MS) {
      return { piece, days, source: piece.source };
    }
  }
  return undefined;
}

/**
 * Why a window cannot be answered because its source's older rows are deleted, or
 * undefined. Pure: `now` and the kept days are given. The reason names the window, the
 * source, its retention and what to do.
 */
export function windowExpiry(
  window: TimeWindow,
  pieces: readonly WindowPiece[],
  retained: RetainedDays,
  now: number,
): string | undefined {
  const expired = firstExpiredPiece(pieces, retained, now);
  if (!expired) return undefined;
  const { what, setting } = SOURCES[expired.source];
  const whole = expired.source === '5m' ? 'hours' : 'days';
  return `the window ${window.start.toISOString()} – ${window.end.toISOString()} needs the ${what} from ${expired.piece.start.toISOString()}, which are kept ${expired.days} days (${setting}): evaluate windows aligned to whole ${whole} that far back, or keep them longer`;
}

/** windowExpiry now, against what the store's tables keep (their TTLs, read once a minute). */
export async function expiryNow(
  store: Store,
  window: TimeWindow,
  pieces: readonly WindowPiece[],
): Promise<string | undefined> {
  const now = Date.now();
  return windowExpiry(window, pieces, await readRetainedDays(store, now), now);
}

/**
 * Refuses a window that would be answered from a grain (or raw events) whose older rows
 * the store has deleted: such a window would count fewer events than it had, and say so
 * nowhere.
 */
export async function assertRetained(
  store: Store,
  window: TimeWindow,
  pieces: readonly WindowPiece[],
): Promise<void> {
  const reason = await expiryNow(store, window, pieces);
  if (reason) throw new DriftwatchError('DW_EXPIRED', reason);
}
