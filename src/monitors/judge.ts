import { benjaminiHochberg } from '../stats/index.js';
import { NULL_FIELDS, type VerdictFields } from './checkResult.js';
import type { Judged, Measurement, Thresholds } from './checks/kinds.js';
import type { MeasureContext } from './checks/measures.js';
import { checkEntry, type AnyCheckEntry } from './checks/registry.js';
import { ALL, type Located } from './checks/subjects.js';
import type { CheckPlan, Metric, MonitorPlan } from './plan.js';
import type { WindowAggregates } from './windowAggregates.js';

/**
 * Turns one window's aggregates into check verdicts. Pure: every number here was computed
 * by ClickHouse, src/drift or src/stats; each check's entry in the registry
 * (checks/registry.ts) says what its verdicts are about, what it measures and how that is
 * held against its thresholds; this applies them, adds the false discovery rate correction
 * and says why.
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

/** A verdict with what it was judged from, so the false discovery rate can judge it again. */
interface Judgement {
  verdict: Verdict;
  check: CheckPlan;
  entry: AnyCheckEntry;
  measured: Measurement;
}

/**
 * What a window's judgement measured, check by check and subject by subject, for judging the
 * same window again after some of its drift entries were replaced by new objects (a
 * backtest's KS pairs recomputed exactly, evaluateWindow's refineKsPairs): a subject whose
 * item is the same object at the same place is not measured again, only the replaced ones
 * are, and the false discovery rate is applied afresh over all. Valid only between calls whose
 * aggregates differ in replaced drift entries (what a measure reads besides its item —
 * the plan, activity, scores, paths — must be the same).
 */
export type JudgementMemo = Map<CheckPlan, Map<object, Judgement>>;

export function judgeWindow(
  plan: MonitorPlan,
  aggregates: WindowAggregates,
  memo?: JudgementMemo,
): Verdict[] {
  if (aggregates.activity.events === 0) return noDataVerdicts(plan, aggregates);
  const judgements = plan.checks.flatMap((check) => judgeCheck(plan, check, aggregates, memo));
  return applyFalseDiscoveryRate(plan, judgements);
}

/**
 * Silence is a finding: a window without events gets one "no_data" verdict per check (the
 * label checks still judge their own, earlier window). A model that has never sent an event
 * is "awaiting_data" instead, until its first event or the monitor's `expect_data_from`.
 */
function noDataVerdicts(plan: MonitorPlan, aggregates: WindowAggregates): Verdict[] {
  const { activity } = aggregates;
  const since =
    activity.lastEvent === null ? null : (activity.windowEnd - activity.lastEvent) / 1000;
  const expected = plan.expectDataFrom ?? null;
  const awaiting =
    activity.sentEventsBefore === false &&
    (expected === null || activity.windowEnd <= expected.getTime());
  const expectation = expected ? { expect_data_from: expected.toISOString() } : {};
  return plan.checks.flatMap((check) => {
    const entry = checkEntry(check.metric);
    if (entry.needs?.labels)
      return judgeCheck(plan, check, aggregates).map((judgement) => judgement.verdict);
    const base = {
      ...NULL_FIELDS,
      checkId: check.id,
      metric: check.metric,
      feature: '',
      sliceKey: ALL.key,
      sliceValue: ALL.value,
      undecided: false,
      nReference: 0,
      nCurrent: 0,
    };
    if (awaiting)
      return [
        {
          ...base,
          status: 'awaiting_data' as const,
          value: null,
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
        value: entry.noDataValue?.(activity) ?? null,
        details: {
          reason: 'no events in the window',
          ...(since !== null ? { seconds_since_last_event: since } : {}),
          ...(activity.sentEventsBefore === false ? expectation : {}),
        },
      },
    ];
  });
}

function judgeCheck(
  plan: MonitorPlan,
  check: CheckPlan,
  aggregates: WindowAggregates,
  memo?: JudgementMemo,
): Judgement[] {
  const entry = checkEntry(check.metric);
  const context: MeasureContext = { plan, aggregates };
  let known = memo?.get(check);
  if (memo && !known) memo.set(check, (known = new Map()));
  return entry.subject.of(check, aggregates).map((subject) => {
    const item = typeof subject.item === 'object' && subject.item !== null ? subject.item : null;
    const before = item ? known?.get(item) : undefined;
    if (before && sameLocation(before.verdict, subject)) return before;
    const measured = entry.measure(subject.item, check, context);
    const judgement = {
      verdict: verdictOf(check, entry, subject, measured),
      check,
      entry,
      measured,
    };
    if (item && !before) known?.set(item, judgement);
    return judgement;
  });
}

