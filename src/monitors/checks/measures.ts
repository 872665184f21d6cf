import type { CountRange } from '../../drift/cells.js';
import type {
  Brackets,
  CategoricalFeatureDrift,
  FeatureDrift,
  NumericFeatureDrift,
} from '../../drift/featureDrift.js';
import {
  aurocFromCounts,
  jensenShannonDistance,
  ksPValueAsymp,
  psi,
  twoProportionZTest,
} from '../../stats/index.js';
import { listedNames } from '../listedNames.js';
import type {
  BinaryQualityAggregates,
  EstimatedPerformance,
  SliceQuality,
  WindowActivity,
  WindowAggregates,
  WindowEstimate,
} from '../windowAggregates.js';
import type { EstimationErrorParams, EstimatedMetric, Measurement } from './kinds.js';
import erfc from '@stdlib/math-base-special-erfc';
import type { Estimate } from '../../stats/cbpe.js';
import { calibrationOfBins, thresholdMetrics } from '../../stats/classificationQuality.js';
import { regressionMetrics, type RegressionMetrics } from '../../stats/regression.js';
import {
  emptyMulticlassConfusion,
  multiclassMetrics,
  updateMulticlassConfusion,
  type MulticlassMetrics,
} from '../../stats/multiclass.js';
import type {
  ClassScoreBins,
  EstimatedAndRealized,
  EstimatedSlice,
  FeatureInSlice,
  LabelledSlice,
  MulticlassSlice,
  RegressionSlice,
  ResidualSlice,
} from './subjects.js';

/**
 * What each statistic reads off a window's aggregates for one subject, before any
 * threshold: its value with the bracket and sample sizes, or why there is nothing to judge.
 * Every number here was computed by ClickHouse, src/drift or src/stats; this only picks it
 * out and applies the minimum sample sizes. Pure.
 */
export interface MeasureContext {
  plan: {
    minSamples: number;
    threshold: number | null;
    labels: { minCount: number } | null;
    features: readonly { name: string; fromScore?: boolean }[];
  };
  aggregates: WindowAggregates;
}

/** Too few values on either side to judge. */
export function tooFew(
  context: MeasureContext,
  nReference: number,
  nCurrent: number,
): Measurement | null {
  const { minSamples } = context.plan;
  return nReference < minSamples || nCurrent < minSamples
    ? insufficient(nReference, nCurrent, minSamples)
    : null;
}

export function insufficient(
  nReference: number,
  nCurrent: number,
  minSamples: number,
): Measurement {
  return {
    value: null,
    nReference,
    nCurrent,
    details: { reason: `fewer than ${minSamples} samples`, min_samples: minSamples },
  };
}

/** A distance of a drift entry, with its bracket; the histogram kept for the dashboard. */
export function distanceOf(
  read: (entry: FeatureDrift) => number | null,
  bracket: keyof Brackets,
): (entry: FeatureDrift, check: unknown, context: MeasureContext) => Measurement {
  return (entry, _check, context) =>
    tooFew(context, entry.n_reference, entry.n_current) ?? {
      value: read(entry),
      bracket: entry.brackets?.[bracket] ?? null,
      nReference: entry.n_reference,
      nCurrent: entry.n_current,
      // Kept with the result so the dashboard can draw baseline against current later.
      details: { histogram: entry.histogram },
    };
}

export function measureKs(
  entry: NumericFeatureDrift,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const statistic = entry.brackets?.ks_statistic ?? null;
  return (
    tooFew(context, entry.n_reference, entry.n_current) ?? {
      value: entry.ks.statistic,
      bracket: statistic,
      pValue: entry.ks.p_value,
      pValueBracket: entry.brackets?.ks_p_value ?? null,
      effect: entry.ks.statistic,
      effectBracket: statistic,
      nReference: entry.n_reference,
      nCurrent: entry.n_current,
      details: {},
    }
  );
}

