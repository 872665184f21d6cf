import type { SummaryRebuild } from '../store/summaryQueries.js';
import type { CellCounts, GrainCounts } from '../store/summaryRepair.js';

/**
 * The pure part of checking the summaries against the stored events: counts rolled up to a
 * grain, and the grains whose counts differ. A summary table that lacks an insert's part
 * counts fewer values of some kind in that insert's grains than the stored events hold;
 * every cell counts at least one value, so no missing part goes unseen.
 */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
export const dayText = (ms: number): string => new Date(dayOf(ms)).toISOString().slice(0, 10);

const KINDS = ['events', 'numbers', 'strings', 'nulls', 'scores'] as const;

/** Counts of finer grains added up per coarser grain (and ingest day). */
export function rollUp(
  rows: readonly GrainCounts[],
  grainOf: (ms: number) => number,
): GrainCounts[] {
  const byKey = new Map<string, GrainCounts>();
  for (const row of rows) {
    const grainMs = grainOf(row.grainMs);
    const key = `${grainMs}|${row.ingestDay}`;
    const into = byKey.get(key);
    if (!into) {
      byKey.set(key, { grainMs, ingestDay: row.ingestDay, counts: { ...row.counts } });
      continue;
    }
    for (const kind of KINDS) into.counts[kind] += row.counts[kind];
  }
  return [...byKey.values()];
}

export interface CountDifference {
  grainMs: number;
  ingestDay: string;
  expected: CellCounts;
  stored: CellCounts;
  /** The table counts fewer values of some kind than the events hold (a missing part). */
  lacking: boolean;
  /** ... or more (counted twice, or cells that no stored event explains). */
  excess: boolean;
}

const NONE: CellCounts = { events: 0, numbers: 0, strings: 0, nulls: 0, scores: 0 };

/** The (grain, ingest day) pairs whose counts differ, among those `compared` keeps. */
export function countDifferences(
  expected: readonly GrainCounts[],
  stored: readonly GrainCounts[],
  compared: (grainMs: number, ingestDay: string) => boolean = () => true,
): CountDifference[] {
  const key = (row: GrainCounts) => `${row.grainMs}|${row.ingestDay}`;
  const storedByKey = new Map(stored.map((row) => [key(row), row]));
  const differences: CountDifference[] = [];
  const check = (grainMs: number, ingestDay: string, want: CellCounts, have: CellCounts) => {
    if (!compared(grainMs, ingestDay)) return;
    const lacking = KINDS.some((kind) => have[kind] < want[kind]);
    const excess = KINDS.some((kind) => have[kind] > want[kind]);
    if (lacking || excess)
      differences.push({ grainMs, ingestDay, expected: want, stored: have, lacking, excess });
  };
  for (const row of expected) {
    const have = storedByKey.get(key(row));
    storedByKey.delete(key(row));
    check(row.grainMs, row.ingestDay, row.counts, have?.counts ?? NONE);
  }
  for (const row of storedByKey.values()) check(row.grainMs, row.ingestDay, NONE, row.counts);
  return differences.sort(
    (a, b) => a.grainMs - b.grainMs || a.ingestDay.localeCompare(b.ingestDay),
  );
}

/**
 * Whether the views' own rows (rebuild 0) of a day and ingest day are what readers use:
 * not when a recorded rebuild of that day replaced them (its cutoff is after the ingest
 * day), which is src/store/summaryQueries.ts's validity rule.
 */
export function readFromViews(
  rebuilds: readonly SummaryRebuild[],
  day: string,
  ingestDay: string,
): boolean {
  return !rebuilds.some(
    (rebuild) => rebuild.fromDay <= day && day < rebuild.toDay && rebuild.cutoffDay > ingestDay,
  );
}
