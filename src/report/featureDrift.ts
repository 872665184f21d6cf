import {
  binEdgesFromQuantiles,
  chiSquareHomogeneity,
  jensenShannonDistance,
  ksPValueAsymp,
  normedWasserstein,
  psi,
} from '../stats/index.js';

/**
 * Turns the aggregates of one feature in one slice into its drift entry. Pure: the
 * aggregates come from ClickHouse (src/store/driftQueries.ts), the math from src/stats.
 */
export interface DriftCriteria {
  /** KS / chi-square significance level. */
  pValue: number;
  /** Effect size a significant KS D or Jensen-Shannon distance must also reach: on large
   * samples every p-value is tiny, so significance alone alarms on harmless differences. */
  minEffect: number;
  /** PSI at or above which a feature has drifted whatever the tests say. */
  psi: number;
}

export const DEFAULT_DRIFT_CRITERIA: DriftCriteria = { pValue: 0.01, minEffect: 0.1, psi: 0.25 };

export type DriftMethod = 'ks' | 'chi2' | 'psi' | 'new_categories' | 'insufficient_data';

export interface Histogram {
  /** Inner bin edges for numeric features (bins are open at both ends). */
  edges?: number[];
  /** Category labels for categorical features. */
  categories?: string[];
  reference: number[];
  current: number[];
}

interface FeatureDriftBase {
  name: string;
  slice: string;
  n_reference: number;
  n_current: number;
  null_rate: { reference: number | null; current: number | null };
  psi: number | null;
  jensen_shannon: number | null;
  drift: boolean;
  method: DriftMethod;
  histogram: Histogram;
}

export interface NumericFeatureDrift extends FeatureDriftBase {
  kind: 'numeric';
  ks: { statistic: number | null; p_value: number | null };
  wasserstein: number | null;
  wasserstein_normed: number | null;
  /** The baseline's smallest and largest value: the default valid range of monitors. */
  reference_range: { min: number; max: number } | null;
}

export interface CategoricalFeatureDrift extends FeatureDriftBase {
  kind: 'categorical';
  chi2: { statistic: number | null; p_value: number | null; dof: number | null };
  new_categories: string[];
}

export type FeatureDrift = NumericFeatureDrift | CategoricalFeatureDrift;

export interface NumericAggregates {
  name: string;
  slice: string;
  reference: {
    n: number;
    nulls: number;
    quantiles: number[];
    stddevPop: number;
    min: number | null;
    max: number | null;
  };
  current: { n: number; nulls: number };
  binCounts: { reference: number[]; current: number[] };
  ksStatistic: number;
  wasserstein: number;
}

export function edgesFromQuantiles(quantiles: readonly number[]): number[] {
  return quantiles.length === 0 ? [] : binEdgesFromQuantiles(quantiles);
}

export function numericFeatureDrift(
  aggregates: NumericAggregates,
  criteria: DriftCriteria = DEFAULT_DRIFT_CRITERIA,
): NumericFeatureDrift {
  const { reference, current } = aggregates;
  const edges = edgesFromQuantiles(reference.quantiles);
  const base = {
    kind: 'numeric' as const,
    name: aggregates.name,
    slice: aggregates.slice,
    n_reference: reference.n,
    n_current: current.n,
    null_rate: { reference: nullRate(reference), current: nullRate(current) },
    histogram: {
      edges,
      reference: aggregates.binCounts.reference,
      current: aggregates.binCounts.current,
    },
    reference_range:
      reference.min !== null && reference.max !== null
        ? { min: reference.min, max: reference.max }
        : null,
  };
  if (reference.n === 0 || current.n === 0) {
    return {
      ...base,
      psi: null,
      jensen_shannon: null,
      ks: { statistic: null, p_value: null },
      wasserstein: null,
      wasserstein_normed: null,
      drift: false,
      method: 'insufficient_data',
    };
  }
  const psiValue = psi(aggregates.binCounts.reference, aggregates.binCounts.current);
  const ks = {
    statistic: aggregates.ksStatistic,
    p_value: ksPValueAsymp(aggregates.ksStatistic, reference.n, current.n),
  };
  const ksFired = ks.p_value < criteria.pValue && ks.statistic >= criteria.minEffect;
  const psiFired = psiValue >= criteria.psi;
  return {
    ...base,
    psi: psiValue,
    jensen_shannon: jensenShannonDistance(
      aggregates.binCounts.reference,
      aggregates.binCounts.current,
    ),
    ks,
    wasserstein: aggregates.wasserstein,
    wasserstein_normed: finiteOrNull(
      normedWasserstein(aggregates.wasserstein, reference.stddevPop),
    ),
    drift: ksFired || psiFired,
    method: ksFired || !psiFired ? 'ks' : 'psi',
  };
}

export interface CategoricalAggregates {
  name: string;
  slice: string;
  /** Counts per category; the null category is counted apart. */
  reference: Map<string, number>;
  current: Map<string, number>;
  nulls: { reference: number; current: number };
}

export function categoricalFeatureDrift(
  aggregates: CategoricalAggregates,
  criteria: DriftCriteria = DEFAULT_DRIFT_CRITERIA,
): CategoricalFeatureDrift {
  const categories = [
    ...new Set([...aggregates.reference.keys(), ...aggregates.current.keys()]),
  ].sort();
  const referenceCounts = categories.map((category) => aggregates.reference.get(category) ?? 0);
  const currentCounts = categories.map((category) => aggregates.current.get(category) ?? 0);
  const nReference = sum(referenceCounts);
  const nCurrent = sum(currentCounts);
  const base = {
    kind: 'categorical' as const,
    name: aggregates.name,
    slice: aggregates.slice,
    n_reference: nReference,
    n_current: nCurrent,
    null_rate: {
      reference: rate(aggregates.nulls.reference, nReference + aggregates.nulls.reference),
      current: rate(aggregates.nulls.current, nCurrent + aggregates.nulls.current),
    },
    histogram: { categories, reference: referenceCounts, current: currentCounts },
  };
  if (nReference === 0 || nCurrent === 0) {
    return {
      ...base,
      psi: null,
      jensen_shannon: null,
      chi2: { statistic: null, p_value: null, dof: null },
      new_categories: categories.filter((category) => !aggregates.reference.has(category)),
      drift: false,
      method: 'insufficient_data',
    };
  }
  const chi2 = chiSquareHomogeneity(aggregates.reference, aggregates.current);
  const psiValue = psi(referenceCounts, currentCounts);
  const js = jensenShannonDistance(referenceCounts, currentCounts);
  const chi2Fired = chi2.pValue < criteria.pValue && js >= criteria.minEffect;
  const psiFired = psiValue >= criteria.psi;
  const method: DriftMethod = chi2Fired ? 'chi2' : psiFired ? 'psi' : 'chi2';
  return {
    ...base,
    psi: psiValue,
    jensen_shannon: js,
    chi2: { statistic: chi2.statistic, p_value: chi2.pValue, dof: chi2.dof },
    new_categories: chi2.newCategories,
    drift: chi2Fired || psiFired,
    method,
  };
}

function nullRate(side: { n: number; nulls: number }): number | null {
  return rate(side.nulls, side.n + side.nulls);
}

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
