import type { Cell } from '../drift/cells.js';
import { DEFAULT_DRIFT_CRITERIA, type FeatureDrift } from '../drift/featureDrift.js';
import {
  binTargets,
  intervalsToRefine,
  ksTargets,
  replaceRefined,
  wassersteinTargets,
  type ValueInterval,
} from '../drift/narrowing.js';
import type { ReferenceProfile } from '../drift/profile.js';
import {
  ALL_SLICE_ID,
  emptyFeatureSample,
  labelsOf,
  sliceId,
  type FeatureSample,
  type Samples,
  type SliceSample,
} from '../drift/samples.js';
import { compareWithProfile } from '../drift/windowDrift.js';
import type { Store } from '../store/clickhouse.js';
import {
  queryFinerCells,
  queryStoredFinerCells,
  type FinerCellRequest,
} from '../store/narrowingQueries.js';
import { profileSliceId, type ProfileSource, type WindowEvents } from '../store/profileQueries.js';
import { readRetainedDays } from '../store/retention.js';
import { listFinerHours } from '../store/finerCells.js';
import { narrowingCheaper } from './narrowingCost.js';
import { listSliceCombos } from '../store/summaryQueries.js';
import { windowPieces, type TimeWindow } from '../timeWindow.js';
import type { FinerCell } from '../drift/narrowing.js';
import { judgeWindow, type Verdict } from './judge.js';
import type { MonitorPlan } from './plan.js';
import type { WindowAggregates } from './windowAggregates.js';

/**
 * Straddling drift verdicts narrowed before any raw row crosses into Node: the cells a
 * verdict's bracket depends on (src/drift/narrowing.ts) are replaced by finer cells of
 * the same values, and the verdicts judged again; twice at most. The first round reads a
 * window's stored finer cells (summary_1h_k10, 8 per hour cell) of only the straddling
 * features, slices and value ranges — and raw events only for the window's edges that fill
 * no whole hour — so its cost does not grow with the window's events. A second round, for
 * what still straddles, counts the window's raw events of those ranges in 64 parts each
 * inside ClickHouse. A stored baseline's side is always counted from its rows (a fixed
 * number). What still straddles, or cannot be narrowed, is left to the exact fallback,
 * each with its reason.
 */
export interface NarrowingReport {
  /** Verdicts whose bracket straddled their threshold from the summaries. */
  straddling: number;
  /** Of those, decided by narrowing. */
  settled: number;
  /** Rounds of finer cells read (each one query per side). */
  rounds: number;
  /** Of those, rounds that read the window's raw events (beyond its edges that fill no whole hour): the second. */
  rawEventRounds: number;
  /**
   * The window's whole hours (and a baseline range's) as the first round finds them: with a
   * current build (read from their finer cells), or without (the open hour, hours whose late
   * events await a rebuild, hours not built yet: read from their raw events when that costs
   * less than the exact fallback, narrowingCost.ts; otherwise every straddling verdict goes
   * to the fallback, reason `finer_cells_not_built`, and no hour is read).
   */
  finerCells: { builtHours: number; rawHours: number };
  /** Why the others were left to raw rows: reason → verdicts. */
  unsettled: Partial<Record<UnsettledReason, number>>;
  /**
   * Set when a window reaches back past what the finer cells keep: nothing was narrowed,
   * every straddling verdict went to the exact fallback (reason `finer_cells_expired`).
   */
  finerCellsExpired?: { keptDays: number; windowStart: string };
}

export type UnsettledReason =
  /** Still straddling after the last round. */
  | 'still_straddling'
  /** A statistic narrowing does not refine (not a numeric feature's distribution). */
  | 'not_narrowable'
  /** The raw rows hold other values than the summaries (events still arriving, a rebuild pending). */
  | 'summaries_and_rows_differ'
  /** The window (or its baseline's range) reaches past DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS. */
  | 'finer_cells_expired'
  /**
   * Too few of the window's events lie in hours with their finer cells built (none: the hour
   * just closed, not built yet) for narrowing to cost less than the exact fallback, which is
   * within its limit (narrowingCost.ts).
   */
  | 'finer_cells_not_built';

