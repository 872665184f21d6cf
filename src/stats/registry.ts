/**
 * One record per statistic: what it applies to, what kind of number it yields, and its
 * default thresholds. Monitors and reports look statistics up here rather than spreading
 * these facts around.
 */

export type StatisticName =
  | 'psi'
  | 'jensen_shannon'
  | 'ks'
  | 'wasserstein'
  | 'wasserstein_normed'
  | 'chi2'
  | 'null_rate'
  | 'positive_rate'
  | 'auroc';

export type AppliesTo = 'numeric' | 'categorical' | 'classification' | 'any';

/**
 * - 'distance': larger means more drift; alarm at or above warn / critical.
 * - 'p_value': a test; alarm below pValue.
 * - 'score': a quality score, larger is better; alarm below warn / critical.
 */
export type Yields = 'distance' | 'p_value' | 'score';

export type DefaultThresholds =
  | { kind: 'distance'; warn: number | null; critical: number | null }
  | { kind: 'p_value'; pValue: number }
  | { kind: 'score'; warn: number | null; critical: number | null };

export interface StatisticInfo {
  name: StatisticName;
  appliesTo: readonly AppliesTo[];
  yields: Yields;
  defaults: DefaultThresholds;
  description: string;
}

const distance = (warn: number | null, critical: number | null): DefaultThresholds => ({
  kind: 'distance',
  warn,
  critical,
});
const pValue = (level: number): DefaultThresholds => ({ kind: 'p_value', pValue: level });

export const STATISTICS: Readonly<Record<StatisticName, StatisticInfo>> = {
  psi: {
    name: 'psi',
    appliesTo: ['numeric', 'categorical'],
    yields: 'distance',
    defaults: distance(0.1, 0.25),
    description: 'Population Stability Index over reference-quantile bins or categories',
  },
  jensen_shannon: {
    name: 'jensen_shannon',
    appliesTo: ['numeric', 'categorical'],
    yields: 'distance',
    defaults: distance(null, 0.1),
    description: 'Jensen-Shannon distance, base 2, over the same bins as PSI',
  },
  ks: {
    name: 'ks',
    appliesTo: ['numeric'],
    yields: 'p_value',
    defaults: pValue(0.01),
    description: 'two-sample Kolmogorov-Smirnov test (asymptotic p-value)',
  },
  wasserstein: {
    name: 'wasserstein',
    appliesTo: ['numeric'],
    yields: 'distance',
    // in the feature's own units: no threshold fits every feature
    defaults: distance(null, null),
    description: 'Wasserstein-1 (earth mover’s) distance',
  },
  wasserstein_normed: {
    name: 'wasserstein_normed',
    appliesTo: ['numeric'],
    yields: 'distance',
    defaults: distance(null, 0.1),
    description: 'Wasserstein-1 over the reference population standard deviation',
  },
  chi2: {
    name: 'chi2',
    appliesTo: ['categorical'],
    yields: 'p_value',
    defaults: pValue(0.01),
    description: 'chi-square test of homogeneity over the categories seen',
  },
  null_rate: {
    name: 'null_rate',
    appliesTo: ['any'],
    yields: 'distance',
    defaults: distance(null, 0.05),
    description: 'increase in the share of missing values',
  },
  positive_rate: {
    name: 'positive_rate',
    appliesTo: ['classification'],
    yields: 'p_value',
    defaults: pValue(0.01),
    description: 'two-proportion z-test on the predicted positive rate',
  },
  auroc: {
    name: 'auroc',
    appliesTo: ['classification'],
    yields: 'score',
    defaults: { kind: 'score', warn: null, critical: 0.5 },
    description: 'area under the ROC curve, ties counting half',
  },
};

export const STATISTIC_NAMES = Object.keys(STATISTICS) as StatisticName[];

export function isStatisticName(name: string): name is StatisticName {
  return Object.hasOwn(STATISTICS, name);
}

export function statisticInfo(name: StatisticName): StatisticInfo {
  return STATISTICS[name];
}

/** The statistics that apply to a feature or model output of this kind. */
export function statisticsFor(kind: Exclude<AppliesTo, 'any'>): StatisticInfo[] {
  return STATISTIC_NAMES.map((name) => STATISTICS[name]).filter(
    (info) => info.appliesTo.includes(kind) || info.appliesTo.includes('any'),
  );
}
