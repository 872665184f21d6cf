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

/** A baseline's residuals (label − prediction, both finite) in one slice, in no order. */
export interface BaselineResiduals {
  slice: string;
  residuals: Float64Array;
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
 * Every residual of a baseline per slice: KS's D needs each of them, and a stored baseline
 * version never changes, so the monitor reads them once per version and queryResidualKs
 * tests each label window against them. (JSON's floats are the shortest round-trip text,
 * so every residual arrives bit for bit.)
 */
export async function queryBaselineResiduals(
  store: Store,
  reference: ProfileSource,
  keys: readonly ProfileSliceKey[],
): Promise<BaselineResiduals[]> {
  const params: QueryParams = {};
  const rows = await store.query<{ slice: string; residuals: number[] }>(
    `SELECT slice, groupArray(r) AS residuals FROM (${residualsSql(reference, keys, params, 'rr')})
     GROUP BY slice ORDER BY slice`,
    params,
  );
  return rows.map((row) => ({ slice: row.slice, residuals: Float64Array.from(row.residuals) }));
}

/**
 * The residuals (label − prediction, both finite) of the baseline (queryBaselineResiduals)
 * against those of the label window, per slice: KS's D computed by ClickHouse over every
 * residual (exact; its own p-value differs from scipy's and is not read), the baseline's
 * travelling as their IEEE-754 bits so none is rounded. Slices with no residual on a side
 * get no D. Scans the window only.
 */
export async function queryResidualKs(
  store: Store,
  input: {
    reference: readonly BaselineResiduals[];
    current: WindowEvents;
    keys: readonly ProfileSliceKey[];
  },
): Promise<ResidualKsRow[]> {
  const params: QueryParams = {};
  const current = residualsSql(input.current, input.keys, params, 'rc');
  const counted = await store.query<{ slice: string; current: string }>(
    `SELECT slice, count() AS current FROM (${current}) GROUP BY slice ORDER BY slice`,
    params,
  );
  const currentCounts = new Map(counted.map((row) => [row.slice, Number(row.current)]));
  const referenceOf = new Map(input.reference.map((side) => [side.slice, side.residuals]));
  const both = input.reference.filter(
    (side) => side.residuals.length > 0 && (currentCounts.get(side.slice) ?? 0) > 0,
  );
  const tested =
    both.length === 0
      ? []
      : await store.query<{ slice: string; d: number }>(
          `SELECT slice, kolmogorovSmirnovTest('two-sided', 'asymp')(r, side).1 AS d
           FROM (SELECT s.1 AS slice, reinterpretAsFloat64(toUInt64(bits)) AS r, 0 AS side
                 FROM (SELECT arrayJoin(arrayZip({rk_slices:Array(String)}, {rk_bits:Array(Array(String))})) AS s)
                 ARRAY JOIN s.2 AS bits
                 UNION ALL
                 SELECT slice, r, 1 AS side FROM (${current}) WHERE slice IN {rk_slices:Array(String)})
           GROUP BY slice`,
          {
            ...params,
            rk_slices: both.map((side) => side.slice),
            rk_bits: both.map((side) => bitsOf(side.residuals)),
          },
        );
  const statistics = new Map(tested.map((row) => [row.slice, Number(row.d)]));
  const slices = [...new Set([...referenceOf.keys(), ...currentCounts.keys()])];
  return slices.map((slice) => ({
    slice,
    statistic: statistics.get(slice) ?? NaN,
    nReference: referenceOf.get(slice)?.length ?? 0,
    nCurrent: currentCounts.get(slice) ?? 0,
  }));
}

/** Each value's IEEE-754 bits as a decimal UInt64: a float that travels as text unrounded. */
function bitsOf(values: Float64Array): string[] {
  const bits = new BigUint64Array(values.buffer, values.byteOffset, values.length);
  return Array.from(bits, (b) => b.toString());
}
