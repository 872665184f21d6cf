import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  detectFormat,
  inferCsvColumns,
  kindOfClickHouseType,
  type ColumnInfo,
} from '../baselines/tabularFile.js';
import { computeExactFeatureDrift } from '../drift/exactDrift.js';
import { residualKs, sortResiduals } from '../drift/residualKs.js';
import {
  categoricalFeatureDrift,
  DEFAULT_DRIFT_CRITERIA,
  numericFeatureDrift,
  type CategoricalFeatureDrift,
  type DriftCriteria,
  type FeatureDrift,
  type NumericComparison,
} from '../drift/featureDrift.js';
import type { KsKnots } from '../drift/ksKnots.js';
import type { PairDistances } from '../drift/replayDistances.js';
import {
  getOrBuildProfile,
  type BaselineIdentity,
  type ProfileSpec,
  type ReferenceProfile,
} from '../drift/profile.js';
import { compareWithProfile, rangesFrom, type WindowComparison } from '../drift/windowDrift.js';
import {
  ALL_SLICE_ID,
  emptySliceSample,
  type Samples,
  type SliceSample,
} from '../drift/samples.js';
import { readReferenceSamples, readWindowSamples } from '../drift/windowSummary.js';
import { expiryNow } from '../drift/retained.js';
import { DriftwatchError, InputError } from '../errors.js';
import {
  getLatestBaseline,
  insertBaselineFromFile,
  insertBaselineFromRange,
  type BaselineRecord,
} from '../store/baselines.js';
import type { Store } from '../store/clickhouse.js';
import { perVersionCache } from './perVersionCache.js';
import { queryClassificationAggregates } from '../store/classificationQueries.js';
import {
  queryClassScoreVectors,
  queryReferenceClassScoreLabels,
  queryReferenceScoreLabels,
  queryScoreCounts,
} from '../store/cbpeQueries.js';
import { DEFAULT_BAND_WIDTH } from '../stats/cbpe.js';
import { fitIsotonicFromHistogram, type IsotonicCalibration } from '../stats/isotonic.js';
import {
  estimateMulticlassSlices,
  estimateSlices,
  type ClassCalibrations,
} from './estimatedPerformance.js';
import { queryRegressionAggregates, queryResiduals } from '../store/regressionQueries.js';
import {
  queryBaselineClassScoreBins,
  queryClassScoreBins,
  queryMulticlassAggregates,
} from '../store/multiclassQueries.js';
import { binQuantileLevels } from '../stats/bins.js';
import { ALL_SLICES } from '../store/driftQueries.js';
import { describeFile } from '../store/fileTables.js';
import {
  exactComparisonRelations,
  labelledWindowRelation,
  multiclassWindowRelation,
  queryPredictedClasses,
  regressionWindowRelation,
  queryDuplicateIds,
  queryExactWindowCounts,
} from '../store/monitorQueries.js';
import { eventsIn, profileSliceId, type WindowEvents } from '../store/profileQueries.js';
import { hasEventsBefore } from '../store/events.js';
import { insertMonitorRun, storeRunResults } from '../store/results.js';
import {
  VERDICT_FIELDS,
  isQuietStatus,
  pickFields,
  type CheckResult,
  type CheckStatus,
  type KeptResult,
  type ResultStatus,
} from './checkResult.js';
import {
  listSummaryRebuilds,
  queryEventTimes,
  upsertSummarySettings,
} from '../store/summaryQueries.js';
import { judgeWindow, type JudgementMemo, type Verdict } from './judge.js';
import { parseSliceLabel } from './checks/subjects.js';
import { anyNeeds, checkEntry, type CheckPlan, type FallbackName } from './checks/registry.js';
import type {
  EstimatedPerformance,
  SliceId,
  SliceQuality,
  WindowActivity,
  WindowAggregates,
} from './windowAggregates.js';
import type { MonitorPlan } from './plan.js';
import {
  windowBefore,
  windowEndingAt,
  windowLengthMs,
  windowPieces,
  type TimeWindow,
} from '../timeWindow.js';
import { labelWindowFor } from './windows.js';
import { narrowUndecided, type NarrowingReport, type UnsettledReason } from './narrowVerdicts.js';

export type ResolvedBaseline = BaselineIdentity;

/**
 * A window's evaluation; `R` is what each result is: a whole record, or in a backtest's lean
 * replay (Records) a status where nothing shows more of it.
 */
export interface WindowEvaluation<R extends KeptResult = CheckResult> {
  monitor: string;
  window: TimeWindow;
  labelWindow: TimeWindow | null;
  baseline: { name: string; version: number; rows: number };
  /** Events in the window. */
  events: number;
  status: CheckStatus;
  results: R[];
  /** Every feature's drift per slice, with histograms: what a page of the window shows. */
  drift: FeatureDrift[];
  /** Straddling brackets narrowed from finer cells first: how many that settled, and why not the rest. */
  narrowing: NarrowingReport | null;
  /**
   * What still straddled after narrowing, settled from raw rows (recomputed exactly) or
   * judged by its worst case, with why it needed raw rows (reason → verdicts).
   */
  exactFallback: {
    verdicts: number;
    resolved: boolean;
    reasons: Partial<Record<UnsettledReason | 'not_narrowed', number>>;
  } | null;
  durationMs: number;
}

export interface EvaluationOptions<R extends Records = Records> {
  now?: Date;
  persist?: boolean;
  /** What the results are made of (Records): whole records unless a backtest asks otherwise. */
  records?: R;
  /**
   * A verdict whose bracket straddles its threshold is recomputed exactly from raw rows when
   * the window has at most this many events; above, it keeps its worst case (marked so).
   */
  exactFallbackMaxEvents?: number;
  /** False: straddling verdicts go straight to the exact fallback, not narrowed first (tests, benchmarks). */
  narrowing?: boolean;
  /**
   * The monitor's prepared baseline and profile, reused across windows (a backtest); only
   * for baselines that do not move with the window (a file or a range).
   */
  prepared?: PreparedMonitor;
}

