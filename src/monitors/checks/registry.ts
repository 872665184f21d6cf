import { MODEL_TASKS, type ModelTask } from '../modelTask.js';
import type { WindowActivity } from '../windowAggregates.js';
import {
  countKind,
  calibrationKind,
  delayKind,
  estimationErrorKind,
  distanceKind,
  pValueKind,
  rateIncreaseKind,
  rateKind,
  ratioKind,
  scoreKind,
  shiftKind,
  testedShiftKind,
  type DefaultThresholds,
  type EstimatedMetric,
  type DefaultsKind,
  type JudgeKind,
  type Measurement,
  type RenderSpec,
  type Severity,
} from './kinds.js';
import {
  binaryQualityMeasure,
  distanceOf,
  exactCount,
  measureActualPositiveRate,
  measureAuroc,
  measureCalibration,
  estimatedMeasure,
  measureChi2,
  measureDuplicates,
  measureEstimationError,
  measureFreshness,
  measureKs,
  measureNewCategories,
  measureNullRate,
  measureResidualKs,
  measurePositiveRate,
  measureSchema,
  measureVolume,
  measureClassScorePsi,
  measureRocAucOvr,
  multiclassMeasure,
  predictedClassMeasure,
  regressionMeasure,
  secondsSinceLastEvent,
  shareOf,
  type MeasureContext,
  type MulticlassAverage,
} from './measures.js';
import {
  categoricalDrift,
  classScoreDrift,
  estimatedAndRealizedSlices,
  estimatedSlices,
  featureDrift,
  featureQuality,
  accuracySlices,
  isMulticlassSlice,
  labelledSlices,
  multiclassSlices,
  numericDrift,
  predictedClassDrift,
  regressionSlices,
  residualSlices,
  sliceQuality,
  wholeWindow,
  type Subject,
} from './subjects.js';

/**
 * The checks a monitor file can name, one entry each: what it applies to, how it is judged
 * (its kind: thresholds, YAML fields, plan), what its verdicts are about (its subject) and
 * what it reads for each (its measure), what else a run must fetch for it, how a straddling
 * bracket is settled exactly, and how an alert states it. The judge, the evaluator, the
 * monitor file's validation and JSON Schema, and the alert texts look checks up here and
 * nowhere else: a new statistic is one entry here, its math in src/stats and its tests.
 */

/**
 * - numeric / categorical / any: features of that kind (checks select features);
 * - scores: the model's scores; labels: scores (or predicted classes) with their late labels;
 * - predictions: the model's predicted classes;
 * - window: the window as a whole (its events, its schema).
 */
export type AppliesTo =
  'numeric' | 'categorical' | 'any' | 'scores' | 'labels' | 'predictions' | 'window';
export type FeatureScope = Extract<AppliesTo, 'numeric' | 'categorical' | 'any'>;

export function isFeatureScope(appliesTo: AppliesTo): appliesTo is FeatureScope {
  return appliesTo === 'numeric' || appliesTo === 'categorical' || appliesTo === 'any';
}

/** What a run fetches for a check beyond the window's summaries (evaluateWindow.ts). */
export interface Needs<P> {
  /** Duplicated prediction ids, counted from the window's raw rows. */
  duplicates?: boolean;
  /** The labelled predictions of the label window (the window whose labels are due). */
  labels?: boolean;
  /** The label window's predictions with their labels as numbers: a regression's error sums. */
  regressionLabels?: boolean;
  /** A regression's residuals in the label window against the baseline's (KS's D in SQL). */
  residuals?: boolean;
  /** The label window's predicted classes and class scores with their labels as class names. */
  multiclassLabels?: boolean;
  /** The predicted classes of the window and of the baseline, counted per slice from raw rows. */
  predictedClasses?: boolean;
  /** Each class score's bins (the baseline's deciles) in the window and the baseline, from raw rows. */
  classScores?: boolean;
  /** The label window's binary quality terms at the threshold (confusion, log loss, Brier). */
  binaryQuality?: boolean;
  /** The equal-width calibration bins it measures over (the quality terms are summed per bin). */
  calibrationBins?(check: P): number;
  /** The monitor's prediction.threshold (in a binary monitor: it splits the scores). */
  threshold?: boolean;
  /**
   * CBPE: the isotonic calibration fitted on the labelled baseline (once per baseline
   * version) and the estimate of each slice from the window's score cells.
   */
  calibration?: boolean;
  /** CBPE of the label window too, beside its realized confusion counts. */
  labelWindowEstimate?: boolean;
  /** Events of a trailing period before the window, to expect this check's volume from. */
  trailingMs?(check: P): number;
  /** How far back from the window's end to look for the last event when the window has none. */
  lookBackMs?(check: P): number;
}

