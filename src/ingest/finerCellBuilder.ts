import type { Store } from '../store/clickhouse.js';
import {
  buildFinerHour,
  listFinerHoursToBuild,
  type FinerHourToBuild,
} from '../store/finerCells.js';
import type { RetainedDays } from '../store/retention.js';

/**
 * Which closed hours get their finer cells (summary_1h_k10, migration 0015) built, and
 * building them: an hour of a model with at least `minEvents` prediction events, ended at
 * least `graceMs` ago
 * (late events of a just-closed hour arrive before its build, not after), inside what the
 * finer cells and the raw events keep, with no current build (never built, or its events
 * changed since: late events, a summaries rebuild). Newest first, at most `limit` a pass:
 * the hours a window most likely reads first, and a pass that stays short after an upgrade
 * (the older hours follow in the next passes). Pure planning apart from the two store calls.
 */
export interface FinerBuildOptions {
  graceMs: number;
  retained: RetainedDays;
  nowMs: number;
  /** Hours built in one pass at most. */
  limit: number;
  /** An hour with fewer prediction events than this is not built (FINER_MIN_EVENTS). */
  minEvents: number;
}

export interface FinerBuildReport {
  /** Hours built, and of those built again (their events had changed since the last build). */
  built: number;
  rebuilt: number;
  /** Events the builds read (each build all of its hour's). */
  events: number;
  /** Hours left for the next pass (over the limit). */
  waiting: number;
}

export const FINER_BUILDS_PER_PASS = 48;

/**
 * A build costs about a second of CPU whatever the hour's size, plus 7–11 µs an event
 * (docs/BENCHMARKS.md), while the exact fallback over a window's raw rows costs ~5 µs an
 * event: below 100,000 events an hour, narrowing its straddles from raw rows (or the
 * fallback) is cheaper than building, and a fleet of 1,000 small models would otherwise
 * spend ~1,000 CPU-seconds an hour on builds.
 */
export const FINER_MIN_EVENTS = 100_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The hours that may be built now: [sinceMs, beforeMs) of hour starts. */
export function buildableHours(
  options: Pick<FinerBuildOptions, 'graceMs' | 'retained' | 'nowMs'>,
): { sinceMs: number; beforeMs: number } {
  const { nowMs, retained } = options;
  // an hour whose cells or events a TTL may remove during the build is not worth it: a day to spare
  const horizons = [retained.finer, retained.raw]
    .filter((days) => days > 0)
    .map((days) => Math.ceil((nowMs - (days - 1) * DAY_MS) / HOUR_MS) * HOUR_MS);
  const sinceMs = Math.max(0, ...horizons);
  // hour h is closed, with its grace, once h + 1 h + grace <= now
  const beforeMs = Math.floor((nowMs - options.graceMs) / HOUR_MS) * HOUR_MS;
  return { sinceMs, beforeMs: Math.max(sinceMs, beforeMs) };
}

export async function buildClosedFinerHours(
  store: Store,
  options: FinerBuildOptions,
  onBuilt?: (hour: FinerHourToBuild, events: number) => void,
): Promise<FinerBuildReport> {
  const range = buildableHours(options);
  const report: FinerBuildReport = { built: 0, rebuilt: 0, events: 0, waiting: 0 };
  if (range.beforeMs <= range.sinceMs) return report;
  const due = (await listFinerHoursToBuild(store, range, options.minEvents)).reverse();
  report.waiting = Math.max(0, due.length - options.limit);
  for (const hour of due.slice(0, options.limit)) {
    const build = await buildFinerHour(store, hour);
    report.built += 1;
    if (hour.previousBuild !== '0') report.rebuilt += 1;
    report.events += build.events;
    onBuilt?.(hour, build.events);
  }
  return report;
}
