import type { FeatureDrift } from '../report/featureDrift.js';
import { aurocFromCounts, benjaminiHochberg, twoProportionZTest } from '../stats/index.js';
import type { ClassificationAggregates } from '../store/classificationQueries.js';
import type { CheckStatus } from '../store/results.js';
import { isTestMetric, type CheckPlan, type MonitorPlan, type Severity } from './plan.js';

/**
 * Turns one window's aggregates into check verdicts. Pure: every number here was computed
 * by ClickHouse or src/stats; this only compares with thresholds, applies the false
 * discovery rate correction and says why.
 */
export interface SliceId {
  key: string;
  value: string;
}

export interface SliceQuality extends SliceId {
  rows: number;
  scored: number;
  predictedPositives: number;
  duplicateIds: number;
  wrongType: Record<string, number>;
  outOfRange: Record<string, number>;
}

export interface SliceScores extends SliceId {
  scored: number;
  predictedPositives: number;
  labelled: number;
  labelPositives: number;
}

export interface WindowAggregates {
  /** Drift per feature and slice; `slice` is "all" or "key=value". */
  drift: FeatureDrift[];
  quality: SliceQuality[];
  baselineScores: SliceScores[];
  paths: { baseline: string[]; current: string[] };
  /** Predictions with labels in the label window, per slice; null when not configured. */
  classification: (ClassificationAggregates & SliceId)[] | null;
}

export interface Verdict {
  checkId: string;
  metric: CheckPlan['metric'];
  feature: string;
  sliceKey: string;
  sliceValue: string;
  status: CheckStatus;
  value: number | null;
  pValue: number | null;
  adjustedPValue: number | null;
  warnThreshold: number | null;
  criticalThreshold: number | null;
  nReference: number;
  nCurrent: number;
  details: Record<string, unknown>;
}

export function judgeWindow(plan: MonitorPlan, aggregates: WindowAggregates): Verdict[] {
  const verdicts = plan.checks.flatMap((check) => judgeCheck(plan, check, aggregates));
  return applyFalseDiscoveryRate(plan, verdicts);
}

export function parseSliceLabel(label: string): SliceId {
  if (label === 'all') return { key: '', value: 'all' };
  const at = label.indexOf('=');
  return { key: label.slice(0, at), value: label.slice(at + 1) };
}

function judgeCheck(plan: MonitorPlan, check: CheckPlan, aggregates: WindowAggregates): Verdict[] {
  switch (check.metric) {
    case 'psi':
    case 'jensen_shannon':
    case 'wasserstein_normed':
      return driftEntries(aggregates, check.features).map((entry) =>
        judgeDistance(plan, check, entry),
      );
    case 'ks':
    case 'chi2':
      return driftEntries(aggregates, check.features)
        .filter((entry) => entry.kind === (check.metric === 'ks' ? 'numeric' : 'categorical'))
        .map((entry) => judgeTest(plan, check, entry));
    case 'null_rate':
      return driftEntries(aggregates, check.features).map((entry) =>
        judgeNullRate(plan, check, entry),
      );
    case 'new_categories':
      return driftEntries(aggregates, check.features)
        .filter((entry) => entry.kind === 'categorical')
        .map((entry) => judgeNewCategories(check, entry));
    case 'out_of_range':
    case 'wrong_type':
      return aggregates.quality.flatMap((slice) =>
        check.features.map((feature) => judgeQualityRate(plan, check, slice, feature)),
      );
    case 'duplicate_ids':
      return aggregates.quality.map((slice) => judgeDuplicates(plan, check, slice));
    case 'schema':
      return judgeSchema(plan, check, aggregates);
    case 'positive_rate':
      return aggregates.quality.map((slice) => judgePositiveRate(plan, check, slice, aggregates));
    case 'actual_positive_rate':
    case 'auroc':
      return withAllSlice(aggregates.classification ?? []).map((slice) =>
        judgeLabelled(plan, check, slice, aggregates),
      );
  }
}

/** A label window with no predictions still owes a verdict for "all": insufficient data. */
function withAllSlice(
  slices: (ClassificationAggregates & SliceId)[],
): (ClassificationAggregates & SliceId)[] {
  if (slices.some((slice) => slice.key === '' && slice.value === 'all')) return slices;
  const empty = {
    n: 0,
    labelled: 0,
    positives: 0,
    negatives: 0,
    predictedPositives: 0,
    scored: 0,
    pairsWon: 0,
  };
  return [{ slice: 'all', key: '', value: 'all', ...empty }, ...slices];
}

