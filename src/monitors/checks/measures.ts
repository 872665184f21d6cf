import type { CountRange } from '../../drift/cells.js';
import type {
  Brackets,
  CategoricalFeatureDrift,
  FeatureDrift,
  NumericFeatureDrift,
} from '../../drift/featureDrift.js';
import { aurocFromCounts, ksPValueAsymp, twoProportionZTest } from '../../stats/index.js';
import { listedNames } from '../listedNames.js';
import type { SliceQuality, WindowActivity, WindowAggregates } from '../windowAggregates.js';
import type { Measurement } from './kinds.js';
import { regressionMetrics, type RegressionMetrics } from '../../stats/regression.js';
import type { FeatureInSlice, LabelledSlice, RegressionSlice, ResidualSlice } from './subjects.js';

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
