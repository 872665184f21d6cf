import type { Store } from '../store/clickhouse.js';
import { binQuantileLevels, edgesFromQuantiles } from '../stats/bins.js';
import {
  ALL_SLICES,
  queryBinCounts,
  queryCategoryCounts,
  queryNumericCells,
  queryNumericReferenceProfile,
  queryNumericColumns,
  queryQualityCounts,
  type ComparisonRelations,
  type NumericColumnsBatch,
  type EdgesBySlice,
} from '../store/driftQueries.js';
import { FINE_BUCKET } from '../store/summaryQueries.js';
import { distanceBrackets, type Bracket, type Cell } from './cells.js';
import { poolSize, startColumnPool } from './columnPool.js';
import {
  categoricalFeatureDrift,
  emptyQuality,
  exactBinCounts,
  numericFeatureDrift,
  worstFirst,
  type DataQualityCounts,
  type DriftCriteria,
  type FeatureDrift,
} from './featureDrift.js';
import {
  columnAggregates,
  placeColumn,
  type ColumnAggregates,
  type NumericAggregates,
  type PlacedColumn,
} from './sortedColumn.js';

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
   * 'exact' (default): every numeric column's values read per slice and side in
   * JavaScript, KS D, Wasserstein, quantile edges and bin counts exact from cells with a
   * second pass that sorts only the cells it needs (src/drift/sortedColumn.ts). 'bracketed': from cells in one pass without sorting, each with a proven bracket;
   * everything else (quantile edges, bin counts, categories, null and non-finite counts)
   * stays exact.
   */
  distances?: 'exact' | 'bracketed';
  /**
   * The exact mode's memory budget: values (rows × features) that cross from ClickHouse per
   * query, as many numeric columns per query as fit, at least one. VALUES_PER_QUERY unless
   * set (tests set it low to split the columns over several queries).
   */
  valuesPerQuery?: number;
  /**
   * Worker threads that sort the exact mode's columns: as many as cores (at most 4) from
   * WORKERS_FROM_ROWS rows on, none (this thread sorts) below, unless set.
   */
  workers?: number;
  /**
   * Comparisons of at least this many values (both sides) are read from cells with a second
   * pass (src/stats/exactCells.ts), smaller ones sorted: sortedColumn.ts's threshold unless
   * set (tests set 0 to take the cells' path on small data).
   */
  cellsFrom?: number;
}

/** Below this many rows a worker's start (tens of milliseconds) costs more than it saves. */
const WORKERS_FROM_ROWS = 200_000;

/**
 * Every feature's drift in every slice (and "all") for two relations in the standard
 * shape of src/store/driftQueries.ts: categories and quality counted inside ClickHouse;
 * numeric features exact from sorted columns, or with KS and Wasserstein bracketed from
 * cells for inputs too large to sort.
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
  const slices = [...new Set([...referenceQuality, ...currentQuality].map((row) => row.slice))];
  // the rows whose values the exact mode reads: every group's, "all" aside when sliced
  const rows = [...referenceQuality, ...currentQuality]
    .filter((row) => !(relations.sliced && row.slice === ALL_SLICES))
    .reduce((total, row) => total + row.rows, 0);
  // the categories are counted by ClickHouse while JavaScript sorts the numeric columns
  const [numeric, categorical] = await Promise.all([
    computeNumericDrift(store, relations, features, options, quality, slices, rows),
    computeCategoricalDrift(store, relations, features, options, quality),
  ]);
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

const sliceFeatureKey = (slice: string, feature: number) => `${slice}\u0002${feature}`;

async function computeNumericDrift(
  store: Store,
  relations: ComparisonRelations,
  layout: FeatureNames,
  options: DriftComputationOptions,
  quality: QualityLookup,
  slices: readonly string[],
  rows: number,
): Promise<FeatureDrift[]> {
  if (relations.numericCount === 0) return [];
  const aggregates =
    options.distances === 'bracketed'
      ? await bracketedAggregates(store, relations, options.bins, slices)
      : await sortedAggregates(store, relations, options.bins, slices, {
          rows,
          valuesPerQuery: options.valuesPerQuery ?? VALUES_PER_QUERY,
          workers: options.workers ?? (rows >= WORKERS_FROM_ROWS ? poolSize() : 0),
          cellsFrom: options.cellsFrom,
        });
  return slices.flatMap((slice) =>
    layout.numeric.map((name, feature) => {
      const found = aggregates.get(sliceFeatureKey(slice, feature));
      const counts = quality(slice, feature);
      return numericFeatureDrift(
        {
          name,
          slice: displaySlice(slice),
          reference: {
            quality: counts.reference,
            quantiles: found?.quantiles ?? [],
            stddevPop: found?.stddevPop ?? Number.NaN,
            min: found?.min ?? null,
            max: found?.max ?? null,
          },
          current: { quality: counts.current },
          binCounts: {
            reference: exactBinCounts(found?.binCounts.reference ?? [0]),
            current: exactBinCounts(found?.binCounts.current ?? [0]),
          },
          ks: found?.ks ?? null,
          wasserstein: found?.wasserstein ?? null,
        },
        options.criteria,
      );
    }),
  );
}

/**
 * Values of this many rows × features cross from ClickHouse per query (8 bytes each, plus
 * 4 a row for its group; the next query's as many while these are sorted): 4 columns of
 * two 1M-row files, one column above 4M rows. Measured per column of 2M rows: 111 ms one
 * per query, 52 ms four, 44 ms seven, 41 ms ten; twenty at once 140 ms (a 320 MB answer).
 * The report's statistics took the same time at 8M and 16M, peak RSS 1.73 against 2.14 GiB.
 */
