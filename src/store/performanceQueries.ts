import { labelDeviationsSql, labelSpreadOf, pairsWithMeansSql } from './regressionQueries.js';
import type {
  ClassScoreRow,
  ClassScoresRow,
  ConfusionRow,
  RegressionSumsRow,
} from '../report/performance.js';
import { UNLABELLED, type ScoredRows } from '../stats/scoreHistogram.js';
import { queryArrowBatches, type QueryParams, type Store } from './clickhouse.js';
import { ALL_SLICES } from './driftQueries.js';
import { quoteIdentifier } from './fileTables.js';

/**
 * The queries behind the report's `performance` section (src/report/performance.ts does the
 * math). Each reads one loaded file table and returns, per slice and for all rows
 * (ALL_SLICES), the exact aggregates an accumulator of src/stats is filled from: counts per
 * distinct score and label, per (label, predicted class), or a regression's sums. Column
 * names come from users' flags: they reach SQL only through quoteIdentifier.
 */
export interface PerformanceColumns {
  table: string;
  /** The slice column, when the report is sliced. */
  slice?: string;
}

/** A binary label as 1, 0, NULL (no label), or 2 (a value that is neither). */
function binaryLabelSql(column: string): string {
  const text = `lower(trim(toString(${quoteIdentifier(column)})))`;
  return `multiIf(isNull(${quoteIdentifier(column)}) OR ${text} = '', NULL,
    ${text} IN ('1', '1.0', 'true', 'yes'), 1, ${text} IN ('0', '0.0', 'false', 'no'), 0, 2)`;
}

function groupKeySql(slice: string | undefined): string {
  return slice
    ? `arrayJoin([ifNull(toString(${quoteIdentifier(slice)}), '(null)'), {dw_all:String}])`
    : '{dw_all:String}';
}

function scoreSql(column: string): string {
  return `toFloat64OrNull(toString(${quoteIdentifier(column)}))`;
}

/** A group's rows, and those of them whose score is left out of every statistic. */
export interface ScoreRowCounts {
  rows: number;
  /** No score: an empty field, or text that is not a number. */
  nulls: number;
  /** NaN, +inf or −inf: numbers, but not values. */
  nonFinite: number;
}

/**
 * A binary model's rows as typed arrays: each row's slice (an index into `slices`, the
 * distinct slice values, empty when the report is not sliced), finite score and label (1, 0
 * or UNLABELLED), for src/stats/scoreHistogram.ts to sort once. Rows with no finite score
 * are left out (as nulls are everywhere) and counted: `sliceCounts` per slice and
 * `allCounts` for all rows count every row and those left out. With `label` undefined every
 * row is unlabelled. Labels that are neither 0 nor 1 are the caller's to reject first
 * (queryInvalidBinaryLabel).
 */
export async function queryScoredRows(
  store: Store,
  columns: PerformanceColumns & { score: string; label?: string },
): Promise<{
  slices: string[];
  sliceCounts: ScoreRowCounts[];
  allCounts: ScoreRowCounts;
  rows: ScoredRows;
}> {
  const table = quoteIdentifier(columns.table);
  const sliceText = columns.slice
    ? `ifNull(toString(${quoteIdentifier(columns.slice)}), '(null)')`
    : undefined;
  const counted = (
    await store.query<{ slice: string; rows: string; nulls: string; non_finite: string }>(
      `SELECT slice, count() AS rows, countIf(isNull(s)) AS nulls,
              countIf(isNotNull(s) AND NOT isFinite(s)) AS non_finite
       FROM (SELECT ${sliceText ?? "''"} AS slice, ${scoreSql(columns.score)} AS s FROM ${table})
       GROUP BY slice ORDER BY slice`,
    )
  ).map((row) => ({
    slice: row.slice,
    rows: Number(row.rows),
    nulls: Number(row.nulls),
    nonFinite: Number(row.non_finite),
  }));
  const slices = sliceText ? counted.map((row) => row.slice) : [];
  const countsOf = ({ rows, nulls, nonFinite }: ScoreRowCounts) => ({ rows, nulls, nonFinite });
  const allCounts = counted.reduce(
    (total, row) => ({
      rows: total.rows + row.rows,
      nulls: total.nulls + row.nulls,
      nonFinite: total.nonFinite + row.nonFinite,
    }),
    { rows: 0, nulls: 0, nonFinite: 0 },
  );
  const label = columns.label ? binaryLabelSql(columns.label) : 'NULL';
  const batches = await queryArrowBatches(
    store,
    `SELECT ${sliceText ? 'toUInt32(transform(slice, {dw_slices:Array(String)}, {dw_slots:Array(UInt32)}, 0))' : 'toUInt32(0)'} AS group,
            assumeNotNull(s) AS score, toInt8(ifNull(l, ${UNLABELLED})) AS label
     FROM (
       SELECT ${sliceText ?? "''"} AS slice, ${scoreSql(columns.score)} AS s, ${label} AS l FROM ${table}
     )
     WHERE isNotNull(s) AND isFinite(s)`,
    { dw_slices: slices, dw_slots: slices.map((_, i) => i) },
  );
  const live = batches.filter((batch) => batch.numRows > 0);
  const concat = <T extends Uint32Array | Float64Array | Int8Array>(
    name: string,
    make: new (length: number) => T,
  ): T => {
    const parts = live.map((batch) => batch.getChild(name)?.toArray() as T);
    const out = new make(parts.reduce((total, part) => total + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part as never, offset);
      offset += part.length;
    }
    return out;
  };
  return {
    slices,
    sliceCounts: sliceText ? counted.map(countsOf) : [],
    allCounts,
    rows: {
      group: concat('group', Uint32Array),
      score: concat('score', Float64Array),
      label: concat('label', Int8Array),
    },
  };
}

