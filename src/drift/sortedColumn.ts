import { edgesFromQuantiles } from '../stats/bins.js';
import {
  addPairCells,
  addToCells,
  cellStatistics,
  clearPairCells,
  createPairCells,
  frameOf,
  populationStdDevOfValues,
  type PairCells,
} from '../stats/exactCells.js';
import { mergeAllSorted, sortFloat64 } from '../stats/sortFloat64.js';
import {
  populationStdDev,
  quantileExactInclusive,
  sortedBinCounts,
  sortedDistances,
} from '../stats/sortedSample.js';
import type { Bracket } from './cells.js';

/**
 * The exact aggregates of one numeric column, from its finite values placed by group
 * (pure: what src/drift/sortedColumnWorker.ts runs on worker threads). It imports only
 * the few stats modules it needs: every worker loads them at its start.
 */

/** What a numeric feature's entry in one slice is built from. */
export interface NumericAggregates {
  /** The reference's quantiles at k/bins (empty without values), its spread and range. */
  quantiles: number[];
  stddevPop: number;
  min: number | null;
  max: number | null;
  /** Finite values per bin on the reference's edges. */
  binCounts: { reference: number[]; current: number[] };
  ks: Bracket | null;
  wasserstein: Bracket | null;
}

/**
 * One column's finite values placed by group: group g = (slot + 1) · 2 + side holds
 * placed[starts[g] .. starts[g + 1]); groups 0 and 1 are empty.
 */
export interface PlacedColumn {
  placed: Float64Array;
  starts: Uint32Array;
}

export interface ColumnAggregates {
  /** Per slot (slice asked for), in order. */
  slots: NumericAggregates[];
  /** The merge of every slot ("all"), when asked for. */
  all: NumericAggregates | null;
}

/**
 * Below this many values a comparison (both sides) is sorted: a radix sort of so few costs
 * less than walking the cells (2^16 of them).
 */
const CELLS_FROM_VALUES = 65_536;

export interface ColumnAggregatesOptions {
  /** Comparisons of at least this many values (both sides) are read from cells. */
  cellsFrom?: number;
}

/**
 * Each slot's pair of samples, and "all" (every slot's values), read from cells of their
 * column's range with a second pass that sorts only the cells it needs
 * (src/stats/exactCells.ts): KS D, the reference's quantile edges, range and bin counts bit
 * for bit what the sorted samples give, Wasserstein and the spread the same real numbers by
 * other roundings. "all"'s cells are the slots' cells added. Small comparisons, and values
 * near the float limits, are sorted in place (a radix sort) and swept instead.
 */
export function columnAggregates(
  column: PlacedColumn,
  levels: readonly number[],
  withAll: boolean,
  options: ColumnAggregatesOptions = {},
): ColumnAggregates {
  const cellsFrom = options.cellsFrom ?? CELLS_FROM_VALUES;
  const { placed, starts } = column;
  const slotCount = (starts.length - 1) / 2 - 1;
  const group = (g: number) => placed.subarray(starts[g] as number, starts[g + 1] as number);
  const sides = Array.from({ length: slotCount }, (_, slot) => ({
    reference: group((slot + 1) * 2),
    current: group((slot + 1) * 2 + 1),
  }));
  const size = sides.reduce(
    (total, pair) => total + pair.reference.length + pair.current.length,
    0,
  );
  const tables = size >= cellsFrom ? cellTables() : undefined;
  // one frame for the column: the slots' cells then add up to "all"'s
  const frame = tables ? frameOf([placed]) : undefined;
  if (tables && frame) clearPairCells(tables.all, frame);
  const slots = sides.map(({ reference, current }) => {
    const viaCells = tables && frame && reference.length + current.length >= cellsFrom;
    let found: NumericAggregates | undefined;
    if (viaCells) {
      clearPairCells(tables.slot, frame);
      addToCells(tables.slot, 'reference', reference);
      addToCells(tables.slot, 'current', current);
      if (withAll) addPairCells(tables.all, tables.slot);
      found = aggregatesOfCells(tables.slot, [reference], [current], levels);
    } else if (withAll && tables) {
      addToCells(tables.all, 'reference', reference);
      addToCells(tables.all, 'current', current);
    }
    // the values stay the same multiset when sorted: "all" still reads them
    return found ?? aggregatesOfSorted(sortFloat64(reference), sortFloat64(current), levels);
  });
  let all: NumericAggregates | null = null;
  if (withAll) {
    const references = sides.map((pair) => pair.reference);
    const currents = sides.map((pair) => pair.current);
    all =
      (tables ? aggregatesOfCells(tables.all, references, currents, levels) : undefined) ??
      aggregatesOfSorted(
        mergeAllSorted(references.map((values) => sortFloat64(values.slice()))),
        mergeAllSorted(currents.map((values) => sortFloat64(values.slice()))),
        levels,
      );
  }
  return { slots, all };
}