export const NARROWING_ROUNDS = 2;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const METRIC_TARGETS: Record<string, 'ks' | 'bins' | 'wasserstein'> = {
  ks: 'ks',
  psi: 'bins',
  jensen_shannon: 'bins',
  wasserstein_normed: 'wasserstein',
};

export interface NarrowingInput {
  store: Store;
  plan: MonitorPlan;
  profile: ReferenceProfile;
  events: WindowEvents;
  reference: Samples;
  window: Samples;
  /**
   * The exact fallback that recomputes what narrowing leaves: whether it can (the window's
   * events within its limit), and the window's events it would read. Narrowing goes first
   * only when it costs less (narrowingCost.ts).
   */
  exactFallback: { available: boolean; events: number };
}

/** One feature in one slice whose verdicts straddle, with its cells as narrowed so far. */
interface OpenPair {
  feature: string;
  sliceKey: string;
  sliceValue: string;
  metrics: Set<'ks' | 'bins' | 'wasserstein'>;
  reference: Cell[];
  current: Cell[];
}

export async function narrowUndecided(
  input: NarrowingInput,
  aggregates: WindowAggregates,
  undecided: readonly Verdict[],
): Promise<{ aggregates: WindowAggregates; verdicts: Verdict[]; report: NarrowingReport }> {
  const report: NarrowingReport = {
    straddling: undecided.length,
    settled: 0,
    rounds: 0,
    rawEventRounds: 0,
    finerCells: { builtHours: 0, rawHours: 0 },
    unsettled: {},
  };
  const expired = await finerCellsExpired(input);
  if (expired) {
    // as without finer cells: the exact fallback over raw rows, and the reason said
    report.finerCellsExpired = expired;
    report.unsettled.finer_cells_expired = undecided.length;
    return { aggregates, verdicts: judgeWindow(input.plan, aggregates), report };
  }
  const stored = await storedSide(input, report);
  const cheaper = narrowingCheaper({
    fallbackAvailable: input.exactFallback.available,
    fallbackEvents: input.exactFallback.events + baselineRangeEvents(input),
    builtEvents: stored.builtEvents,
  });
  if (!cheaper) {
    // the hours without finer cells would cost more read raw than the exact fallback: the
    // fallback, and the reason said
    report.unsettled.finer_cells_not_built = undecided.length;
    return { aggregates, verdicts: judgeWindow(input.plan, aggregates), report };
  }
  const numeric = new Set(
    input.plan.features.filter((f) => f.kind === 'numeric').map((f) => f.name),
  );
  const pairs = new Map<string, OpenPair>();
  const failed = new Set<string>();
  for (const verdict of undecided) {
    const target = METRIC_TARGETS[verdict.metric];
    if (!target || !numeric.has(verdict.feature)) continue;
    const key = pairKey(verdict.feature, verdict.sliceKey, verdict.sliceValue);
    const pair = pairs.get(key) ?? openPair(input, verdict);
    pair.metrics.add(target);
    pairs.set(key, pair);
  }
  let current = aggregates;
  let verdicts: Verdict[] = [];
  let open = [...pairs.values()];
  for (let round = 0; round < NARROWING_ROUNDS && open.length > 0; round += 1) {
    report.rounds += 1;
    const fromStored = round === 0;
    if (!fromStored) report.rawEventRounds += 1;
    const narrowed = await narrowRound(input, current, open, fromStored ? stored : null);
    for (const pair of open)
      if (!narrowed.has(pairKey(pair.feature, pair.sliceKey, pair.sliceValue)))
        failed.add(pairKey(pair.feature, pair.sliceKey, pair.sliceValue));
    current = {
      ...current,
      drift: current.drift.map((entry) => narrowed.get(entryKey(entry)) ?? entry),
    };
    verdicts = judgeWindow(input.plan, current);
    const still = new Set(
      verdicts.filter((v) => v.undecided).map((v) => pairKey(v.feature, v.sliceKey, v.sliceValue)),
    );
    open = open.filter((pair) => {
      const key = pairKey(pair.feature, pair.sliceKey, pair.sliceValue);
      return still.has(key) && !failed.has(key);
    });
  }
  if (report.rounds === 0) verdicts = judgeWindow(input.plan, current);
  const left = verdicts.filter((v) => v.undecided);
  report.settled = Math.max(0, undecided.length - left.length);
  for (const verdict of left) {
    const key = pairKey(verdict.feature, verdict.sliceKey, verdict.sliceValue);
    const reason: UnsettledReason = !pairs.has(key)
      ? 'not_narrowable'
      : failed.has(key)
        ? 'summaries_and_rows_differ'
        : 'still_straddling';
    report.unsettled[reason] = (report.unsettled[reason] ?? 0) + 1;
  }
  return { aggregates: current, verdicts, report };
}

