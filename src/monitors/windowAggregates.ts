import type { CountRange } from '../drift/cells.js';
import type { CategoricalFeatureDrift, FeatureDrift } from '../drift/featureDrift.js';
import type { ResidualDrift } from '../drift/residualKs.js';
import type { Estimate, ExpectedConfusion } from '../stats/cbpe.js';
import type { CalibrationBinTotals, ConfusionCounts } from '../stats/classificationQuality.js';
import type { RegressionSums } from '../stats/regression.js';

/**
 * What one window adds up to, as the judge (judge.ts) takes it: drift per feature and slice,
 * data-quality counts, the baseline's scores and labels, the labelled predictions of the
 * label window, and the window's activity. The evaluator (evaluateWindow.ts) gathers it from
 * the summaries and the store; nothing here does I/O.
 */
export interface SliceId {
  key: string;
  value: string;
}

export interface SliceQuality extends SliceId {
  rows: number;
  scored: number;
  predictedPositives: CountRange;
  /** Null when the check that needs it is not configured (it reads raw rows). */
  duplicateIds: number | null;
  wrongType: Record<string, number>;
  nonFinite: Record<string, number>;
  outOfRange: Record<string, CountRange>;
}

export interface SliceScores extends SliceId {
  scored: number;
  predictedPositives: number;
  labelled: number;
  labelPositives: number;
}

export interface WindowActivity {
  events: number;
  /** Epoch milliseconds of the last event at or before the window's end (within the look-back). */
  lastEvent: number | null;
  windowEnd: number;
  /** Per volume check id: the trailing mean events per window, null without history. */
  expectedEvents: Record<string, number | null>;
  /**
   * Per volume check id whose trailing period reaches back past what the store keeps: why
   * (its expectation would count fewer events than there were, so there is none).
   */
  trailingExpired?: Record<string, string>;
  /**
   * False when the window is empty and the model has never sent an event before its end
   * (data readiness: such a window is "awaiting data", not "no data"). Absent: it has.
   */
  sentEventsBefore?: boolean;
}

export interface WindowAggregates {
  /** Drift per feature and slice; `slice` is "all" or "key=value". */
  drift: FeatureDrift[];
  quality: SliceQuality[];
  baselineScores: SliceScores[];
  paths: { baseline: string[]; current: string[] };
  /** Predictions with labels in the label window, per slice; null when not configured. */
  classification: (ClassificationAggregates & SliceId)[] | null;
  /** Predictions with numeric labels in the label window, per slice; absent when not configured. */
  regression?: (RegressionAggregates & SliceId)[] | null;
  /** A regression's residuals in the label window against the baseline's, per slice. */
  residuals?: (ResidualDrift & SliceId)[] | null;
  /** A multiclass model's labelled predictions of the label window, per slice; absent when not configured. */
  multiclass?: (MulticlassAggregates & SliceId)[] | null;
  /**
   * The window's predicted classes against the baseline's, per slice (as a categorical
   * feature's drift, its categories the classes); absent when not configured.
   */
  predictedClasses?: CategoricalFeatureDrift[] | null;
  /** Each class score's bins, the window's against the baseline's, per slice; absent when not configured. */
  classScores?: (ClassScoreBinCounts & SliceId)[] | null;
  /** Performance estimated from the scores (CBPE); absent when no check asks for it. */
  estimated?: EstimatedPerformance | null;
  activity: WindowActivity;
}

/**
 * CBPE of one slice (src/stats/cbpe.ts), under the names the estimated checks share: a
 * binary model's metrics at the threshold, or a multiclass model's macro averages (precision,
 * recall and F1 macro, AUROC one-vs-rest macro) and its accuracy.
 */
export interface WindowEstimate {
  /** Events estimated: with a finite score (binary), or a known predicted class and every class score. */
  n: number;
  accuracy: Estimate;
  precision: Estimate;
  recall: Estimate;
  f1: Estimate;
  roc_auc: Estimate;
  /** binary: the expected confusion counts at the threshold. */
  expected?: ExpectedConfusion;
  /** multiclass: the classes (the baseline's class scores) and each one's expected counts, one vs rest. */
  multiclass?: MulticlassWindowEstimate;
}

