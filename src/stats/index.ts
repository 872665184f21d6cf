/** Pure statistics: numbers in, numbers out. Aggregates come from SQL; the math is here. */
export {
  aurocFromCounts,
  aurocFromScoreHistogram,
  mannWhitneyOfSorted,
  type ScoreHistogramRow,
} from './auroc.js';
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
export { smirnovSf } from './smirnov.js';
export { normedWasserstein, wasserstein1 } from './wasserstein.js';
export { aurocBracketFromCells, labelledScoreCells, type WeightedScoreCell } from './aurocCells.js';
export {
  calibrateClasses,
  DEFAULT_BAND_WIDTH,
  emptyBinaryCbpe,
  emptyMulticlassCbpe,
  emptyProbabilitySums,
  estimateBinary,
  estimateBinaryFromCells,
  estimateBinaryFromSums,
  estimateMulticlass,
  estimateMulticlassFromSums,
  mergeBinaryCbpe,
  mergeMulticlassCbpe,
  outsideBand,
  summaryScoreCell,
  updateBinaryCbpe,
  updateMulticlassCbpe,
  type BinaryCbpeSums,
  type BinaryEstimate,
  type CbpeOptions,
  type Estimate,
  type ExpectedConfusion,
  type ExpectedScoreCell,
  type MulticlassCbpeSums,
  type MulticlassEstimate,
  type ProbabilitySums,
} from './cbpe.js';
export {
  cellMean,
  concaveSumBounds,
  convexSumBounds,
  monotoneSumBounds,
  type ValueCell,
} from './cellSums.js';
export {
  binaryQualityFromCells,
  binaryQualityMetrics,
  calibrationBin,
  DEFAULT_CALIBRATION_BINS,
  emptyBinaryQuality,
  LOG_LOSS_EPS,
  mergeBinaryQuality,
  thresholdMetrics,
  updateBinaryQuality,
  type BinaryQualityBrackets,
  type BinaryQualityMetrics,
  type BinaryQualityOptions,
  type BinaryQualitySums,
  type ConfusionCounts,
  type LabelledScoreCells,
  type ReliabilityPoint,
} from './classificationQuality.js';
export {
  bracketOf as bracketOfInterval,
  exact as exactInterval,
  type Bracket as IntervalBracket,
  type Interval,
} from './interval.js';
export {
  calibrate,
  calibratedSumBounds,
  fitIsotonic,
  fitIsotonicFromHistogram,
  knotsInside,
  type IsotonicCalibration,
} from './isotonic.js';
export {
  classesOf,
  emptyMulticlassConfusion,
  emptyMulticlassScores,
  mergeMulticlassConfusion,
  mergeMulticlassScores,
  multiclassAuroc,
  multiclassAurocFromCells,
  multiclassMetrics,
  updateMulticlassConfusion,
  updateMulticlassScores,
  type ClassScoreCells,
  type MulticlassConfusion,
  type MulticlassMetrics,
  type MulticlassScores,
  type OvrAuroc,
  type PerClassQuality,
} from './multiclass.js';
export {
  emptyRegression,
  MAPE_EPS,
  mergeRegression,
  r2Of,
  regressionFromCells,
  regressionMetrics,
  updateRegression,
  type ErrorByLabelCell,
  type RegressionBrackets,
  type RegressionCells,
  type RegressionMetrics,
  type RegressionSums,
} from './regression.js';
