/**
 * AUROC as scikit-learn's roc_auc_score computes it, ties counting half: the Mann-Whitney
 * count pairsWon = Σ over positives of (negatives scored lower + ½ negatives scored equal),
 * which SQL aggregates, over positives × negatives. NaN without both classes (sklearn raises).
 */
export function aurocFromCounts(counts: {
  positives: number;
  negatives: number;
  pairsWon: number;
}): number {
  const { positives, negatives, pairsWon } = counts;
  if (!(positives > 0 && negatives > 0) || Number.isNaN(pairsWon)) return NaN;
  return pairsWon / (positives * negatives);
}

export interface ScoreHistogramRow {
  score: number;
  positives: number;
  negatives: number;
}

/**
 * The Mann-Whitney counts of distinct scores in ascending order, given as parallel
 * positive and negative counts: each positive wins the pairs with the negatives below it and
 * half those tied with it. Every term is a whole or half number, so the sums are exact.
 */
export function mannWhitneyOfSorted(
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
): { positives: number; negatives: number; pairsWon: number } {
  let negativesBelow = 0;
  let positivesSeen = 0;
  let pairsWon = 0;
  for (let r = 0; r < positives.length; r += 1) {
    const p = positives[r] ?? 0;
    const q = negatives[r] ?? 0;
    pairsWon += p * (negativesBelow + q / 2);
    negativesBelow += q;
    positivesSeen += p;
  }
  return { positives: positivesSeen, negatives: negativesBelow, pairsWon };
}

/** The same from a table of distinct scores with their positive and negative counts. */
export function aurocFromScoreHistogram(rows: readonly ScoreHistogramRow[]): number {
  const sorted = [...rows].sort((a, b) => a.score - b.score);
  return aurocFromCounts(
    mannWhitneyOfSorted(
      sorted.map((row) => row.positives),
      sorted.map((row) => row.negatives),
    ),
  );
}