function driftEntries(aggregates: WindowAggregates, features: readonly string[]): FeatureDrift[] {
  const wanted = new Set(features);
  return aggregates.drift.filter((entry) => wanted.has(entry.name));
}

type VerdictBase = Pick<
  Verdict,
  | 'checkId'
  | 'metric'
  | 'feature'
  | 'sliceKey'
  | 'sliceValue'
  | 'pValue'
  | 'adjustedPValue'
  | 'warnThreshold'
  | 'criticalThreshold'
>;

function verdictBase(check: CheckPlan, feature: string, slice: SliceId): VerdictBase {
  return {
    checkId: check.id,
    metric: check.metric,
    feature,
    sliceKey: slice.key,
    sliceValue: slice.value,
    pValue: null,
    adjustedPValue: null,
    warnThreshold: null,
    criticalThreshold: null,
  };
}

function insufficient(plan: MonitorPlan, nReference: number, nCurrent: number): boolean {
  return nReference < plan.minSamples || nCurrent < plan.minSamples;
}

function insufficientVerdict(
  base: VerdictBase,
  nReference: number,
  nCurrent: number,
  minSamples: number,
): Verdict {
  return {
    ...base,
    status: 'insufficient_data',
    value: null,
    nReference,
    nCurrent,
    details: { reason: `fewer than ${minSamples} samples`, min_samples: minSamples },
  };
}

function bySeverity(breached: boolean, severity: Severity): CheckStatus {
  return breached ? severity : 'ok';
}

function judgeDistance(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { warn: number | null; critical: number | null; features: string[] }>,
  entry: FeatureDrift,
): Verdict {
  const base = {
    ...verdictBase(check, entry.name, parseSliceLabel(entry.slice)),
    warnThreshold: check.warn,
    criticalThreshold: check.critical,
  };
  if (insufficient(plan, entry.n_reference, entry.n_current))
    return insufficientVerdict(base, entry.n_reference, entry.n_current, plan.minSamples);
  const value =
    check.metric === 'psi'
      ? entry.psi
      : check.metric === 'jensen_shannon'
        ? entry.jensen_shannon
        : entry.kind === 'numeric'
          ? entry.wasserstein_normed
          : null;
  const status: CheckStatus =
    value === null
      ? 'insufficient_data'
      : check.critical !== null && value >= check.critical
        ? 'critical'
        : check.warn !== null && value >= check.warn
          ? 'warn'
          : 'ok';
  return {
    ...base,
    status,
    value,
    nReference: entry.n_reference,
    nCurrent: entry.n_current,
    // Kept with the result so the dashboard can draw baseline against current later.
    details: { histogram: entry.histogram },
  };
}

function judgeTest(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'ks' | 'chi2' }>,
  entry: FeatureDrift,
): Verdict {
  const base = {
    ...verdictBase(check, entry.name, parseSliceLabel(entry.slice)),
    criticalThreshold: check.pValue,
  };
  if (insufficient(plan, entry.n_reference, entry.n_current))
    return insufficientVerdict(base, entry.n_reference, entry.n_current, plan.minSamples);
  const [statistic, pValue, effect] =
    entry.kind === 'numeric'
      ? [entry.ks.statistic, entry.ks.p_value, entry.ks.statistic]
      : [entry.chi2.statistic, entry.chi2.p_value, entry.jensen_shannon];
  const breached =
    pValue !== null && effect !== null && pValue < check.pValue && effect >= check.minStatistic;
  return {
    ...base,
    status: bySeverity(breached, check.severity),
    value: statistic,
    pValue,
    nReference: entry.n_reference,
    nCurrent: entry.n_current,
    details: {
      effect,
      min_effect: check.minStatistic,
      ...(entry.kind === 'categorical'
        ? { dof: entry.chi2.dof, new_categories: entry.new_categories }
        : {}),
    },
  };
}

