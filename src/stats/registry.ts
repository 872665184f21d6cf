/**
 * What each statistic is, in one place: what it applies to, whether it is a test (p-value)
 * or a distance, and its default thresholds. Monitors and reports look statistics up here.
 */
export type AppliesTo = 'numeric' | 'categorical' | 'classification' | 'any';

export interface StatisticInfo {
  name: string;
  appliesTo: readonly AppliesTo[];
  yields: 'p_value' | 'distance' | 'rate' | 'score';
  defaults: { warn?: number; critical?: number; pValue?: number; minEffect?: number };
  description: string;
}

export const STATISTICS: readonly StatisticInfo[] = [
  {
    name: 'psi',
    appliesTo: ['numeric', 'categorical'],
    yields: 'distance',
    defaults: { warn: 0.1, critical: 0.25 },
    description: 'Population Stability Index over reference-quantile bins',
  },
  {
    name: 'jensen_shannon',
    appliesTo: ['numeric', 'categorical'],
    yields: 'distance',
    defaults: { warn: 0.1, critical: 0.2 },
    description: 'Jensen-Shannon distance, base 2',
  },
  {
    name: 'ks',
    appliesTo: ['numeric'],
    yields: 'p_value',
    defaults: { pValue: 0.01, minEffect: 0.1 },
    description: 'two-sample Kolmogorov-Smirnov test',
  },
  {
    name: 'wasserstein_normed',
    appliesTo: ['numeric'],
    yields: 'distance',
    defaults: { warn: 0.1, critical: 0.3 },
    description: 'Wasserstein-1 over the reference standard deviation',
  },
  {
    name: 'chi2',
    appliesTo: ['categorical'],
    yields: 'p_value',
    defaults: { pValue: 0.01, minEffect: 0.1 },
    description: 'chi-square test of homogeneity',
  },
  {
    name: 'null_rate',
    appliesTo: ['any'],
    yields: 'rate',
    defaults: { critical: 0.05 },
    description: 'share of missing values',
  },
  {
    name: 'positive_rate',
    appliesTo: ['classification'],
    yields: 'p_value',
    defaults: { pValue: 0.01, critical: 0.05 },
    description: 'two-proportion z-test on the positive rate',
  },
  {
    name: 'auroc',
    appliesTo: ['classification'],
    yields: 'score',
    defaults: { critical: 0.8 },
    description: 'area under the ROC curve, ties half',
  },
];

export function statisticInfo(name: string): StatisticInfo | undefined {
  return STATISTICS.find((statistic) => statistic.name === name);
}
