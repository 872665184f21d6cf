import type { Store } from '../store/clickhouse.js';
import {
  getSummarySettings,
  listFeatureFrames,
  listSliceCombos,
  listSummaryRebuilds,
  queryCells,
  queryCellsByWindow,
} from '../store/summaryQueries.js';
import {
  windowPieces,
  type SummaryGrain,
  type TimeWindow,
  type WindowPiece,
} from '../timeWindow.js';
import type { ProfileSliceKey } from './slices.js';
import type { CellState } from './summaryCells.js';
import type { ReferenceProfile } from './profile.js';
import { assertRetained } from './retained.js';
import { foldCells, type Samples } from './samples.js';

export interface WindowRead {
  samples: Samples;
  /** How the window was read, for the results' details. */
  pieces: WindowPiece[];
}

export async function readWindowSamples(
  store: Store,
  input: {
    model: string;
    window: TimeWindow;
    keys: readonly ProfileSliceKey[];
    states?: readonly CellState[];
  },
): Promise<WindowRead> {
  const pieces = windowPieces(input.window);
  await assertRetained(store, input.window, pieces);
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
  const window = { start: run.start, end };
  await assertRetained(store, window, [{ ...window, source: run.source }]);
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
        pieces: [{ source: '1h', start: new Date(0), end: new Date(3_600_000) }],
        rebuilds: [],
      }),
    ]);
    samples = foldCells(groups, combos, profile.sliceKeys);
  } else {
    samples = (
      await readWindowSamples(store, {
        model: profile.model,
        window: profile.source.window,
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