/** Chi-square's statistic and p-value are exact from categories; its effect is the JS distance. */
export function measureChi2(
  entry: CategoricalFeatureDrift,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  return (
    tooFew(context, entry.n_reference, entry.n_current) ?? {
      value: entry.chi2.statistic,
      pValue: entry.chi2.p_value,
      effect: entry.jensen_shannon,
      effectBracket: entry.brackets?.jensen_shannon ?? null,
      nReference: entry.n_reference,
      nCurrent: entry.n_current,
      details: { dof: entry.chi2.dof, ...listedNames('new_categories', entry.new_categories) },
    }
  );
}

/** The null rate's rise over the baseline's, counted over all rows (nulls included). */
export function measureNullRate(
  entry: FeatureDrift,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const reference = entry.null_rate.reference;
  const current = entry.null_rate.current;
  const rows = { reference: entry.quality.reference.rows, current: entry.quality.current.rows };
  const few = tooFew(context, rows.reference, rows.current);
  if (reference === null || current === null || few)
    return few ?? insufficient(rows.reference, rows.current, context.plan.minSamples);
  return {
    value: current - reference,
    nReference: rows.reference,
    nCurrent: rows.current,
    details: { null_rate_reference: reference, null_rate_current: current },
  };
}

export function measureNewCategories(entry: CategoricalFeatureDrift): Measurement {
  return {
    value: entry.new_categories.length,
    nReference: entry.n_reference,
    nCurrent: entry.n_current,
    details: listedNames('new_categories', entry.new_categories),
  };
}

/** A share of a slice's rows from a count that summaries may only bracket. */
export function shareOf(
  count: (slice: SliceQuality, feature: string) => CountRange,
): (subject: FeatureInSlice, check: unknown, context: MeasureContext) => Measurement {
  return ({ slice, feature }, _check, context) => {
    if (slice.rows < context.plan.minSamples)
      return insufficient(0, slice.rows, context.plan.minSamples);
    const { lower, upper } = count(slice, feature);
    const exact = lower === upper;
    return {
      value: (lower + upper) / 2 / slice.rows,
      bracket: exact ? null : [lower / slice.rows, upper / slice.rows],
      nReference: 0,
      nCurrent: slice.rows,
      details: exact ? { count: lower } : { count_bracket: [lower, upper] },
    };
  };
}

export const exactCount = (count: number | undefined): CountRange => ({
  lower: count ?? 0,
  upper: count ?? 0,
});

export function measureDuplicates(slice: SliceQuality): Measurement {
  if (slice.rows === 0 || slice.duplicateIds === null) return insufficient(0, 0, 1);
  return {
    value: slice.duplicateIds / slice.rows,
    nReference: 0,
    nCurrent: slice.rows,
    details: { duplicates: slice.duplicateIds },
  };
}

/** Features declared but absent from the window's events, and event fields the baseline never had. */
export function measureSchema(
  aggregates: WindowAggregates,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  // a regression's prediction is the events' score, never a feature of theirs
  const declared = context.plan.features.filter((f) => !f.fromScore).map((f) => f.name);
  const current = new Set(aggregates.paths.current);
  const known = new Set([...aggregates.paths.baseline, ...declared]);
  const missing = declared.filter((name) => !current.has(name));
  const added = aggregates.paths.current.filter((path) => !known.has(path)).sort();
  return {
    value: missing.length + added.length,
    nReference: 0,
    nCurrent: aggregates.activity.events,
    details: {
      ...listedNames('missing_features', missing),
      ...listedNames('new_features', added),
    },
  };
}

export function measureVolume(
  aggregates: WindowAggregates,
  check: { id: string; trailingMs: number },
): Measurement {
  const { activity } = aggregates;
  const expected = activity.expectedEvents[check.id] ?? null;
  const events = activity.events;
  if (expected === null || expected === 0) {
    const expired = activity.trailingExpired?.[check.id];
    return {
      value: null,
      nReference: 0,
      nCurrent: events,
      details: {
        reason: expired ?? 'no events in the trailing period to expect a volume from',
        events,
      },
    };
  }
  return {
    value: events / expected,
    nReference: Math.round(expected),
    nCurrent: events,
    details: { events, expected_events: expected, trailing_seconds: check.trailingMs / 1000 },
  };
}

