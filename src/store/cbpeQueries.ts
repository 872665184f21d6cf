import type { ScoreHistogramRow } from '../stats/auroc.js';
import type { QueryParams, Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';
import { sourceRowsSql, type ProfileSource } from './profileQueries.js';

/**
 * What performance estimation (CBPE, src/stats/cbpe.ts) reads beyond the window summaries:
 * the baseline's labelled scores, to fit the calibration on (once per baseline version), and
 * a label window's confusion counts, the realized values an estimate is held against.
 * Scores are grouped with −0 read as 0 (`+ 0`): equal scores, which GROUP BY keeps apart.
 */

/** The baseline's distinct finite scores with their 0/1 label counts: the calibration's input. */
export async function queryReferenceScoreLabels(
  store: Store,
  source: ProfileSource,
): Promise<ScoreHistogramRow[]> {
  const params: QueryParams = {};
  const rows = await store.query<{ score: number; positives: string; negatives: string }>(
    `SELECT assumeNotNull(score) + 0 AS score, countIf(label_value = 1) AS positives,
            countIf(label_value = 0) AS negatives
     FROM (${sourceRowsSql(source, params, 'cal')})
     WHERE isNotNull(score) AND isFinite(assumeNotNull(score)) AND isNotNull(label_value)
     GROUP BY score ORDER BY score`,
    params,
  );
  return rows.map((row) => ({
    score: Number(row.score),
    positives: Number(row.positives),
    negatives: Number(row.negatives),
  }));
}

/**
 * The window's finite scores and how many events had each, per slice id among `slices`: the
 * exact cells CBPE recomputes a straddling estimate from. The relation is
 * labelledWindowRelation's (its rows already carry their "all" slice).
 */
export async function queryScoreCounts(
  store: Store,
  relation: RelationSql,
  slices: readonly string[],
): Promise<{ slice: string; score: number; count: number }[]> {
  const rows = await store.query<{ slice: string; score: number; count: string }>(
    `SELECT slice, assumeNotNull(score) + 0 AS score, count() AS count
     FROM (${relation.sql})
     WHERE has({sc_slices:Array(String)}, slice) AND isNotNull(score) AND isFinite(assumeNotNull(score))
     GROUP BY slice, score`,
    { ...relation.params, sc_slices: [...slices] },
  );
  return rows.map((row) => ({
    slice: String(row.slice),
    score: Number(row.score),
    count: Number(row.count),
  }));
}

/**
 * A multiclass baseline's per-class calibration input: for each class score column (the
 * `scores` map's keys) its distinct finite scores with the rows labelled that class
 * (positives) and labelled another (negatives), one vs rest; and how many labelled rows
 * carry class scores. One scan (ARRAY JOIN over the map).
 */
export async function queryReferenceClassScoreLabels(
  store: Store,
  source: ProfileSource,
): Promise<{ labelled: number; classes: { class: string; rows: ScoreHistogramRow[] }[] }> {
  const params: QueryParams = {};
  const rows = await store.query<{
    class: string;
    score: number;
    positives: string;
    negatives: string;
  }>(
    `SELECT class, score, countIf(y = class) AS positives, countIf(y != class) AS negatives
     FROM (SELECT assumeNotNull(label_text) AS y, scores FROM (${sourceRowsSql(source, params, 'ccal')})
           WHERE isNotNull(label_text) AND notEmpty(scores))
     ARRAY JOIN mapKeys(scores) AS class, arrayMap(v -> v + 0, mapValues(scores)) AS score
     WHERE isFinite(score)
     GROUP BY class, score
     ORDER BY class, score`,
    params,
  );
  const [counted] = await store.query<{ labelled: string }>(
    `SELECT count() AS labelled FROM (${sourceRowsSql(source, params, 'ccal')})
     WHERE isNotNull(label_text) AND notEmpty(scores)`,
    params,
  );
  const classes = new Map<string, ScoreHistogramRow[]>();
  for (const row of rows) {
    const column = classes.get(row.class) ?? [];
    column.push({
      score: Number(row.score),
      positives: Number(row.positives),
      negatives: Number(row.negatives),
    });
    classes.set(row.class, column);
  }
  return {
    labelled: Number(counted?.labelled ?? 0),
    classes: [...classes].map(([name, column]) => ({ class: name, rows: column })),
  };
}

/** A window's events of one predicted class and one class-score vector, per slice. */
export interface ClassScoreVectorRow {
  slice: string;
  predicted: string;
  /** One score per class, in the order of the classes asked for. */
  scores: number[];
  count: number;
}

/**
 * The window's (predicted class, class scores) pairs and how many events had each, per
 * slice: what multiclass CBPE sums its calibrated probabilities over. Raw rows, grouped by
 * the score vector: it costs the window's events in ClickHouse and its distinct vectors
 * here (the summaries keep no joint class-score cells, and the normalisation needs every
 * class score of an event at once). Events without a predicted class, or without a finite
 * score for every one of `classes`, are counted apart (`skipped`), not estimated. The
 * relation is multiclassWindowRelation's (its rows already carry their "all" slice).
 */
export async function queryClassScoreVectors(
  store: Store,
  relation: RelationSql,
  classes: readonly string[],
): Promise<{ rows: ClassScoreVectorRow[]; skipped: Map<string, number> }> {
  const rows = await store.query<{
    slice: string;
    predicted: string | null;
    vector: (number | string)[];
    count: string;
  }>(
    `SELECT slice, predicted, vector, count() AS count
     FROM (SELECT slice, predicted,
                  arrayMap(c -> if(mapContains(scores, c), scores[c], nan), {csv_classes:Array(String)}) AS vector
           FROM (${relation.sql}))
     GROUP BY slice, predicted, vector`,
    { ...relation.params, csv_classes: [...classes] },
  );
  const vectors: ClassScoreVectorRow[] = [];
  const skipped = new Map<string, number>();
  for (const row of rows) {
    const scores = row.vector.map(Number);
    const count = Number(row.count);
    const slice = String(row.slice);
    if (row.predicted === null || !scores.every((s) => Number.isFinite(s)))
      skipped.set(slice, (skipped.get(slice) ?? 0) + count);
    else vectors.push({ slice, predicted: String(row.predicted), scores, count });
  }
  return { rows: vectors, skipped };
}
