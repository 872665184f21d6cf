/**
 * Narrowing's cost rule, hour by hour: a whole hour with a current build is read from its
 * finer cells (a few ranges of stored cells, flat in its events); any other part of the
 * window — an hour not built yet (the hour just closed, one whose late events await a
 * rebuild, one under FINER_MIN_EVENTS), the open hour, the edges that fill no hour — has
 * its raw events counted for the straddling ranges, which costs RAW_NARROWING_COST_RATIO
 * times what the exact fallback spends on the same events. The fallback reads the whole
 * window (and a baseline range) once, so each unbuilt part is read raw only while the sum
 * of those reads stays below the fallback's cost of the window; past it, or when no hour is
 * built at all, the exact fallback is the cheaper way (reason `finer_cells_not_built`).
 * Above the fallback's limit there is no fallback to prefer: narrowing reads raw events.
 * Pure.
 */

/**
 * CPU an event of narrowing's raw count against the exact fallback's, measured on the same
 * 1M-event hour (docs/BENCHMARKS.md, straddling verdicts): a run of 6.2–6.3 s narrowing the
 * raw hour against 5.2–5.4 s through the fallback, over a run of 2.4–2.7 s without either
 * (≈3.6 against ≈2.7 µs an event).
 */
export const RAW_NARROWING_COST_RATIO = 1.35;

export interface NarrowingCostInput {
  /** Events the exact fallback would read: the window's, and a baseline range's. */
  fallbackEvents: number;
  /** Of those, the events of whole hours with a current build (read from finer cells). */
  builtEvents: number;
  /** Whether the exact fallback can recompute the window (within its event limit). */
  fallbackAvailable: boolean;
}

/** Whether narrowing (finer cells, raw events elsewhere) costs less than the exact fallback. */
export function narrowingCheaper(input: NarrowingCostInput): boolean {
  if (!input.fallbackAvailable) return true;
  const rawEvents = Math.max(0, input.fallbackEvents - input.builtEvents);
  return RAW_NARROWING_COST_RATIO * rawEvents < input.fallbackEvents;
}