/** Seconds from the last event to the window's end, when one was found. */
export function secondsSinceLastEvent(activity: WindowActivity): number | null {
  return activity.lastEvent === null ? null : (activity.windowEnd - activity.lastEvent) / 1000;
}

export function measureFreshness(aggregates: WindowAggregates): Measurement {
  const { lastEvent, windowEnd, events } = aggregates.activity;
  if (lastEvent === null) {
    return {
      value: null,
      status: 'no_data',
      nReference: 0,
      nCurrent: events,
      details: { reason: 'no event found before the window’s end' },
    };
  }
  return {
    value: Math.max(0, windowEnd - lastEvent) / 1000,
    nReference: 0,
    nCurrent: events,
    details: { last_event: new Date(lastEvent).toISOString() },
  };
}

/**
 * The predicted positive rate against the baseline's, with a two-proportion z-test. From
 * summaries the predicted positives may be a count bracket: |shift| and |z| grow away from
 * the reference rate, so the bracket's ends bound the shift, and the p-value bracket comes
 * from the end farther from (lower p) and the point nearest to (higher p) the reference rate.
 */
export function measurePositiveRate(
  slice: SliceQuality,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const reference = context.aggregates.baselineScores.find(
    (row) => row.key === slice.key && row.value === slice.value,
  );
  const nReference = reference?.scored ?? 0;
  const threshold = context.plan.threshold;
  const few = tooFew(context, nReference, slice.scored);
  if (threshold === null || few)
    return few ?? insufficient(nReference, slice.scored, context.plan.minSamples);
  const referencePositives = reference?.predictedPositives ?? 0;
  const rateReference = referencePositives / nReference;
  const at = (positives: number) => ({
    shift: positives / slice.scored - rateReference,
    test: twoProportionZTest(
      { positives: referencePositives, n: nReference },
      { positives, n: slice.scored },
    ),
  });
  const { lower, upper } = slice.predictedPositives;
  const exact = lower === upper;
  const low = at(lower);
  const high = at(upper);
  const middle = at((lower + upper) / 2);
  const near = at(Math.min(Math.max(rateReference * slice.scored, lower), upper));
  const far = Math.abs(low.shift) >= Math.abs(high.shift) ? low : high;
  return {
    value: middle.shift,
    bracket: exact ? null : [low.shift, high.shift],
    pValue: middle.test.pValue,
    pValueBracket: exact ? null : [far.test.pValue, near.test.pValue],
    nReference,
    nCurrent: slice.scored,
    details: {
      rate_reference: rateReference,
      rate_current: (lower + upper) / 2 / slice.scored,
      z: middle.test.z,
      threshold,
    },
  };
}

/** Too few labelled predictions in the label window (labels.min_count) to judge. */
function tooFewLabels(
  slice: Pick<LabelledSlice, 'labelled' | 'n'>,
  context: MeasureContext,
): Measurement | null {
  const minCount = context.plan.labels?.minCount ?? context.plan.minSamples;
  if (slice.labelled >= minCount) return null;
  return {
    value: null,
    nReference: 0,
    nCurrent: slice.labelled,
    details: {
      reason: `fewer than ${minCount} labelled predictions`,
      labelled: slice.labelled,
      predictions: slice.n,
    },
  };
}

export function measureAuroc(
  slice: LabelledSlice,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const few = tooFewLabels(slice, context);
  if (few) return few;
  const auroc = aurocFromCounts(slice);
  return {
    value: Number.isNaN(auroc) ? null : auroc,
    nReference: 0,
    nCurrent: slice.labelled,
    // predictions: how many the label window held, so label coverage can be shown.
    details: { positives: slice.positives, negatives: slice.negatives, predictions: slice.n },
  };
}

