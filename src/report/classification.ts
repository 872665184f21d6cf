import { displaySlice } from '../drift/exactDrift.js';
import { aurocFromCounts, mannWhitneyOfSorted } from '../stats/index.js';
import type { ScoreHistogram } from '../stats/scoreHistogram.js';
import type { ScoredRead } from './measurePerformance.js';

/** The report's `classification` section: the current file's AUROC and positive rates. */
export interface ClassificationEntry {
  slice: string;
  n: number;
  auroc: number | null;
  positive_rate: { labels: number | null; predicted: number | null };
}

/** What one group's entry is made of (the counts queryClassificationAggregates sums). */
export interface ClassificationCounts {
  slice: string;
  n: number;
  positives: number;
  negatives: number;
  predictedPositives: number;
  scored: number;
  pairsWon: number;
}

export function classificationEntry(counts: ClassificationCounts): ClassificationEntry {
  const labelled = counts.positives + counts.negatives;
  return {
    slice: counts.slice,
    n: counts.n,
    auroc:
      counts.positives > 0 && counts.negatives > 0
        ? aurocFromCounts({
            positives: counts.positives,
            negatives: counts.negatives,
            pairsWon: counts.pairsWon,
          })
        : null,
    positive_rate: {
      labels: labelled > 0 ? counts.positives / labelled : null,
      predicted: counts.scored > 0 ? counts.predictedPositives / counts.scored : null,
    },
  };
}

/** "all" first, then the slices in locale order. */
export function sortClassification(entries: ClassificationEntry[]): ClassificationEntry[] {
  return entries.sort((a, b) =>
    a.slice === 'all' ? -1 : b.slice === 'all' ? 1 : a.slice.localeCompare(b.slice),
  );
}

/**
 * The section from the performance section's sorted read of the current file: one sweep of
 * each histogram. Each positive wins the pairs with the negatives below its score and half
 * those tied with it, as roc_auc_score (and the SQL path's window sum) counts them; every
 * count is an integer or a half, so the sums are exact whatever their order. `allRows` is
 * the file's row count (n counts rows without a score too).
 */
export function classificationOfRead(
  read: ScoredRead,
  allRows: number,
  threshold: number,
  sliced: boolean,
): ClassificationEntry[] {
  if (allRows === 0) return []; // no rows, no group (as GROUP BY gives none)
  const entries = [classificationEntry(countsOf('all', allRows, read.all, threshold))];
  if (sliced)
    read.slices.forEach((slice, i) =>
      entries.push(
        classificationEntry(
          countsOf(displaySlice(slice), read.sliceRows[i] ?? 0, read.groups[i], threshold),
        ),
      ),
    );
  return sortClassification(entries);
}

function countsOf(
  slice: string,
  n: number,
  histogram: ScoreHistogram | undefined,
  threshold: number,
): ClassificationCounts {
  if (!histogram)
    return { slice, n, positives: 0, negatives: 0, predictedPositives: 0, scored: 0, pairsWon: 0 };
  let scored = 0;
  let predictedPositives = 0;
  for (let r = 0; r < histogram.score.length; r += 1) {
    const rows = histogram.positives[r]! + histogram.negatives[r]! + histogram.unlabelled[r]!;
    scored += rows;
    if (histogram.score[r]! >= threshold) predictedPositives += rows;
  }
  return {
    slice,
    n,
    ...mannWhitneyOfSorted(histogram.positives, histogram.negatives),
    predictedPositives,
    scored,
  };
}
