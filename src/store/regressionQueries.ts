import { MAPE_EPS } from '../stats/regression.js';
import type { RegressionAggregates } from '../monitors/windowAggregates.js';
import type { Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';

/**
 * A regression's error sums per slice, in one scan (src/stats/regression.ts reads them): the
 * sums of |y − ŷ|, (y − ŷ)² and |y − ŷ| / max(|y|, eps) compensated (Kahan), and the labels'
 * mean and Σ (y − ȳ)² by Welford's method (varPopStable), never Σy² − (Σy)²/n. Only pairs of
 * a finite prediction and a finite label count. The relation must expose `slice String`,
 * `score Nullable(Float64)` and `label Nullable(Float64)`, its rows carrying their own "all".
 */
export async function queryRegressionAggregates(
  store: Store,
  relation: RelationSql,
): Promise<RegressionAggregates[]> {
  const rows = await store.query<Record<string, string | number>>(
    `SELECT slice, count() AS n, countIf(ok) AS labelled,
            sumKahanIf(abs(y - p), ok) AS absolute_error_sum,
            sumKahanIf((y - p) * (y - p), ok) AS squared_error_sum,
            sumKahanIf(abs(y - p) / greatest(abs(y), {dw_eps:Float64}), ok) AS percentage_error_sum,
            if(labelled = 0, 0, avgIf(y, ok)) AS label_mean,
            if(labelled = 0, 0, varPopStableIf(y, ok) * labelled) AS label_m2
     FROM (
       SELECT slice, ifNull(score, nan) AS p, ifNull(label, nan) AS y, isFinite(p) AND isFinite(y) AS ok
       FROM (${relation.sql})
     )
     GROUP BY slice`,
    { ...relation.params, dw_eps: MAPE_EPS },
  );
  return rows.map((row) => ({
    slice: String(row.slice),
    n: Number(row.n),
    count: Number(row.labelled),
    absoluteErrorSum: Number(row.absolute_error_sum),
    squaredErrorSum: Number(row.squared_error_sum),
    absolutePercentageErrorSum: Number(row.percentage_error_sum),
    labelMean: Number(row.label_mean),
    labelM2: Number(row.label_m2),
  }));
}