export function measureActualPositiveRate(
  slice: LabelledSlice,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const few = tooFewLabels(slice, context);
  if (few) return few;
  const reference = context.aggregates.baselineScores.find(
    (row) => row.key === slice.key && row.value === slice.value,
  );
  if (!reference || reference.labelled < context.plan.minSamples)
    return insufficient(reference?.labelled ?? 0, slice.labelled, context.plan.minSamples);
  const rateReference = reference.labelPositives / reference.labelled;
  const rateCurrent = slice.positives / slice.labelled;
  const test = twoProportionZTest(
    { positives: reference.labelPositives, n: reference.labelled },
    { positives: slice.positives, n: slice.labelled },
  );
  return {
    value: rateCurrent - rateReference,
    pValue: test.pValue,
    nReference: reference.labelled,
    nCurrent: slice.labelled,
    details: { rate_reference: rateReference, rate_current: rateCurrent },
  };
}

/**
 * A regression metric of the label window's predictions and their numeric labels (exact: the
 * sums are of every labelled prediction), once labels.min_count of them are in.
 */
export function regressionMeasure(
  metric: keyof RegressionMetrics,
): (slice: RegressionSlice, check: unknown, context: MeasureContext) => Measurement {
  return (slice, _check, context) => {
    const few = tooFewLabels({ labelled: slice.count, n: slice.n }, context);
    if (few) return few;
    const value = regressionMetrics(slice)[metric];
    return {
      value: Number.isFinite(value) ? value : null,
      nReference: 0,
      nCurrent: slice.count,
      details: { labelled: slice.count, predictions: slice.n, label_mean: slice.labelMean },
    };
  };
}

// ---- multiclass -------------------------------------------------------------------------

/** Above this many classes a result keeps its averages but not the per-class tables. */
export const MAX_DETAILED_CLASSES = 100;

export type MulticlassAverage = keyof Pick<
  MulticlassMetrics,
  'accuracy' | 'f1_macro' | 'f1_weighted' | 'precision_macro' | 'recall_macro'
>;

/** Labelled predictions with a predicted class: the confusion matrix's total. */
function labelledOf(slice: MulticlassSlice): number {
  return slice.confusion.reduce((total, pair) => total + pair.count, 0);
}

/** The slice's metrics over its classes: its labels, predictions and class-score names. */
function metricsOf(slice: MulticlassSlice): MulticlassMetrics {
  const confusion = emptyMulticlassConfusion();
  for (const pair of slice.confusion)
    updateMulticlassConfusion(confusion, pair.label, pair.predicted, pair.count);
  return multiclassMetrics(
    confusion,
    slice.classScores.map((c) => c.class),
  );
}

/** The per-class tables a multiclass result keeps: what a reader needs to see why. */
function perClassDetails(m: MulticlassMetrics): Record<string, unknown> {
  if (m.classes.length > MAX_DETAILED_CLASSES)
    return {
      classes_count: m.classes.length,
      per_class_omitted: `${m.classes.length} classes: more than ${MAX_DETAILED_CLASSES}`,
    };
  return { classes: m.classes, per_class: m.per_class, confusion_matrix: m.confusion_matrix };
}

/**
 * A multiclass quality metric of the label window's predictions and labels (exact, from the
 * counts per (label, predicted class)), once labels.min_count of them are in. The classes
 * are the slice's labels, predictions and class-score names, sorted (scikit-learn with
 * labels = those classes, zero_division = 0).
 */
export function multiclassMeasure(
  metric: MulticlassAverage,
): (slice: MulticlassSlice, check: unknown, context: MeasureContext) => Measurement {
  return (slice, _check, context) => {
    const labelled = labelledOf(slice);
    const few = tooFewLabels({ labelled, n: slice.n }, context);
    if (few) return few;
    const m = metricsOf(slice);
    const value = m[metric];
    return {
      value: Number.isFinite(value) ? value : null,
      nReference: 0,
      nCurrent: labelled,
      details: { labelled, predictions: slice.n, ...perClassDetails(m) },
    };
  };
}

