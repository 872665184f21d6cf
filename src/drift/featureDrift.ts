import {
  chiSquareHomogeneity,
  edgesFromQuantiles,
  jensenShannonDistance,
  normedWasserstein,
  psi,
} from '../stats/index.js';
import {
  exactBinCounts,
  isExact,
  jensenShannonBracket,
  ksPValueBracket,
  psiBracket,
  type BinCounts,
  type Bracket,
} from './cells.js';

/**
 * One feature in one slice: the drift entry the report prints and monitors judge. Built
 * from aggregates that are exact (the report's merged sorts) or bracketed (cells from
 * summaries); either way every number comes with its bracket when it is not exact.
 */
export interface DriftCriteria {
  /** KS / chi-square significance level. */
  pValue: number;
  /** Effect size a significant KS D or Jensen-Shannon distance must also reach: on large
   * samples every p-value is tiny, so significance alone alarms on harmless differences. */
  minEffect: number;
  /** PSI at or above which a feature has drifted whatever the tests say. */
  psi: number;
  /** A null rate rising by more than this (current − reference) marks the feature. */
  maxNullIncrease: number;
}

/** A KS p-value bracket from the D bracket and the two sample sizes. */
export type KsPValue = (d: Bracket, nReference: number, nCurrent: number) => Bracket;

export const DEFAULT_DRIFT_CRITERIA: DriftCriteria = {
  pValue: 0.01,
  minEffect: 0.1,
  psi: 0.25,
  maxNullIncrease: 0.05,
};

export type DriftMethod =
  'ks' | 'chi2' | 'psi' | 'null_rate' | 'new_categories' | 'insufficient_data';

export interface Histogram {
  /** Inner bin edges for numeric features (bins are open at both ends). */
  edges?: number[];
  /** Category labels for categorical features. */
  categories?: string[];
  reference: number[];
  current: number[];
}

/** [lower, upper] of each value that is not exact; absent when every value is exact. */
export interface Brackets {
  psi?: [number, number];
  jensen_shannon?: [number, number];
  ks_statistic?: [number, number];
  ks_p_value?: [number, number];
  wasserstein?: [number, number];
  wasserstein_normed?: [number, number];
}

/** Counts per sample of what distribution statistics leave out, each its own finding. */
export interface DataQualityCounts {
  /** Rows in the sample (slice). */
  rows: number;
  /** Null or absent. */
  nulls: number;
  /** NaN, +inf or −inf: numbers, but not values. */
  non_finite: number;
  /** Text for a numeric feature, a number for a categorical one. */
  wrong_type: number;
}

interface FeatureDriftBase {
  name: string;
  slice: string;
  /** Values in the distribution statistics (finite numbers, or categories). */
  n_reference: number;
  n_current: number;
  null_rate: { reference: number | null; current: number | null };
  quality: { reference: DataQualityCounts; current: DataQualityCounts };
  /** True when the null rate rose by more than the criteria allow. */
  null_rate_drift: boolean;
  psi: number | null;
  jensen_shannon: number | null;
  drift: boolean;
  method: DriftMethod;
  /** False when a value below carries a bracket instead of being exact. */
  exact: boolean;
  /** True when a bracket straddles a criterion and the verdict took its worst case. */
  undecided?: boolean;
  brackets?: Brackets;
  histogram: Histogram;
}

export interface NumericFeatureDrift extends FeatureDriftBase {
  kind: 'numeric';
  ks: { statistic: number | null; p_value: number | null };
  wasserstein: number | null;
  wasserstein_normed: number | null;
  /** The baseline's smallest and largest finite value: the default valid range of monitors. */
  reference_range: { min: number; max: number } | null;
}

export interface CategoricalFeatureDrift extends FeatureDriftBase {
  kind: 'categorical';
  chi2: { statistic: number | null; p_value: number | null; dof: number | null };
  new_categories: string[];
}

export type FeatureDrift = NumericFeatureDrift | CategoricalFeatureDrift;

/** Drifted first, then by PSI, so a reader sees the worst at the top. */
export function worstFirst(a: FeatureDrift, b: FeatureDrift): number {
  if (a.drift !== b.drift) return a.drift ? -1 : 1;
  return (
    (b.psi ?? -1) - (a.psi ?? -1) || a.name.localeCompare(b.name) || a.slice.localeCompare(b.slice)
  );
}

export function emptyQuality(): DataQualityCounts {
  return { rows: 0, nulls: 0, non_finite: 0, wrong_type: 0 };
}

