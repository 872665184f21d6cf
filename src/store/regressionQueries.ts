import { MAPE_EPS } from '../stats/regression.js';
import type { RegressionAggregates } from '../monitors/windowAggregates.js';
import type { QueryParams, Store } from './clickhouse.js';
import type { RelationSql } from './driftQueries.js';
import { sliceIdSql, sliceLabelsSql, sourceRowsSql, type ProfileSource } from './profileQueries.js';
import type { SliceResiduals } from '../drift/residualKs.js';
import type { ProfileSliceKey } from '../drift/slices.js';

/**
 * A regression's error sums per slice (src/stats/regression.ts reads them): the sums of
 * |y − ŷ|, (y − ŷ)² and |y − ŷ| / max(|y|, eps) compensated (Kahan), and the labels' mean and
 * Σ (y − ȳ)² (labelDeviationsSql: numpy's corrected two-pass form, which R² divides by). Only
 * pairs of a finite prediction and a finite label count. The relation must expose
 * `slice String`, `score Nullable(Float64)` and `label Nullable(Float64)`, its rows carrying
 * their own "all".
 */
export async function queryRegressionAggregates(
  store: Store,
  relation: RelationSql,
): Promise<RegressionAggregates[]> {
  const pairs = `SELECT slice, ifNull(score, nan) AS p, ifNull(label, nan) AS y, isFinite(p) AND isFinite(y) AS ok
       FROM (${relation.sql})`;
  const rows = await store.query<Record<string, string | number>>(
    `SELECT slice, count() AS n, countIf(ok) AS labelled,
            sumKahanIf(abs(y - p), ok) AS absolute_error_sum,
            sumKahanIf((y - p) * (y - p), ok) AS squared_error_sum,
            sumKahanIf(abs(y - p) / greatest(abs(y), {dw_eps:Float64}), ok) AS percentage_error_sum,
            ${labelDeviationsSql}
     ${pairsWithMeansSql(pairs)}
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
    ...labelSpreadOf(row),
  }));
}

/**
 * The labels' mean and Σ (y − ȳ)² per slice in numpy's corrected two-pass form: deviations
 * from a first pass's compensated mean, Σd² − (Σd)²/n, both sums compensated. Welford's
 * varPopStable lost ~4e-7 of the variance of labels far from zero with a small spread
 * (1e9 + noise of 1e-3), and R² and the explained variance divide by it. The aggregate
 * columns read `y`, `ok` (a finite pair) and `m` (pairsWithMeansSql); labelSpreadOf reads
 * them back.
 */
export const labelDeviationsSql = `countIf(ok) AS label_count, if(label_count = 0, 0, any(m)) AS label_mean,
            sumKahanIf((y - m) * (y - m), ok) AS label_squares, sumKahanIf(y - m, ok) AS label_deviations`;

/** FROM the pairs (columns slice, y, ok) each beside its slice's first-pass mean m. */
export function pairsWithMeansSql(pairs: string): string {
  return `FROM (${pairs}) AS pairs
     LEFT JOIN (SELECT slice, sumKahanIf(y, ok) / countIf(ok) AS m FROM (${pairs}) GROUP BY slice) AS means
     USING (slice)`;
}

export function labelSpreadOf(row: Record<string, string | number>): {
  labelMean: number;
  labelM2: number;
} {
  const n = Number(row.label_count);
  if (n === 0) return { labelMean: 0, labelM2: 0 };
  const deviations = Number(row.label_deviations);
  return {
    labelMean: Number(row.label_mean),
    labelM2: Math.max(0, Number(row.label_squares) - (deviations * deviations) / n),
  };
}

/** The finite residuals of a source, one row per (slice id, residual). */
function residualsSql(
  source: ProfileSource,
  keys: readonly ProfileSliceKey[],
  params: QueryParams,
  prefix: string,
): string {
  const label = sliceLabelsSql(keys, params, `${prefix}l`);
  return `SELECT ${sliceIdSql('lbl', params, `${prefix}l`)} AS slice, label_number - score AS r
          FROM (SELECT *, ${label} AS lbl FROM (${sourceRowsSql(source, params, `${prefix}s`)}))
          WHERE isFinite(ifNull(label_number, nan)) AND isFinite(ifNull(score, nan))`;
}

/**
 * Every residual of a source per slice (a baseline, or a label window's events): KS's D
 * needs each of them (src/drift/residualKs.ts). JSON's floats are the shortest round-trip
 * text, so every residual arrives bit for bit. The residuals come back in the answer, never
 * go out as query parameters: a server caps those with the URL (http_max_uri_size, 1 MiB),
 * which a baseline's residuals passed long before a million of them.
 */
export async function queryResiduals(
  store: Store,
  source: ProfileSource,
  keys: readonly ProfileSliceKey[],
): Promise<SliceResiduals[]> {
  const params: QueryParams = {};
  const rows = await store.query<{ slice: string; residuals: number[] }>(
    `SELECT slice, groupArray(r) AS residuals FROM (${residualsSql(source, keys, params, 'rr')})
     GROUP BY slice ORDER BY slice`,
    params,
  );
  return rows.map((row) => ({ slice: row.slice, residuals: Float64Array.from(row.residuals) }));
}
