import { LOG_LOSS_EPS } from '../stats/classificationQuality.js';
import type {
  BinaryQualityAggregates,
  ClassificationAggregates,
} from '../monitors/windowAggregates.js';
import type { QueryParams, Store } from './clickhouse.js';
import { ALL_SLICES, type RelationSql } from './driftQueries.js';

/** What the quality terms are asked for: equal-width calibration bin counts (each ≥ 1). */
export interface BinaryQualityRequest {
  calibrationBins: readonly number[];
}

/**
 * AUROC's Mann-Whitney count and the positive rates per slice and for all rows, in one scan:
 * rows are grouped by distinct score, and a running sum of negatives over the scores gives
 * each positive the negatives ranked below it (ties count half), as roc_auc_score does. The
 * relation must expose `slice String`, `score Nullable(Float64)` and `label Nullable(UInt8)`
 * (1 positive, 0 negative, NULL unknown). A score of −0 is grouped with 0 (they tie).
 *
 * With `quality`, the same scan also sums the quality terms at the threshold
 * (BinaryQualityAggregates) over the distinct scores: each score's positives and negatives
 * times its terms, so every metric is exact and one row per slice comes back.
 */
export async function queryClassificationAggregates(
  store: Store,
  relation: RelationSql,
  threshold: number,
  /** False when the relation's rows already carry an "all" slice of their own. */
  addAllGroup = true,
  quality?: BinaryQualityRequest,
): Promise<ClassificationAggregates[]> {
  const params: QueryParams = { ...relation.params, dw_all: ALL_SLICES, dw_threshold: threshold };
  const terms = quality ? qualitySql(quality.calibrationBins, params) : { bins: '', sums: '' };
  const rows = await store.query<Record<string, string | number | unknown[]>>(
    `SELECT group_key AS slice,
            sum(rows) AS n, sum(pos) + sum(neg) AS labelled, sum(pos) AS positives, sum(neg) AS negatives,
            sum(predicted) AS predicted_positives, sum(scored) AS scored,
            sum(pos * (neg_below + neg / 2)) AS pairs_won${terms.sums}
     FROM (
       SELECT group_key, score, rows, pos, neg, predicted, scored${terms.bins},
              sum(neg) OVER (PARTITION BY group_key ORDER BY score ASC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS neg_below
       FROM (
         SELECT ${addAllGroup ? 'arrayJoin([slice, {dw_all:String}])' : 'slice'} AS group_key, score,
                count() AS rows,
                countIf(label = 1 AND isNotNull(score)) AS pos,
                countIf(label = 0 AND isNotNull(score)) AS neg,
                countIf(score >= {dw_threshold:Float64}) AS predicted,
                countIf(isNotNull(score)) AS scored
         -- + 0 turns −0 into 0: equal scores, which GROUP BY would otherwise keep apart
         FROM (SELECT * REPLACE (score + 0 AS score) FROM (${relation.sql}))
         GROUP BY group_key, score
       )
     )
     GROUP BY group_key`,
    params,
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
    ...(quality ? { quality: qualityOf(row, quality.calibrationBins) } : {}),
  }));
}

/**
 * The quality terms over the rows of distinct scores (pos, neg: its labelled predictions).
 * A NULL score has pos = neg = 0, so it adds nothing (read as 0 to keep the terms defined).
 * The calibration bin of a score for B bins is sklearn's calibration_curve(strategy='uniform'):
 * the number of inner edges k · (1 / B), k = 1..B−1, strictly below it (searchsorted, side
 * left), the same float64 edges as numpy.linspace and src/stats' calibrationBin.
 */
function qualitySql(
  calibrationBins: readonly number[],
  params: QueryParams,
): { bins: string; sums: string } {
  params.dw_eps = LOG_LOSS_EPS;
  const p = 'ifNull(score, 0)';
  const clipped = `least(greatest(${p}, {dw_eps:Float64}), 1 - {dw_eps:Float64})`;
  const sums = [
    `sumIf(pos, ${p} >= {dw_threshold:Float64}) AS q_tp`,
    `sumIf(neg, ${p} >= {dw_threshold:Float64}) AS q_fp`,
    `sumIf(pos, ${p} < {dw_threshold:Float64}) AS q_fn`,
    `sumIf(neg, ${p} < {dw_threshold:Float64}) AS q_tn`,
    `sumKahan(pos * -log(${clipped}) + neg * -log(1 - ${clipped})) AS q_log_loss`,
    `sumKahan(pos * (${p} - 1) * (${p} - 1) + neg * ${p} * ${p}) AS q_brier`,
    `sumIf(pos + neg, NOT (${p} >= 0 AND ${p} <= 1)) AS q_outside`,
  ];
  const bins: string[] = [];
  calibrationBins.forEach((count, i) => {
    if (!(Number.isInteger(count) && count >= 1))
      throw new RangeError(`calibration bins must be a positive integer, got ${count}`);
    params[`dw_bins_${i}`] = count;
    const b = `{dw_bins_${i}:UInt32}`;
    // each distinct score's bin, once (the middle query), then its terms added to that bin
    bins.push(`arrayCount(e -> e * (1 / ${b}) < ${p}, range(1, ${b})) AS q_bin_${i}`);
    // per bin that holds events: [bins], [count], [Σ score], [Σ label] (sumMap: O(1) a row)
    const map = `sumMap([q_bin_${i}], [toFloat64(pos + neg)], [toFloat64(pos + neg) * ${p}], [toFloat64(pos)])`;
    sums.push(
      `${map} AS q_bins_${i}`,
      `q_bins_${i}.1 AS q_bins_${i}_keys`,
      `q_bins_${i}.2 AS q_bins_${i}_count`,
      `q_bins_${i}.3 AS q_bins_${i}_score`,
      `q_bins_${i}.4 AS q_bins_${i}_positives`,
    );
  });
  const list = (columns: string[]) => columns.map((column) => `,\n            ${column}`).join('');
  return { bins: list(bins), sums: list(sums) };
}

function qualityOf(
  row: Record<string, string | number | unknown[]>,
  calibrationBins: readonly number[],
): BinaryQualityAggregates {
  return {
    tp: Number(row.q_tp),
    fp: Number(row.q_fp),
    fn: Number(row.q_fn),
    tn: Number(row.q_tn),
    logLossSum: Number(row.q_log_loss),
    brierSum: Number(row.q_brier),
    outsideUnit: Number(row.q_outside),
    calibration: Object.fromEntries(
      calibrationBins.map((bins, i) => {
        // dense, one entry a bin: sumMap keeps only the bins that hold events
        const dense = (column: string) => {
          const values = new Array<number>(bins).fill(0);
          const keys = row[`q_bins_${i}_keys`];
          const sums = row[`q_bins_${i}_${column}`];
          if (Array.isArray(keys) && Array.isArray(sums))
            keys.forEach((bin, k) => (values[Number(bin)] = Number(sums[k])));
          return values;
        };
        return [
          bins,
          {
            binCounts: dense('count'),
            binScoreSums: dense('score'),
            binPositives: dense('positives'),
          },
        ];
      }),
    ),
  };
}