export interface NumericComparison {
  name: string;
  slice: string;
  reference: {
    quality: DataQualityCounts;
    /** Decile quantiles of the finite values. */
    quantiles: number[];
    stddevPop: number;
    min: number | null;
    max: number | null;
  };
  current: { quality: DataQualityCounts };
  /** Finite values per bin on the reference's edges. */
  binCounts: { reference: BinCounts; current: BinCounts };
  ks: Bracket | null;
  wasserstein: Bracket | null;
}

/** The three-way answer of a criterion on a bracket. */
type Decision = 'yes' | 'no' | 'undecided';

function atLeast(value: Bracket | null, threshold: number): Decision {
  if (!value) return 'no';
  if (value.lower >= threshold) return 'yes';
  if (value.upper < threshold) return 'no';
  return 'undecided';
}

function below(value: Bracket | null, threshold: number): Decision {
  if (!value) return 'no';
  if (value.upper < threshold) return 'yes';
  if (value.lower >= threshold) return 'no';
  return 'undecided';
}

function both(a: Decision, b: Decision): Decision {
  if (a === 'no' || b === 'no') return 'no';
  return a === 'yes' && b === 'yes' ? 'yes' : 'undecided';
}

function either(a: Decision, b: Decision): Decision {
  if (a === 'yes' || b === 'yes') return 'yes';
  return a === 'no' && b === 'no' ? 'no' : 'undecided';
}

function pair(bracket: Bracket | null): [number, number] | undefined {
  return bracket && !isExact(bracket) ? [bracket.lower, bracket.upper] : undefined;
}

function valueOf(bracket: Bracket | null): number | null {
  return bracket && Number.isFinite(bracket.value) ? bracket.value : null;
}

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function nullRates(reference: DataQualityCounts, current: DataQualityCounts) {
  return {
    reference: rate(reference.nulls, reference.rows),
    current: rate(current.nulls, current.rows),
  };
}

function nullRateRose(
  rates: { reference: number | null; current: number | null },
  criteria: DriftCriteria,
): boolean {
  return (
    rates.reference !== null &&
    rates.current !== null &&
    rates.current - rates.reference > criteria.maxNullIncrease
  );
}

/** Mid-range counts for the histogram when a bin's count is only bounded. */
function displayCounts(counts: BinCounts): number[] {
  return counts.ranges.map((range) => (range.lower + range.upper) / 2);
}

export function numericFeatureDrift(
  comparison: NumericComparison,
  criteria: DriftCriteria = DEFAULT_DRIFT_CRITERIA,
  /** The KS p-value from D: exact-as-scipy's bracket, or a backtest's cheaper wider one (ksKnots). */
  ksPValue: KsPValue = ksPValueBracket,
): NumericFeatureDrift {
  const { reference, current } = comparison;
  const edges = edgesFromQuantiles(reference.quantiles);
  const nReference = comparison.binCounts.reference.total;
  const nCurrent = comparison.binCounts.current.total;
  const nullRate = nullRates(reference.quality, current.quality);
  const nullDrift = nullRateRose(nullRate, criteria);
  const base = {
    kind: 'numeric' as const,
    name: comparison.name,
    slice: comparison.slice,
    n_reference: nReference,
    n_current: nCurrent,
    null_rate: nullRate,
    quality: { reference: reference.quality, current: current.quality },
    null_rate_drift: nullDrift,
    histogram: {
      edges,
      reference: displayCounts(comparison.binCounts.reference),
      current: displayCounts(comparison.binCounts.current),
    },
    reference_range:
      reference.min !== null && reference.max !== null && nReference > 0
        ? { min: reference.min, max: reference.max }
        : null,
  };
  if (nReference === 0 || nCurrent === 0 || !comparison.ks || !comparison.wasserstein) {
    return {
      ...base,
      psi: null,
      jensen_shannon: null,
      ks: { statistic: null, p_value: null },
      wasserstein: null,
      wasserstein_normed: null,
      exact: true,
      drift: nullDrift,
      method: nullDrift ? 'null_rate' : 'insufficient_data',
    };
  }
  const psiValue = psiBracket(comparison.binCounts.reference, comparison.binCounts.current);
  const jsValue = jensenShannonBracket(
    comparison.binCounts.reference,
    comparison.binCounts.current,
  );
  const pValue = ksPValue(comparison.ks, nReference, nCurrent);
  const normed = (w: number) => normedWasserstein(w, reference.stddevPop);
  const wNormed: Bracket = {
    value: normed(comparison.wasserstein.value),
    lower: normed(comparison.wasserstein.lower),
    upper: normed(comparison.wasserstein.upper),
  };
  const ksFired = both(below(pValue, criteria.pValue), atLeast(comparison.ks, criteria.minEffect));
  const psiFired = atLeast(psiValue, criteria.psi);
  const distribution = either(ksFired, psiFired);
  const brackets: Brackets = {
    psi: pair(psiValue),
    jensen_shannon: pair(jsValue),
    ks_statistic: pair(comparison.ks),
    ks_p_value: pair(pValue),
    wasserstein: pair(comparison.wasserstein),
    wasserstein_normed: Number.isFinite(wNormed.value) ? pair(wNormed) : undefined,
  };
  const inexact = Object.values(brackets).some((value) => value !== undefined);
  return {
    ...base,
    psi: valueOf(psiValue),
    jensen_shannon: valueOf(jsValue),
    ks: { statistic: comparison.ks.value, p_value: valueOf(pValue) },
    wasserstein: valueOf(comparison.wasserstein),
    wasserstein_normed: Number.isFinite(wNormed.value) ? wNormed.value : null,
    exact: !inexact,
    ...(inexact ? { brackets: prune(brackets) } : {}),
    ...(distribution === 'undecided' ? { undecided: true } : {}),
    // A straddling bracket is judged by its worst case: drift that might be there is shown.
    drift: distribution !== 'no' || nullDrift,
    method: ksFired !== 'no' ? 'ks' : psiFired !== 'no' ? 'psi' : nullDrift ? 'null_rate' : 'ks',
  };
}