export interface PreparedMonitor {
  baseline: ResolvedBaseline;
  profile: ReferenceProfile;
}

/**
 * What a window's results are made of. `alerting` (a backtest, never stored): a decided
 * verdict of a quiet status (ok, insufficient_data, awaiting_data) is only its status and
 * its check's identity (ResultStatus), all that the alert planner and the window's summary
 * read of it; warn, critical, no_data and undecided verdicts are whole records, each value a
 * scheduled run's. `all` (the default, and whenever the run is stored): whole records.
 */
export type Records = 'all' | 'alerting';

/** The results an evaluation gives for its Records. */
export type ResultsOf<R extends Records> = R extends 'alerting' ? KeptResult : CheckResult;

export const DEFAULT_EXACT_FALLBACK_MAX_EVENTS = 2_000_000;

/** Clock skew allowed between a window's end and now. */
const FUTURE_TOLERANCE_MS = 60_000;

// A run is ok when something could be judged and nothing breached; no data outranks ok.
const STATUS_ORDER: CheckStatus[] = [
  'insufficient_data',
  'awaiting_data',
  'ok',
  'no_data',
  'warn',
  'critical',
];

export function worstStatus(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>(
    (worst, status) =>
      STATUS_ORDER.indexOf(status) > STATUS_ORDER.indexOf(worst) ? status : worst,
    'insufficient_data',
  );
}

/**
 * Evaluates one monitor on one window from the window summaries and the baseline's
 * reference profile (neither grows with the window's events), recomputes exactly from raw
 * rows only the verdicts a bracket cannot decide, and (unless `persist` is false, as in a
 * backtest) stores every verdict under the (monitor, window) key, so running a window
 * twice stores its results once.
 */
export async function evaluateMonitorWindow(
  store: Store,
  plan: MonitorPlan,
  window: TimeWindow,
  options: EvaluationOptions<'all'> = {},
): Promise<WindowEvaluation> {
  const started = performance.now();
  const now = options.now ?? new Date();
  assertPastWindow(window, now);
  const prepared =
    options.prepared && plan.baseline.kind !== 'trailing'
      ? options.prepared
      : await prepareMonitor(store, plan, window);
  const read = await readWindowSamples(store, {
    model: plan.model,
    window,
    keys: prepared.profile.sliceKeys,
  });
  return evaluateWindowSamples(store, plan, window, read.samples, {
    ...options,
    now,
    prepared,
    started,
  });
}

export function isFutureWindow(window: TimeWindow, now: Date): boolean {
  return window.end.getTime() > now.getTime() + FUTURE_TOLERANCE_MS;
}

/** Only past windows can be evaluated (up to a minute of clock skew). */
function assertPastWindow(window: TimeWindow, now: Date): void {
  if (isFutureWindow(window, now)) {
    throw new DriftwatchError(
      'DW_INPUT',
      `the window ends in the future (${window.end.toISOString()}, now ${now.toISOString()}): only past windows can be evaluated`,
    );
  }
}

/**
 * The rest of a window's evaluation once its summaries are read (by evaluateMonitorWindow
 * one window at a time, or by a backtest a run of windows at once): compared with the
 * profile, gathered with what else the checks need (duplicates, labels, activity), judged,
 * straddling verdicts recomputed exactly when the window is small enough, and stored unless
 * `persist` is false. Both paths judge through here, so they cannot disagree.
 */
