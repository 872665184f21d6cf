import type { CountRange } from '../drift/cells.js';
import type { FeatureDrift } from '../drift/featureDrift.js';
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
  activity: WindowActivity;
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
 * A regression's residuals (label − prediction) of the label window against the baseline's:
 * KS's D over every residual of both (exact), and how many residuals each side has.
 */
export interface ResidualDrift {
  slice: string;
  statistic: number;
  nReference: number;
  nCurrent: number;
}
