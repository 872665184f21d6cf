import type { CountRange } from '../drift/cells.js';
import type { FeatureDrift } from '../drift/featureDrift.js';
import { aurocFromCounts, benjaminiHochberg, twoProportionZTest } from '../stats/index.js';
import { NULL_FIELDS, type CheckStatus, type VerdictFields } from './checkResult.js';
import { listedNames } from './listedNames.js';
import {
  isTestMetric,
  type CheckPlan,
  type Metric,
  type MonitorPlan,
  type Severity,
} from './plan.js';
import type {
  ClassificationAggregates,
  SliceId,
  SliceQuality,
  WindowAggregates,
} from './windowAggregates.js';

/**
 * Turns one window's aggregates into check verdicts. Pure: every number here was computed
 * by ClickHouse, src/drift or src/stats; this only compares with thresholds, applies the
 * false discovery rate correction and says why.
 *
 * Values from summaries carry a bracket [lower, upper] that contains the exact value. A
 * verdict is taken when both ends of the bracket give the same status; otherwise it is
 * marked `undecided`, given the status of the bracket's worst end, and the evaluator
 * recomputes it exactly from raw rows when it can (see evaluateWindow.ts).
 */
/**
 * What the judge says of one check on one feature in one slice: the verdict's fields of the
 * check result (monitors/checkResult.ts), the metric as planned, and whether a bracket left it
 * undecided. The run that stores it adds where, when and against what.
 */
export interface Verdict extends Omit<VerdictFields, 'metric'> {
  metric: Metric;
  /** A bracket straddles the threshold: the status is its worst case until computed exactly. */
  undecided: boolean;
}

export function judgeWindow(plan: MonitorPlan, aggregates: WindowAggregates): Verdict[] {
  if (aggregates.activity.events === 0) return noDataVerdicts(plan, aggregates);
  const verdicts = plan.checks.flatMap((check) => judgeCheck(plan, check, aggregates));
  return applyFalseDiscoveryRate(plan, verdicts);
}

export function parseSliceLabel(label: string): SliceId {
  if (label === 'all') return { key: '', value: 'all' };
  const at = label.indexOf('=');
  return { key: label.slice(0, at), value: label.slice(at + 1) };
}

/**
 * Silence is a finding: a window without events gets one "no_data" verdict per check (the
 * label checks still judge their own, earlier window). A model that has never sent an event
 * is "awaiting_data" instead, until its first event or the monitor's `expect_data_from`.
 */