export interface MulticlassWindowEstimate {
  classes: readonly string[];
  per_class: { class: string; tp: number; fp: number; fn: number; tn: number }[];
  /** Events left out: no predicted class, a class the baseline has no scores for, or a missing score. */
  skipped: number;
}

export type SliceEstimate = WindowEstimate & SliceId;

/**
 * What the estimated checks read: the calibration fitted on the labelled baseline (null when
 * the baseline has no labelled scores), CBPE per slice of the window from its score cells,
 * and for the label window the same estimate beside its realized confusion counts, so an
 * estimate can be held against what its labels turned out to be.
 */
export interface EstimatedPerformance {
  calibration: { labelled: number; knots: number } | null;
  /** The band is the estimate ± this many standard errors. */
  bandWidth: number;
  window: SliceEstimate[];
  /** Null when no check compares an estimate with its labels, or there is no label window. */
  labelWindow: SliceEstimate[] | null;
  /** Why the label window's summaries could not be read (they expired), when they could not. */
  labelWindowUnreadable?: string;
  /** The label window's labelled predictions at the threshold, per slice (binary; multiclass reads `multiclass`). */
  realized: (ConfusionCounts & SliceId)[] | null;
}

/** Predictions with their labels, per slice: what AUROC and the positive rates are counted from. */
export interface ClassificationAggregates {
  slice: string;
  n: number;
  labelled: number;
  positives: number;
  negatives: number;
  predictedPositives: number;
  scored: number;
  /** Σ over positives of (negatives scored lower + half the negatives scored equal). */
  pairsWon: number;
  /** The quality terms at the threshold; absent when no check needs them. */
  quality?: BinaryQualityAggregates;
}

/**
 * A binary classifier's quality terms over a slice's labelled, scored predictions, at the
 * monitor's threshold (predicted 1 when score ≥ threshold): what accuracy, precision, recall,
 * F1, log loss, Brier score and calibration are exact from (src/stats/classificationQuality.ts).
 */
export interface BinaryQualityAggregates {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** Σ −ln clip(p) over positives + Σ −ln(1 − clip(p)) over negatives, clip to [eps, 1 − eps]. */
  logLossSum: number;
  /** Σ (p − y)². */
  brierSum: number;
  /** Labelled predictions scored outside [0, 1]: not probabilities (sklearn refuses them). */
  outsideUnit: number;
  /** Per number of equal-width calibration bins asked for: each bin's totals. */
  calibration: Record<number, CalibrationBinTotals>;
}

/**
 * A regression's predictions (the events' `score`) with their numeric labels, per slice: the
 * sums its errors are judged from (src/stats/regression.ts). `count` is the predictions with
 * a finite prediction and a finite label; `n` every prediction of the label window.
 */
export interface RegressionAggregates extends RegressionSums {
  slice: string;
  n: number;
}

/**
 * A multiclass model's predictions with their labels (class names), per slice: what its
 * quality is judged from (src/stats/multiclass.ts). Exact: every labelled prediction counts.
 */
export interface MulticlassAggregates {
  slice: string;
  /** Every prediction of the label window. */
  n: number;
  /** Labelled predictions with a predicted class, per (label, predicted class). */
  confusion: { label: string; predicted: string; count: number }[];
  /** Labelled predictions carrying class scores. */
  scored: number;
  /**
   * Per class some labelled prediction has a score for: the predictions scored for it,
   * labelled that class (positives) or another (negatives), and Σ over positives of the
   * negatives scored lower (ties half): its one-vs-rest AUROC.
   */
  classScores: { class: string; positives: number; negatives: number; pairsWon: number }[];
}

/**
 * One class score's bins in one slice: the inner edges (the baseline's deciles of that
 * class's score there, ties merged) and the baseline's and the window's counts per bin.
 */
export interface ClassScoreBinCounts {
  /** The slice id as the store groups it. */
  slice: string;
  class: string;
  edges: number[];
  reference: number[];
  current: number[];
}

export type { ResidualDrift };