/**
 * Macro one-vs-rest AUROC of the class scores: the unweighted mean over the slice's classes
 * of each class's AUROC (its score against "label is that class", ties half), as
 * roc_auc_score(multi_class='ovr', average='macro'). It needs every labelled prediction that
 * carries class scores to score every class; undefined (insufficient data, named) when a
 * class has no positive or no negative label.
 */
export function measureRocAucOvr(
  slice: MulticlassSlice,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const labelled = labelledOf(slice);
  const few = tooFewLabels({ labelled, n: slice.n }, context);
  if (few) return few;
  const why = (reason: string, more: Record<string, unknown> = {}): Measurement => ({
    value: null,
    nReference: 0,
    nCurrent: slice.scored,
    details: { reason, labelled, scored: slice.scored, predictions: slice.n, ...more },
  });
  if (slice.scored === 0) return why('no labelled prediction carries class scores');
  const { classes } = metricsOf(slice);
  const byClass = new Map(slice.classScores.map((c) => [c.class, c]));
  const unscored = classes.filter((name) => {
    const scores = byClass.get(name);
    return !scores || scores.positives + scores.negatives !== slice.scored;
  });
  if (unscored.length > 0)
    return why(
      `some labelled predictions with class scores have no score for ${unscored.slice(0, 5).join(', ')}${unscored.length > 5 ? ', …' : ''}`,
      listedNames('classes_without_scores', unscored),
    );
  const perClass = classes.map((name) => {
    const scores = byClass.get(name);
    return { class: name, roc_auc: scores ? aurocFromCounts(scores) : NaN };
  });
  const undefinedFor = perClass.filter((c) => Number.isNaN(c.roc_auc)).map((c) => c.class);
  if (undefinedFor.length > 0)
    return why(
      `one-vs-rest AUROC is undefined for ${undefinedFor.slice(0, 5).join(', ')}${undefinedFor.length > 5 ? ', …' : ''}: no label of that class, or only that class`,
      listedNames('undefined_classes', undefinedFor),
    );
  const value = perClass.reduce((total, c) => total + c.roc_auc, 0) / perClass.length;
  return {
    value,
    nReference: 0,
    nCurrent: slice.scored,
    details: {
      labelled,
      scored: slice.scored,
      predictions: slice.n,
      ...(classes.length <= MAX_DETAILED_CLASSES
        ? { per_class: perClass }
        : { classes_count: classes.length }),
    },
  };
}

/**
 * The window's predicted-class distribution against the baseline's (its categories the
 * classes), by a drift measure of a categorical feature; named when the baseline has none.
 */
export function predictedClassMeasure(
  measure: (entry: CategoricalFeatureDrift, check: unknown, context: MeasureContext) => Measurement,
): (entry: CategoricalFeatureDrift, check: unknown, context: MeasureContext) => Measurement {
  return (entry, check, context) => {
    if (entry.n_reference === 0)
      return {
        value: null,
        nReference: 0,
        nCurrent: entry.n_current,
        details: {
          reason:
            'the baseline has no predicted classes in this slice (a baseline file needs a `prediction` column)',
        },
      };
    return measure(entry, check, context);
  };
}

/**
 * PSI of one class's score in a slice over the baseline's decile bins of it (exact counts;
 * the Jensen-Shannon distance and the histogram kept in the details).
 */
export function measureClassScorePsi(
  bins: ClassScoreBins,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const nReference = bins.reference.reduce((total, count) => total + count, 0);
  const nCurrent = bins.current.reduce((total, count) => total + count, 0);
  return (
    tooFew(context, nReference, nCurrent) ?? {
      value: psi(bins.reference, bins.current),
      nReference,
      nCurrent,
      details: {
        class: bins.class,
        jensen_shannon: jensenShannonDistance(bins.reference, bins.current),
        histogram: { edges: bins.edges, reference: bins.reference, current: bins.current },
      },
    }
  );
}

