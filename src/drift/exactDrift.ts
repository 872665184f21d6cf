import type { Store } from '../store/clickhouse.js';
import {
  ALL_SLICES,
  queryBinCounts,
  queryCategoryCounts,
  queryDistributionDistances,
  queryNumericCells,
  queryNumericReferenceProfile,
  queryQualityCounts,
  type ComparisonRelations,
  type EdgesBySlice,
} from '../store/driftQueries.js';
import { FINE_BUCKET } from '../store/summaryQueries.js';
import { distanceBrackets, exactBracket, type Bracket, type Cell } from './cells.js';
import {
  categoricalFeatureDrift,
  edgesFromQuantiles,
  emptyQuality,
  exactBinCounts,
  numericFeatureDrift,
  type DataQualityCounts,
  type DriftCriteria,
  type FeatureDrift,
} from './featureDrift.js';

/** Feature names in the order of the relations' n0.. and c0.. columns. */
export interface FeatureNames {
  numeric: readonly string[];
  categorical: readonly string[];
}

export interface DriftComputationOptions {
  bins: number;
  criteria: DriftCriteria;
  /** Categories kept per feature and slice, the most frequent first. */
  maxCategories: number;
  /**
   * 'exact' (default): KS D and Wasserstein from merged sorts of every value. 'bracketed':
   * from cells in one pass without sorting, each with a proven bracket; everything else
   * (quantile edges, bin counts, categories, null and non-finite counts) stays exact.
   */
  distances?: 'exact' | 'bracketed';
}

/**
 * Every feature's drift in every slice (and "all") for two relations in the standard
 * shape of src/store/driftQueries.ts: bins and categories counted inside ClickHouse, KS D
 * and Wasserstein exact from merged sorts, or bracketed from cells for inputs too large to
 * sort.
 */
export async function computeExactFeatureDrift(
  store: Store,
  relations: ComparisonRelations,
  features: FeatureNames,
  options: DriftComputationOptions,
): Promise<FeatureDrift[]> {
  const shape = {
    numericCount: relations.numericCount,
    categoricalCount: relations.categoricalCount,
    sliced: relations.sliced,
  };
  const [referenceQuality, currentQuality] = await Promise.all([
    queryQualityCounts(store, relations.reference, shape),
    queryQualityCounts(store, relations.current, shape),
  ]);
  const quality = qualityLookup(referenceQuality, currentQuality, features.numeric.length);
  const numeric = await computeNumericDrift(store, relations, features, options, quality);
  const categorical = await computeCategoricalDrift(store, relations, features, options, quality);
  return [...numeric, ...categorical].sort(worstFirst);
}

type QualityLookup = (
  slice: string,
  column: number,
) => { reference: DataQualityCounts; current: DataQualityCounts };

function qualityLookup(
  reference: Awaited<ReturnType<typeof queryQualityCounts>>,
  current: Awaited<ReturnType<typeof queryQualityCounts>>,
  numericCount: number,
): QualityLookup {
  const bySlice = (rows: typeof reference) => new Map(rows.map((row) => [row.slice, row]));
  const referenceBy = bySlice(reference);
  const currentBy = bySlice(current);
  const counts = (
    row: (typeof reference)[number] | undefined,
    column: number,
  ): DataQualityCounts =>
    row
      ? {
          rows: row.rows,
          nulls: row.nulls[column] ?? 0,
          non_finite: column < numericCount ? (row.nonFinite[column] ?? 0) : 0,
          wrong_type: 0,
        }
      : emptyQuality();
  return (slice, column) => ({
    reference: counts(referenceBy.get(slice), column),
    current: counts(currentBy.get(slice), column),
  });
}

async function computeNumericDrift(
  store: Store,
  relations: ComparisonRelations,
  layout: FeatureNames,
  options: DriftComputationOptions,
  quality: QualityLookup,
): Promise<FeatureDrift[]> {
  const reference = await queryNumericReferenceProfile(store, relations, options.bins);
  const edges: EdgesBySlice = new Map();
  for (const row of reference) {
    if (!edges.has(row.slice)) edges.set(row.slice, new Map());
    edges.get(row.slice)?.set(row.feature, edgesFromQuantiles(row.quantiles));
  }
  const key = (slice: string, feature: number) => `${slice}\u0002${feature}`;
  const binCounts = await queryBinCounts(store, relations, edges);
  const distanceBy =
    options.distances === 'bracketed'
      ? await bracketedDistances(store, relations, reference, key)
      : new Map(
          (await queryDistributionDistances(store, relations)).map((row) => [
            key(row.slice, row.feature),
            {
              ks: finiteBracket(row.ksStatistic),
              wasserstein: finiteBracket(row.wasserstein),
              slice: row.slice,
            },
          ]),
        );
  const binsBy = new Map(
    binCounts.map((row) => [`${key(row.slice, row.feature)}\u0002${row.side}`, row.counts]),
  );
  const referenceBy = new Map(reference.map((row) => [key(row.slice, row.feature), row]));
  const slices = new Set([
    ...reference.map((row) => row.slice),
    ...[...distanceBy.values()].map((row) => row.slice),
  ]);
  return [...slices].flatMap((slice) =>
    layout.numeric.map((name, feature) => {
      const id = key(slice, feature);
      const ref = referenceBy.get(id);
      const distance = distanceBy.get(id);
      const binCount = (edges.get(slice)?.get(feature)?.length ?? 0) + 1;
      const zeros = new Array<number>(binCount).fill(0);
      const counts = quality(slice, feature);
      return numericFeatureDrift(
        {
          name,
          slice: displaySlice(slice),
          reference: {
            quality: counts.reference,
            quantiles: ref?.quantiles ?? [],
            stddevPop: ref?.stddevPop ?? Number.NaN,
            min: ref?.min ?? null,
            max: ref?.max ?? null,
          },
          current: { quality: counts.current },
          binCounts: {
            reference: exactBinCounts(binsBy.get(`${id}\u0002reference`) ?? zeros),
            current: exactBinCounts(binsBy.get(`${id}\u0002current`) ?? zeros),
          },
          ks: distance?.ks ?? null,
          wasserstein: distance?.wasserstein ?? null,
        },
        options.criteria,
      );
    }),
  );
}

