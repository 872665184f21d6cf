import { sortCells, type Cell } from './cells.js';
import type { FeatureSample, Samples, SliceSample } from './samples.js';

/**
 * Samples with each feature's number cells merged into at most `cells` cells (a backtest's
 * coarse pass compares window after window with one reference: fewer reference cells make
 * every comparison cheaper). Merging cells keeps every bracket proven: a merged cell's count
 * and sum are its parts' sums and its min/max span theirs, so it describes the same values,
 * only less finely (brackets widen, never exclude the exact value). Cells are merged in
 * order of their min, so neighbours merge; counts of text values, nulls and infinities, the
 * slices' events and scores are kept as they are.
 */
export function coarsenSamples(samples: Samples, cells: number): Samples {
  const slices = new Map<string, SliceSample>();
  for (const [id, slice] of samples.slices) {
    const features = new Map<string, FeatureSample>();
    for (const [name, feature] of slice.features) {
      const numbers = mergeCells(feature.numbers, cells);
      // sorted once here, as a fold's reference is, not again for every window
      features.set(name, { ...feature, numbers, sorted: sortCells(numbers) });
    }
    slices.set(id, { ...slice, features });
  }
  return { slices, featureNames: samples.featureNames };
}

/** The cells merged, in order of their min, into at most `most` runs of about equal count. */
export function mergeCells(cells: readonly Cell[], most: number): Cell[] {
  const present = cells.filter((cell) => cell.count > 0);
  if (present.length <= most) return [...present];
  const ordered = [...present].sort((a, b) => a.min - b.min || a.max - b.max);
  let total = 0;
  for (const cell of ordered) total += cell.count;
  const merged: Cell[] = [];
  let current: Cell | null = null;
  let seen = 0;
  for (const cell of ordered) {
    current = current
      ? {
          count: current.count + cell.count,
          sum: current.sum + cell.sum,
          min: Math.min(current.min, cell.min),
          max: Math.max(current.max, cell.max),
        }
      : { ...cell };
    seen += cell.count;
    // close a run once it reaches its share of the count
    if (seen >= ((merged.length + 1) * total) / most) {
      merged.push(current);
      current = null;
    }
  }
  if (current) merged.push(current);
  return merged;
}