// ---- performance estimated before labels arrive (CBPE) -----------------------------------

const NO_CALIBRATION =
  'the baseline has no labelled scores to calibrate on (CBPE needs the baseline file’s score and label columns)';

/**
 * Labelled baseline scores below which CBPE gives no estimate: its band holds the labels'
 * randomness, not the calibration's own error, and with a reference of 500 the realized
 * values fell outside ±3σ in up to a fifth of windows (docs/TASKS.md, "Reference size").
 */
export const MIN_CALIBRATION_LABELS = 1000;

type Calibrated = EstimatedPerformance & { calibration: { labelled: number; knots: number } };

/** The window's estimates, or why there is none to judge: no calibration, or a small one. */
function calibrated(
  estimated: EstimatedPerformance | null | undefined,
  nCurrent: number,
): { ok: true; estimated: Calibrated } | { ok: false; why: Measurement } {
  const calibration = estimated?.calibration;
  if (!estimated || !calibration)
    return {
      ok: false,
      why: { value: null, nReference: 0, nCurrent, details: { reason: NO_CALIBRATION } },
    };
  if (calibration.labelled >= MIN_CALIBRATION_LABELS)
    return { ok: true, estimated: { ...estimated, calibration } };
  return {
    ok: false,
    why: {
      value: null,
      nReference: calibration.labelled,
      nCurrent,
      details: {
        reason: `the calibration was fitted on ${calibration.labelled} labelled baseline scores, fewer than the ${MIN_CALIBRATION_LABELS} CBPE needs for its band to hold`,
        min_reference_labels: MIN_CALIBRATION_LABELS,
      },
    },
  };
}

/** What an estimate says beside its value: its standard error and how wide its band is. */
function estimateDetails(estimate: Estimate, bandWidth: number): Record<string, unknown> {
  return {
    sigma: estimate.sigma,
    band_width: bandWidth,
    band_meaning: `the estimate ± ${bandWidth} standard errors of the labels’ randomness given the scores (normal approximation: ${bandConfidence(bandWidth)} two-sided)`,
  };
}

/** The two-sided coverage of ± z standard errors under a normal approximation, e.g. "99.7%". */
export function bandConfidence(z: number): string {
  return `${(100 * (1 - erfc(z / Math.SQRT2))).toFixed(1)}%`;
}

function bracketOfEstimate(estimate: Estimate): [number, number] | null {
  return estimate.lower === estimate.upper ? null : [estimate.lower, estimate.upper];
}

/** An estimated metric of a slice: its value, bracket (from score cells) and band. */
export function estimatedMeasure(
  metric: EstimatedMetric,
): (slice: EstimatedSlice, check: unknown, context: MeasureContext) => Measurement {
  return (slice, _check, context) => {
    const n = slice.estimate?.n ?? 0;
    const found = calibrated(context.aggregates.estimated, n);
    if (!found.ok) return found.why;
    const { estimated } = found;
    const labelled = estimated.calibration.labelled;
    const few = tooFew(context, labelled, n);
    if (few || !slice.estimate) return few ?? insufficient(labelled, n, context.plan.minSamples);
    const estimate = slice.estimate[metric];
    if (!Number.isFinite(estimate.value))
      return {
        value: null,
        nReference: labelled,
        nCurrent: n,
        details: { reason: 'no expected positives or no expected negatives in the window' },
      };
    return {
      value: estimate.value,
      bracket: bracketOfEstimate(estimate),
      band: [estimate.band.lower, estimate.band.upper],
      nReference: labelled,
      nCurrent: n,
      details: {
        ...estimateDetails(estimate, estimated.bandWidth),
        ...expectedCountsDetails(slice.estimate),
      },
    };
  };
}