/**
 * How a verdict whose bracket straddles its threshold is settled from raw rows: the report's
 * exact drift for its (feature, slice), or exact window counts (out of range, predicted
 * positives). The evaluator holds one resolver per name.
 */
export type FallbackName = 'exact_drift' | 'exact_counts' | 'exact_estimate';

/** A check's plan fields: its id and metric, its kind's params, and features when it has them. */
export type CheckParams<P, A extends AppliesTo> = { id: string; metric: string } & P &
  (A extends FeatureScope ? { features: string[] } : unknown);

export interface CheckEntry<S, P extends object, A extends AppliesTo> {
  appliesTo: A;
  /** The model tasks it applies to (a monitor file's `task`; binary until that key lands). */
  tasks: readonly ModelTask[];
  kind: JudgeKind<P>;
  defaults: DefaultThresholds;
  subject: Subject<S>;
  measure(item: S, check: CheckParams<P, A>, context: MeasureContext): Measurement;
  needs?: Needs<P>;
  /** What a monitor run computes it from: the window summaries, or raw rows (bounded). */
  computedFrom: 'summaries' | 'raw';
  fallback?: FallbackName;
  /** How an alert line states it, when not its kind's way. */
  render?: RenderSpec;
  /** Its value in a window without events (a volume of 0, the seconds since the last event). */
  noDataValue?(activity: WindowActivity): number | null;
  /** Its name in messages, when not the metric's. */
  title?: string;
  description: string;
}

function entry<S, P extends object, const A extends AppliesTo>(
  definition: CheckEntry<S, P, A>,
): CheckEntry<S, P, A> {
  return definition;
}

const EVERY_TASK = MODEL_TASKS;
const BINARY: readonly ModelTask[] = ['binary'];
const REGRESSION: readonly ModelTask[] = ['regression'];
const REGRESSION_NEEDS = { labels: true, regressionLabels: true };
const BINARY_QUALITY_NEEDS = { labels: true, binaryQuality: true, threshold: true };
const MULTICLASS: readonly ModelTask[] = ['multiclass'];
const BINARY_AND_MULTICLASS: readonly ModelTask[] = ['binary', 'multiclass'];
const MULTICLASS_NEEDS = { labels: true, multiclassLabels: true };
const MULTICLASS_QUALITY =
  ', with each class’s precision, recall, F1 and support and the confusion matrix in its details, once labels are due';
const DAY = 86_400_000;
const ESTIMATED_NEEDS = { threshold: true, calibration: true };
const ESTIMATED_DEFAULTS: DefaultThresholds = { kind: 'score', warn: null, critical: 0.5 };
const CBPE_NOTE =
  'estimated by CBPE from the window’s scores, calibrated on the labelled baseline, before labels arrive';

const MULTICLASS_CBPE_NOTE =
  'for a multiclass model, from its class `scores` (one isotonic calibration per class, one vs rest, renormalised per event; computed from the window’s raw rows)';

/**
 * A regression error of the label window (MAE, RMSE, MAPE): a distance in the label's units,
 * or a fraction for MAPE, so no default threshold fits every model.
 */
function regressionErrorEntry(metric: 'mae' | 'rmse' | 'mape', title: string, description: string) {
  return entry({
    appliesTo: 'labels',
    tasks: REGRESSION,
    kind: distanceKind,
    defaults: distanceDefaults(null, null),
    subject: regressionSlices,
    measure: regressionMeasure(metric),
    needs: REGRESSION_NEEDS,
    computedFrom: 'raw',
    title,
    description,
  });
}

/**
 * A multiclass average of the label window (macro and weighted F1, macro precision and
 * recall): the four differ only in the average; none has a default threshold.
 */
function multiclassQualityEntry(metric: MulticlassAverage, title: string, what: string) {
  return entry({
    appliesTo: 'labels',
    tasks: MULTICLASS,
    kind: scoreKind,
    defaults: { kind: 'score', warn: null, critical: null },
    subject: multiclassSlices,
    measure: multiclassMeasure(metric),
    needs: MULTICLASS_NEEDS,
    computedFrom: 'raw',
    title,
    description: `${what}${MULTICLASS_QUALITY}`,
  });
}

