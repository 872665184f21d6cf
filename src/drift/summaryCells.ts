/**
 * What the window summaries hold (migration 0006, filled by 0009's views), as the drift
 * stage folds them: cells per (feature, slice combination, state), in three time grains
 * (timeWindow.ts).
 * The store reads them (store/summaryQueries.ts); samples.ts folds them into slices.
 */
export type CellState =
  'number' | 'string' | 'null' | 'pos_inf' | 'neg_inf' | 'nan' | 'event' | 'score';

/** One combination of slice attributes' values, by the hash the summaries key it with. */
export interface SliceCombo {
  hash: string;
  attributes: Record<string, string>;
}

/**
 * Numbers arrive as arrays from a JSON answer (queryCells) and as typed views into the
 * answer's columns from an Arrow one (queryCellsByWindow), which costs no copy.
 */
export interface CellGroup<Numbers extends ArrayLike<number> = ArrayLike<number>> {
  feature: string;
  sliceHash: string;
  state: CellState;
  frame: number;
  /** For strings: the categories; otherwise empty. */
  categories: string[];
  /** The cells' bucket keys (within a frame). */
  buckets: Numbers;
  counts: Numbers;
  sums: Numbers;
  mins: Numbers;
  maxs: Numbers;
}
