/** Pure statistics: numbers in, numbers out. Aggregates come from SQL; the math is here. */
export { aurocFromCounts, aurocFromScoreHistogram, type ScoreHistogramRow } from './auroc.js';
export {
  binCounts,
  binEdgesFromQuantiles,
  binIndex,
  binQuantileLevels,
  DEFAULT_BIN_COUNT,
  edgesFromQuantiles,
  quantileR7,
} from './bins.js';
export { chiSquareHomogeneity, chiSquareSf, type ChiSquareResult } from './chiSquare.js';
export { benjaminiHochberg } from './fdr.js';
export { jensenShannonDistance } from './jensenShannon.js';
export { kolmogorovSf, kolmogorovSfLowerBound } from './kolmogorov.js';
export { ksPValueAsymp, ksPValueExact, ksStatistic, roundHalfEven } from './ks.js';
export {
  positiveRate,
  twoProportionZTest,
  type ProportionSample,
  type ZTestResult,
} from './proportions.js';
export { flooredProportions, PROPORTION_FLOOR } from './proportionsFloor.js';
export { psi } from './psi.js';
export {
  defaultsOf,
  featureKindOf,
  isFeatureStatistic,
  isStatisticName,
  STATISTIC_NAMES,
  STATISTICS,
  statisticInfo,
  statisticsFor,
  type AppliesTo,
  type DefaultThresholds,
  type StatisticInfo,
  type StatisticName,
  type Yields,
} from './registry.js';
export { smirnovSf } from './smirnov.js';
export { normedWasserstein, wasserstein1 } from './wasserstein.js';