let tablesOfThisThread: { slot: PairCells; all: PairCells } | undefined;

/** A slot's cells and "all"'s, made once per thread (4 MB) and reused column after column. */
function cellTables(): { slot: PairCells; all: PairCells } {
  tablesOfThisThread ??= { slot: createPairCells(), all: createPairCells() };
  return tablesOfThisThread;
}

function aggregatesOfCells(
  cells: PairCells,
  reference: readonly Float64Array[],
  current: readonly Float64Array[],
  levels: readonly number[],
): NumericAggregates | undefined {
  const statistics = cellStatistics(cells, reference, current, levels);
  if (!statistics) return undefined;
  const largest = Math.max(Math.abs(statistics.min ?? 0), Math.abs(statistics.max ?? 0));
  return {
    quantiles: statistics.quantiles,
    stddevPop: populationStdDevOfValues(reference, largest),
    min: statistics.min,
    max: statistics.max,
    binCounts: statistics.binCounts,
    ks: finiteBracket(statistics.ks),
    wasserstein: finiteBracket(statistics.wasserstein),
  };
}

/**
 * One column of Arrow batches (values with NaN where there is none, and each row's group)
 * placed by group, as a counting sort does: counted first, then each group a contiguous run.
 */
export function placeColumn(
  batches: readonly { group: Uint32Array; value: Float64Array }[],
  slots: number,
): PlacedColumn {
  const starts = new Uint32Array((slots + 1) * 2 + 1);
  for (const { group, value } of batches) {
    for (let i = 0; i < group.length; i += 1) {
      const x = value[i] as number;
      if (x === x) starts[(group[i] as number) + 1]! += 1;
    }
  }
  for (let g = 1; g < starts.length; g += 1) starts[g]! += starts[g - 1] as number;
  const placed = new Float64Array(starts[starts.length - 1] as number);
  const next = starts.slice(0, -1);
  for (const { group, value } of batches) {
    for (let i = 0; i < group.length; i += 1) {
      const x = value[i] as number;
      if (x !== x) continue;
      const g = group[i] as number;
      const at = next[g] as number;
      placed[at] = x;
      next[g] = at + 1;
    }
  }
  return { placed, starts };
}

function aggregatesOfSorted(
  reference: Float64Array,
  current: Float64Array,
  levels: readonly number[],
): NumericAggregates {
  const quantiles =
    reference.length > 0 ? levels.map((level) => quantileExactInclusive(reference, level)) : [];
  const edges = edgesFromQuantiles(quantiles);
  const distances = sortedDistances(reference, current);
  return {
    quantiles,
    stddevPop: populationStdDev(reference),
    min: reference.length > 0 ? (reference[0] as number) : null,
    max: reference.length > 0 ? (reference[reference.length - 1] as number) : null,
    binCounts: {
      reference: sortedBinCounts(reference, edges),
      current: sortedBinCounts(current, edges),
    },
    ks: finiteBracket(distances.ks),
    wasserstein: finiteBracket(distances.wasserstein),
  };
}

function finiteBracket(value: number): Bracket | null {
  return Number.isFinite(value) ? { value, lower: value, upper: value } : null;
}