/**
 * A CBPE estimate of one metric: the five differ only in what they estimate. One name for
 * both tasks, as `accuracy`: a binary model's metric at the threshold, a multiclass model's
 * macro average (AUROC one vs rest); estimation_error's `estimate` names them the same way.
 */
function estimatedEntry(metric: EstimatedMetric, title: string, what: string) {
  return entry({
    appliesTo: 'scores',
    tasks: BINARY_AND_MULTICLASS,
    kind: scoreKind,
    defaults: ESTIMATED_DEFAULTS,
    subject: estimatedSlices,
    fallback: 'exact_estimate',
    measure: estimatedMeasure(metric),
    needs: ESTIMATED_NEEDS,
    computedFrom: 'summaries',
    title,
    description: `${what} ${CBPE_NOTE}, with its sampling-error band; ${MULTICLASS_CBPE_NOTE}`,
  });
}

const distanceDefaults = (warn: number | null, critical: number | null): DefaultThresholds => ({
  kind: 'distance',
  warn,
  critical,
});
const testDefaults: DefaultThresholds = { kind: 'p_value', pValue: 0.01, minEffect: 0.1 };
const rateDefaults = (maxRate: number, maxIncrease: number | null = null): DefaultThresholds => ({
  kind: 'rate',
  maxRate,
  maxIncrease,
});