function sameLocation(verdict: Verdict, subject: Located<unknown>): boolean {
  return (
    verdict.feature === subject.feature &&
    verdict.sliceKey === subject.slice.key &&
    verdict.sliceValue === subject.slice.value
  );
}

function verdictOf(
  check: CheckPlan,
  entry: AnyCheckEntry,
  subject: Located<unknown>,
  measured: Measurement,
): Verdict {
  const judged = judge(entry, check, measured);
  return {
    ...NULL_FIELDS,
    checkId: check.id,
    metric: check.metric,
    feature: subject.feature,
    sliceKey: subject.slice.key,
    sliceValue: subject.slice.value,
    ...thresholdsOf(entry, check),
    status: judged.status,
    undecided: judged.undecided,
    value: measured.value,
    valueLower: measured.bracket?.[0] ?? null,
    valueUpper: measured.bracket?.[1] ?? null,
    bandLower: measured.band?.[0] ?? null,
    bandUpper: measured.band?.[1] ?? null,
    estimatedValue: measured.estimate ?? null,
    pValue: measured.pValue ?? null,
    pValueLower: measured.pValueBracket?.[0] ?? null,
    pValueUpper: measured.pValueBracket?.[1] ?? null,
    nReference: measured.nReference,
    nCurrent: measured.nCurrent,
    details: { ...judged.details, ...measured.details },
  };
}

const THRESHOLDS = new WeakMap<CheckPlan, Thresholds>();

/** A check's thresholds, once per plan's check (the same for each of its ~300 verdicts). */
function thresholdsOf(entry: AnyCheckEntry, check: CheckPlan): Thresholds {
  let thresholds = THRESHOLDS.get(check);
  if (!thresholds) THRESHOLDS.set(check, (thresholds = entry.kind.thresholds(check)));
  return thresholds;
}

/** Nothing measured is insufficient data (or no data); a value goes to its kind. */
function judge(entry: AnyCheckEntry, check: CheckPlan, measured: Measurement): Judged {
  if (measured.value === null)
    return { status: measured.status ?? 'insufficient_data', undecided: false };
  // the measurement itself, its value known not null (no copy: a window judges ~1,300)
  return entry.kind.judge(measured as Measurement & { value: number }, check);
}

/**
 * With many features × slices, false alarms multiply: when the monitor asks for it, every
 * p-value test of the run is judged on its Benjamini-Hochberg adjusted p-value instead.
 * The adjustment is monotone in every p-value, so adjusting the bracket ends bounds it.
 */
function applyFalseDiscoveryRate(plan: MonitorPlan, judgements: Judgement[]): Verdict[] {
  if (plan.falseDiscoveryRate === 'none') return judgements.map((j) => j.verdict);
  const tested = judgements.filter(
    ({ entry, verdict }) => entry.kind.test && verdict.pValue !== null,
  );
  const adjust = (end: (verdict: Verdict) => number | null) =>
    benjaminiHochberg(tested.map(({ verdict }) => end(verdict) ?? verdict.pValue ?? Number.NaN));
  const adjusted = adjust((verdict) => verdict.pValue);
  const adjustedLow = adjust((verdict) => verdict.pValueLower);
  const adjustedHigh = adjust((verdict) => verdict.pValueUpper);
  const index = new Map(tested.map((judgement, i) => [judgement, i]));
  return judgements.map((judgement) => {
    const i = index.get(judgement);
    const { verdict } = judgement;
    if (i === undefined) return verdict;
    const value = adjusted[i] ?? Number.NaN;
    if (verdict.status === 'insufficient_data' || verdict.status === 'no_data')
      return { ...verdict, adjustedPValue: value, undecided: false };
    const again = judge(judgement.entry, judgement.check, {
      ...judgement.measured,
      pValue: value,
      pValueBracket: [adjustedLow[i] ?? value, adjustedHigh[i] ?? value],
    });
    return { ...verdict, adjustedPValue: value, status: again.status, undecided: again.undecided };
  });
}