export async function evaluateWindowSamples<R extends Records = 'all'>(
  store: Store,
  plan: MonitorPlan,
  window: TimeWindow,
  samples: Samples,
  options: EvaluationOptions<R> & {
    now: Date;
    prepared: PreparedMonitor;
    started?: number;
    /**
     * A backtest's KS p-values from cached knots (ksKnots.ts): judged from those wider
     * brackets first, then the (feature, slice) pairs of every verdict they leave undecided
     * or that breaches are recomputed through the exact bracket and the window judged again,
     * so every status (and every breach's values) is a scheduled run's.
     */
    ksKnots?: KsKnots;
    /**
     * A backtest's KS D and Wasserstein brackets without the full sweep (replayDistances.ts):
     * D is the sweep's bracket bit for bit, so every KS verdict and value is unchanged; the
     * Wasserstein bracket is proven but wider, and so only for features no check reads it of.
     */
    distances?: PairDistances;
    /** Told how many numeric (feature, slice) pairs were recomputed, of how many. */
    onKsRefined?: (refined: number, pairs: number) => void;
  },
): Promise<WindowEvaluation<ResultsOf<R>>> {
  const started = options.started ?? performance.now();
  const { now, prepared } = options;
  const { profile } = prepared;
  const events = eventsIn(plan.model, window);
  const reference = await readReferenceSamples(store, profile);
  const compared = new Map<string, NumericComparison>();
  const knots = options.ksKnots;
  const comparison = compareWithProfile(
    {
      features: plan.features,
      threshold: plan.threshold,
      criteria: DEFAULT_DRIFT_CRITERIA,
      ...(options.distances ? { distances: options.distances } : {}),
      ...(knots
        ? {
            numericDrift: (input: NumericComparison, criteria: DriftCriteria) => {
              compared.set(pairKey(input.name, parseSliceLabel(input.slice)), input);
              return numericFeatureDrift(input, criteria, knots.bracket);
            },
          }
        : {}),
    },
    profile,
    reference,
    samples,
  );
  const labelWindow = plan.labels ? labelWindowFor(window, plan.labels.delayMs, now) : null;
  let aggregates = await gatherAggregates(store, plan, profile, events, comparison, labelWindow, {
    current: [...samples.featureNames].sort(),
    baseline: [...reference.featureNames].sort(),
  });
  if (anyNeeds(plan.checks, 'calibration'))
    aggregates = {
      ...aggregates,
      estimated: await estimatedPerformance(store, plan, prepared, {
        samples,
        window,
        labelWindow,
        labelled: aggregates.classification,
      }),
    };
  // a backtest judges a window twice (knots, then the refined pairs): the second time only
  // the replaced drift entries are measured again
  const memo: JudgementMemo | undefined = knots ? new Map() : undefined;
  let verdicts = judgeWindow(plan, aggregates, memo);
  if (knots && memo) {
    const refined = refineKsPairs(plan, aggregates, verdicts, compared, memo);
    options.onKsRefined?.(refined.pairs, compared.size);
    ({ aggregates, verdicts } = refined);
  }
  let exactFallback: WindowEvaluation['exactFallback'] = null;
  let narrowing: NarrowingReport | null = null;
  let undecided = verdicts.filter((verdict) => verdict.undecided);
  if (undecided.length > 0 && options.narrowing !== false) {
    // finer cells first (narrowVerdicts.ts); raw rows only for what still straddles
    const limit = options.exactFallbackMaxEvents ?? DEFAULT_EXACT_FALLBACK_MAX_EVENTS;
    const narrowed = await narrowUndecided(
      {
        store,
        plan,
        profile,
        events,
        reference,
        window: samples,
        exactFallback: { available: comparison.events <= limit, events: comparison.events },
      },
      aggregates,
      undecided,
    );
    ({ aggregates, verdicts } = narrowed);
    narrowing = narrowed.report;
    undecided = verdicts.filter((verdict) => verdict.undecided);
  }
  if (undecided.length > 0) {
    const limit = options.exactFallbackMaxEvents ?? DEFAULT_EXACT_FALLBACK_MAX_EVENTS;
    const resolved = comparison.events <= limit;
    if (resolved) {
      aggregates = await resolveExactly(
        { store, plan, profile, events, baseline: prepared.baseline },
        aggregates,
        undecided,
      );
      verdicts = judgeWindow(plan, aggregates);
    }
    exactFallback = {
      verdicts: undecided.length,
      resolved,
      reasons: narrowing ? narrowing.unsettled : { not_narrowed: undecided.length },
    };
  }
  // a lean replay (never stored) builds whole records only for what can alert or is shown
  const whole = options.records !== 'alerting' || options.persist !== false;
  const results: KeptResult[] = verdicts.map((verdict) =>
    whole || verdict.undecided || !isQuietStatus(verdict.status)
      ? toResult(plan, window, prepared.baseline, verdict, labelWindow)
      : statusOf(verdict, verdict.status),
  );
  const status = worstStatus(results.map((result) => result.status));
  const durationMs = performance.now() - started;
  if (options.persist !== false) {
    // stored runs are never lean (`whole` above): every result is a whole record
    await storeRunResults(store, plan.monitor, window.end, results as CheckResult[]);
    await insertMonitorRun(store, {
      monitor: plan.monitor,
      windowStart: window.start,
      windowEnd: window.end,
      status,
      checks: results.length,
      breaches: results.filter((result) => result.status === 'warn' || result.status === 'critical')
        .length,
      durationMs,
      monitorHash: plan.hash,
    });
  }
  return {
    monitor: plan.monitor,
    window,
    labelWindow,
    baseline: {
      name: prepared.baseline.name,
      version: prepared.baseline.version,
      rows: profile.slices.get(ALL_SLICE_ID)?.rows ?? 0,
    },
    events: comparison.events,
    status,
    // whole records unless a lean replay asked otherwise (Records)
    results: results as ResultsOf<R>[],
    drift: aggregates.drift,
    narrowing,
    exactFallback,
    durationMs,
  };
}

function pairKey(feature: string, slice: SliceId): string {
  return `${feature}\u0002${slice.key}\u0001${slice.value}`;
}

/**
 * The second half of a window judged from ksKnots' brackets: which numeric (feature, slice)
 * pairs get the exact KS p-value bracket again, and the window's verdicts from them. Only a
 * p-value test reads that bracket. A test these wider brackets decide is decided the same by
 * the exact ones (they nest, every status is monotone in its bracket's ends, and
 * Benjamini-Hochberg's adjusted p-value is monotone in every p-value, so adjusted brackets
 * nest too): only the pairs of undecided tests need the exact bracket, and those of breaching
 * ones (their values are listed). Under Benjamini-Hochberg a test left undecided once its own
 * pair is exact may still owe that to other pairs' wider brackets: then every pair is
 * recomputed, and the window judged from exactly what it has alone. The D brackets both
 * come from are the sweep's, bit for bit, with a replay's `distances` too
 * (replayDistances.ts): only the p-value is recomputed, and the nesting holds as it did.
 */
function refineKsPairs(
  plan: MonitorPlan,
  aggregates: WindowAggregates,
  verdicts: Verdict[],
  compared: ReadonlyMap<string, NumericComparison>,
  memo: JudgementMemo,
): { aggregates: WindowAggregates; verdicts: Verdict[]; pairs: number } {
  const tested = (v: Verdict) => v.pValue !== null && v.feature !== null;
  const needs = (v: Verdict) =>
    tested(v) && (v.undecided || v.status === 'warn' || v.status === 'critical');
  const keys = new Set<string>();
  const refine = (add: Iterable<string>) => {
    const before = keys.size;
    for (const key of add) if (compared.has(key)) keys.add(key);
    if (keys.size === before) return false;
    const drift = aggregates.drift.map((entry) => {
      const key = pairKey(entry.name, parseSliceLabel(entry.slice));
      const input = keys.has(key) ? compared.get(key) : undefined;
      return input ? numericFeatureDrift(input, DEFAULT_DRIFT_CRITERIA) : entry;
    });
    aggregates = { ...aggregates, drift };
    verdicts = judgeWindow(plan, aggregates, memo);
    return true;
  };
  const pairsOf = (chosen: Verdict[]) =>
    chosen.map((v) => pairKey(v.feature as string, { key: v.sliceKey, value: v.sliceValue }));
  refine(pairsOf(verdicts.filter(needs)));
  if (plan.falseDiscoveryRate !== 'none' && verdicts.some((v) => tested(v) && v.undecided))
    refine(compared.keys());
  return { aggregates, verdicts, pairs: keys.size };
}

/**
 * What a monitor needs before its windows can be read: the score threshold the summaries
 * split at, its baseline version, and that version's reference profile (built once; the
 * first build also freezes each numeric feature's frame). The service calls this at start,
 * so events arriving later are summarized in those frames.
 */
