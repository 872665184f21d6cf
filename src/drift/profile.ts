import { createHash } from 'node:crypto';
import { binQuantileLevels } from '../stats/index.js';
import type { Store } from '../store/clickhouse.js';
import {
  getReferenceProfile,
  insertReferenceProfile,
  profileSliceId,
  queryProfileBinCounts,
  queryProfileStats,
  queryTopSliceValues,
  scoreFeatureOf,
  type ProfileFeature,
  type ProfileSource,
  type StoredProfileFeature,
} from '../store/profileQueries.js';
import type { ProfileSliceKey } from './slices.js';
import {
  insertFeatureFrames,
  insertReferenceCells,
  listFeatureFrames,
  newReferenceCellSet,
  type FeatureFrame,
} from '../store/summaryQueries.js';
import { edgesFromQuantiles } from '../stats/bins.js';
import { ALL_SLICE_ID, sliceId } from './samples.js';

/**
 * A reference profile: what a baseline version looks like per slice and feature, computed
 * once from its rows and stored. Exact where brackets cannot serve (decile edges and the
 * bin counts on them for PSI, moments, min and max, a percentile grid, null and non-finite
 * counts, score and label counts); its cells, in the same buckets as the window summaries,
 * give KS and Wasserstein their brackets.
 */
export interface ProfileSpec {
  model: string;
  features: readonly ProfileFeature[];
  /** Slice keys: attribute lists (more than one: a crossed slice). */
  slices: readonly (readonly string[])[];
  maxSliceValues: number;
  /** Score at or above which a prediction is positive. */
  threshold: number | null;
  bins: number;
}

export interface ProfileFeatureStats {
  kind: 'numeric' | 'categorical';
  rows: number;
  present: number;
  nulls: number;
  nonFinite: number;
  wrongType: number;
  min: number | null;
  max: number | null;
  mean: number;
  stddevPop: number;
  /** Decile quantiles of the finite values. */
  quantiles: number[];
  edges: number[];
  binCounts: number[];
  /** Percentiles 1..99 of the finite values. */
  grid: number[];
}

export interface ProfileSlice {
  key: string;
  value: string;
  rows: number;
  scored: number;
  predictedPositives: number;
  labelled: number;
  labelPositives: number;
  features: Map<string, ProfileFeatureStats>;
}

export interface ReferenceProfile {
  model: string;
  baseline: string;
  version: number;
  profileId: string;
  source: ProfileSource;
  /** The cells of a stored baseline (kind 'reference'); 0: the source's own event summaries. */
  cellSet: number;
  sliceKeys: ProfileSliceKey[];
  slices: Map<string, ProfileSlice>;
  frames: Map<string, FeatureFrame>;
}

export interface BaselineIdentity {
  name: string;
  version: number;
  source: ProfileSource;
}

const GRID_LEVELS = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

/**
 * A source as profile ids have always hashed it: an events source by its `from` and `to`,
 * so the profiles stored before sources carried a TimeWindow keep their ids.
 */
function sourceKey(source: ProfileSource): unknown {
  if (source.kind === 'stored') return source;
  return {
    kind: source.kind,
    model: source.model,
    from: source.window.start,
    to: source.window.end,
  };
}

/**
 * The stored profile of a baseline version for this spec, built on first use. A numeric
 * feature without a frame gets one from this baseline first (centre = median, scale =
 * IQR / 1.349, else the standard deviation, else 1), so window summaries bucket it well.
 */
