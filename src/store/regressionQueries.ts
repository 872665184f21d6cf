import { MAPE_EPS } from '../stats/regression.js';
import type { RegressionAggregates } from '../monitors/windowAggregates.js';
import type { QueryParams, Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';
import {
  sliceIdSql,
  sliceLabelsSql,
  sourceRowsSql,
  type ProfileSource,
  type WindowEvents,
} from './profileQueries.js';
import type { ProfileSliceKey } from '../drift/slices.js';

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

/** Per slice id: the two-sample KS statistic D between the residuals of two sources. */
export interface ResidualKsRow {
  slice: string;
  /** Exact D (ClickHouse's, from every residual); NaN when a side has none. */
  statistic: number;
  nReference: number;
  nCurrent: number;
}

/**
 * The residuals (label − prediction, both finite) of the baseline against those of the label
 * window, per slice: KS's D computed by ClickHouse over every residual (exact; its own
 * p-value differs from scipy's and is not read). Slices with no residual on a side get no D.
 */
export async function queryResidualKs(
  store: Store,
  input: { reference: ProfileSource; current: WindowEvents; keys: readonly ProfileSliceKey[] },
): Promise<ResidualKsRow[]> {
  const params: QueryParams = {};
  const side = (source: ProfileSource, prefix: string, index: number) => {
    const label = sliceLabelsSql(input.keys, params, `${prefix}l`);
    return `SELECT ${sliceIdSql('lbl', params, `${prefix}l`)} AS slice, label_number - score AS r, ${index} AS side
            FROM (SELECT *, ${label} AS lbl FROM (${sourceRowsSql(source, params, `${prefix}s`)}))
            WHERE isFinite(ifNull(label_number, nan)) AND isFinite(ifNull(score, nan))`;
  };
  const rows = `${side(input.reference, 'rr', 0)} UNION ALL ${side(input.current, 'rc', 1)}`;
  const counted = await store.query<{ slice: string; reference: string; current: string }>(
    `SELECT slice, countIf(side = 0) AS reference, countIf(side = 1) AS current
     FROM (${rows}) GROUP BY slice`,
    params,
  );
  const both = counted.filter((row) => Number(row.reference) > 0 && Number(row.current) > 0);
  const tested =
    both.length === 0
      ? []
      : await store.query<{ slice: string; d: number }>(
          `SELECT slice, kolmogorovSmirnovTest('two-sided', 'asymp')(r, side).1 AS d
           FROM (${rows}) WHERE slice IN {rk_slices:Array(String)} GROUP BY slice`,
          { ...params, rk_slices: both.map((row) => row.slice) },
        );
  const statistics = new Map(tested.map((row) => [row.slice, Number(row.d)]));
  return counted.map((row) => ({
    slice: row.slice,
    statistic: statistics.get(row.slice) ?? NaN,
    nReference: Number(row.reference),
    nCurrent: Number(row.current),
  }));
}