export async function prepareMonitor(
  store: Store,
  plan: MonitorPlan,
  window: TimeWindow,
): Promise<PreparedMonitor> {
  await upsertSummarySettings(store, plan.model, { threshold: plan.threshold });
  const baseline = await resolveBaseline(store, plan, window);
  const profile = await getOrBuildProfile(store, profileSpecOf(plan), baseline);
  return { baseline, profile };
}

/** What a monitor's reference profiles are computed for (their id hashes it). */
export function profileSpecOf(plan: MonitorPlan): ProfileSpec {
  return {
    model: plan.model,
    features: plan.features.map((f) => ({
      name: f.name,
      kind: f.kind,
      ...(f.fromScore ? { fromScore: true } : {}),
    })),
    slices: plan.slices,
    maxSliceValues: plan.maxSliceValues,
    threshold: plan.threshold,
    bins: 10,
  };
}

/** The distinct calibration bin counts the checks measure over, ascending. */
function calibrationBinsOf(checks: readonly CheckPlan[]): number[] {
  const bins = checks.flatMap((check) => {
    const count = checkEntry(check.metric).needs?.calibrationBins?.(check);
    return count === undefined ? [] : [count];
  });
  return [...new Set(bins)].sort((a, b) => a - b);
}

function sliceOfId(id: string): SliceId {
  if (id === ALL_SLICES) return { key: '', value: 'all' };
  const at = id.indexOf('\u0001');
  return { key: id.slice(0, at), value: id.slice(at + 1) };
}

async function gatherAggregates(
  store: Store,
  plan: MonitorPlan,
  profile: ReferenceProfile,
  events: WindowEvents,
  comparison: WindowComparison,
  labelWindow: TimeWindow | null,
  paths: { current: string[]; baseline: string[] },
): Promise<WindowAggregates> {
  const duplicates = anyNeeds(plan.checks, 'duplicates')
    ? await queryDuplicateIds(store, events, profile.sliceKeys)
    : null;
  const classification =
    anyNeeds(plan.checks, 'labels') && labelWindow && (plan.task ?? 'binary') === 'binary'
      ? await queryClassificationAggregates(
          store,
          labelledWindowRelation(eventsIn(plan.model, labelWindow), profile.sliceKeys),
          plan.threshold ?? 0.5,
          false,
          // estimation_error's realized confusion counts are these quality terms' too
          anyNeeds(plan.checks, 'binaryQuality') || anyNeeds(plan.checks, 'labelWindowEstimate')
            ? { calibrationBins: calibrationBinsOf(plan.checks) }
            : undefined,
        )
      : null;
  const regression =
    anyNeeds(plan.checks, 'regressionLabels') && labelWindow
      ? await queryRegressionAggregates(
          store,
          regressionWindowRelation(eventsIn(plan.model, labelWindow), profile.sliceKeys),
        )
      : null;
  const residuals =
    anyNeeds(plan.checks, 'residuals') && labelWindow
      ? residualKs(
          await readBaselineOnce(store, profile, 'residuals', async () =>
            sortResiduals(await queryResiduals(store, profile.source, profile.sliceKeys)),
          ),
          await queryResiduals(store, eventsIn(plan.model, labelWindow), profile.sliceKeys),
        )
      : null;
  const multiclass =
    // by task too: an entry that serves binary models as well (accuracy) fetches its own there
    anyNeeds(plan.checks, 'multiclassLabels') && labelWindow && plan.task === 'multiclass'
      ? await queryMulticlassAggregates(
          store,
          multiclassWindowRelation(eventsIn(plan.model, labelWindow), profile.sliceKeys),
        )
      : null;
  const predictedClasses = anyNeeds(plan.checks, 'predictedClasses')
    ? await comparePredictedClasses(store, profile, events)
    : null;
  // each class score's bins, in the slices the window has (and "all")
  const classScores = anyNeeds(plan.checks, 'classScores')
    ? (
        await queryClassScoreBins(
          store,
          await readBaselineOnce(store, profile, 'class score bins', () =>
            queryBaselineClassScoreBins(
              store,
              profile.source,
              profile.sliceKeys,
              binQuantileLevels(),
            ),
          ),
          events,
          profile.sliceKeys,
        )
      ).filter((bins) => bins.slice === ALL_SLICES || bins.current.some((count) => count > 0))
    : null;
  return {
    drift: comparison.drift,
    quality: comparison.quality.map((slice): SliceQuality => ({
      ...slice,
      duplicateIds: duplicates
        ? (duplicates.get(profileSliceId(slice.key, slice.value)) ?? 0)
        : null,
    })),
    baselineScores: [...profile.slices.values()].map((slice) => ({
      key: slice.key,
      value: slice.value,
      scored: slice.scored,
      predictedPositives: slice.predictedPositives,
      labelled: slice.labelled,
      labelPositives: slice.labelPositives,
    })),
    paths,
    classification: classification?.map((row) => ({ ...sliceOfId(row.slice), ...row })) ?? null,
    regression: regression?.map((row) => ({ ...sliceOfId(row.slice), ...row })) ?? null,
    residuals: residuals?.map((row) => ({ ...sliceOfId(row.slice), ...row })) ?? null,
    multiclass: multiclass?.map((row) => ({ ...sliceOfId(row.slice), ...row })) ?? null,
    predictedClasses,
    classScores: classScores?.map((row) => ({ ...sliceOfId(row.slice), ...row })) ?? null,
    activity: await windowActivity(store, plan, events, comparison),
  };
}

/**
 * The window's predicted classes against the baseline's, per slice, as a categorical
 * feature's drift (chi-square, PSI, Jensen-Shannon over one bin per class): counted from
 * raw rows, one GROUP BY (slice, class) on each side. A missing prediction is a null.
 */
