import type { ProfileSliceKey } from '../drift/slices.js';
import type { ClassScoreBinCounts, MulticlassAggregates } from '../monitors/windowAggregates.js';
import type { QueryParams, Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';
import {
  sliceIdSql,
  sliceLabelsSql,
  sourceRowsSql,
  type ProfileSource,
  type WindowEvents,
} from './profileQueries.js';

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

/**
 * Each class score's bins per slice, the baseline's against a window's, in one query: the
 * inner edges are the baseline's unique finite quantiles at `levels` (R-7, as every
 * feature's bins) for that slice and class, and both sides are counted per bin (a score
 * falls in bin count(edges <= score)), exactly, in ClickHouse; the edges never leave it as
 * parameters, so any number of classes and slices fits one statement. Only finite scores
 * count; a class the baseline never scored in a slice has no bins there.
 */
export async function queryClassScoreBins(
  store: Store,
  baseline: ProfileSource,
  window: WindowEvents,
  keys: readonly ProfileSliceKey[],
  levels: readonly number[],
): Promise<ClassScoreBinCounts[]> {
  const params: QueryParams = {};
  const scoresOf = (source: ProfileSource, prefix: string) => {
    const label = sliceLabelsSql(keys, params, `${prefix}l`);
    return `SELECT slice, class, score FROM (
              SELECT ${sliceIdSql('lbl', params, `${prefix}l`)} AS slice, scores
              FROM (SELECT *, ${label} AS lbl FROM (${sourceRowsSql(source, params, `${prefix}s`)})))
            ARRAY JOIN mapKeys(scores) AS class, mapValues(scores) AS score
            WHERE isFinite(score)`;
  };
  const quantiles = levels.map((level) => level.toPrecision(17)).join(', ');
  const rows = await store.query<{
    slice: string;
    class: string;
    edges: number[];
    side: number;
    bin: number;
    count: string;
  }>(
    `WITH bins AS (
       SELECT slice, class,
              arraySort(arrayDistinct(arrayFilter(q -> isFinite(q), quantilesExactInclusive(${quantiles})(score)))) AS edges
       FROM (${scoresOf(baseline, 'csr')})
       GROUP BY slice, class
     )
     SELECT slice, class, any(edges) AS edges, side, bin, count() AS count
     FROM (
       SELECT slice, class, edges, side, arrayCount(e -> e <= score, edges) AS bin
       FROM (SELECT 0 AS side, * FROM (${scoresOf(baseline, 'csb')})
             UNION ALL
             SELECT 1 AS side, * FROM (${scoresOf(window, 'csw')})) AS scored
       INNER JOIN bins USING (slice, class)
     )
     GROUP BY slice, class, side, bin
     ORDER BY slice, class`,
    params,
  );
  const found = new Map<string, ClassScoreBinCounts>();
  for (const row of rows) {
    const key = `${row.slice}\u0002${row.class}`;
    const edges = row.edges.map(Number);
    const bins = found.get(key) ?? {
      slice: row.slice,
      class: row.class,
      edges,
      reference: new Array<number>(edges.length + 1).fill(0),
      current: new Array<number>(edges.length + 1).fill(0),
    };
    (Number(row.side) === 0 ? bins.reference : bins.current)[Number(row.bin)] = Number(row.count);
    found.set(key, bins);
  }
  return [...found.values()];
}
