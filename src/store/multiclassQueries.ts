import type { MulticlassAggregates } from '../monitors/windowAggregates.js';
import type { Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';

/**
 * A multiclass model's label window per slice, exact from two scans (src/stats/multiclass.ts
 * does the math): rows per (label, predicted class), the confusion matrix and everything
 * accuracy, precision, recall and F1 need; and per class score the one-vs-rest Mann-Whitney
 * count (rows grouped by distinct score, a running sum of the negatives below it, ties half,
 * as roc_auc_score). The relation must expose `slice String`, `predicted Nullable(String)`,
 * `scores Map(String, Float64)` and `label Nullable(String)`, its rows carrying their own "all".
 */
export async function queryMulticlassAggregates(
  store: Store,
  relation: RelationSql,
): Promise<MulticlassAggregates[]> {
  const pairs = await store.query<{
    slice: string;
    label: string | null;
    predicted: string | null;
    count: string;
    scored: string;
  }>(
    `SELECT slice, label, predicted, count() AS count, countIf(notEmpty(scores)) AS scored
       FROM (${relation.sql})
       GROUP BY slice, label, predicted`,
    relation.params,
  );
  const classes = await store.query<{
    slice: string;
    class: string;
    positives: string;
    negatives: string;
    pairs_won: number;
  }>(
    `SELECT slice, class, sum(pos) AS positives, sum(neg) AS negatives,
              sum(pos * (neg_below + neg / 2)) AS pairs_won
       FROM (
         SELECT slice, class, score, pos, neg,
                sum(neg) OVER (PARTITION BY slice, class ORDER BY score ASC
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS neg_below
         FROM (
           SELECT slice, class, score, countIf(y = class) AS pos, countIf(y != class) AS neg
           -- not aliased "label": ClickHouse's WHERE would read the alias
           FROM (SELECT slice, assumeNotNull(label) AS y, scores FROM (${relation.sql})
                 WHERE isNotNull(label) AND notEmpty(scores))
           ARRAY JOIN mapKeys(scores) AS class, mapValues(scores) AS score
           WHERE isFinite(score)
           GROUP BY slice, class, score
         )
       )
       GROUP BY slice, class
       ORDER BY slice, class`,
    relation.params,
  );
  const bySlice = new Map<string, MulticlassAggregates>();
  const sliceOf = (slice: string) => {
    const found = bySlice.get(slice);
    if (found) return found;
    const made: MulticlassAggregates = { slice, n: 0, scored: 0, confusion: [], classScores: [] };
    bySlice.set(slice, made);
    return made;
  };
  for (const row of pairs) {
    const aggregate = sliceOf(row.slice);
    const count = Number(row.count);
    aggregate.n += count;
    if (row.label === null) continue;
    aggregate.scored += Number(row.scored);
    if (row.predicted !== null)
      aggregate.confusion.push({ label: row.label, predicted: row.predicted, count });
  }
  for (const row of classes)
    sliceOf(row.slice).classScores.push({
      class: row.class,
      positives: Number(row.positives),
      negatives: Number(row.negatives),
      pairsWon: Number(row.pairs_won),
    });
  return [...bySlice.values()];
}