function judgeNullRate(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'null_rate' }>,
  entry: FeatureDrift,
): Verdict {
  const base = {
    ...verdictBase(check, entry.name, parseSliceLabel(entry.slice)),
    criticalThreshold: check.maxIncrease,
  };
  const reference = entry.null_rate.reference;
  const current = entry.null_rate.current;
  const totalReference = entry.n_reference / (1 - (reference ?? 0) || 1);
  const totalCurrent = entry.n_current / (1 - (current ?? 0) || 1);
  if (
    reference === null ||
    current === null ||
    totalReference < plan.minSamples ||
    totalCurrent < plan.minSamples
  ) {
    return insufficientVerdict(
      base,
      Math.round(totalReference),
      Math.round(totalCurrent),
      plan.minSamples,
    );
  }
  const increase = current - reference;
  return {
    ...base,
    status: bySeverity(increase > check.maxIncrease, check.severity),
    value: increase,
    nReference: Math.round(totalReference),
    nCurrent: Math.round(totalCurrent),
    details: { null_rate_reference: reference, null_rate_current: current },
  };
}

function judgeNewCategories(
  check: Extract<CheckPlan, { metric: 'new_categories' }>,
  entry: FeatureDrift,
): Verdict {
  const found = entry.kind === 'categorical' ? entry.new_categories : [];
  return {
    ...verdictBase(check, entry.name, parseSliceLabel(entry.slice)),
    status: bySeverity(found.length > 0, check.severity),
    value: found.length,
    nReference: entry.n_reference,
    nCurrent: entry.n_current,
    details: { new_categories: found },
  };
}

function judgeQualityRate(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'out_of_range' | 'wrong_type' }>,
  slice: SliceQuality,
  feature: string,
): Verdict {
  const base = { ...verdictBase(check, feature, slice), criticalThreshold: check.maxRate };
  if (slice.rows < plan.minSamples)
    return insufficientVerdict(base, 0, slice.rows, plan.minSamples);
  const count =
    (check.metric === 'out_of_range' ? slice.outOfRange : slice.wrongType)[feature] ?? 0;
  const rate = count / slice.rows;
  return {
    ...base,
    status: bySeverity(rate > check.maxRate, check.severity),
    value: rate,
    nReference: 0,
    nCurrent: slice.rows,
    details: { count },
  };
}

function judgeDuplicates(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'duplicate_ids' }>,
  slice: SliceQuality,
): Verdict {
  const base = { ...verdictBase(check, '', slice), criticalThreshold: check.maxRate };
  if (slice.rows === 0) return insufficientVerdict(base, 0, 0, 1);
  const rate = slice.duplicateIds / slice.rows;
  return {
    ...base,
    status: bySeverity(rate > check.maxRate, check.severity),
    value: rate,
    nReference: 0,
    nCurrent: slice.rows,
    details: { duplicates: slice.duplicateIds },
  };
}

/** Features declared but absent from the window's events, and event fields the baseline never had. */
function judgeSchema(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'schema' }>,
  aggregates: WindowAggregates,
): Verdict[] {
  const all = aggregates.quality.find((slice) => slice.value === 'all' && slice.key === '');
  const rows = all?.rows ?? 0;
  const base = verdictBase(check, '', { key: '', value: 'all' });
  if (rows === 0) return [insufficientVerdict(base, 0, 0, 1)];
  const current = new Set(aggregates.paths.current);
  const known = new Set([
    ...aggregates.paths.baseline,
    ...plan.features.map((feature) => feature.name),
  ]);
  const missing = plan.features.map((feature) => feature.name).filter((name) => !current.has(name));
  const added = aggregates.paths.current.filter((path) => !known.has(path)).sort();
  return [
    {
      ...base,
      status: bySeverity(missing.length + added.length > 0, check.severity),
      value: missing.length + added.length,
      nReference: 0,
      nCurrent: rows,
      details: { missing_features: missing, new_features: added },
    },
  ];
}

function judgePositiveRate(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'positive_rate' }>,
  slice: SliceQuality,
  aggregates: WindowAggregates,
): Verdict {
  const base = { ...verdictBase(check, '', slice), criticalThreshold: check.maxShift };
  const reference = aggregates.baselineScores.find(
    (row) => row.key === slice.key && row.value === slice.value,
  );
  const nReference = reference?.scored ?? 0;
  if (plan.threshold === null || insufficient(plan, nReference, slice.scored)) {
    return insufficientVerdict(base, nReference, slice.scored, plan.minSamples);
  }
  const test = twoProportionZTest(
    { positives: reference?.predictedPositives ?? 0, n: nReference },
    { positives: slice.predictedPositives, n: slice.scored },
  );
  const rateReference = (reference?.predictedPositives ?? 0) / nReference;
  const rateCurrent = slice.predictedPositives / slice.scored;
  const shift = rateCurrent - rateReference;
  return {
    ...base,
    status: bySeverity(
      Math.abs(shift) > check.maxShift && test.pValue < check.pValue,
      check.severity,
    ),
    value: shift,
    pValue: test.pValue,
    nReference,
    nCurrent: slice.scored,
    details: {
      rate_reference: rateReference,
      rate_current: rateCurrent,
      z: test.z,
      threshold: plan.threshold,
      p_value_limit: check.pValue,
    },
  };
}

