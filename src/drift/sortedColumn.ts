import { edgesFromQuantiles } from '../stats/bins.js';
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
 * Each group sorted in place (a radix sort), then from each slot's pair of sorted samples:
 * KS D and Wasserstein in one sweep, the reference's quantile edges by index, both sides'
 * bin counts by binary search, the reference's spread and range; "all" from the merge of
 * the slots' sorted values.
 */
export function columnAggregates(
  column: PlacedColumn,
  levels: readonly number[],
  withAll: boolean,
): ColumnAggregates {
  const { placed, starts } = column;
  const slotCount = (starts.length - 1) / 2 - 1;
  let largest = 0;
  for (let g = 0; g + 1 < starts.length; g += 1) {
    largest = Math.max(largest, (starts[g + 1] as number) - (starts[g] as number));
  }
  const scratch = new Float64Array(largest);
  const sortedGroup = (g: number) =>
    sortFloat64(placed.subarray(starts[g] as number, starts[g + 1] as number), scratch);
  const sorted = Array.from({ length: slotCount }, (_, slot) => ({
    reference: sortedGroup((slot + 1) * 2),
    current: sortedGroup((slot + 1) * 2 + 1),
  }));
  return {
    slots: sorted.map(({ reference, current }) => aggregatesOfSorted(reference, current, levels)),
    all: withAll
      ? aggregatesOfSorted(
          mergeAllSorted(sorted.map((sides) => sides.reference)),
          mergeAllSorted(sorted.map((sides) => sides.current)),
          levels,
        )
      : null,
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