function finiteBracket(value: number): Bracket | null {
  return Number.isFinite(value) ? exactBracket(value) : null;
}

type DistanceEntry = { ks: Bracket | null; wasserstein: Bracket | null; slice: string };

/**
 * KS and Wasserstein brackets from cells of each feature's values, bucketed in a frame
 * centred on the reference median and scaled by its standard deviation.
 */
async function bracketedDistances(
  store: Store,
  relations: ComparisonRelations,
  reference: Awaited<ReturnType<typeof queryNumericReferenceProfile>>,
  key: (slice: string, feature: number) => string,
): Promise<Map<string, DistanceEntry>> {
  const frames = Array.from({ length: relations.numericCount }, (_, feature) => {
    const all = reference.find((row) => row.slice === ALL_SLICES && row.feature === feature);
    const median = all?.quantiles[Math.floor((all.quantiles.length - 1) / 2)] ?? 0;
    return { centre: median, scale: all?.stddevPop ?? 1 };
  });
  const rows = await queryNumericCells(store, relations, frames, FINE_BUCKET);
  const cells = new Map<string, { reference: Cell[]; current: Cell[]; slice: string }>();
  for (const row of rows) {
    const id = key(row.slice, row.feature);
    const entry = cells.get(id) ?? { reference: [], current: [], slice: row.slice };
    row.counts.forEach((count, i) =>
      entry[row.side].push({
        count,
        sum: row.sums[i] ?? 0,
        min: row.mins[i] ?? 0,
        max: row.maxs[i] ?? 0,
      }),
    );
    cells.set(id, entry);
  }
  return new Map(
    [...cells].map(([id, entry]) => {
      const distances = distanceBrackets(entry.reference, entry.current);
      return [
        id,
        {
          ks: distances?.ks ?? null,
          wasserstein: distances?.wasserstein ?? null,
          slice: entry.slice,
        },
      ];
    }),
  );
}

async function computeCategoricalDrift(
  store: Store,
  relations: ComparisonRelations,
  layout: FeatureNames,
  options: DriftComputationOptions,
  quality: QualityLookup,
): Promise<FeatureDrift[]> {
  const rows = await queryCategoryCounts(store, relations, options.maxCategories);
  type Tally = { reference: Map<string, number>; current: Map<string, number> };
  const tallies = new Map<string, Tally>();
  for (const row of rows) {
    const id = `${row.slice}\u0002${row.feature}`;
    let tally = tallies.get(id);
    if (!tally) {
      tally = { reference: new Map(), current: new Map() };
      tallies.set(id, tally);
    }
    if (row.category !== null) tally[row.side].set(row.category, row.count);
  }
  return [...tallies.entries()].map(([id, tally]) => {
    const [slice = '', feature = '0'] = id.split('\u0002');
    return categoricalFeatureDrift(
      {
        name: layout.categorical[Number(feature)] ?? '',
        slice: displaySlice(slice),
        ...tally,
        quality: quality(slice, layout.numeric.length + Number(feature)),
      },
      options.criteria,
    );
  });
}

/** "all", a report's slice value, or a monitor's "key=value" (slice ids are key\u0001value). */
export function displaySlice(slice: string): string {
  return slice === ALL_SLICES ? 'all' : slice.replace('\u0001', '=');
}

/** Drifted first, then by PSI, so a reader sees the worst at the top. */
export function worstFirst(a: FeatureDrift, b: FeatureDrift): number {
  if (a.drift !== b.drift) return a.drift ? -1 : 1;
  return (
    (b.psi ?? -1) - (a.psi ?? -1) || a.name.localeCompare(b.name) || a.slice.localeCompare(b.slice)
  );
}