const VALUES_PER_QUERY = 8_000_000;

/**
 * Exact aggregates from sorted values, a few numeric columns at a time (memory holds those
 * columns' values, not the table): the columns' values cross from ClickHouse as Arrow
 * columns — the next columns' while these are sorted — and each column, placed by slice
 * and side on this thread, is sorted and summed up on a worker thread
 * (src/drift/sortedColumn.ts), one column per core at a time.
 */
async function sortedAggregates(
  store: Store,
  relations: ComparisonRelations,
  bins: number,
  slices: readonly string[],
  budget: { rows: number; valuesPerQuery: number; workers: number; cellsFrom?: number },
): Promise<Map<string, NumericAggregates>> {
  const levels = binQuantileLevels(bins);
  // sliced: one group per slice value, "all" merged from them; otherwise the relations'
  // slice column already names every group (ALL_SLICES among them)
  const groups = relations.sliced ? slices.filter((slice) => slice !== ALL_SLICES) : slices;
  const aggregates = new Map<string, NumericAggregates>();
  if (groups.length === 0) return aggregates; // no rows on either side
  const perQuery = Math.max(1, Math.floor(budget.valuesPerQuery / Math.max(1, budget.rows)));
  const chunks: number[][] = [];
  for (let first = 0; first < relations.numericCount; first += perQuery) {
    const last = Math.min(relations.numericCount, first + perQuery);
    chunks.push(Array.from({ length: last - first }, (_, i) => first + i));
  }
  const query = (features: readonly number[] | undefined) =>
    features ? queryNumericColumns(store, relations, features, groups) : undefined;
  const pool = budget.workers > 0 ? startColumnPool(budget.workers) : undefined;
  const columnOptions = budget.cellsFrom === undefined ? {} : { cellsFrom: budget.cellsFrom };
  const aggregate = async (column: PlacedColumn) =>
    pool
      ? pool.aggregate(column, levels, relations.sliced, columnOptions)
      : columnAggregates(column, levels, relations.sliced, columnOptions);
  const record = (feature: number, column: ColumnAggregates) => {
    groups.forEach((slice, slot) => {
      aggregates.set(sliceFeatureKey(slice, feature), column.slots[slot] as NumericAggregates);
    });
    if (column.all) aggregates.set(sliceFeatureKey(ALL_SLICES, feature), column.all);
  };
  try {
    let next = query(chunks[0]);
    // columns being sorted: the next chunk is placed once fewer than one per worker remain,
    // so that every worker stays busy even at one column per query (large tables), and
    // memory holds at most a chunk and a column per worker besides the query in flight
    const sorting = new Set<Promise<void>>();
    const busy = Math.max(1, budget.workers);
    for (let c = 0; next; c += 1) {
      const placed = placeChunk(await next, chunks[c]?.length ?? 0, groups.length);
      next = query(chunks[c + 1]);
      (chunks[c] ?? []).forEach((feature, column) => {
        const done = aggregate(placed[column] as PlacedColumn).then((result) =>
          record(feature, result),
        );
        sorting.add(done);
        // a failure is thrown where the set is awaited, never left unhandled
        done.then(
          () => sorting.delete(done),
          () => undefined,
        );
      });
      while (sorting.size >= busy) await Promise.race(sorting);
    }
    await Promise.all(sorting);
  } finally {
    await pool?.close();
  }
  return aggregates;
}