// The order here is the order of the monitor schema's metric list.
export const CHECKS = {
  psi: entry({
    appliesTo: 'any',
    tasks: EVERY_TASK,
    kind: distanceKind,
    defaults: distanceDefaults(0.1, 0.25),
    subject: featureDrift,
    measure: distanceOf((e) => e.psi, 'psi'),
    computedFrom: 'summaries',
    fallback: 'exact_drift',
    description: 'Population Stability Index over reference-decile bins or categories',
  }),
  jensen_shannon: entry({
    appliesTo: 'any',
    tasks: EVERY_TASK,
    kind: distanceKind,
    defaults: distanceDefaults(null, 0.1),
    subject: featureDrift,
    measure: distanceOf((e) => e.jensen_shannon, 'jensen_shannon'),
    computedFrom: 'summaries',
    fallback: 'exact_drift',
    description: 'Jensen-Shannon distance, base 2, over the same bins as PSI',
  }),
  wasserstein_normed: entry({
    appliesTo: 'numeric',
    tasks: EVERY_TASK,
    kind: distanceKind,
    defaults: distanceDefaults(null, 0.1),
    // a categorical entry (never planned) reads as no value: insufficient data
    subject: featureDrift,
    measure: distanceOf(
      (e) => (e.kind === 'numeric' ? e.wasserstein_normed : null),
      'wasserstein_normed',
    ),
    computedFrom: 'summaries',
    fallback: 'exact_drift',
    description:
      'Wasserstein-1 over the reference population standard deviation (Wasserstein-1 itself is in feature units: no threshold fits every feature, so it is reported, not checked)',
  }),
  ks: entry({
    appliesTo: 'numeric',
    tasks: EVERY_TASK,
    kind: pValueKind,
    defaults: testDefaults,
    subject: numericDrift,
    measure: measureKs,
    computedFrom: 'summaries',
    fallback: 'exact_drift',
    render: { kind: 'test', statistic: 'D' },
    description: 'two-sample Kolmogorov-Smirnov test (asymptotic p-value); the effect is D',
  }),
  chi2: entry({
    appliesTo: 'categorical',
    tasks: EVERY_TASK,
    kind: pValueKind,
    defaults: testDefaults,
    subject: categoricalDrift,
    measure: measureChi2,
    computedFrom: 'summaries',
    render: { kind: 'test', statistic: 'chi2' },
    description:
      'chi-square test of homogeneity over the categories seen; the effect is the Jensen-Shannon distance',
  }),
  null_rate: entry({
    appliesTo: 'any',
    tasks: EVERY_TASK,
    kind: rateIncreaseKind,
    defaults: rateDefaults(0, 0.05),
    subject: featureDrift,
    measure: measureNullRate,
    computedFrom: 'summaries',
    description: 'increase in the share of null or absent values over the baseline’s',
  }),
  out_of_range: entry({
    appliesTo: 'numeric',
    tasks: EVERY_TASK,
    kind: rateKind,
    defaults: rateDefaults(0),
    subject: featureQuality,
    measure: shareOf((slice, feature) => slice.outOfRange[feature] ?? exactCount(0)),
    computedFrom: 'summaries',
    fallback: 'exact_counts',
    description:
      'share of finite values outside the declared range, else the baseline’s min and max',
  }),
  wrong_type: entry({
    appliesTo: 'any',
    tasks: EVERY_TASK,
    kind: rateKind,
    defaults: rateDefaults(0),
    subject: featureQuality,
    measure: shareOf((slice, feature) => exactCount(slice.wrongType[feature])),
    computedFrom: 'summaries',
    description:
      'share of values of the other type: text for a numeric feature, a number for a categorical one',
  }),
  non_finite: entry({
    appliesTo: 'numeric',
    tasks: EVERY_TASK,
    kind: rateKind,
    defaults: rateDefaults(0),
    subject: featureQuality,
    measure: shareOf((slice, feature) => exactCount(slice.nonFinite[feature])),
    computedFrom: 'summaries',
    description: 'share of NaN, +inf or −inf values (left out of every distribution statistic)',
  }),
  new_categories: entry({
    appliesTo: 'categorical',
    tasks: EVERY_TASK,
    kind: countKind,
    defaults: { kind: 'count' },
    subject: categoricalDrift,
    measure: measureNewCategories,
    computedFrom: 'summaries',
    description: 'categories the baseline never had',
  }),
  schema: entry({
    appliesTo: 'window',
    tasks: EVERY_TASK,
    kind: countKind,
    defaults: { kind: 'count' },
    subject: wholeWindow,
    measure: measureSchema,
    computedFrom: 'summaries',
    description:
      'features declared but absent from the window, and event fields the baseline never had',
  }),
  duplicate_ids: entry({
    appliesTo: 'window',
    tasks: EVERY_TASK,
    kind: rateKind,
    defaults: rateDefaults(0),
    subject: sliceQuality,
    measure: measureDuplicates,
    needs: { duplicates: true },
    computedFrom: 'raw',
    description: 'share of events whose prediction id another event of the window has',
  }),
  volume: entry({
    appliesTo: 'window',
    tasks: EVERY_TASK,
    kind: ratioKind,
    defaults: { kind: 'ratio', minRatio: 0.5, maxRatio: null, trailingMs: 7 * DAY },
    subject: wholeWindow,
    measure: measureVolume,
    needs: { trailingMs: (check) => check.trailingMs },
    computedFrom: 'summaries',
    noDataValue: () => 0,
    description: 'events in the window against the trailing mean per window',
  }),
  freshness: entry({
    appliesTo: 'window',
    tasks: EVERY_TASK,
    kind: delayKind,
    defaults: { kind: 'delay', maxDelayMs: null },
    subject: wholeWindow,
    measure: measureFreshness,
    needs: { lookBackMs: (check) => 2 * check.maxDelayMs },
    computedFrom: 'summaries',
    noDataValue: secondsSinceLastEvent,
    description:
      'time from the last event to the window’s end (by default a window length is too long)',
  }),
  positive_rate: entry({
    appliesTo: 'scores',
    tasks: BINARY,
    kind: testedShiftKind,
    defaults: { kind: 'shift', maxShift: 0.05, pValue: 0.01 },
    subject: sliceQuality,
    measure: measurePositiveRate,
    needs: { threshold: true },
    computedFrom: 'summaries',
    fallback: 'exact_counts',
    description: 'predicted positive rate against the baseline’s: two-proportion z-test',
  }),
  actual_positive_rate: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: shiftKind,
    defaults: { kind: 'shift', maxShift: 0.05, pValue: null },
    subject: labelledSlices,
    measure: measureActualPositiveRate,
    needs: { labels: true },
    computedFrom: 'raw',
    description: 'share of label 1 against the baseline’s, once labels are due',
  }),
  auroc: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: scoreKind,
    defaults: { kind: 'score', warn: null, critical: 0.5 },
    subject: labelledSlices,
    measure: measureAuroc,
    needs: { labels: true },
    computedFrom: 'raw',
    title: 'AUROC',
    description: 'area under the ROC curve, ties counting half, once labels are due',
  }),
  accuracy: entry({
    appliesTo: 'labels',
    // one entry for both (binary: at prediction.threshold; multiclass: the predicted class)
    tasks: BINARY_AND_MULTICLASS,
    kind: scoreKind,
    // what is good depends on the classes and how rare they are: no default fits every model
    defaults: { kind: 'score', warn: null, critical: null },
    subject: accuracySlices,
    measure: (slice, check, context) =>
      isMulticlassSlice(slice)
        ? multiclassMeasure('accuracy')(slice, check, context)
        : binaryQualityMeasure('accuracy')(slice, check, context),
    // each task's aggregate is fetched only for a monitor of that task (evaluateWindow.ts)
    needs: { ...BINARY_QUALITY_NEEDS, ...MULTICLASS_NEEDS },
    computedFrom: 'raw',
    description: `share of labelled predictions judged right: for a binary model, on the right side of prediction.threshold (predicted 1 at or above it), with the confusion counts in its details; for a multiclass model, whose class is the label’s${MULTICLASS_QUALITY}`,
  }),
  precision: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: scoreKind,
    // what a model must keep depends on how rare its positives are: no default fits every model
    defaults: { kind: 'score', warn: null, critical: null },
    subject: labelledSlices,
    measure: binaryQualityMeasure('precision'),
    needs: BINARY_QUALITY_NEEDS,
    computedFrom: 'raw',
    description:
      'TP / (TP + FP) at prediction.threshold (0 when nothing is predicted positive, as scikit-learn), once labels are due',
  }),
  recall: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: scoreKind,
    defaults: { kind: 'score', warn: null, critical: null },
    subject: labelledSlices,
    measure: binaryQualityMeasure('recall'),
    needs: BINARY_QUALITY_NEEDS,
    computedFrom: 'raw',
    description:
      'TP / (TP + FN) at prediction.threshold (0 without positive labels), once labels are due',
  }),
  f1: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: scoreKind,
    defaults: { kind: 'score', warn: null, critical: null },
    subject: labelledSlices,
    measure: binaryQualityMeasure('f1'),
    needs: BINARY_QUALITY_NEEDS,
    computedFrom: 'raw',
    title: 'F1',
    description:
      'harmonic mean of precision and recall at prediction.threshold (0 when both are), once labels are due',
  }),
  log_loss: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: distanceKind,
    // ln 2: the log loss of a model that says 0.5 for everything
    defaults: distanceDefaults(null, Math.LN2),
    subject: labelledSlices,
    measure: binaryQualityMeasure('log_loss'),
    needs: BINARY_QUALITY_NEEDS,
    computedFrom: 'raw',
    title: 'log loss',
    description:
      'mean −ln of the probability the score gives the true label, scores clipped to [eps, 1 − eps] (eps = 2⁻⁵²), as scikit-learn, once labels are due',
  }),
  brier_score: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: distanceKind,
    // 0.25: the Brier score of a model that says 0.5 for everything
    defaults: distanceDefaults(null, 0.25),
    subject: labelledSlices,
    measure: binaryQualityMeasure('brier_score'),
    needs: BINARY_QUALITY_NEEDS,
    computedFrom: 'raw',
    title: 'Brier score',
    description: 'mean squared difference of score and label, once labels are due',
  }),
  ece: entry({
    appliesTo: 'labels',
    tasks: BINARY,
    kind: calibrationKind,
    defaults: distanceDefaults(null, 0.1),
    subject: labelledSlices,
    measure: measureCalibration,
    needs: { ...BINARY_QUALITY_NEEDS, calibrationBins: (check) => check.bins },
    computedFrom: 'raw',
    title: 'ECE',
    description:
      'expected calibration error over `bins` equal-width score bins (16 by default): Σ count/n · |fraction positive − mean score| over non-empty bins, the reliability curve (scikit-learn’s calibration_curve) in its details, once labels are due',
  }),
  estimated_roc_auc: estimatedEntry(
    'roc_auc',
    'estimated AUROC',
    'AUROC (a multiclass model’s one-vs-rest macro AUROC, roc_auc_ovr)',
  ),
  estimated_accuracy: estimatedEntry(
    'accuracy',
    'estimated accuracy',
    'accuracy at the threshold (a multiclass model’s: the predicted class is the label)',
  ),
  estimated_precision: estimatedEntry(
    'precision',
    'estimated precision',
    'precision at the threshold (a multiclass model’s macro precision, precision_macro)',
  ),
  estimated_recall: estimatedEntry(
    'recall',
    'estimated recall',
    'recall at the threshold (a multiclass model’s macro recall, recall_macro)',
  ),
  estimated_f1: estimatedEntry(
    'f1',
    'estimated F1',
    'F1 at the threshold (a multiclass model’s macro F1, f1_macro)',
  ),
  estimation_error: entry({
    appliesTo: 'labels',
    tasks: BINARY_AND_MULTICLASS,
    kind: estimationErrorKind,
    defaults: { kind: 'tolerance', tolerance: 0 },
    subject: estimatedAndRealizedSlices,
    measure: measureEstimationError,
    // each task's label aggregate is fetched only for a monitor of that task (evaluateWindow.ts)
    needs: { ...ESTIMATED_NEEDS, ...MULTICLASS_NEEDS, labels: true, labelWindowEstimate: true },
    computedFrom: 'raw',
    title: 'estimation error',
    description:
      'the realized value of an estimated metric, once labels are due, against the band CBPE estimated for the label window: outside it, P(label | score) has changed since the baseline (concept drift, which CBPE cannot see); for a multiclass model the realized value is its accuracy or macro average (f1_macro, precision_macro, recall_macro, roc_auc_ovr)',
  }),
  mae: regressionErrorEntry(
    'mae',
    'MAE',
    'mean absolute error of the predictions against their labels, once labels are due',
  ),
  rmse: regressionErrorEntry('rmse', 'RMSE', 'root mean squared error, once labels are due'),
  mape: regressionErrorEntry(
    'mape',
    'MAPE',
    'mean absolute percentage error, a fraction (|y − ŷ| / max(|y|, eps), as scikit-learn), once labels are due',
  ),
  r2: entry({
    appliesTo: 'labels',
    tasks: REGRESSION,
    kind: scoreKind,
    // below 0 the model predicts worse than the labels' mean
    defaults: { kind: 'score', warn: null, critical: 0 },
    subject: regressionSlices,
    measure: regressionMeasure('r2'),
    needs: REGRESSION_NEEDS,
    computedFrom: 'raw',
    title: 'R²',
    description:
      'coefficient of determination (1 when predictions and labels are both constant and equal, 0 when only the labels are), once labels are due',
  }),
  prediction_psi: entry({
    appliesTo: 'predictions',
    tasks: MULTICLASS,
    kind: distanceKind,
    defaults: distanceDefaults(0.1, 0.25),
    subject: predictedClassDrift,
    measure: predictedClassMeasure(distanceOf((e) => e.psi, 'psi')),
    needs: { predictedClasses: true },
    computedFrom: 'raw',
    title: 'predicted-class PSI',
    description:
      'PSI of the predicted-class distribution against the baseline file’s `prediction` column (one bin per class)',
  }),
  prediction_chi2: entry({
    appliesTo: 'predictions',
    tasks: MULTICLASS,
    kind: pValueKind,
    defaults: testDefaults,
    subject: predictedClassDrift,
    measure: predictedClassMeasure(measureChi2),
    needs: { predictedClasses: true },
    computedFrom: 'raw',
    render: { kind: 'test', statistic: 'chi2' },
    title: 'predicted-class chi-square',
    description:
      'chi-square test of the predicted classes against the baseline’s; the effect is the Jensen-Shannon distance',
  }),
  class_score_psi: entry({
    appliesTo: 'predictions',
    tasks: MULTICLASS,
    kind: distanceKind,
    defaults: distanceDefaults(0.1, 0.25),
    subject: classScoreDrift,
    measure: measureClassScorePsi,
    needs: { classScores: true },
    computedFrom: 'raw',
    title: 'class-score PSI',
    description:
      'PSI of each class’s score (the events’ `scores`) against the baseline file’s class-score column over its deciles, per class and slice',
  }),
  f1_macro: multiclassQualityEntry('f1_macro', 'macro F1', 'unweighted mean of the classes’ F1'),
  f1_weighted: multiclassQualityEntry(
    'f1_weighted',
    'weighted F1',
    'mean of the classes’ F1 weighted by their labels’ counts',
  ),
  precision_macro: multiclassQualityEntry(
    'precision_macro',
    'macro precision',
    'unweighted mean of the classes’ precision (0 for a class never predicted)',
  ),
  recall_macro: multiclassQualityEntry(
    'recall_macro',
    'macro recall',
    'unweighted mean of the classes’ recall (0 for a class no label has)',
  ),
  roc_auc_ovr: entry({
    appliesTo: 'labels',
    tasks: MULTICLASS,
    kind: scoreKind,
    defaults: { kind: 'score', warn: null, critical: 0.5 },
    subject: multiclassSlices,
    measure: measureRocAucOvr,
    needs: MULTICLASS_NEEDS,
    computedFrom: 'raw',
    title: 'one-vs-rest AUROC',
    description:
      'macro one-vs-rest AUROC of the events’ class `scores` (each class’s AUROC, ties half, averaged unweighted), once labels are due',
  }),
  residual_ks: entry({
    appliesTo: 'labels',
    tasks: REGRESSION,
    kind: pValueKind,
    defaults: testDefaults,
    subject: residualSlices,
    measure: measureResidualKs,
    needs: { labels: true, residuals: true },
    computedFrom: 'raw',
    render: { kind: 'test', statistic: 'D' },
    title: 'residual KS',
    description:
      'two-sample Kolmogorov-Smirnov test of the residuals (label − prediction) of the label window against the baseline’s (asymptotic p-value, D exact); the effect is D',
  }),
};