async function comparePredictedClasses(
  store: Store,
  profile: ReferenceProfile,
  events: WindowEvents,
): Promise<CategoricalFeatureDrift[]> {
  const reference = await readBaselineOnce(store, profile, 'predicted classes', () =>
    queryPredictedClasses(store, profile.source, profile.sliceKeys),
  );
  const current = await queryPredictedClasses(store, events, profile.sliceKeys);
  const slices = [...new Set([ALL_SLICES, ...current.map((row) => row.slice)])];
  const side = (rows: typeof reference, slice: string) => {
    const counts = new Map<string, number>();
    let total = 0;
    let nulls = 0;
    for (const row of rows) {
      if (row.slice !== slice) continue;
      total += row.count;
      if (row.predicted === null) nulls += row.count;
      else counts.set(row.predicted, (counts.get(row.predicted) ?? 0) + row.count);
    }
    return { counts, quality: { rows: total, nulls, non_finite: 0, wrong_type: 0 } };
  };
  return slices.map((slice) => {
    const id = sliceOfId(slice);
    const ref = side(reference, slice);
    const cur = side(current, slice);
    return categoricalFeatureDrift({
      name: 'prediction',
      slice: id.key === '' ? 'all' : `${id.key}=${id.value}`,
      reference: ref.counts,
      current: cur.counts,
      quality: { reference: ref.quality, current: cur.quality },
    });
  });
}

/**
 * What the checks read from a stored baseline version besides its profile (its predicted
 * classes, its class-score bins, its residuals), per store, reference profile (whose id
 * names the version and the slice keys) and kind: a stored version never changes, so each
 * is read once per process, not once per window. A trailing baseline (the model's own
 * events, whose labels keep arriving) is read per run.
 */
const BASELINE_READS = perVersionCache<unknown>(64);

async function readBaselineOnce<T>(
  store: Store,
  profile: ReferenceProfile,
  what: string,
  read: () => Promise<T>,
): Promise<T> {
  const key = profile.source.kind === 'stored' ? `${profile.profileId}\u0000${what}` : null;
  return (await BASELINE_READS(store, key, read)) as T;
}

/** The key of a stored baseline version (model, name, version); null for a trailing one. */
function storedVersionKey(baseline: ResolvedBaseline): string | null {
  const { source } = baseline;
  return source.kind === 'stored'
    ? `${source.model}\u0000${source.baseline}\u0000${source.version}`
    : null;
}

/** A calibration fitted on a baseline's labelled scores, with how many labels it saw. */
interface FittedCalibration {
  calibration: IsotonicCalibration;
  labelled: number;
}

/**
 * Calibrations per store and stored baseline version (model, name, version): a stored
 * version never changes, so its calibration is fitted once per process, not once per window.
 * A trailing baseline (the model's own events, whose labels keep arriving) is fitted per run.
 */
const CALIBRATIONS = perVersionCache<FittedCalibration | null>(256);

function calibrationFor(
  store: Store,
  baseline: ResolvedBaseline,
): Promise<FittedCalibration | null> {
  return CALIBRATIONS(store, storedVersionKey(baseline), async () => {
    const rows = await queryReferenceScoreLabels(store, baseline.source);
    const labelled = rows.reduce((total, row) => total + row.positives + row.negatives, 0);
    return labelled > 0 ? { calibration: fitIsotonicFromHistogram(rows), labelled } : null;
  });
}

/**
 * CBPE for the estimated checks: per slice of the window from its score cells, and, when an
 * estimation_error check compares estimates with labels, per slice of the label window from
 * its own score cells (the same estimate its own run stored) beside its confusion counts.
 */
async function estimatedPerformance(
  store: Store,
  plan: MonitorPlan,
  prepared: PreparedMonitor,
  inputs: {
    samples: Samples;
    window: TimeWindow;
    labelWindow: TimeWindow | null;
    /** The label window's scan (with its quality terms): the realized confusion counts. */
    labelled: WindowAggregates['classification'];
  },
): Promise<EstimatedPerformance> {
  if (plan.task === 'multiclass')
    return estimatedMulticlassPerformance(store, plan, prepared, inputs);
  const { samples, labelWindow, labelled } = inputs;
  const threshold = plan.threshold ?? 0.5;
  const bandWidth = DEFAULT_BAND_WIDTH;
  const fitted = await calibrationFor(store, prepared.baseline);
  const base = {
    calibration: fitted && { labelled: fitted.labelled, knots: fitted.calibration.x.length },
    bandWidth,
    labelWindow: null,
    realized: null,
  };
  if (!fitted) return { ...base, window: [] };
  const keys = prepared.profile.sliceKeys;
  const window = estimateSlices(fitted.calibration, samples, threshold, bandWidth);
  if (!anyNeeds(plan.checks, 'labelWindowEstimate') || !labelWindow) return { ...base, window };
  const labelSamples = await readLabelWindowSamples(store, plan, labelWindow, keys);
  if (typeof labelSamples === 'string')
    return { ...base, window, labelWindow: [], labelWindowUnreadable: labelSamples };
  const realized = (labelled ?? []).flatMap(({ slice, quality }) =>
    quality
      ? [{ ...sliceOfId(slice), tp: quality.tp, fp: quality.fp, fn: quality.fn, tn: quality.tn }]
      : [],
  );
  return {
    ...base,
    window,
    labelWindow: estimateSlices(fitted.calibration, labelSamples, threshold, bandWidth),
    realized,
  };
}

/** The per-class calibrations fitted on a baseline, with how many labelled rows they saw. */
interface FittedClassCalibrations {
  calibrated: ClassCalibrations;
  labelled: number;
  knots: number;
}

/** Per store and stored baseline version, as CALIBRATIONS (a multiclass baseline's). */
const CLASS_CALIBRATIONS = perVersionCache<FittedClassCalibrations | null>(256);

function classCalibrationsFor(
  store: Store,
  baseline: ResolvedBaseline,
): Promise<FittedClassCalibrations | null> {
  return CLASS_CALIBRATIONS(store, storedVersionKey(baseline), async () => {
    const { labelled, classes } = await queryReferenceClassScoreLabels(store, baseline.source);
    // a class whose column has no labelled score cannot be fitted: none are then (all or nothing)
    if (!(labelled > 0 && classes.length >= 2)) return null;
    const calibrations = classes.map((c) => fitIsotonicFromHistogram(c.rows));
    return {
      calibrated: { classes: classes.map((c) => c.class), calibrations },
      labelled,
      knots: calibrations.reduce((total, c) => total + c.x.length, 0),
    };
  });
}

