import type { Store } from '../store/clickhouse.js';
import {
  getSummarySettings,
  listFeatureFrames,
  listSliceCombos,
  listSummaryRebuilds,
  queryCells,
  queryCellsByWindow,
  type WindowPiece,
} from '../store/summaryQueries.js';
import type { ProfileSliceKey } from './slices.js';
import type { CellState, SummaryGrain } from './summaryCells.js';
import type { ReferenceProfile } from './profile.js';
import { assertRetained } from './retained.js';
import { foldCells, type Samples } from './samples.js';

/**
 * A time window read from the summaries: whole days from the day grain, whole hours from
 * the hour grain, whole five minutes from the five-minute grain, and only the edges that
 * fill no grain from raw events. What is read grows with the window's length in grains,
 * not with its events.
 */
export interface TimeRange {
  start: Date;
  end: Date;
}

const GRAINS: { source: SummaryGrain; ms: number }[] = [
  { source: '1d', ms: 86_400_000 },
  { source: '1h', ms: 3_600_000 },
  { source: '5m', ms: 300_000 },
];

export function windowPieces(range: TimeRange): WindowPiece[] {
  const pieces: WindowPiece[] = [];
  const push = (source: WindowPiece['source'], from: number, to: number) => {
    const last = pieces.at(-1);
    if (last && last.source === source && last.to.getTime() === from) last.to = new Date(to);
    else pieces.push({ source, from: new Date(from), to: new Date(to) } as WindowPiece);
  };
  let t = range.start.getTime();
  const end = range.end.getTime();
  while (t < end) {
    const grain = GRAINS.find((g) => t % g.ms === 0 && t + g.ms <= end);
    if (grain) {
      push(grain.source, t, t + grain.ms);
      t += grain.ms;
      continue;
    }
    const next = Math.min(end, (Math.floor(t / 300_000) + 1) * 300_000);
    push('raw', t, next);
    t = next;
  }
  return pieces;
}

export interface WindowRead {
  samples: Samples;
  /** How the window was read, for the results' details. */
  pieces: WindowPiece[];
}

export async function readWindowSamples(
  store: Store,
  input: {
    model: string;
    range: TimeRange;
    keys: readonly ProfileSliceKey[];
    states?: readonly CellState[];
  },
): Promise<WindowRead> {
  const pieces = windowPieces(input.range);
  await assertRetained(store, input.range, pieces);
  const needsRaw = pieces.some((piece) => piece.source === 'raw');
  const [rebuilds, combos, settings, frames] = await Promise.all([
    listSummaryRebuilds(store, input.model),
    listSliceCombos(store, input.model),
    needsRaw ? getSummarySettings(store, input.model) : Promise.resolve(undefined),
    needsRaw ? listFeatureFrames(store, input.model) : Promise.resolve(undefined),
  ]);
  const groups = await queryCells(store, {
    model: input.model,
    kind: 'prediction',
    pieces,
    rebuilds,
    states: input.states,
    settings,
    frames,
  });
  return { samples: foldCells(groups, combos, input.keys), pieces };
}

/**
 * The one grain table a window is read whole from (windowPieces gives it a single piece),
 * or null when it needs several grains or raw edges.
 */
export function wholeGrainOf(range: TimeRange): SummaryGrain | null {
  const pieces = windowPieces(range);
  const [only] = pieces;
  return pieces.length === 1 && only && only.source !== 'raw' ? only.source : null;
}

/** Consecutive windows of equal length, each read whole from one grain table. */
export interface WindowRun {
  model: string;
  source: SummaryGrain;
  start: Date;
  windowMs: number;
  windows: number;
  keys: readonly ProfileSliceKey[];
}

/**
 * A run of windows read in one query and folded window by window on demand: window i's
 * samples are those readWindowSamples gives for that window alone. The run's cells are
 * held compactly until the run is dropped (callers bound its length); each window's fold
 * is the caller's to drop.
 */
export async function readWindowRun(
  store: Store,
  run: WindowRun,
): Promise<{ samplesOf(window: number): Samples }> {
  const end = new Date(run.start.getTime() + run.windows * run.windowMs);
  await assertRetained(store, { start: run.start, end }, [
    { source: run.source, from: run.start, to: end },
  ]);
  const [rebuilds, combos] = await Promise.all([
    listSummaryRebuilds(store, run.model),
    listSliceCombos(store, run.model),
  ]);
  const cells = await queryCellsByWindow(store, {
    model: run.model,
    source: run.source,
    start: run.start,
    windowMs: run.windowMs,
    windows: run.windows,
    rebuilds,
  });
  return { samplesOf: (window) => foldCells(cells.groupsOf(window), combos, run.keys) };
}

const referenceCache = new Map<string, Samples>();
const REFERENCE_CACHE_SIZE = 16;

/** A profile's cells folded into its slices; kept in memory, since a profile never changes. */
export async function readReferenceSamples(
  store: Store,
  profile: ReferenceProfile,
): Promise<Samples> {
  const key = `${profile.model}\u0001${profile.baseline}\u0001${profile.version}\u0001${profile.profileId}`;
  const cached = referenceCache.get(key);
  if (cached) return cached;
  let samples: Samples;
  if (profile.source.kind === 'stored') {
    const [combos, groups] = await Promise.all([
      listSliceCombos(store, profile.model),
      queryCells(store, {
        model: profile.model,
        kind: 'reference',
        cellSet: profile.cellSet,
        pieces: [{ source: '1h', from: new Date(0), to: new Date(3_600_000) }],
        rebuilds: [],
      }),
    ]);
    samples = foldCells(groups, combos, profile.sliceKeys);
  } else {
    samples = (
      await readWindowSamples(store, {
        model: profile.model,
        range: { start: profile.source.from, end: profile.source.to },
        keys: profile.sliceKeys,
      })
    ).samples;
  }
  referenceCache.set(key, samples);
  if (referenceCache.size > REFERENCE_CACHE_SIZE) {
    const oldest = referenceCache.keys().next().value;
    if (oldest !== undefined) referenceCache.delete(oldest);
  }
  return samples;
}