/**
 * Whether the window, or its baseline's range of events, starts before what the finer cells
 * keep now (their TTL, read as the grains' are, with the same margin: a merge may delete at
 * the horizon while it is read).
 */
async function finerCellsExpired(
  input: NarrowingInput,
  now = Date.now(),
): Promise<NarrowingReport['finerCellsExpired'] | undefined> {
  const keptDays = (await readRetainedDays(input.store, now)).finer;
  if (keptDays <= 0) return undefined;
  const horizon = now - keptDays * DAY_MS + HOUR_MS;
  const source = input.profile.source;
  const windows = [input.events.window, ...(source.kind === 'events' ? [source.window] : [])];
  const first = windows.find((window) => window.start.getTime() < horizon);
  return first ? { keptDays, windowStart: first.start.toISOString() } : undefined;
}

function pairKey(feature: string, sliceKey: string, sliceValue: string): string {
  return `${feature}\u0002${sliceKey === '' ? 'all' : `${sliceKey}=${sliceValue}`}`;
}

function entryKey(entry: FeatureDrift): string {
  return `${entry.name}\u0002${entry.slice}`;
}

function featureSample(
  samples: Samples,
  sliceKey: string,
  sliceValue: string,
  feature: string,
): FeatureSample {
  return (
    samples.slices.get(sliceId(sliceKey, sliceValue))?.features.get(feature) ?? emptyFeatureSample()
  );
}

function openPair(input: NarrowingInput, verdict: Verdict): OpenPair {
  const { feature, sliceKey, sliceValue } = verdict;
  return {
    feature,
    sliceKey,
    sliceValue,
    metrics: new Set(),
    reference: featureSample(input.reference, sliceKey, sliceValue, feature).numbers,
    current: featureSample(input.window, sliceKey, sliceValue, feature).numbers,
  };
}

/** What reading stored finer cells needs: each slice's combinations and the hours' current builds. */
interface StoredSide {
  /** Slice id → the hashes of the combinations whose events count in it. */
  hashesOf: Map<string, string[]>;
  /** Hour start (ms) → its current build of finer cells; an hour without is read raw. */
  builds: Map<number, string>;
  /** Events of the whole hours read from their builds (both windows'). */
  builtEvents: number;
}

/** A baseline that is a range of events: its events (the profile's rows), which the fallback reads too. */
function baselineRangeEvents(input: NarrowingInput): number {
  if (input.profile.source.kind !== 'events') return 0;
  return input.profile.slices.get(ALL_SLICE_ID)?.rows ?? 0;
}

async function storedSide(input: NarrowingInput, report: NarrowingReport): Promise<StoredSide> {
  const source = input.profile.source;
  const windows = [input.events.window, ...(source.kind === 'events' ? [source.window] : [])];
  const [combos, hours] = await Promise.all([
    listSliceCombos(input.store, input.plan.model),
    Promise.all(
      windows.map((window) =>
        listFinerHours(input.store, input.plan.model, {
          sinceMs: window.start.getTime(),
          beforeMs: window.end.getTime(),
        }),
      ),
    ),
  ]);
  const side: StoredSide = { hashesOf: new Map(), builds: new Map(), builtEvents: 0 };
  const events = new Map<number, number>();
  for (const hour of hours.flat()) {
    events.set(hour.hourMs, hour.summarized);
    if (hour.currentBuild) side.builds.set(hour.hourMs, hour.currentBuild);
  }
  for (const window of windows) {
    for (const hour of hoursAndEdges(window).hours.flatMap(hourStarts)) {
      if (side.builds.has(hour)) {
        report.finerCells.builtHours += 1;
        side.builtEvents += events.get(hour) ?? 0;
      } else report.finerCells.rawHours += 1;
    }
  }
  const hashesOf = side.hashesOf;
  for (const combo of combos) {
    for (const label of labelsOf(combo, input.profile.sliceKeys)) {
      const id = sliceId(label.key, label.value);
      hashesOf.set(id, [...(hashesOf.get(id) ?? []), combo.hash]);
    }
  }
  return side;
}