/** A multiclass model's realized counterpart of each estimated metric (the macro averages). */
const MULTICLASS_REALIZED: Record<Exclude<EstimatedMetric, 'roc_auc'>, MulticlassAverage> = {
  accuracy: 'accuracy',
  precision: 'precision_macro',
  recall: 'recall_macro',
  f1: 'f1_macro',
};

/**
 * The expected counts an estimate was taken at: a binary model's confusion at the threshold,
 * a multiclass model's per class one vs rest (up to MAX_DETAILED_CLASSES classes).
 */
function expectedCountsDetails(estimate: WindowEstimate): Record<string, unknown> {
  const multiclass = estimate.multiclass;
  if (!multiclass) return { expected_confusion: estimate.expected };
  const skipped = multiclass.skipped > 0 ? { skipped: multiclass.skipped } : {};
  if (multiclass.classes.length > MAX_DETAILED_CLASSES)
    return { classes_count: multiclass.classes.length, ...skipped };
  return { classes: multiclass.classes, expected_per_class: multiclass.per_class, ...skipped };
}

/** The realized metric of a label window's labelled predictions; NaN when undefined. */
function realizedValue(
  slice: EstimatedAndRealized,
  metric: EstimatedMetric,
  context: MeasureContext,
): number {
  const multiclass = slice.multiclass;
  if (multiclass) {
    if (metric === 'roc_auc') return measureRocAucOvr(multiclass, null, context).value ?? NaN;
    return metricsOf(multiclass)[MULTICLASS_REALIZED[metric]];
  }
  if (metric === 'roc_auc') return aurocFromCounts(slice.labelled);
  return slice.confusion ? thresholdMetrics(slice.confusion)[metric] : NaN;
}

/**
 * The realized value of the label window beside what CBPE estimated for it from its scores:
 * the value is the realized one, the band and estimate are the estimate's.
 */
export function measureEstimationError(
  slice: EstimatedAndRealized,
  check: EstimationErrorParams,
  context: MeasureContext,
): Measurement {
  const few = tooFewLabels(slice.labelled, context);
  if (few) return few;
  const n = slice.labelled.labelled;
  const found = calibrated(context.aggregates.estimated, n);
  if (!found.ok) return found.why;
  const { estimated } = found;
  const estimate = slice.estimate?.[check.estimate];
  const realized = realizedValue(slice, check.estimate, context);
  if (!estimate || !Number.isFinite(estimate.value) || !Number.isFinite(realized))
    return {
      value: null,
      nReference: estimated.calibration.labelled,
      nCurrent: n,
      details: {
        reason: !estimate
          ? (estimated.labelWindowUnreadable ?? 'the label window has no scores to estimate from')
          : `the ${check.estimate} is undefined (labels or expected labels of one class only)`,
      },
    };
  const outsideBy = Math.max(0, estimate.band.lower - realized, realized - estimate.band.upper);
  return {
    value: realized,
    estimate: estimate.value,
    band: [estimate.band.lower, estimate.band.upper],
    nReference: estimated.calibration.labelled,
    nCurrent: n,
    details: {
      estimate: check.estimate,
      ...(bracketOfEstimate(estimate) ? { estimate_bracket: bracketOfEstimate(estimate) } : {}),
      ...estimateDetails(estimate, estimated.bandWidth),
      outside_band_by: outsideBy,
      scored: slice.estimate?.n ?? 0,
      labelled: n,
      predictions: slice.labelled.n,
    },
  };
}

/** A binary metric at the monitor's threshold, or of the scores as probabilities. */
export type BinaryQualityMetric =
  'accuracy' | 'precision' | 'recall' | 'f1' | 'log_loss' | 'brier_score';

/**
 * The label window's quality terms of a slice, once labels.min_count labelled predictions are
 * in; for a metric of the scores as probabilities (`probabilities`), only when every score is
 * one (sklearn refuses others).
 */