/**
 * Multiclass CBPE for the estimated checks: per slice of the window, and of the label window
 * when an estimation_error check holds an estimate against its labels, from the raw rows'
 * distinct (predicted class, class scores) vectors (the summaries keep no class-score cells).
 * The realized values are the label window's multiclass aggregate (aggregates.multiclass).
 */
async function estimatedMulticlassPerformance(
  store: Store,
  plan: MonitorPlan,
  prepared: PreparedMonitor,
  { window: evaluated, labelWindow }: { window: TimeWindow; labelWindow: TimeWindow | null },
): Promise<EstimatedPerformance> {
  const bandWidth = DEFAULT_BAND_WIDTH;
  const fitted = await classCalibrationsFor(store, prepared.baseline);
  const base = {
    calibration: fitted && { labelled: fitted.labelled, knots: fitted.knots },
    bandWidth,
    labelWindow: null,
    realized: null,
  };
  if (!fitted) return { ...base, window: [] };
  const keys = prepared.profile.sliceKeys;
  const estimateOf = async (window: TimeWindow) => {
    const { rows, skipped } = await queryClassScoreVectors(
      store,
      multiclassWindowRelation(eventsIn(plan.model, window), keys, { labels: false }),
      fitted.calibrated.classes,
    );
    return estimateMulticlassSlices(
      fitted.calibrated,
      rows.map(({ slice, ...row }) => ({ ...sliceOfId(slice), ...row })),
      [...skipped].map(([slice, count]) => ({ ...sliceOfId(slice), count })),
      bandWidth,
    );
  };
  const window = await estimateOf(evaluated);
  if (!anyNeeds(plan.checks, 'labelWindowEstimate') || !labelWindow) return { ...base, window };
  return { ...base, window, labelWindow: await estimateOf(labelWindow) };
}

/** The label window's summaries, or why they are gone (expired: the run goes on without them). */
async function readLabelWindowSamples(
  store: Store,
  plan: MonitorPlan,
  labelWindow: TimeWindow,
  keys: ReferenceProfile['sliceKeys'],
): Promise<Samples | string> {
  try {
    return (await readWindowSamples(store, { model: plan.model, window: labelWindow, keys }))
      .samples;
  } catch (error) {
    if (error instanceof DriftwatchError && error.code === 'DW_EXPIRED')
      return `the label window's summaries: ${error.message}`;
    throw error;
  }
}

/** Events in the window, the last event before its end, and each volume check's expectation. */
async function windowActivity(
  store: Store,
  plan: MonitorPlan,
  events: WindowEvents,
  comparison: WindowComparison,
): Promise<WindowActivity> {
  const { window } = events;
  const windowMs = windowLengthMs(window);
  // the checks that expect a volume from a trailing period, with its length
  const trailingChecks = plan.checks.flatMap((check) => {
    const trailingMs = checkEntry(check.metric).needs?.trailingMs?.(check);
    return trailingMs === undefined ? [] : [{ id: check.id, trailingMs }];
  });
  // an empty window still says how long ago the last event was
  const needsLookBack = comparison.lastEvent === null;
  const rebuilds =
    trailingChecks.length > 0 || needsLookBack ? await listSummaryRebuilds(store, plan.model) : [];
  // checks of one trailing length share its read: expired (why), or the events it saw
  const trailingReads = new Map<number, Promise<{ expired?: string; events: number }>>();
  const readTrailing = async (trailingMs: number) => {
    const trailing = windowBefore(window, trailingMs);
    const pieces = windowPieces(trailing);
    const expired = await expiryNow(store, trailing, pieces);
    if (expired !== undefined) return { expired, events: 0 };
    return { events: (await queryEventTimes(store, plan.model, pieces, rebuilds)).events };
  };
  const expectedEvents: Record<string, number | null> = {};
  const trailingExpired: Record<string, string> = {};
  for (const check of trailingChecks) {
    const read = trailingReads.get(check.trailingMs) ?? readTrailing(check.trailingMs);
    trailingReads.set(check.trailingMs, read);
    const seen = await read;
    if (seen.expired !== undefined) {
      trailingExpired[check.id] = `the trailing period: ${seen.expired}`;
      expectedEvents[check.id] = null;
      continue;
    }
    expectedEvents[check.id] = seen.events > 0 ? (seen.events * windowMs) / check.trailingMs : null;
  }
  let lastEvent = comparison.lastEvent;
  if (lastEvent === null && needsLookBack) {
    const lookBack = Math.max(
      7 * 86_400_000,
      ...plan.checks.map((check) => checkEntry(check.metric).needs?.lookBackMs?.(check) ?? 0),
    );
    lastEvent = (
      await queryEventTimes(
        store,
        plan.model,
        windowPieces(windowEndingAt(window.end, lookBack)),
        rebuilds,
      )
    ).last;
  }
  return {
    events: comparison.events,
    lastEvent,
    windowEnd: window.end.getTime(),
    expectedEvents,
    trailingExpired,
    // An empty window of a model that never sent an event is awaiting data, not silent.
    ...(lastEvent === null && comparison.events === 0
      ? { sentEventsBefore: await hasEventsBefore(store, plan.model, window.end) }
      : {}),
  };
}

interface ExactInput {
  store: Store;
  plan: MonitorPlan;
  profile: ReferenceProfile;
  events: WindowEvents;
  baseline: ResolvedBaseline;
}

/**
 * The exact values behind undecided verdicts, from raw rows of the window (and the
 * baseline's rows): each verdict's entry names the resolver that settles it
 * (checks/registry.ts, `fallback`). Only what straddled is recomputed; the rest keeps its
 * summary values.
 */