export async function getOrBuildProfile(
  store: Store,
  spec: ProfileSpec,
  baseline: BaselineIdentity,
): Promise<ReferenceProfile> {
  const profileId = createHash('sha256')
    .update(JSON.stringify({ spec, source: sourceKey(baseline.source) }))
    .digest('hex')
    .slice(0, 24);
  const identity = {
    model: spec.model,
    baseline: baseline.name,
    version: baseline.version,
    profileId,
  };
  const [stored, frames] = await Promise.all([
    getReferenceProfile(store, identity),
    listFeatureFrames(store, spec.model),
  ]);
  // A stored profile serves while the frames its cells were bucketed in are still current.
  if (stored && sameFrames(JSON.parse(stored.header.spec).frames, frames, spec)) {
    return fromStored(
      identity,
      baseline.source,
      stored.header.cellSet,
      JSON.parse(stored.header.slices),
      stored.features,
      spec,
      frames,
    );
  }
  const top = await queryTopSliceValues(store, baseline.source, spec.slices, spec.maxSliceValues);
  const sliceKeys: ProfileSliceKey[] = spec.slices.map((attributes, k) => ({
    attributes: [...attributes],
    kept: top[k] ?? [],
  }));
  const deciles = binQuantileLevels(spec.bins);
  const stats = await queryProfileStats(store, baseline.source, spec.features, sliceKeys, {
    levels: [...deciles, ...GRID_LEVELS],
    threshold: spec.threshold,
  });
  const currentFrames = await ensureFrames(store, spec, stats, deciles.length, frames);
  const edges = new Map<string, Map<string, number[]>>();
  for (const row of stats) {
    if (row.feature === '' || row.quantiles.length === 0) continue;
    const id = profileSliceId(row.sliceKey, row.sliceValue);
    const byFeature = edges.get(id) ?? new Map<string, number[]>();
    byFeature.set(row.feature, edgesFromQuantiles(row.quantiles.slice(0, deciles.length)));
    edges.set(id, byFeature);
  }
  const numeric = spec.features.filter((f) => f.kind === 'numeric').map((f) => f.name);
  const binCounts = await queryProfileBinCounts(
    store,
    baseline.source,
    numeric,
    sliceKeys,
    edges,
    scoreFeatureOf(spec.features),
  );
  const cellSet = baseline.source.kind === 'stored' ? newReferenceCellSet() : 0;
  if (baseline.source.kind === 'stored') {
    await insertReferenceCells(store, {
      model: spec.model,
      baseline: baseline.source.baseline,
      version: baseline.source.version,
      cellSet,
    });
  }
  const features: StoredProfileFeature[] = stats.map((row) => {
    const id = profileSliceId(row.sliceKey, row.sliceValue);
    const featureEdges = edges.get(id)?.get(row.feature) ?? [];
    return {
      slice_key: row.sliceKey,
      slice_value: row.sliceValue,
      feature: row.feature,
      rows: row.rows,
      present: row.present,
      nulls: row.nulls,
      pos_inf: row.posInf,
      neg_inf: row.negInf,
      nan: row.nan,
      wrong_type: row.wrongType,
      min: row.min,
      max: row.max,
      mean: Number.isFinite(row.mean) ? row.mean : 0,
      stddev_pop: row.stddevPop,
      edges: featureEdges,
      bin_counts:
        binCounts.get(id)?.get(row.feature) ??
        new Array<number>(row.feature === '' ? 0 : featureEdges.length + 1).fill(0),
      quantiles: row.quantiles,
      scored: row.scored,
      predicted_positives: row.predictedPositives,
      labelled: row.labelled,
      label_positives: row.labelPositives,
    };
  });
  await insertReferenceProfile(
    store,
    {
      ...identity,
      cellSet,
      spec: JSON.stringify({ ...spec, frames: framesOf(currentFrames, spec) }),
      slices: JSON.stringify(sliceKeys),
    },
    features,
  );
  return fromStored(identity, baseline.source, cellSet, sliceKeys, features, spec, currentFrames);
}

function framesOf(
  frames: ReadonlyMap<string, FeatureFrame>,
  spec: ProfileSpec,
): Record<string, number> {
  return Object.fromEntries(
    spec.features
      .filter((f) => f.kind === 'numeric')
      .map((f) => [f.name, frames.get(f.name)?.frame ?? 0]),
  );
}