/** The starts of the whole hours of a range made of whole hours. */
function hourStarts(range: TimeWindow): number[] {
  const starts: number[] = [];
  for (let at = range.start.getTime(); at < range.end.getTime(); at += HOUR_MS) starts.push(at);
  return starts;
}

/**
 * A window's whole hours split by their finer cells: the current builds of those that have
 * one, and (merged into contiguous ranges) those that have none — the open hour, an hour
 * whose late events await its rebuild, one not built yet — read from raw events.
 */
function splitByBuild(
  hours: readonly TimeWindow[],
  builds: ReadonlyMap<number, string>,
): { builds: string[]; raw: TimeWindow[] } {
  const answer: { builds: string[]; raw: TimeWindow[] } = { builds: [], raw: [] };
  for (const start of hours.flatMap(hourStarts)) {
    const build = builds.get(start);
    if (build) {
      answer.builds.push(build);
      continue;
    }
    const last = answer.raw.at(-1);
    if (last && last.end.getTime() === start) last.end = new Date(start + HOUR_MS);
    else answer.raw.push({ start: new Date(start), end: new Date(start + HOUR_MS) });
  }
  return answer;
}

/**
 * A side's finer cells. From a stored baseline: its rows counted (a fixed number). From
 * events, with `stored`: the stored finer cells of the window's built whole hours, plus its
 * raw events in the edges that fill no hour and in the hours not built (or not current);
 * without: its raw events counted.
 */
async function finerCellsOf(
  input: NarrowingInput,
  source: ProfileSource,
  requests: readonly FinerCellRequest[],
  pairs: readonly OpenPair[],
  stored: StoredSide | null,
): Promise<FinerCell[][]> {
  const keys = input.profile.sliceKeys;
  if (source.kind === 'stored' || !stored)
    return queryFinerCells(input.store, source, keys, requests);
  const { hours, edges } = hoursAndEdges(source.window);
  const split = splitByBuild(hours, stored.builds);
  const [fromHours, fromEdges] = await Promise.all([
    queryStoredFinerCells(
      input.store,
      { model: source.model, builds: split.builds },
      requests.map((request, i) => {
        const pair = pairs[i] as OpenPair;
        return {
          feature: request.feature,
          intervals: request.intervals,
          sliceHashes: stored.hashesOf.get(sliceId(pair.sliceKey, pair.sliceValue)) ?? [],
        };
      }),
    ),
    queryFinerCells(input.store, source, keys, requests, [...edges, ...split.raw]),
  ]);
  return fromHours.map((cells, i) => [...cells, ...(fromEdges[i] ?? [])]);
}

/** A window's whole hours (its hour- and day-grain pieces) and the rest (five-minute and raw pieces). */
function hoursAndEdges(window: TimeWindow): { hours: TimeWindow[]; edges: TimeWindow[] } {
  const hours: TimeWindow[] = [];
  const edges: TimeWindow[] = [];
  for (const piece of windowPieces(window)) {
    const range = { start: piece.start, end: piece.end };
    if (piece.source === '1h' || piece.source === '1d') hours.push(range);
    else edges.push(range);
  }
  return { hours, edges };
}

/**
 * One round: each open pair's cells to refine on both sides, their finer cells read in one
 * query per side (and source), and the pair's drift entry computed again from the narrowed
 * cells. A pair whose finer cells do not add up to the cells they replace is left out of
 * the answer.
 */