async function resolveExactly(
  input: ExactInput,
  aggregates: WindowAggregates,
  undecided: readonly Verdict[],
): Promise<WindowAggregates> {
  const byFallback = new Map<FallbackName, Verdict[]>();
  for (const verdict of undecided) {
    const fallback = checkEntry(verdict.metric).fallback;
    if (fallback) byFallback.set(fallback, [...(byFallback.get(fallback) ?? []), verdict]);
  }
  let resolved = aggregates;
  for (const [fallback, verdicts] of byFallback)
    resolved = await FALLBACKS[fallback](input, resolved, verdicts);
  return resolved;
}

type Resolver = (
  input: ExactInput,
  aggregates: WindowAggregates,
  undecided: readonly Verdict[],
) => Promise<WindowAggregates>;

const FALLBACKS: Record<FallbackName, Resolver> = {
  exact_drift: resolveDriftExactly,
  exact_counts: resolveCountsExactly,
  exact_estimate: resolveEstimatesExactly,
};

/**
 * CBPE of the slices concerned from the window's distinct scores (raw rows, one GROUP BY):
 * a cell of one score is exact, so every estimate is (the band stays the estimate ± 3σ).
 */
async function resolveEstimatesExactly(
  { store, plan, profile, events, baseline }: ExactInput,
  aggregates: WindowAggregates,
  undecided: readonly Verdict[],
): Promise<WindowAggregates> {
  const estimated = aggregates.estimated;
  // a multiclass estimate is exact already (from the raw rows' score vectors): nothing to settle
  if (plan.task === 'multiclass') return aggregates;
  const fitted = await calibrationFor(store, baseline);
  if (!estimated || !fitted) return aggregates;
  const wanted = new Set(undecided.map((v) => profileSliceId(v.sliceKey, v.sliceValue)));
  const rows = await queryScoreCounts(store, labelledWindowRelation(events, profile.sliceKeys), [
    ...wanted,
  ]);
  const slices = new Map<string, SliceSample>();
  for (const row of rows) {
    const { key, value } = sliceOfId(row.slice);
    const slice = slices.get(row.slice) ?? emptySliceSample(key, value);
    slice.score.push({
      count: row.count,
      sum: row.count * row.score,
      min: row.score,
      max: row.score,
    });
    slices.set(row.slice, slice);
  }
  const exact = estimateSlices(
    fitted.calibration,
    { slices, featureNames: new Set() },
    plan.threshold ?? 0.5,
    estimated.bandWidth,
  );
  const window = estimated.window.map(
    (slice) => exact.find((e) => e.key === slice.key && e.value === slice.value) ?? slice,
  );
  return { ...aggregates, estimated: { ...estimated, window } };
}

/** The merged-sort KS, Wasserstein and bin counts of the report for the (feature, slice) pairs concerned. */
async function resolveDriftExactly(
  { store, plan, profile, events }: ExactInput,
  aggregates: WindowAggregates,
  pairs: readonly Verdict[],
): Promise<WindowAggregates> {
  const names = new Set(pairs.map((verdict) => verdict.feature));
  const features = plan.features.filter((f) => names.has(f.name));
  const sliceIds = [...new Set(pairs.map((v) => profileSliceId(v.sliceKey, v.sliceValue)))];
  const exact = await computeExactFeatureDrift(
    store,
    exactComparisonRelations(profile.source, events, features, profile.sliceKeys, sliceIds),
    {
      numeric: features.filter((f) => f.kind === 'numeric').map((f) => f.name),
      categorical: features.filter((f) => f.kind === 'categorical').map((f) => f.name),
    },
    { bins: 10, criteria: DEFAULT_DRIFT_CRITERIA, maxCategories: 100_000 },
  );
  const byKey = new Map(exact.map((entry) => [`${entry.name}\u0002${entry.slice}`, entry]));
  const drift = aggregates.drift.map((entry) => {
    const replacement = byKey.get(`${entry.name}\u0002${entry.slice}`);
    // distributions exact; data-quality counts (which raw relations simplify) from summaries
    return replacement
      ? ({
          ...replacement,
          quality: entry.quality,
          null_rate: entry.null_rate,
          null_rate_drift: entry.null_rate_drift,
        } as FeatureDrift)
      : entry;
  });
  return { ...aggregates, drift };
}

/** Exact counts of out-of-range values and predicted positives per slice. */
async function resolveCountsExactly(
  { store, plan, profile, events }: ExactInput,
  aggregates: WindowAggregates,
): Promise<WindowAggregates> {
  const allRanges = rangesFrom(plan.features, profile.slices.get(ALL_SLICE_ID));
  const ranges = [...allRanges.entries()].map(([feature, range]) => ({ feature, ...range }));
  const counts = await queryExactWindowCounts(store, events, profile.sliceKeys, {
    ranges,
    threshold: plan.threshold,
  });
  const bySlice = new Map(counts.map((row) => [row.slice, row]));
  const quality = aggregates.quality.map((slice) => {
    const exact = bySlice.get(profileSliceId(slice.key, slice.value));
    if (!exact) return slice;
    const outOfRange = { ...slice.outOfRange };
    ranges.forEach((range, i) => {
      const count = exact.outside[i] ?? 0;
      outOfRange[range.feature] = { lower: count, upper: count };
    });
    return {
      ...slice,
      outOfRange,
      predictedPositives: { lower: exact.predictedPositives, upper: exact.predictedPositives },
    };
  });
  return { ...aggregates, quality };
}

/** What a lean replay keeps of a quiet verdict (Records): its check's identity and status. */
function statusOf(verdict: Verdict, status: ResultStatus['status']): ResultStatus {
  return {
    checkId: verdict.checkId,
    metric: verdict.metric,
    feature: verdict.feature,
    sliceKey: verdict.sliceKey,
    sliceValue: verdict.sliceValue,
    status,
  };
}