/** Each column of a query's answer placed by group (the answer itself then let go). */
function placeChunk(
  batches: readonly NumericColumnsBatch[],
  columns: number,
  slots: number,
): PlacedColumn[] {
  return Array.from({ length: columns }, (_, column) =>
    placeColumn(
      batches.map((batch) => ({ group: batch.group, value: batch.values[column] as Float64Array })),
      slots,
    ),
  );
}

/**
 * Aggregates without sorting: quantiles and bin counts counted by ClickHouse (exact), KS
 * and Wasserstein bracketed from cells.
 */
async function bracketedAggregates(
  store: Store,
  relations: ComparisonRelations,
  bins: number,
  slices: readonly string[],
): Promise<Map<string, NumericAggregates>> {
  const reference = await queryNumericReferenceProfile(store, relations, bins);
  // a slice without reference rows still has its current values counted (in one bin)
  const edges: EdgesBySlice = new Map(slices.map((slice) => [slice, new Map()]));
  for (const row of reference) {
    if (!edges.has(row.slice)) edges.set(row.slice, new Map());
    edges.get(row.slice)?.set(row.feature, edgesFromQuantiles(row.quantiles));
  }
  const [binCounts, distances] = await Promise.all([
    queryBinCounts(store, relations, edges),
    bracketedDistances(store, relations, reference),
  ]);
  const binsBy = new Map(
    binCounts.map((row) => [
      `${sliceFeatureKey(row.slice, row.feature)}\u0002${row.side}`,
      row.counts,
    ]),
  );
  const referenceBy = new Map(
    reference.map((row) => [sliceFeatureKey(row.slice, row.feature), row]),
  );
  const aggregates = new Map<string, NumericAggregates>();
  for (const id of new Set([...referenceBy.keys(), ...distances.keys()])) {
    const row = referenceBy.get(id);
    const [slice = '', feature = '0'] = id.split('\u0002');
    const zeros = () =>
      new Array<number>((edges.get(slice)?.get(Number(feature))?.length ?? 0) + 1).fill(0);
    aggregates.set(id, {
      quantiles: row?.quantiles ?? [],
      stddevPop: row?.stddevPop ?? Number.NaN,
      min: row?.min ?? null,
      max: row?.max ?? null,
      binCounts: {
        reference: binsBy.get(`${id}\u0002reference`) ?? zeros(),
        current: binsBy.get(`${id}\u0002current`) ?? zeros(),
      },
      ks: distances.get(id)?.ks ?? null,
      wasserstein: distances.get(id)?.wasserstein ?? null,
    });
  }
  return aggregates;
}

type DistanceEntry = { ks: Bracket | null; wasserstein: Bracket | null };

/**
 * KS and Wasserstein brackets from cells of each feature's values, bucketed in a frame
 * centred on the reference median and scaled by its standard deviation.
 */
async function bracketedDistances(
  store: Store,
  relations: ComparisonRelations,
  reference: Awaited<ReturnType<typeof queryNumericReferenceProfile>>,
): Promise<Map<string, DistanceEntry>> {
  const frames = Array.from({ length: relations.numericCount }, (_, feature) => {
    const all = reference.find((row) => row.slice === ALL_SLICES && row.feature === feature);
    const median = all?.quantiles[Math.floor((all.quantiles.length - 1) / 2)] ?? 0;
    return { centre: median, scale: all?.stddevPop ?? 1 };
  });
  const rows = await queryNumericCells(store, relations, frames, FINE_BUCKET);
  const cells = new Map<string, { reference: Cell[]; current: Cell[] }>();
  for (const row of rows) {
    const id = sliceFeatureKey(row.slice, row.feature);
    const entry = cells.get(id) ?? { reference: [], current: [] };
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
      return [id, { ks: distances?.ks ?? null, wasserstein: distances?.wasserstein ?? null }];
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
