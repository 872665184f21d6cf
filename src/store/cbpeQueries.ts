import type { ScoreHistogramRow } from '../stats/auroc.js';
import type { QueryParams, Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';
import { sourceRowsSql, type ProfileSource } from './profileQueries.js';

/**
 * What performance estimation (CBPE, src/stats/cbpe.ts) reads beyond the window summaries:
 * the baseline's labelled scores, to fit the calibration on (once per baseline version), and
 * a label window's confusion counts, the realized values an estimate is held against.
 */

/** The baseline's distinct finite scores with their 0/1 label counts: the calibration's input. */
export async function queryReferenceScoreLabels(
  store: Store,
  source: ProfileSource,
): Promise<ScoreHistogramRow[]> {
  const params: QueryParams = {};
  const rows = await store.query<{ score: number; positives: string; negatives: string }>(
    `SELECT assumeNotNull(score) AS score, countIf(label_value = 1) AS positives,
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
    `SELECT slice, assumeNotNull(score) AS score, count() AS count
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