type Checks = typeof CHECKS;
export type Metric = keyof Checks;

type PlanOf<E, M extends Metric> =
  E extends CheckEntry<unknown, infer P, infer A>
    ? { id: string; metric: M } & P & (A extends FeatureScope ? { features: string[] } : unknown)
    : never;

/** A check as the evaluator runs it: derived from its entry's kind (and features, if any). */
export type CheckPlan = { [M in Metric]: PlanOf<Checks[M], M> }[Metric];

/** An entry with its types erased: what dispatch code holds. */
export type AnyCheckEntry = CheckEntry<unknown, object, AppliesTo>;

const ENTRIES: Readonly<Record<Metric, AnyCheckEntry>> = CHECKS;

export const METRICS = Object.keys(CHECKS) as Metric[];

export function isMetric(name: string): name is Metric {
  return Object.hasOwn(CHECKS, name);
}

export function checkEntry(metric: Metric): AnyCheckEntry {
  return ENTRIES[metric];
}

/** A p-value test: adjusted with the run's other tests under a false discovery rate. */
export function isTestMetric(metric: Metric): boolean {
  return ENTRIES[metric].kind.test;
}

/** The most severe status a check can give: what a "no data" verdict of it alerts at. */
export function severityOf(check: CheckPlan): Severity {
  return ENTRIES[check.metric].kind.severity(check);
}

