import type { ClassificationAggregates } from '../monitors/windowAggregates.js';
import type { Store } from './clickhouse.js';
import { ALL_SLICES, type RelationSql } from './driftQueries.js';

/**
 * AUROC's Mann-Whitney count and the positive rates per slice and for all rows, in one scan:
 * rows are grouped by distinct score, and a running sum of negatives over the scores gives
 * each positive the negatives ranked below it (ties count half), as roc_auc_score does. The
 * relation must expose `slice String`, `score Nullable(Float64)` and `label Nullable(UInt8)`
 * (1 positive, 0 negative, NULL unknown).
 */
export async function queryClassificationAggregates(
  store: Store,
  relation: RelationSql,
  threshold: number,
  /** False when the relation's rows already carry an "all" slice of their own. */
  addAllGroup = true,
): Promise<ClassificationAggregates[]> {
  const rows = await store.query<Record<string, string | number>>(
    `SELECT group_key AS slice,
            sum(rows) AS n, sum(pos) + sum(neg) AS labelled, sum(pos) AS positives, sum(neg) AS negatives,
            sum(predicted) AS predicted_positives, sum(scored) AS scored,
            sum(pos * (neg_below + neg / 2)) AS pairs_won
     FROM (
       SELECT group_key, score, rows, pos, neg, predicted, scored,
              sum(neg) OVER (PARTITION BY group_key ORDER BY score ASC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS neg_below
       FROM (
         SELECT ${addAllGroup ? 'arrayJoin([slice, {dw_all:String}])' : 'slice'} AS group_key, score,
                count() AS rows,
                countIf(label = 1 AND isNotNull(score)) AS pos,
                countIf(label = 0 AND isNotNull(score)) AS neg,
                countIf(score >= {dw_threshold:Float64}) AS predicted,
                countIf(isNotNull(score)) AS scored
         FROM (${relation.sql})
         GROUP BY group_key, score
       )
     )
     GROUP BY group_key`,
    { ...relation.params, dw_all: ALL_SLICES, dw_threshold: threshold },
  );
  return rows.map((row) => ({
    slice: String(row.slice),
    n: Number(row.n),
    labelled: Number(row.labelled),
    positives: Number(row.positives),
    negatives: Number(row.negatives),
    predictedPositives: Number(row.predicted_positives),
    scored: Number(row.scored),
    pairsWon: Number(row.pairs_won),
  }));
}