function prune(brackets: Brackets): Brackets {
  return Object.fromEntries(
    Object.entries(brackets).filter(([, value]) => value !== undefined),
  ) as Brackets;
}

export interface CategoricalComparison {
  name: string;
  slice: string;
  /** Counts per category; nulls and wrong types are in the quality counts. */
  reference: Map<string, number>;
  current: Map<string, number>;
  quality: { reference: DataQualityCounts; current: DataQualityCounts };
}

export function categoricalFeatureDrift(
  comparison: CategoricalComparison,
  criteria: DriftCriteria = DEFAULT_DRIFT_CRITERIA,
): CategoricalFeatureDrift {
  const categories = [
    ...new Set([...comparison.reference.keys(), ...comparison.current.keys()]),
  ].sort();
  const referenceCounts = categories.map((category) => comparison.reference.get(category) ?? 0);
  const currentCounts = categories.map((category) => comparison.current.get(category) ?? 0);
  const nReference = sum(referenceCounts);
  const nCurrent = sum(currentCounts);
  const nullRate = nullRates(comparison.quality.reference, comparison.quality.current);
  const nullDrift = nullRateRose(nullRate, criteria);
  const base = {
    kind: 'categorical' as const,
    name: comparison.name,
    slice: comparison.slice,
    n_reference: nReference,
    n_current: nCurrent,
    null_rate: nullRate,
    quality: comparison.quality,
    null_rate_drift: nullDrift,
    exact: true,
    histogram: { categories, reference: referenceCounts, current: currentCounts },
  };
  if (nReference === 0 || nCurrent === 0) {
    return {
      ...base,
      psi: null,
      jensen_shannon: null,
      chi2: { statistic: null, p_value: null, dof: null },
      new_categories: categories.filter((category) => !comparison.reference.has(category)),
      drift: nullDrift,
      method: nullDrift ? 'null_rate' : 'insufficient_data',
    };
  }
  const chi2 = chiSquareHomogeneity(comparison.reference, comparison.current);
  const psiValue = psi(referenceCounts, currentCounts);
  const js = jensenShannonDistance(referenceCounts, currentCounts);
  const chi2Fired = chi2.pValue < criteria.pValue && js >= criteria.minEffect;
  const psiFired = psiValue >= criteria.psi;
  const method: DriftMethod = chi2Fired
    ? 'chi2'
    : psiFired
      ? 'psi'
      : nullDrift
        ? 'null_rate'
        : 'chi2';
  return {
    ...base,
    psi: psiValue,
    jensen_shannon: js,
    chi2: { statistic: chi2.statistic, p_value: chi2.pValue, dof: chi2.dof },
    new_categories: chi2.newCategories,
    drift: chi2Fired || psiFired || nullDrift,
    method,
  };
}

/** Exact bin counts as BinCounts, for aggregates computed on every value. */
export { exactBinCounts };

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