async function narrowRound(
  input: NarrowingInput,
  aggregates: WindowAggregates,
  open: readonly OpenPair[],
  stored: StoredSide | null,
): Promise<Map<string, FeatureDrift>> {
  const plans = open.map((pair) => refinementOf(input, aggregates, pair));
  const requests = (side: 'reference' | 'current'): FinerCellRequest[] =>
    open.map((pair, i) => ({
      feature: pair.feature,
      sliceId: profileSliceId(pair.sliceKey, pair.sliceValue),
      intervals: plans[i]?.[side] ?? [],
    }));
  const [referenceCells, currentCells] = await Promise.all([
    finerCellsOf(input, input.profile.source, requests('reference'), open, stored),
    finerCellsOf(input, input.events, requests('current'), open, stored),
  ]);
  const answer = new Map<string, FeatureDrift>();
  open.forEach((pair, i) => {
    const plan = plans[i];
    if (!plan) return;
    const reference = replaceRefined(pair.reference, plan.reference, referenceCells[i] ?? []);
    const current = replaceRefined(pair.current, plan.current, currentCells[i] ?? []);
    if (!reference || !current) return;
    pair.reference = reference;
    pair.current = current;
    const entry = driftFrom(input, pair);
    if (entry) answer.set(entryKey(entry), entry);
  });
  return answer;
}

/** The intervals of each side that the pair's straddling metrics depend on. */
function refinementOf(
  input: NarrowingInput,
  aggregates: WindowAggregates,
  pair: OpenPair,
): { reference: ValueInterval[]; current: ValueInterval[] } {
  const label = pair.sliceKey === '' ? 'all' : `${pair.sliceKey}=${pair.sliceValue}`;
  const entry = aggregates.drift.find((e) => e.name === pair.feature && e.slice === label);
  const targets: { reference: Cell[]; current: Cell[] } = { reference: [], current: [] };
  if (pair.metrics.has('ks') && entry?.kind === 'numeric') {
    const lower = entry.brackets?.ks_statistic?.[0] ?? entry.ks.statistic ?? 0;
    const found = ksTargets(pair.reference, pair.current, lower);
    targets.reference.push(...found.a);
    targets.current.push(...found.b);
  }
  if (pair.metrics.has('bins')) {
    const stats = input.profile.slices
      .get(sliceId(pair.sliceKey, pair.sliceValue))
      ?.features.get(pair.feature);
    targets.current.push(...binTargets(stats?.edges ?? [], pair.current));
  }
  if (pair.metrics.has('wasserstein')) {
    targets.reference.push(...wassersteinTargets(pair.reference));
    targets.current.push(...wassersteinTargets(pair.current));
  }
  return {
    reference: intervalsToRefine(pair.reference, targets.reference),
    current: intervalsToRefine(pair.current, targets.current),
  };
}

/** The pair's drift entry from its narrowed cells, by the same comparison as the summaries'. */
function driftFrom(input: NarrowingInput, pair: OpenPair): FeatureDrift | undefined {
  const id = sliceId(pair.sliceKey, pair.sliceValue);
  const only = (samples: Samples, numbers: Cell[]): Samples => {
    const slice = samples.slices.get(id);
    if (!slice) return { slices: new Map(), featureNames: samples.featureNames };
    const sample = slice.features.get(pair.feature) ?? emptyFeatureSample();
    const features = new Map(slice.features);
    // a new numbers array: the fold's sorted snapshot no longer applies (samples.sortedNumbers)
    features.set(pair.feature, { ...sample, sorted: undefined, numbers });
    const narrowed: SliceSample = { ...slice, features };
    return { slices: new Map([[id, narrowed]]), featureNames: samples.featureNames };
  };
  const feature = input.plan.features.find((f) => f.name === pair.feature);
  if (!feature) return undefined;
  const comparison = compareWithProfile(
    { features: [feature], threshold: input.plan.threshold, criteria: DEFAULT_DRIFT_CRITERIA },
    input.profile,
    only(input.reference, pair.reference),
    only(input.window, pair.current),
  );
  return comparison.drift[0];
}