function sameFrames(
  stored: Record<string, number> | undefined,
  frames: ReadonlyMap<string, FeatureFrame>,
  spec: ProfileSpec,
): boolean {
  const current = framesOf(frames, spec);
  return Object.entries(current).every(([name, frame]) => stored?.[name] === frame);
}

/**
 * Freezes a frame for each numeric feature that has none, from the baseline's whole
 * population: centre = median, scale = IQR / 1.349, else the standard deviation, else 1.
 */
async function ensureFrames(
  store: Store,
  spec: ProfileSpec,
  stats: readonly { sliceKey: string; feature: string; quantiles: number[]; stddevPop: number }[],
  deciles: number,
  frames: Map<string, FeatureFrame>,
): Promise<Map<string, FeatureFrame>> {
  // the score's cells have their own buckets (summaryQueries): it never needs a frame
  const missing = spec.features.filter(
    (f) => f.kind === 'numeric' && !f.fromScore && !frames.has(f.name),
  );
  if (missing.length === 0) return frames;
  const created = missing.map((feature) => {
    const row = stats.find((r) => r.sliceKey === '' && r.feature === feature.name);
    const grid = row?.quantiles.slice(deciles) ?? [];
    const [q1 = 0, median = 0, q3 = 0] = [grid[24], grid[49], grid[74]];
    const iqr = (q3 - q1) / 1.349;
    const sd = row?.stddevPop ?? 0;
    const scale = iqr > 0 && Number.isFinite(iqr) ? iqr : sd > 0 && Number.isFinite(sd) ? sd : 1;
    return { feature: feature.name, frame: 1, centre: Number.isFinite(median) ? median : 0, scale };
  });
  await insertFeatureFrames(store, spec.model, created);
  return listFeatureFrames(store, spec.model);
}

function fromStored(
  identity: { model: string; baseline: string; version: number; profileId: string },
  source: ProfileSource,
  cellSet: number,
  sliceKeys: ProfileSliceKey[],
  rows: readonly StoredProfileFeature[],
  spec: ProfileSpec,
  frames: Map<string, FeatureFrame>,
): ReferenceProfile {
  const kinds = new Map(spec.features.map((f) => [f.name, f.kind]));
  const deciles = spec.bins - 1;
  const slices = new Map<string, ProfileSlice>();
  const sliceOf = (key: string, value: string) => {
    const id = key === '' ? ALL_SLICE_ID : sliceId(key, value);
    let slice = slices.get(id);
    if (!slice) {
      slice = {
        key,
        value: key === '' ? 'all' : value,
        rows: 0,
        scored: 0,
        predictedPositives: 0,
        labelled: 0,
        labelPositives: 0,
        features: new Map(),
      };
      slices.set(id, slice);
    }
    return slice;
  };
  for (const row of rows) {
    const slice = sliceOf(row.slice_key, row.slice_value);
    if (row.feature === '') {
      Object.assign(slice, {
        rows: row.rows,
        scored: row.scored,
        predictedPositives: row.predicted_positives,
        labelled: row.labelled,
        labelPositives: row.label_positives,
      });
      continue;
    }
    slice.features.set(row.feature, {
      kind: kinds.get(row.feature) ?? 'numeric',
      rows: row.rows,
      present: row.present,
      nulls: row.nulls,
      nonFinite: row.pos_inf + row.neg_inf + row.nan,
      wrongType: row.wrong_type,
      min: row.present > 0 ? row.min : null,
      max: row.present > 0 ? row.max : null,
      mean: row.mean,
      stddevPop: row.stddev_pop,
      quantiles: row.quantiles.slice(0, deciles),
      edges: row.edges,
      binCounts: row.bin_counts,
      grid: row.quantiles.slice(deciles),
    });
  }
  return { ...identity, source, cellSet, sliceKeys, slices, frames };
}