/**
 * A histogram's rows as Arrow columns (typed arrays; the counts cast to Float64, exact below
 * 2^53): what a million distinct scores cost as JSON objects to parse was most of the
 * report's time. The queries hand rows over in score order: src/stats sorts scores (AUROC,
 * isotonic fit), and a sort of sorted input is one linear pass. Each batch: the slice of every row, then `numeric`'s columns in order.
 */
async function queryCountColumns(
  store: Store,
  sql: string,
  params: QueryParams,
  numeric: readonly string[],
): Promise<{ slices: string[]; values: Float64Array[] }[]> {
  const batches = await queryArrowBatches(store, sql, params);
  return batches
    .filter((batch) => batch.numRows > 0)
    .map((batch) => ({
      slices: (batch.getChild('slice')?.toArray() ?? []) as string[],
      values: numeric.map((name) => batch.getChild(name)?.toArray() as Float64Array),
    }));
}

/** The first value of a binary label column that is neither 0 nor 1 (true/false, yes/no). */
export async function queryInvalidBinaryLabel(
  store: Store,
  table: string,
  label: string,
): Promise<{ value: string; rows: number } | undefined> {
  const [row] = await store.query<{ value: string; rows: string }>(
    `SELECT any(toString(${quoteIdentifier(label)})) AS value, count() AS rows
     FROM ${quoteIdentifier(table)} WHERE ${binaryLabelSql(label)} = 2 HAVING rows > 0`,
  );
  return row ? { value: row.value, rows: Number(row.rows) } : undefined;
}

/** The least and greatest finite score, to check they are probabilities. */
export async function queryScoreRange(
  store: Store,
  table: string,
  score: string,
): Promise<{ min: number; max: number } | undefined> {
  const [row] = await store.query<{ min: number; max: number; rows: string }>(
    `SELECT min(s) AS min, max(s) AS max, count() AS rows
     FROM (SELECT ${scoreSql(score)} AS s FROM ${quoteIdentifier(table)})
     WHERE isNotNull(s) AND isFinite(s) HAVING rows > 0`,
  );
  return row ? { min: Number(row.min), max: Number(row.max) } : undefined;
}

/**
 * A regression's sums per slice (regression.ts' RegressionSums) over rows where label and
 * prediction are both finite: Kahan-compensated sums of |e|, e² and |e| / max(|y|, eps), and
 * the labels' mean and Σ(y − ȳ)² in numpy's corrected two-pass form (regressionQueries.ts'
 * labelDeviationsSql), never Σy² − (Σy)²/n.
 */
export async function queryRegressionSums(
  store: Store,
  columns: PerformanceColumns & { prediction: string; label: string },
  eps: number,
): Promise<RegressionSumsRow[]> {
  const pairs = `SELECT slice, y, p, 1 AS ok
       FROM (
         SELECT ${groupKeySql(columns.slice)} AS slice,
                ${scoreSql(columns.label)} AS y, ${scoreSql(columns.prediction)} AS p
         FROM ${quoteIdentifier(columns.table)}
       )
       WHERE isNotNull(y) AND isNotNull(p) AND isFinite(y) AND isFinite(p)`;
  const rows = await store.query<Record<string, string | number>>(
    `SELECT slice, count() AS count,
            sumKahan(abs(y - p)) AS absolute, sumKahan((y - p) * (y - p)) AS squared,
            sumKahan(abs(y - p) / greatest(abs(y), {dw_eps:Float64})) AS percentage,
            ${labelDeviationsSql}
     ${pairsWithMeansSql(pairs)}
     GROUP BY slice`,
    { dw_all: ALL_SLICES, dw_eps: eps },
  );
  return rows.map((row) => ({
    slice: String(row.slice),
    count: Number(row.count),
    absoluteErrorSum: Number(row.absolute),
    squaredErrorSum: Number(row.squared),
    absolutePercentageErrorSum: Number(row.percentage),
    ...labelSpreadOf(row),
  }));
}

