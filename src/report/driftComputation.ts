import type { Store } from '../store/clickhouse.js';
import {
  ALL_SLICES,
  queryBinCounts,
  queryCategoryCounts,
  queryDistributionDistances,
  queryNumericCurrentCounts,
  queryNumericReferenceProfile,
  type ComparisonRelations,
  type EdgesBySlice,
} from '../store/driftQueries.js';
import {
  categoricalFeatureDrift,
  edgesFromQuantiles,
  numericFeatureDrift,
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
}

/**
 * Every feature's drift in every slice (and "all") for two relations in the standard
 * shape of src/store/driftQueries.ts: a handful of queries, each scanning both once.
 */
export async function computeFeatureDrift(
  store: Store,
  relations: ComparisonRelations,
  features: FeatureNames,
  options: DriftComputationOptions,
): Promise<FeatureDrift[]> {
  const numeric = await computeNumericDrift(
    store,
    relations,
    features,
    options.bins,
    options.criteria,
  );
  const categorical = await computeCategoricalDrift(
    store,
    relations,
    features,
    options.criteria,
    options.maxCategories,
  );
  return [...numeric, ...categorical].sort(worstFirst);
}

async function computeNumericDrift(
  store: Store,
  relations: ComparisonRelations,
  layout: FeatureNames,
  bins: number,
  criteria: DriftCriteria,
): Promise<FeatureDrift[]> {
  const reference = await queryNumericReferenceProfile(store, relations, bins);
  const edges: EdgesBySlice = new Map();
  for (const row of reference) {
    if (!edges.has(row.slice)) edges.set(row.slice, new Map());
    edges.get(row.slice)?.set(row.feature, edgesFromQuantiles(row.quantiles));
  }
  const [current, binCounts, distances] = await Promise.all([
    queryNumericCurrentCounts(store, relations),
    queryBinCounts(store, relations, edges),
    queryDistributionDistances(store, relations),
  ]);
  const key = (slice: string, feature: number) => `${slice}\u0001${feature}`;
  const currentBy = new Map(current.map((row) => [key(row.slice, row.feature), row]));
  const binsBy = new Map(
    binCounts.map((row) => [`${key(row.slice, row.feature)}\u0001${row.side}`, row.counts]),
  );
  const distanceBy = new Map(distances.map((row) => [key(row.slice, row.feature), row]));
  const referenceBy = new Map(reference.map((row) => [key(row.slice, row.feature), row]));
  const slices = new Set([
    ...reference.map((row) => row.slice),
    ...current.map((row) => row.slice),
  ]);
  return [...slices].flatMap((slice) =>
    layout.numeric.map((name, feature) => {
      const id = key(slice, feature);
      const ref = referenceBy.get(id);
      const cur = currentBy.get(id);
      const binCount = (edges.get(slice)?.get(feature)?.length ?? 0) + 1;
      const zeros = new Array<number>(binCount).fill(0);
      return numericFeatureDrift(
        {
          name,
          slice: displaySlice(slice),
          reference: {
            n: ref?.n ?? 0,
            nulls: ref?.nulls ?? 0,
            quantiles: ref?.quantiles ?? [],
            stddevPop: ref?.stddevPop ?? Number.NaN,
            min: ref?.min ?? null,
            max: ref?.max ?? null,
          },
          current: { n: cur?.n ?? 0, nulls: cur?.nulls ?? 0 },
          binCounts: {
            reference: binsBy.get(`${id}\u0001reference`) ?? zeros,
            current: binsBy.get(`${id}\u0001current`) ?? zeros,
          },
          ksStatistic: distanceBy.get(id)?.ksStatistic ?? Number.NaN,
          wasserstein: distanceBy.get(id)?.wasserstein ?? Number.NaN,
        },
        criteria,
      );
    }),
  );
}

async function computeCategoricalDrift(
  store: Store,
  relations: ComparisonRelations,
  layout: FeatureNames,
  criteria: DriftCriteria,
  maxCategories: number,
): Promise<FeatureDrift[]> {
  const rows = await queryCategoryCounts(store, relations, maxCategories);
  type Tally = {
    reference: Map<string, number>;
    current: Map<string, number>;
    nulls: { reference: number; current: number };
  };
  const tallies = new Map<string, Tally>();
  for (const row of rows) {
    const id = `${row.slice}\u0001${row.feature}`;
    let tally = tallies.get(id);
    if (!tally) {
      tally = { reference: new Map(), current: new Map(), nulls: { reference: 0, current: 0 } };
      tallies.set(id, tally);
    }
    if (row.category === null) tally.nulls[row.side] += row.count;
    else tally[row.side].set(row.category, row.count);
  }
  return [...tallies.entries()].map(([id, tally]) => {
    const [slice = '', feature = '0'] = id.split('\u0001');
    return categoricalFeatureDrift(
      { name: layout.categorical[Number(feature)] ?? '', slice: displaySlice(slice), ...tally },
      criteria,
    );
  });
}

export function displaySlice(slice: string): string {
  return slice === ALL_SLICES ? 'all' : slice;
}

/** Drifted first, then by PSI, so a reader sees the worst at the top. */
export function worstFirst(a: FeatureDrift, b: FeatureDrift): number {
  if (a.drift !== b.drift) return a.drift ? -1 : 1;
  return (
    (b.psi ?? -1) - (a.psi ?? -1) || a.name.localeCompare(b.name) || a.slice.localeCompare(b.slice)
  );
}