function qualityTerms(
  slice: LabelledSlice,
  context: MeasureContext,
  probabilities: boolean,
): { quality: BinaryQualityAggregates; threshold: number; n: number } | Measurement {
  const few = tooFewLabels(slice, context);
  if (few) return few;
  const quality = slice.quality;
  const threshold = context.plan.threshold;
  // without terms (a label window with no predictions) or a threshold: nothing to judge
  if (!quality || threshold === null) return insufficient(0, slice.labelled, 1);
  if (probabilities && quality.outsideUnit > 0)
    return {
      value: null,
      nReference: 0,
      nCurrent: slice.labelled,
      details: {
        reason: `${quality.outsideUnit} labelled predictions are scored outside [0, 1]: not probabilities`,
        outside_unit: quality.outsideUnit,
        labelled: slice.labelled,
        predictions: slice.n,
      },
    };
  return { quality, threshold, n: quality.tp + quality.fp + quality.fn + quality.tn };
}

function measured(slice: LabelledSlice, value: number, details: object): Measurement {
  return {
    value: Number.isFinite(value) ? value : null,
    nReference: 0,
    nCurrent: slice.labelled,
    details: { ...details, labelled: slice.labelled, predictions: slice.n },
  };
}

/**
 * A binary classifier's quality metric, exact, from the label window's quality terms
 * (sklearn's definitions, zero_division 0). Accuracy, precision, recall and F1 keep the
 * confusion counts and the threshold beside them.
 */
export function binaryQualityMeasure(
  metric: BinaryQualityMetric,
): (slice: LabelledSlice, check: unknown, context: MeasureContext) => Measurement {
  const probabilities = metric === 'log_loss' || metric === 'brier_score';
  return (slice, _check, context) => {
    const terms = qualityTerms(slice, context, probabilities);
    if ('value' in terms) return terms;
    const { quality, threshold, n } = terms;
    const counts = { tp: quality.tp, fp: quality.fp, fn: quality.fn, tn: quality.tn };
    switch (metric) {
      case 'log_loss':
        return measured(slice, quality.logLossSum / n, {});
      case 'brier_score':
        return measured(slice, quality.brierSum / n, {});
      default:
        return measured(slice, thresholdMetrics(counts)[metric], { ...counts, threshold });
    }
  };
}

/**
 * The expected calibration error over the check's bins, exact, with its reliability curve:
 * each non-empty bin's edges, count, mean predicted score and fraction of positives.
 */
export function measureCalibration(
  slice: LabelledSlice,
  check: { bins: number },
  context: MeasureContext,
): Measurement {
  const terms = qualityTerms(slice, context, true);
  if ('value' in terms) return terms;
  const { bins } = check;
  const totals = terms.quality.calibration[bins];
  if (!totals) throw new RangeError(`no calibration totals over ${bins} bins were gathered`);
  const { ece, reliability } = calibrationOfBins(totals, terms.n);
  return measured(slice, ece, {
    bins,
    reliability: reliability.map((point) => ({
      bin: point.fromBin,
      // numpy.linspace's edges: k · (1 / bins), the last exactly 1
      lower: point.fromBin * (1 / bins),
      upper: point.toBin + 1 === bins ? 1 : (point.toBin + 1) * (1 / bins),
      count: point.count,
      mean_predicted: point.prob_pred,
      fraction_positive: point.prob_true,
    })),
  });
}

/**
 * KS on a regression's residuals: D exact from every residual of both sides (SQL), the
 * p-value as the ks check's, scipy's `ks_2samp(method='asymp')`.
 */
export function measureResidualKs(
  slice: ResidualSlice,
  _check: unknown,
  context: MeasureContext,
): Measurement {
  const few = tooFew(context, slice.nReference, slice.nCurrent);
  if (few) return few;
  const statistic = Number.isFinite(slice.statistic) ? slice.statistic : null;
  return {
    value: statistic,
    pValue: statistic === null ? null : ksPValueAsymp(statistic, slice.nReference, slice.nCurrent),
    effect: statistic,
    nReference: slice.nReference,
    nCurrent: slice.nCurrent,
    details: { residuals: 'label − prediction' },
  };
}
