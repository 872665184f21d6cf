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

/** The same from a table of distinct scores with their positive and negative counts. */
export function aurocFromScoreHistogram(rows: readonly ScoreHistogramRow[]): number {
  const sorted = [...rows].sort((a, b) => a.score - b.score);
  let negativesBelow = 0;
  let positives = 0;
  let pairsWon = 0;
  for (const row of sorted) {
    pairsWon += row.positives * (negativesBelow + row.negatives / 2);
    negativesBelow += row.negatives;
    positives += row.positives;
  }
  return aurocFromCounts({ positives, negatives: negativesBelow, pairsWon });
}
