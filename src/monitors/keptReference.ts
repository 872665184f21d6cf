import type { Store } from '../store/clickhouse.js';
import {
  queryFeatureSliceValues,
  type FeatureSliceRequest,
  type FinerCellRequest,
} from '../store/narrowingQueries.js';
import { finerCellsOfSorted, type FinerCell } from '../drift/narrowing.js';
import type { ProfileSource } from '../store/profileQueries.js';
import type { ProfileSliceKey } from '../drift/slices.js';

/**
 * A stored baseline's reference side, kept across a backtest's windows for narrowing
 * (narrowVerdicts.ts). Narrowing one window reads its straddling (feature, slice) pairs'
 * finer cells from the baseline's rows: a scan of every row (1-3 s for 1M rows of 25
 * features on this machine), window after window, although the baseline does not change.
 * Kept, a pair's values are read once (the pairs a window needs in one scan), sorted, and
 * every later window's finer cells of that pair are counted from them in memory
 * (finerCellsOfSorted: the same cells as the query's, each sum added in ascending order
 * instead of the engine's order, which the cells' bounds allow). Reading a feature in every
 * slice at once, or every feature, was measured and costs more than it saves (the scan
 * grows with the pairs asked for: 9-89 s against 1-3 s at load 8-9). Past `maxValues`
 * values kept, a pair is read by the query as before.
 */
export interface KeptReference {
  /** The baseline it keeps (a window of another version reads by the query). */
  readonly source: ProfileSource & { kind: 'stored' };
  /** Per request, its finer cells; null for one whose values are not kept (over the bound). */
  finerCells(requests: readonly FinerCellRequest[]): Promise<(FinerCell[] | null)[]>;
}

/** About 400 MB of values: a few dozen pairs of a 1M-row baseline. */
export const DEFAULT_KEPT_REFERENCE_VALUES = 50_000_000;

export function keepReference(
  store: Store,
  source: ProfileSource & { kind: 'stored' },
  keys: readonly ProfileSliceKey[],
  maxValues = DEFAULT_KEPT_REFERENCE_VALUES,
): KeptReference {
  const kept = new Map<string, Promise<Float64Array>>();
  let values = 0;
  const keyOf = (request: FeatureSliceRequest) => `${request.feature}\u0002${request.sliceId}`;

  /** Reads, in one query, the requested pairs not kept yet (while under the bound). */
  function readMissing(requests: readonly FeatureSliceRequest[]): void {
    if (values > maxValues) return;
    const missing = [
      ...new Map(
        requests.filter((r) => !kept.has(keyOf(r))).map((r) => [keyOf(r), r] as const),
      ).values(),
    ];
    if (missing.length === 0) return;
    const read = queryFeatureSliceValues(store, source, keys, missing);
    missing.forEach((request, i) => {
      const one = read.then((all) => all[i] ?? new Float64Array(0));
      kept.set(keyOf(request), one);
      one.then(
        (array) => (values += array.length),
        // a failed read is tried again by the next window (this one's query fails as before)
        () => {
          if (kept.get(keyOf(request)) === one) kept.delete(keyOf(request));
        },
      );
    });
  }

  return {
    source,
    async finerCells(requests) {
      readMissing(requests.filter((request) => request.intervals.length > 0));
      return Promise.all(
        requests.map(async (request) => {
          if (request.intervals.length === 0) return [];
          const sorted = kept.get(keyOf(request));
          return sorted ? finerCellsOfSorted(await sorted, request.intervals) : null;
        }),
      );
    },
  };
}
