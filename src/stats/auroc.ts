/**
 * AUROC as scikit-learn's roc_auc_score computes it (ties count half), from the
 * Mann-Whitney count that ClickHouse aggregates: pairsWon = Σ over positives of
 * (negatives scored lower + half the negatives scored equal).
 */
export function aurocFromCounts(counts: {
  positives: number;
  negatives: number;
  pairsWon: number;
}): number {
  if (counts.positives <= 0 || counts.negatives <= 0) return Number.NaN;
  return counts.pairsWon / (counts.positives * counts.negatives);
}

/** The same from a table of distinct scores with their positive and negative counts. */
export function aurocFromScoreHistogram(
  rows: readonly { score: number; positives: number; negatives: number }[],
): number {
  const sorted = [...rows].sort((a, b) => a.score - b.score);
  let negativesBelow = 0;
  let pairsWon = 0;
  let positives = 0;
  for (const row of sorted) {
    pairsWon += row.positives * (negativesBelow + row.negatives / 2);
    negativesBelow += row.negatives;
    positives += row.positives;
  }
  return aurocFromCounts({ positives, negatives: negativesBelow, pairsWon });
}
