import { displaySlice } from '../drift/exactDrift.js';
import { aurocFromCounts, mannWhitneyOfSorted } from '../stats/index.js';
import type { ScoreHistogram } from '../stats/scoreHistogram.js';
import { ALL_SLICES } from '../store/driftQueries.js';
import type { ScoreRowCounts } from '../store/performanceQueries.js';
import type { ScoredRead } from './measurePerformance.js';
import { compareSliceKeys } from './performance.js';

/** The report's `classification` section: the current file's AUROC and positive rates. */
export interface ClassificationEntry {
  slice: string;
  /** Every row of the slice, scored or not. */
  n: number;
  auroc: number | null;
  positive_rate: { labels: number | null; predicted: number | null };
  /**
   * Rows left out of AUROC and both positive rates: no score (empty, or text), and a score
   * that is NaN, +inf or −inf (a number, but not a value; roc_auc_score refuses them).
   */
  excluded_scores: { nulls: number; non_finite: number };
}

/**
 * The section from the binary read of the current file (the performance section's, or one of
 * its own): one sweep of each histogram. Only rows with a finite score are in a histogram;
 * each positive wins the pairs with the negatives below its score and half those tied with
 * it (−0 is 0), as roc_auc_score counts them; every count is an integer or a half, so the
 * sums are exact whatever their order. All rows first, then each slice in locale order (a
 * slice may be named "all": it is keyed apart from all rows and shown after them).
 */
export function classificationOfRead(
  read: ScoredRead,
  threshold: number,
  sliced: boolean,
): ClassificationEntry[] {
  if (read.allCounts.rows === 0) return []; // no rows, no group
  const groups = [{ key: ALL_SLICES, counts: read.allCounts, histogram: read.all }];
  if (sliced)
    read.slices.forEach((slice, i) =>
      groups.push({
        key: slice,
        counts: read.sliceCounts[i] as ScoreRowCounts,
        histogram: read.groups[i] as ScoreHistogram,
      }),
    );
  return groups
    .sort((a, b) => compareSliceKeys(a.key, b.key, ALL_SLICES))
    .map((group) => entryOf(displaySlice(group.key), group.counts, group.histogram, threshold));
}

function entryOf(
  slice: string,
  counts: ScoreRowCounts,
  histogram: ScoreHistogram,
  threshold: number,
): ClassificationEntry {
  let scored = 0;
  let predictedPositives = 0;
  for (let r = 0; r < histogram.score.length; r += 1) {
    const rows = histogram.positives[r]! + histogram.negatives[r]! + histogram.unlabelled[r]!;
    scored += rows;
    if (histogram.score[r]! >= threshold) predictedPositives += rows;
  }
  const { positives, negatives, pairsWon } = mannWhitneyOfSorted(
    histogram.positives,
    histogram.negatives,
  );
  const labelled = positives + negatives;
  return {
    slice,
    n: counts.rows,
    auroc:
      positives > 0 && negatives > 0 ? aurocFromCounts({ positives, negatives, pairsWon }) : null,
    positive_rate: {
      labels: labelled > 0 ? positives / labelled : null,
      predicted: scored > 0 ? predictedPositives / scored : null,
    },
    excluded_scores: { nulls: counts.nulls, non_finite: counts.nonFinite },
  };
}