/** How an alert states a metric; a metric no entry knows (an old stored alert) as a plain value. */
export function renderOf(metric: string): RenderSpec {
  if (!isMetric(metric)) return { kind: 'above' };
  const found = ENTRIES[metric];
  return found.render ?? found.kind.render;
}

/** The needs that are a yes or no: an aggregate a run fetches only when a check wants it. */
export type FetchNeed = {
  [K in keyof Needs<object>]-?: Needs<object>[K] extends boolean | undefined ? K : never;
}[keyof Needs<object>];

/** Whether any of the checks needs this of a run. */
export function anyNeeds(checks: readonly CheckPlan[], need: FetchNeed): boolean {
  return checks.some((check) => ENTRIES[check.metric].needs?.[need] === true);
}

/** The one feature kind a check is limited to, if any (validation and `features: all` read this). */
export function featureKindOf(metric: Metric): 'numeric' | 'categorical' | null {
  const appliesTo = ENTRIES[metric].appliesTo;
  return appliesTo === 'numeric' || appliesTo === 'categorical' ? appliesTo : null;
}

/** The thresholds a check suggests, of the kind asked for (drafts and the report read them). */
export function defaultsOf<K extends DefaultsKind>(
  metric: Metric,
  kind: K,
): Extract<DefaultThresholds, { kind: K }> {
  const defaults = ENTRIES[metric].defaults;
  if (defaults.kind !== kind)
    throw new RangeError(`${metric} has ${defaults.kind} defaults, not ${kind}`);
  return defaults as Extract<DefaultThresholds, { kind: K }>;
}