function noDataVerdicts(plan: MonitorPlan, aggregates: WindowAggregates): Verdict[] {
  const { activity } = aggregates;
  const expected = plan.expectDataFrom ?? null;
  const awaiting =
    activity.sentEventsBefore === false &&
    (expected === null || activity.windowEnd <= expected.getTime());
  return plan.checks.flatMap((check) => {
    if (check.metric === 'auroc' || check.metric === 'actual_positive_rate')
      return judgeCheck(plan, check, aggregates);
    const base = verdictBase(check, '', { key: '', value: 'all' });
    const since =
      activity.lastEvent === null ? null : (activity.windowEnd - activity.lastEvent) / 1000;
    const expectation = expected ? { expect_data_from: expected.toISOString() } : {};
    if (awaiting)
      return [
        {
          ...base,
          status: 'awaiting_data' as const,
          value: null,
          nReference: 0,
          nCurrent: 0,
          details: {
            reason: `no event from this model yet: nothing alerts until its first event${expected ? ` or ${expected.toISOString()}` : ''}`,
            ...expectation,
          },
        },
      ];
    return [
      {
        ...base,
        status: 'no_data' as const,
        value: check.metric === 'volume' ? 0 : check.metric === 'freshness' ? since : null,
        nReference: 0,
        nCurrent: 0,
        details: {
          reason: 'no events in the window',
          ...(since !== null ? { seconds_since_last_event: since } : {}),
          ...(activity.sentEventsBefore === false ? expectation : {}),
        },
      },
    ];
  });
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
    case 'non_finite':
      return aggregates.quality.flatMap((slice) =>
        check.features.map((feature) => judgeQualityRate(plan, check, slice, feature)),
      );
    case 'duplicate_ids':
      return aggregates.quality.map((slice) => judgeDuplicates(check, slice));
    case 'schema':
      return judgeSchema(plan, check, aggregates);
    case 'volume':
      return [judgeVolume(check, aggregates)];
    case 'freshness':
      return [judgeFreshness(check, aggregates)];
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

type VerdictBase = Omit<Verdict, 'status' | 'value' | 'nReference' | 'nCurrent' | 'details'>;

function verdictBase(check: CheckPlan, feature: string, slice: SliceId): VerdictBase {
  return {
    ...NULL_FIELDS,
    checkId: check.id,
    metric: check.metric,
    feature,
    sliceKey: slice.key,
    sliceValue: slice.value,
    undecided: false,
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

/** Statuses from worst to best; the worst end of a straddling bracket decides. */
const SEVERITY_RANK: Record<CheckStatus, number> = {
  critical: 4,
  warn: 3,
  no_data: 2,
  ok: 1,
  insufficient_data: 0,
  awaiting_data: 0,
};

/** Judge both ends of a bracket: decided when they agree, else the worst, undecided. */
function judgeBracket(
  lower: number,
  upper: number,
  status: (value: number) => CheckStatus,
): { status: CheckStatus; undecided: boolean } {
  const a = status(lower);
  const b = status(upper);
  if (a === b) return { status: a, undecided: false };
  return { status: SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b, undecided: true };
}

function bracketOfEntry(
  entry: FeatureDrift,
  metric: 'psi' | 'jensen_shannon' | 'wasserstein_normed',
): { value: number | null; lower: number | null; upper: number | null } {
  const value =
    metric === 'psi'
      ? entry.psi
      : metric === 'jensen_shannon'
        ? entry.jensen_shannon
        : entry.kind === 'numeric'
          ? entry.wasserstein_normed
          : null;
  const bracket = entry.brackets?.[metric];
  return { value, lower: bracket?.[0] ?? null, upper: bracket?.[1] ?? null };
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
  const { value, lower, upper } = bracketOfEntry(entry, check.metric);
  const statusOf = (v: number): CheckStatus =>
    check.critical !== null && v >= check.critical
      ? 'critical'
      : check.warn !== null && v >= check.warn
        ? 'warn'
        : 'ok';
  const judged =
    value === null
      ? { status: 'insufficient_data' as const, undecided: false }
      : judgeBracket(lower ?? value, upper ?? value, statusOf);
  return {
    ...base,
    ...judged,
    value,
    valueLower: lower,
    valueUpper: upper,
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
  const numeric = entry.kind === 'numeric';
  const statistic = numeric ? entry.ks.statistic : entry.chi2.statistic;
  const pValue = numeric ? entry.ks.p_value : entry.chi2.p_value;
  const effect = numeric ? entry.ks.statistic : entry.jensen_shannon;
  const effectBracket = numeric ? entry.brackets?.ks_statistic : entry.brackets?.jensen_shannon;
  const pBracket = numeric ? entry.brackets?.ks_p_value : undefined;
  const statusOf = (p: number, e: number) =>
    bySeverity(p < check.pValue && e >= check.minStatistic, check.severity);
  let judged: { status: CheckStatus; undecided: boolean } = {
    status: 'insufficient_data',
    undecided: false,
  };
  if (pValue !== null && effect !== null) {
    // breached is monotone: more likely with a smaller p and a larger effect
    const best = statusOf(pBracket?.[1] ?? pValue, effectBracket?.[0] ?? effect);
    const worst = statusOf(pBracket?.[0] ?? pValue, effectBracket?.[1] ?? effect);
    judged =
      best === worst ? { status: best, undecided: false } : { status: worst, undecided: true };
  }
  return {
    ...base,
    ...judged,
    value: statistic,
    valueLower: numeric ? (entry.brackets?.ks_statistic?.[0] ?? null) : null,
    valueUpper: numeric ? (entry.brackets?.ks_statistic?.[1] ?? null) : null,
    pValue,
    pValueLower: pBracket?.[0] ?? null,
    pValueUpper: pBracket?.[1] ?? null,
    nReference: entry.n_reference,
    nCurrent: entry.n_current,
    details: {
      effect,
      ...(effectBracket ? { effect_bracket: effectBracket } : {}),
      min_effect: check.minStatistic,
      ...(entry.kind === 'categorical'
        ? { dof: entry.chi2.dof, ...listedNames('new_categories', entry.new_categories) }
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
  const totalReference = entry.quality.reference.rows;
  const totalCurrent = entry.quality.current.rows;
  if (
    reference === null ||
    current === null ||
    totalReference < plan.minSamples ||
    totalCurrent < plan.minSamples
  ) {
    return insufficientVerdict(base, totalReference, totalCurrent, plan.minSamples);
  }
  const increase = current - reference;
  return {
    ...base,
    status: bySeverity(increase > check.maxIncrease, check.severity),
    value: increase,
    nReference: totalReference,
    nCurrent: totalCurrent,
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
    details: listedNames('new_categories', found),
  };
}

function judgeQualityRate(
  plan: MonitorPlan,
  check: Extract<CheckPlan, { metric: 'out_of_range' | 'wrong_type' | 'non_finite' }>,
  slice: SliceQuality,
  feature: string,
): Verdict {
  const base = { ...verdictBase(check, feature, slice), criticalThreshold: check.maxRate };
  if (slice.rows < plan.minSamples)
    return insufficientVerdict(base, 0, slice.rows, plan.minSamples);
  const count: CountRange =
    check.metric === 'out_of_range'
      ? (slice.outOfRange[feature] ?? { lower: 0, upper: 0 })
      : {
          lower: (check.metric === 'wrong_type' ? slice.wrongType : slice.nonFinite)[feature] ?? 0,
          upper: (check.metric === 'wrong_type' ? slice.wrongType : slice.nonFinite)[feature] ?? 0,
        };
  const exact = count.lower === count.upper;
  const judged = judgeBracket(count.lower / slice.rows, count.upper / slice.rows, (rate) =>
    bySeverity(rate > check.maxRate, check.severity),
  );
  const value = (count.lower + count.upper) / 2 / slice.rows;
  return {
    ...base,
    ...judged,
    value,
    valueLower: exact ? null : count.lower / slice.rows,
    valueUpper: exact ? null : count.upper / slice.rows,
    nReference: 0,
    nCurrent: slice.rows,
    details: exact ? { count: count.lower } : { count_bracket: [count.lower, count.upper] },
  };
}

function judgeDuplicates(
  check: Extract<CheckPlan, { metric: 'duplicate_ids' }>,
  slice: SliceQuality,
): Verdict {
  const base = { ...verdictBase(check, '', slice), criticalThreshold: check.maxRate };
  if (slice.rows === 0 || slice.duplicateIds === null) return insufficientVerdict(base, 0, 0, 1);
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
  const rows = aggregates.activity.events;
  const base = verdictBase(check, '', { key: '', value: 'all' });
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
      details: {
        ...listedNames('missing_features', missing),
        ...listedNames('new_features', added),
      },
    },
  ];
}

function judgeVolume(
  check: Extract<CheckPlan, { metric: 'volume' }>,
  aggregates: WindowAggregates,
): Verdict {
  const base = {
    ...verdictBase(check, '', { key: '', value: 'all' }),
    warnThreshold: check.maxRatio,
    criticalThreshold: check.minRatio,
  };
  const expected = aggregates.activity.expectedEvents[check.id] ?? null;
  const events = aggregates.activity.events;
  if (expected === null || expected === 0) {
    const expired = aggregates.activity.trailingExpired?.[check.id];
    return {
      ...base,
      status: 'insufficient_data',
      value: null,
      nReference: 0,
      nCurrent: events,
      details: {
        reason: expired ?? 'no events in the trailing period to expect a volume from',
        events,
      },
    };
  }
  const ratio = events / expected;
  const breached = ratio < check.minRatio || (check.maxRatio !== null && ratio > check.maxRatio);
  return {
    ...base,
    status: bySeverity(breached, check.severity),
    value: ratio,
    nReference: Math.round(expected),
    nCurrent: events,
    details: { events, expected_events: expected, trailing_seconds: check.trailingMs / 1000 },
  };
}

function judgeFreshness(
  check: Extract<CheckPlan, { metric: 'freshness' }>,
  aggregates: WindowAggregates,
): Verdict {
  const base = {
    ...verdictBase(check, '', { key: '', value: 'all' }),
    criticalThreshold: check.maxDelayMs / 1000,
  };
  const { lastEvent, windowEnd, events } = aggregates.activity;
  if (lastEvent === null) {
    return {
      ...base,
      status: 'no_data',
      value: null,
      nReference: 0,
      nCurrent: events,
      details: { reason: 'no event found before the window’s end' },
    };
  }
  const seconds = Math.max(0, windowEnd - lastEvent) / 1000;
  return {
    ...base,
    status: bySeverity(seconds * 1000 > check.maxDelayMs, check.severity),
    value: seconds,
    nReference: 0,
    nCurrent: events,
    details: { last_event: new Date(lastEvent).toISOString() },
  };
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
  const referencePositives = reference?.predictedPositives ?? 0;
  const rateReference = referencePositives / nReference;
  const at = (positives: number) => {
    const test = twoProportionZTest(
      { positives: referencePositives, n: nReference },
      { positives, n: slice.scored },
    );
    const shift = positives / slice.scored - rateReference;
    return {
      shift,
      test,
      status: bySeverity(
        Math.abs(shift) > check.maxShift && test.pValue < check.pValue,
        check.severity,
      ),
    };
  };
  const { lower, upper } = slice.predictedPositives;
  const exact = lower === upper;
  const ends = [at(lower), at(upper)];
  const middle = at((lower + upper) / 2);
  // |shift| and |z| grow away from the reference rate: the bracket's ends bound the shift; the
  // p-value bracket comes from the end nearer to and the end farther from the reference rate.
  const nearest = Math.min(Math.max(rateReference * slice.scored, lower), upper);
  const near = at(nearest);
  const far = Math.abs(ends[0]?.shift ?? 0) >= Math.abs(ends[1]?.shift ?? 0) ? ends[0] : ends[1];
  const decided = ends[0]?.status === ends[1]?.status && near.status === ends[0]?.status;
  const status = decided ? (ends[0]?.status ?? 'ok') : (far?.status ?? 'ok');
  return {
    ...base,
    status,
    undecided: !decided,
    value: middle.shift,
    valueLower: exact ? null : (ends[0]?.shift ?? null),
    valueUpper: exact ? null : (ends[1]?.shift ?? null),
    pValue: middle.test.pValue,
    pValueLower: exact ? null : (far?.test.pValue ?? null),
    pValueUpper: exact ? null : near.test.pValue,
    nReference,
    nCurrent: slice.scored,
    details: {
      rate_reference: rateReference,
      rate_current: (lower + upper) / 2 / slice.scored,
      z: middle.test.z,
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
 * The adjustment is monotone in every p-value, so adjusting the bracket ends bounds it.
 */
export function applyFalseDiscoveryRate(plan: MonitorPlan, verdicts: Verdict[]): Verdict[] {
  if (plan.falseDiscoveryRate === 'none') return verdicts;
  const tested = verdicts.filter(
    (verdict) => isTestMetric(verdict.metric) && verdict.pValue !== null,
  );
  const adjusted = benjaminiHochberg(tested.map((verdict) => verdict.pValue ?? Number.NaN));
  const adjustedLow = benjaminiHochberg(
    tested.map((verdict) => verdict.pValueLower ?? verdict.pValue ?? Number.NaN),
  );
  const adjustedHigh = benjaminiHochberg(
    tested.map((verdict) => verdict.pValueUpper ?? verdict.pValue ?? Number.NaN),
  );
  const index = new Map(tested.map((verdict, i) => [verdict, i]));
  return verdicts.map((verdict) => {
    const i = index.get(verdict);
    if (i === undefined) return verdict;
    const check = plan.checks.find((c) => c.id === verdict.checkId);
    const value = adjusted[i] ?? Number.NaN;
    const judged = check
      ? rejudgeWithAdjusted(check, verdict, adjustedLow[i] ?? value, adjustedHigh[i] ?? value)
      : { status: verdict.status, undecided: verdict.undecided };
    return { ...verdict, adjustedPValue: value, ...judged };
  });
}

function rejudgeWithAdjusted(
  check: CheckPlan,
  verdict: Verdict,
  pLow: number,
  pHigh: number,
): { status: CheckStatus; undecided: boolean } {
  if (verdict.status === 'insufficient_data' || verdict.status === 'no_data')
    return { status: verdict.status, undecided: false };
  if (check.metric === 'ks' || check.metric === 'chi2') {
    const effect = Number(verdict.details.effect ?? Number.NaN);
    const bracket = verdict.details.effect_bracket as [number, number] | undefined;
    const statusOf = (p: number, e: number) =>
      bySeverity(p < check.pValue && e >= check.minStatistic, check.severity);
    const best = statusOf(pHigh, bracket?.[0] ?? effect);
    const worst = statusOf(pLow, bracket?.[1] ?? effect);
    return best === worst ? { status: best, undecided: false } : { status: worst, undecided: true };
  }
  if (check.metric === 'positive_rate') {
    const lower = verdict.valueLower ?? verdict.value ?? 0;
    const upper = verdict.valueUpper ?? verdict.value ?? 0;
    const statusOf = (shift: number, p: number) =>
      bySeverity(Math.abs(shift) > check.maxShift && p < check.pValue, check.severity);
    const largest = Math.max(Math.abs(lower), Math.abs(upper));
    const smallest = lower <= 0 && upper >= 0 ? 0 : Math.min(Math.abs(lower), Math.abs(upper));
    const best = statusOf(smallest, pHigh);
    const worst = statusOf(largest, pLow);
    return best === worst ? { status: best, undecided: false } : { status: worst, undecided: true };
  }
  return { status: verdict.status, undecided: verdict.undecided };
}