function judgeLabelled(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'auroc' | 'actual_positive_rate' }>,
  slice: ClassificationAggregates & SliceId,
  aggregates: WindowAggregates,
): Verdict {
  const minCount = plan.labels?.minCount ?? plan.minSamples;
  const base = verdictBase(check, '', slice);
  if (slice.labelled < minCount) {
    return {
      ...insufficientVerdict(base, 0, slice.labelled, minCount),
      details: {
        reason: `fewer than ${minCount} labelled predictions`,
        labelled: slice.labelled,
        predictions: slice.n,
      },
    };
  }
  if (check.metric === 'auroc') {
    const auroc = aurocFromCounts(slice);
    const status: CheckStatus = Number.isNaN(auroc)
      ? 'insufficient_data'
      : auroc < check.min
        ? 'critical'
        : check.warn !== null && auroc < check.warn
          ? 'warn'
          : 'ok';
    return {
      ...base,
      warnThreshold: check.warn,
      criticalThreshold: check.min,
      status,
      value: Number.isNaN(auroc) ? null : auroc,
      nReference: 0,
      nCurrent: slice.labelled,
      // predictions: how many the label window held, so label coverage can be shown.
      details: { positives: slice.positives, negatives: slice.negatives, predictions: slice.n },
    };
  }
  const reference = aggregates.baselineScores.find(
    (row) => row.key === slice.key && row.value === slice.value,
  );
  if (!reference || reference.labelled < plan.minSamples)
    return insufficientVerdict(base, reference?.labelled ?? 0, slice.labelled, plan.minSamples);
  const rateReference = reference.labelPositives / reference.labelled;
  const rateCurrent = slice.positives / slice.labelled;
  const test = twoProportionZTest(
    { positives: reference.labelPositives, n: reference.labelled },
    { positives: slice.positives, n: slice.labelled },
  );
  return {
    ...base,
    criticalThreshold: check.maxShift,
    status: bySeverity(Math.abs(rateCurrent - rateReference) > check.maxShift, check.severity),
    value: rateCurrent - rateReference,
    pValue: test.pValue,
    nReference: reference.labelled,
    nCurrent: slice.labelled,
    details: { rate_reference: rateReference, rate_current: rateCurrent },
  };
}

/**
 * With many features × slices, false alarms multiply: when the monitor asks for it, every
 * p-value test of the run is judged on its Benjamini-Hochberg adjusted p-value instead.
 */
function applyFalseDiscoveryRate(plan: MonitorPlan, verdicts: Verdict[]): Verdict[] {
  if (plan.falseDiscoveryRate === 'none') return verdicts;
  const tested = verdicts.filter(
    (verdict) => isTestMetric(verdict.metric) && verdict.pValue !== null,
  );
  const adjusted = benjaminiHochberg(tested.map((verdict) => verdict.pValue ?? Number.NaN));
  const adjustedBy = new Map(tested.map((verdict, i) => [verdict, adjusted[i] ?? Number.NaN]));
  return verdicts.map((verdict) => {
    const adjustedPValue = adjustedBy.get(verdict);
    if (adjustedPValue === undefined) return verdict;
    const check = plan.checks.find((c) => c.id === verdict.checkId);
    return {
      ...verdict,
      adjustedPValue,
      status: check ? rejudgeWithAdjusted(check, verdict, adjustedPValue) : verdict.status,
    };
  });
}

function rejudgeWithAdjusted(
  check: CheckPlan,
  verdict: Verdict,
  adjustedPValue: number,
): CheckStatus {
  if (verdict.status === 'insufficient_data') return verdict.status;
  if (check.metric === 'ks' || check.metric === 'chi2') {
    const effect = Number(verdict.details.effect ?? Number.NaN);
    return bySeverity(
      adjustedPValue < check.pValue && effect >= check.minStatistic,
      check.severity,
    );
  }
  if (check.metric === 'positive_rate') {
    return bySeverity(
      Math.abs(verdict.value ?? 0) > check.maxShift && adjustedPValue < check.pValue,
      check.severity,
    );
  }
  return verdict.status;
}