/** A verdict as stored: what the judge said, with the run's window, baseline and monitor file. */
function toResult(
  plan: MonitorPlan,
  window: TimeWindow,
  baseline: ResolvedBaseline,
  verdict: Verdict,
  labelWindow: TimeWindow | null,
): CheckResult {
  const labelled = checkEntry(verdict.metric).needs?.labels === true;
  return {
    ...pickFields(verdict, VERDICT_FIELDS),
    monitor: plan.monitor,
    model: plan.model,
    windowStart: window.start,
    windowEnd: window.end,
    correction: verdict.adjustedPValue !== null ? plan.falseDiscoveryRate : 'none',
    baseline: baseline.name,
    baselineVersion: baseline.version,
    monitorHash: plan.hash,
    details: {
      ...verdict.details,
      ...(verdict.undecided
        ? {
            judged_on: 'bracket_worst_case',
            reason_judged_on:
              'the bracket straddles the threshold and the window is too large to recompute exactly',
          }
        : {}),
      ...(labelled && labelWindow
        ? {
            label_window: {
              start: labelWindow.start.toISOString(),
              end: labelWindow.end.toISOString(),
            },
          }
        : {}),
    },
  };
}

const DAY = 86_400_000;

/**
 * The baseline a window is compared with. A file baseline is loaded as a new version when
 * the file's bytes change; a range baseline is frozen once; a trailing one is the whole UTC
 * days before the window's day (so its profile is computed once a day, not once a run).
 */
export async function resolveBaseline(
  store: Store,
  plan: MonitorPlan,
  window: TimeWindow,
): Promise<ResolvedBaseline> {
  const spec = plan.baseline;
  if (spec.kind === 'trailing') {
    const day = Math.floor(window.start.getTime() / DAY) * DAY;
    const days = Math.max(1, Math.round(spec.durationMs / DAY));
    return {
      name: `trailing:${spec.durationMs / 1000}s`,
      version: day / DAY,
      source: eventsIn(plan.model, windowEndingAt(new Date(day), days * DAY)),
    };
  }
  if (spec.kind === 'range') {
    const name = rangeBaselineName(spec.window);
    const record =
      (await getLatestBaseline(store, plan.model, name)) ??
      (await freezeRangeBaseline(store, plan, spec.window));
    return {
      name,
      version: record.version,
      source: { kind: 'stored', model: plan.model, baseline: name, version: record.version },
    };
  }
  const record = await loadFileBaseline(store, plan, spec.path, { onlyIfChanged: true });
  return {
    name: record.name,
    version: record.version,
    source: { kind: 'stored', model: plan.model, baseline: record.name, version: record.version },
  };
}

export function rangeBaselineName(window: TimeWindow): string {
  return `range:${window.start.toISOString()}..${window.end.toISOString()}`;
}

/** A window of the model's own events frozen as a new version of its range baseline. */
export async function freezeRangeBaseline(
  store: Store,
  plan: Pick<MonitorPlan, 'model' | 'features'>,
  window: TimeWindow,
): Promise<BaselineRecord> {
  return insertBaselineFromRange(store, {
    model: plan.model,
    name: rangeBaselineName(window),
    window,
    features: plan.features.map((f) => ({ name: f.name, kind: f.kind })),
  });
}

export function fileBaselineName(file: string): string {
  return `file:${path.basename(file)}`;
}

/** Loads a training file as the model's baseline; with onlyIfChanged, reuses the stored version of the same bytes. */
export async function loadFileBaseline(
  store: Store,
  plan: Pick<MonitorPlan, 'model' | 'features' | 'slices' | 'classScorePrefix'>,
  file: string,
  options: { onlyIfChanged: boolean },
): Promise<{ name: string; version: number; rowCount: number; created: boolean }> {
  if (!fs.existsSync(file)) throw new InputError({ file }, 'baseline file not found');
  const name = fileBaselineName(file);
  const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const source = `${path.resolve(file)}#sha256:${digest}`;
  if (options.onlyIfChanged) {
    const existing = await getLatestBaseline(store, plan.model, name);
    if (existing?.source === source)
      return { name, version: existing.version, rowCount: existing.rowCount, created: false };
  }
  const format = detectFormat(file);
  const columns: ColumnInfo[] =
    format === 'CSVWithNames'
      ? (await inferCsvColumns(file)).columns
      : (await describeFile(store, file, format)).map((c) => ({
          name: c.name,
          kind: kindOfClickHouseType(c.type),
        }));
  const present = new Set(columns.map((c) => c.name));
  // a regression's prediction is the file's score column
  const lacking = plan.features
    .filter((f) => !f.fromScore && !present.has(f.name))
    .map((f) => f.name);
  if (lacking.length > 0) {
    throw new InputError(
      { file, column: lacking[0] },
      `the baseline has no column for the monitored feature${lacking.length > 1 ? 's' : ''} ${lacking.map((n) => `"${n}"`).join(', ')} (its columns: ${columns.map((c) => c.name).join(', ')})`,
    );
  }
  const attributes = [...new Set(plan.slices.flat())].filter((name) => present.has(name));
  const record = await insertBaselineFromFile(store, {
    model: plan.model,
    name,
    file,
    format,
    // Declared kinds win over inference: a feature of integers declared categorical stays one.
    columns: columns.map((c) => ({
      ...c,
      kind: attributes.includes(c.name)
        ? 'categorical'
        : (plan.features.find((f) => f.name === c.name)?.kind ?? c.kind),
    })),
    roles: {
      features: plan.features
        .filter((f) => present.has(f.name) && !f.fromScore)
        .map((f) => ({ name: f.name, kind: f.kind })),
      attributes,
      score: present.has('score') ? 'score' : undefined,
      label: present.has('label') ? 'label' : undefined,
      prediction: present.has('prediction') ? 'prediction' : undefined,
      classScores: classScoreColumns(columns, plan.classScorePrefix ?? null),
    },
    source,
  });
  return { name, version: record.version, rowCount: record.rowCount, created: true };
}

/** The file's class-score columns: those named the prefix and a class (p_ → p_cat is cat's). */
function classScoreColumns(
  columns: readonly ColumnInfo[],
  prefix: string | null,
): { className: string; column: string }[] {
  if (!prefix) return [];
  return columns
    .filter((c) => c.name.startsWith(prefix) && c.name.length > prefix.length)
    .map((c) => ({ className: c.name.slice(prefix.length), column: c.name }));
}
