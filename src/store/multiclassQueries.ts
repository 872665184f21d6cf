import type { ProfileSliceKey } from '../drift/slices.js';
import type { ClassScoreBinCounts, MulticlassAggregates } from '../monitors/windowAggregates.js';
import type { QueryParams, Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';
import {
  sliceIdSql,
  sliceLabelsSql,
  unlabelledRowsSql,
  type ProfileSource,
  type WindowEvents,
} from './profileQueries.js';

/**
 * A multiclass model's label window per slice, exact from one scan (src/stats/multiclass.ts
 * does the math): rows per (label, predicted class), the confusion matrix and everything
 * accuracy, precision, recall and F1 need; and per class score the one-vs-rest Mann-Whitney
 * count (rows grouped by distinct score, a running sum of the negatives below it, ties half,
 * as roc_auc_score; −0 is read as 0, its tie). The relation must expose `slice String`, `predicted Nullable(String)`,
 * `scores Map(String, Float64)` and `label Nullable(String)`, its rows carrying their own "all".
 *
 * One scan: every row becomes one item of kind 0 (its label and predicted class: the
 * confusion counts) and, when labelled, one item of kind 1 per finite class score (class,
 * score: the Mann-Whitney counts), so the relation (a join of the window with its labels)
 * is computed once for both.
 */
export async function queryMulticlassAggregates(
  store: Store,
  relation: RelationSql,
): Promise<MulticlassAggregates[]> {
  const rows = await store.query<{
    slice: string;
    kind: number;
    label: string | null;
    predicted: string | null;
    class: string;
    count: string;
    scored: string;
    positives: string;
    negatives: string;
    pairs_won: number;
  }>(
    `SELECT slice, kind, label, predicted, class, sum(count) AS count, sum(scored) AS scored,
            sum(pos) AS positives, sum(neg) AS negatives, sum(pos * (neg_below + neg / 2)) AS pairs_won
     FROM (
       SELECT *, if(kind = 0, 0, sum(neg) OVER (PARTITION BY slice, kind, class ORDER BY score ASC
                                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS neg_below
       FROM (
         SELECT slice, item.1 AS kind, if(kind = 0, y, NULL) AS label, if(kind = 0, p, NULL) AS predicted,
                item.2 AS class, item.3 AS score, count() AS count, countIf(has_scores) AS scored,
                countIf(kind = 1 AND y = class) AS pos, countIf(kind = 1 AND y != class) AS neg
         -- not aliased "label" and "predicted": ClickHouse would read the grouping's aliases
         FROM (SELECT slice, label AS y, predicted AS p, notEmpty(scores) AS has_scores,
                      arrayConcat([(toUInt8(0), '', nan)],
                                   if(isNull(label), [],
                                      arrayFilter(i -> isFinite(i.3),
                                                  arrayMap((c, v) -> (toUInt8(1), toString(c), v + 0), mapKeys(scores), mapValues(scores))))) AS items
               FROM (${relation.sql}))
         ARRAY JOIN items AS item
         GROUP BY slice, kind, label, predicted, class, score
       )
     )
     GROUP BY slice, kind, label, predicted, class
     ORDER BY slice, kind, class`,
    relation.params,
  );
  const pairs = rows.filter((row) => Number(row.kind) === 0);
  const classes = rows.filter((row) => Number(row.kind) === 1);
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

/** A baseline's bins of one class score in one slice: its inner edges and its counts per bin. */
export interface BaselineClassScoreBins {
  /** The slice id as the store groups it. */
  slice: string;
  class: string;
  edges: number[];
  /** The edges' IEEE-754 bits (decimal UInt64): how they travel back into a query unrounded. */
  edgeBits: string[];
  reference: number[];
}

/** The finite class scores of a source, one row per (slice id, class, score). */
function classScoresSql(
  source: ProfileSource,
  keys: readonly ProfileSliceKey[],
  params: QueryParams,
  prefix: string,
): string {
  const label = sliceLabelsSql(keys, params, `${prefix}l`);
  return `SELECT slice, class, score FROM (
            SELECT ${sliceIdSql('lbl', params, `${prefix}l`)} AS slice, scores
            FROM (SELECT *, ${label} AS lbl FROM (${unlabelledRowsSql(source, params, `${prefix}s`)})))
          ARRAY JOIN mapKeys(scores) AS class, mapValues(scores) AS score
          WHERE isFinite(score)`;
}

/**
 * Each class score's bins per slice in the baseline, in one query: the inner edges are the
 * baseline's unique finite quantiles at `levels` (R-7, as every feature's bins) for that
 * slice and class, and the baseline's scores are counted per bin (a score falls in bin
 * count(edges <= score)), exactly, in ClickHouse. A stored baseline version never changes,
 * so the monitor reads this once per version (queryClassScoreBins counts each window
 * against it). Only finite scores count; a class the baseline never scored in a slice has
 * no bins there.
 */
export async function queryBaselineClassScoreBins(
  store: Store,
  baseline: ProfileSource,
  keys: readonly ProfileSliceKey[],
  levels: readonly number[],
): Promise<BaselineClassScoreBins[]> {
  const params: QueryParams = {};
  const quantiles = levels.map((level) => level.toPrecision(17)).join(', ');
  const rows = await store.query<{
    slice: string;
    class: string;
    edges: number[];
    edge_bits: string[];
    bin: number;
    count: string;
  }>(
    `WITH bins AS (
       SELECT slice, class, edges, arrayMap(e -> toString(reinterpretAsUInt64(e)), edges) AS bits
       FROM (
         SELECT slice, class,
                arraySort(arrayDistinct(arrayFilter(q -> isFinite(q), quantilesExactInclusive(${quantiles})(score)))) AS edges
         FROM (${classScoresSql(baseline, keys, params, 'csr')})
         GROUP BY slice, class
       )
     )
     SELECT slice, class, any(edges) AS edges,
            any(bits) AS edge_bits, bin, count() AS count
     FROM (
       SELECT slice, class, edges, bits, arrayCount(e -> e <= score, edges) AS bin
       FROM (${classScoresSql(baseline, keys, params, 'csb')}) AS scored
       INNER JOIN bins USING (slice, class)
     )
     GROUP BY slice, class, bin
     ORDER BY slice, class`,
    params,
  );
  const found = new Map<string, BaselineClassScoreBins>();
  for (const row of rows) {
    const key = `${row.slice}\u0002${row.class}`;
    const edges = row.edges.map(Number);
    const bins = found.get(key) ?? {
      slice: row.slice,
      class: row.class,
      edges,
      edgeBits: row.edge_bits.map(String),
      reference: new Array<number>(edges.length + 1).fill(0),
    };
    bins.reference[Number(row.bin)] = Number(row.count);
    found.set(key, bins);
  }
  return [...found.values()];
}

/**
 * A window's class scores counted in the baseline's bins (queryBaselineClassScoreBins), per
 * slice and class, exactly, in ClickHouse: the edges travel as their IEEE-754 bits, so a
 * score equal to an edge falls where it fell in the baseline. Scans the window only.
 */
export async function queryClassScoreBins(
  store: Store,
  baseline: readonly BaselineClassScoreBins[],
  window: WindowEvents,
  keys: readonly ProfileSliceKey[],
): Promise<ClassScoreBinCounts[]> {
  if (baseline.length === 0) return [];
  const params: QueryParams = {
    csb_slices: baseline.map((bins) => bins.slice),
    csb_classes: baseline.map((bins) => bins.class),
    csb_edges: baseline.map((bins) => bins.edgeBits),
  };
  const rows = await store.query<{ slice: string; class: string; bin: number; count: string }>(
    `WITH bins AS (
       SELECT b.1 AS slice, b.2 AS class, arrayMap(x -> reinterpretAsFloat64(toUInt64(x)), b.3) AS edges
       FROM (SELECT arrayJoin(arrayZip({csb_slices:Array(String)}, {csb_classes:Array(String)},
                                       {csb_edges:Array(Array(String))})) AS b)
     )
     SELECT slice, class, bin, count() AS count
     FROM (
       SELECT slice, class, arrayCount(e -> e <= score, edges) AS bin
       FROM (${classScoresSql(window, keys, params, 'csw')}) AS scored
       INNER JOIN bins USING (slice, class)
     )
     GROUP BY slice, class, bin`,
    params,
  );
  const current = new Map<string, number[]>();
  for (const bins of baseline)
    current.set(
      `${bins.slice}\u0002${bins.class}`,
      new Array<number>(bins.edges.length + 1).fill(0),
    );
  for (const row of rows) {
    const counts = current.get(`${row.slice}\u0002${row.class}`);
    if (counts) counts[Number(row.bin)] = Number(row.count);
  }
  return baseline.map((bins) => ({
    slice: bins.slice,
    class: bins.class,
    edges: bins.edges,
    reference: bins.reference,
    current: current.get(`${bins.slice}\u0002${bins.class}`) ?? [],
  }));
}