/** Rows whose value in `column` is present but not a number (text). */
export async function queryNonNumberValue(
  store: Store,
  table: string,
  column: string,
): Promise<{ value: string; rows: number } | undefined> {
  const value = quoteIdentifier(column);
  const [row] = await store.query<{ value: string; rows: string }>(
    `SELECT any(toString(${value})) AS value, count() AS rows FROM ${quoteIdentifier(table)}
     WHERE isNotNull(${value}) AND trim(toString(${value})) != ''
       AND isNull(toFloat64OrNull(toString(${value})))
     HAVING rows > 0`,
  );
  return row ? { value: row.value, rows: Number(row.rows) } : undefined;
}

function classSql(column: string): string {
  const value = quoteIdentifier(column);
  return `if(isNull(${value}) OR trim(toString(${value})) = '', NULL, toString(${value}))`;
}

/** Per slice, rows per (label, predicted class) where both are present. */
export async function queryMulticlassConfusion(
  store: Store,
  columns: PerformanceColumns & { prediction: string; label: string },
): Promise<ConfusionRow[]> {
  const rows = await store.query<Record<string, string>>(
    `SELECT group_key AS slice, label, predicted, count() AS count
     FROM (
       SELECT ${groupKeySql(columns.slice)} AS group_key,
              ${classSql(columns.label)} AS label, ${classSql(columns.prediction)} AS predicted
       FROM ${quoteIdentifier(columns.table)}
     )
     WHERE isNotNull(label) AND isNotNull(predicted)
     GROUP BY group_key, label, predicted`,
    { dw_all: ALL_SLICES },
  );
  return rows.map((row) => ({
    slice: String(row.slice),
    label: String(row.label),
    predicted: String(row.predicted),
    count: Number(row.count),
  }));
}

/** Distinct present values of a class column (labels or predictions), at most `limit`. */
export async function queryDistinctClasses(
  store: Store,
  table: string,
  column: string,
  limit: number,
): Promise<string[]> {
  const rows = await store.query<{ value: string }>(
    `SELECT DISTINCT value FROM (SELECT ${classSql(column)} AS value FROM ${quoteIdentifier(table)})
     WHERE isNotNull(value) ORDER BY value LIMIT {dw_limit:UInt32}`,
    { dw_limit: limit },
  );
  return rows.map((row) => String(row.value));
}

/** One class's score column per slice and distinct finite score, split by label = class. */
export async function queryClassScoreHistogram(
  store: Store,
  columns: PerformanceColumns & { score: string; label: string; className: string },
): Promise<ClassScoreRow[]> {
  const rows: ClassScoreRow[] = [];
  for (const batch of await queryCountColumns(
    store,
    `SELECT group_key AS slice, assumeNotNull(score) AS score,
            toFloat64(countIf(label = {dw_class:String})) AS positives,
            toFloat64(countIf(label != {dw_class:String})) AS negatives
     FROM (
       SELECT ${groupKeySql(columns.slice)} AS group_key, ${scoreSql(columns.score)} AS score,
              ${classSql(columns.label)} AS label
       FROM ${quoteIdentifier(columns.table)}
     )
     WHERE isNotNull(score) AND isFinite(score) AND isNotNull(label)
     GROUP BY group_key, score
     ORDER BY group_key, score`,
    { dw_all: ALL_SLICES, dw_class: columns.className },
    ['score', 'positives', 'negatives'],
  )) {
    const [score, positives, negatives] = batch.values;
    for (let i = 0; i < batch.slices.length; i += 1)
      rows.push({
        slice: batch.slices[i] ?? '',
        score: score?.[i] ?? NaN,
        positives: positives?.[i] ?? 0,
        negatives: negatives?.[i] ?? 0,
      });
  }
  return rows;
}

/**
 * Per slice, distinct (predicted class, class scores) rows with their counts: CBPE needs
 * every class score of an event at once (its calibrated probabilities are normalized).
 * Rows missing a prediction or any class score are left out.
 */
export async function queryClassScoreRows(
  store: Store,
  columns: PerformanceColumns & { prediction: string; scores: readonly string[] },
): Promise<ClassScoresRow[]> {
  const scores = columns.scores.map((name) => `ifNull(${scoreSql(name)}, nan)`).join(', ');
  const rows = await store.query<{
    slice: string;
    predicted: string;
    scores: (number | string)[];
    count: string;
  }>(
    `SELECT group_key AS slice, predicted, scores, count() AS count
     FROM (
       SELECT ${groupKeySql(columns.slice)} AS group_key,
              ${classSql(columns.prediction)} AS predicted, [${scores}] AS scores
       FROM ${quoteIdentifier(columns.table)}
     )
     WHERE isNotNull(predicted) AND arrayAll(x -> isFinite(x), scores)
     GROUP BY group_key, predicted, scores`,
    { dw_all: ALL_SLICES },
  );
  return rows.map((row) => ({
    slice: String(row.slice),
    predicted: String(row.predicted),
    scores: row.scores.map(Number),
    count: Number(row.count),
  }));
}
