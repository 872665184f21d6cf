import { Counter, type Registry } from 'prom-client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { oncePerRegistry } from '../observability/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { readRetainedDays, type RetainedDays } from '../store/retention.js';
import {
  listLedgerEntriesBetween,
  listOpenLedgerEntries,
  recordLedger,
  type SummaryScope,
} from '../store/summaryLedger.js';
import { listSummaryRebuilds, type SummaryRebuild } from '../store/summaryQueries.js';
import {
  applySummaryRepair,
  countEventValues,
  countSummaryValues,
  restoreSliceCombos,
  stageSummaryRepair,
  type CellSource,
  type EventSpan,
  type GrainCounts,
  type SummaryTable,
} from '../store/summaryRepair.js';
import {
  countDifferences,
  DAY_MS,
  dayOf,
  dayText,
  HOUR_MS,
  hourOf,
  readFromViews,
  rollUp,
  type CountDifference,
} from './summaryCheck.js';
import {
  buildClosedFinerHours,
  FINER_BUILDS_PER_PASS,
  FINER_MIN_EVENTS,
  type FinerBuildReport,
} from './finerCellBuilder.js';
import type { EventWriter } from './writer.js';
import { ABANDONED_AFTER_MS } from './writerLedger.js';

/**
 * Keeps the summaries equal to the stored events through crashes (migration 0011 says how
 * they drift apart). It checks the hours a writer may have left half-summarized — those
 * another writer left `open` in the ledger and no longer writes (it died: on an embedded
 * store every other writer, at start; on a server, one silent for ABANDONED_AFTER_MS), and
 * those a failed insert of this process touched — and repairs what it finds:
 *
 *  1. for the hour, each summary table's counts (events, feature values by type, scores)
 *     per grain and ingest day against the distinct stored events;
 *  2. where a table counts fewer, the cells the events give against the stored cells, and
 *     the missing part added (src/store/summaryRepair.ts); where it counts more (a double
 *     count, which adding cannot undo), logged and counted as not repaired;
 *  3. then the day grain against the hour grain's cells of that day, likewise;
 *  4. slice combinations the events have and slice_combos lacks, added.
 *
 * Each day is checked inside the writer's exclusive section, so no insert of this process
 * runs between reading and repairing. On a server shared with other processes, a repair
 * waits while another live writer has the hours open (its inserts could be half-summarized
 * at the moment of the reading) and reads again before it inserts. Every gap is logged (a
 * warning naming the model, hour, table and events), counted in /metrics and repaired.
 */
export interface SummaryReconciler {
  /** One pass: every hour waiting for a check. */
  reconcile(): Promise<ReconcileReport>;
  /**
   * The finer cells of closed hours (migration 0015) built where missing or stale
   * (src/ingest/finerCellBuilder.ts): off the insert path, once an hour has closed and its
   * grace passed, again when late events changed it.
   */
  buildFinerCells(nowMs?: number): Promise<FinerBuildReport>;
  /**
   * A pass every `intervalMs` (idle hours closed, hours checked, finer cells built), and one
   * as each hour closes (and its grace passes), until `stop`: the hour just closed is built
   * seconds after its end, not up to a minute later.
   */
  start(): void;
  stop(): Promise<void>;
}

export interface SummaryReconcilerOptions {
  writer: Pick<EventWriter, 'exclusive' | 'ledger'>;
  registry: Registry;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /**
   * Another writer's open hour counts as abandoned once its entry is this old. By default 0
   * on an embedded store (the process holding it is the only one), ABANDONED_AFTER_MS on a
   * server.
   */
  abandonedAfterMs?: number;
  intervalMs?: number;
  /**
   * How long after an hour ends its finer cells are built (DRIFTWATCH_SUMMARY_FINER_GRACE_MINUTES):
   * late events arriving before are in the first build; after, the hour is built again.
   */
  finerGraceMs?: number;
  /** Hours with fewer prediction events are not built (FINER_MIN_EVENTS; tests build small ones). */
  finerMinEvents?: number;
}

/**
 * The finer cells' grace by default (DRIFTWATCH_SUMMARY_FINER_GRACE_MINUTES' default): two
 * minutes. A monitor over the hour just closed reads its finer cells from a few minutes
 * after the close instead of paying the exact fallback (with 10 minutes it paid it for
 * 10–11 minutes). Not none: one event arriving after the build rebuilds the whole hour
 * (8.4 s of CPU at 1M events, docs/BENCHMARKS.md), and producers that flush their logs
 * every minute or so would pay that every hour; 0 builds at the close itself.
 */
export const FINER_GRACE_MS = 2 * 60_000;

/** After an hour's close (and grace), the pass that builds it starts this much later: the last in-flight inserts land first. */
const CLOSE_PASS_DELAY_MS = 2_000;

export interface ReconcileReport {
  /** Hours checked (and the days they are in). */
  hours: number;
  /** Summary tables found lacking stored events' values in an hour or day, and repaired. */
  repaired: number;
  /** Events added by those repairs (each table counts its own). */
  repairedEvents: number;
  /** Differences left as they are: the table counts values no stored event explains. */
  unrepaired: number;
  /** Hours left for a later pass: another live writer is writing them. */
  postponed: number;
}

const GRAIN_MS: Record<SummaryTable, number> = {
  summary_5m: 5 * 60_000,
  summary_1h: HOUR_MS,
  summary_1d: DAY_MS,
};

interface CheckContext {
  rebuilds: readonly SummaryRebuild[];
  retained: RetainedDays;
  nowMs: number;
}

export function createSummaryReconciler(
  store: Store,
  options: SummaryReconcilerOptions,
): SummaryReconciler {
  const { writer, logger } = options;
  const abandonedAfterMs =
    options.abandonedAfterMs ?? (store.kind === 'embedded' ? 0 : ABANDONED_AFTER_MS);
  const metrics = reconcilerMetrics(options.registry);
  const mine = writer.ledger.writerId;
  let timer: NodeJS.Timeout | undefined;
  let closeTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const pass = () => {
    running ??= tick().finally(() => (running = undefined));
  };
  /** A pass at the next hour's close plus the grace, then again at the one after. */
  const atNextClose = () => {
    const graceMs = options.finerGraceMs ?? FINER_GRACE_MS;
    const now = Date.now();
    const next = Math.floor((now - graceMs) / HOUR_MS) * HOUR_MS + HOUR_MS + graceMs;
    closeTimer = setTimeout(
      () => {
        // a pass already running may have listed the hours before this one closed: one after it
        void (running ?? Promise.resolve()).then(pass);
        atNextClose();
      },
      next - now + CLOSE_PASS_DELAY_MS,
    );
    closeTimer.unref();
  };

  async function reconcile(): Promise<ReconcileReport> {
    const report = emptyReport();
    const abandoned = (await listOpenLedgerEntries(store)).filter(
      (entry) => entry.writerId !== mine && entry.ageMs >= abandonedAfterMs,
    );
    const dirty = writer.ledger.dirty().map((scope) => ({ ...scope, writerId: mine }));
    for (const day of byDay([...abandoned, ...dirty])) {
      const outcome = await writer.exclusive(() => checkDay(day.scopes));
      addTo(report, outcome);
      if (outcome.postponed > 0) continue;
      // settled: the others' hours are checked; this writer's own hours stay open while it writes
      const others = new Map<string, SummaryScope[]>();
      for (const entry of day.entries) {
        if (entry.writerId === mine) writer.ledger.clean(entry);
        else others.set(entry.writerId, [...(others.get(entry.writerId) ?? []), entry]);
      }
      for (const [writerId, scopes] of others)
        await recordLedger(store, writerId, scopes, 'checked');
    }
    if (report.hours > 0) {
      logger?.info(
        { ...report },
        'summaries checked against the stored events (hours a stopped writer or a failed insert left open)',
      );
    }
    return report;
  }

  async function checkDay(scopes: readonly SummaryScope[]): Promise<ReconcileReport> {
    const { model, kind, hourMs } = scopes[0]!;
    const context: CheckContext = {
      rebuilds: await listSummaryRebuilds(store, model),
      retained: await readRetainedDays(store),
      nowMs: Date.now(),
    };
    const day = { model, kind, fromMs: dayOf(hourMs), toMs: dayOf(hourMs) + DAY_MS };
    if (abandonedAfterMs > 0) {
      // on a shared server, other processes' repairs of these hours wait for this one
      await writer.ledger.open(scopes);
    }
    const outcome = emptyReport();
    const checked = new Set<number>();
    for (const scope of scopes) {
      checked.add(scope.hourMs);
      addTo(outcome, await checkHour(scope, context));
      if (outcome.postponed > 0) return outcome;
    }
    addTo(outcome, await checkDayGrain(day, checked, context));
    return outcome;
  }

  async function checkHour(scope: SummaryScope, context: CheckContext): Promise<ReconcileReport> {
    const outcome = { ...emptyReport(), hours: 1 };
    metrics.checks.inc();
    const span: EventSpan = { ...scope, fromMs: scope.hourMs, toMs: scope.hourMs + HOUR_MS };
    if (!kept(context.retained.raw, scope.hourMs, context.nowMs)) {
      logger?.info(
        { model: scope.model, kind: scope.kind, hour: iso(scope.hourMs) },
        'summaries not checked: the hour is past the raw events’ retention',
      );
      return outcome;
    }
    const events = await countEventValues(store, span);
    const tables: [SummaryTable, GrainCounts[]][] = [['summary_1h', rollUp(events, hourOf)]];
    if (kept(context.retained['5m'], scope.hourMs, context.nowMs))
      tables.unshift(['summary_5m', events]);
    for (const [table, expected] of tables) {
      const stored = await countSummaryValues(store, table, span);
      const differences = countDifferences(expected, stored, comparedIn(context));
      if (differences.length === 0) continue;
      addTo(outcome, await repair(table, 'events', span, differences));
      if (outcome.postponed > 0) return outcome;
    }
    const combos = await restoreSliceCombos(store, span);
    if (combos > 0) {
      metrics.gaps.inc({ table: 'slice_combos', outcome: 'repaired' });
      outcome.repaired += 1;
      logger?.warn(
        { model: scope.model, kind: scope.kind, hour: iso(scope.hourMs), slice_combos: combos },
        'summary gap repaired: slice combinations of stored events were missing',
      );
    }
    return outcome;
  }

  /** The day grain against the hour grain's cells of the day (or the raw events, past the hours' retention). */
  async function checkDayGrain(
    day: EventSpan,
    checkedHours: ReadonlySet<number>,
    context: CheckContext,
  ): Promise<ReconcileReport> {
    const outcome = emptyReport();
    const source: CellSource = kept(context.retained['1h'], day.fromMs, context.nowMs)
      ? 'summary_1h'
      : 'events';
    const differencesNow = async () => {
      const expected =
        source === 'summary_1h'
          ? await countSummaryValues(store, 'summary_1h', day)
          : await countEventValues(store, day);
      const stored = await countSummaryValues(store, 'summary_1d', day);
      return countDifferences(rollUp(expected, dayOf), stored, comparedIn(context));
    };
    let differences = await differencesNow();
    if (source === 'summary_1h' && differences.some((difference) => difference.excess)) {
      // The day counts values its hours lack: an hour no ledger entry named lacks them too
      // (a gap older than the ledger). Every hour of the day with events is checked first.
      const hours = new Set(
        rollUp(await countEventValues(store, day), hourOf).map((r) => r.grainMs),
      );
      for (const hourMs of hours) {
        if (checkedHours.has(hourMs)) continue;
        addTo(outcome, await checkHour({ model: day.model, kind: day.kind, hourMs }, context));
        if (outcome.postponed > 0) return outcome;
      }
      differences = await differencesNow();
    }
    if (differences.length > 0)
      addTo(outcome, await repair('summary_1d', source, day, differences));
    return outcome;
  }

  async function repair(
    target: SummaryTable,
    source: CellSource,
    span: EventSpan,
    differences: readonly CountDifference[],
  ): Promise<ReconcileReport> {
    const outcome = emptyReport();
    const where = { model: span.model, kind: span.kind, table: target };
    const excessOnly = differences.filter((difference) => !difference.lacking);
    if (excessOnly.length > 0) {
      outcome.unrepaired += 1;
      metrics.gaps.inc({ table: target, outcome: 'not_repaired' });
      logger?.error(
        { ...where, grains: excessOnly.map(describe) },
        `summaries count more than the stored events hold (counted twice?): not repaired; \`driftwatch summaries rebuild --model ${span.model}\` re-derives whole past days`,
      );
    }
    const lacking = differences.filter((difference) => difference.lacking);
    if (lacking.length === 0) return outcome;
    const grainMs = GRAIN_MS[target];
    const lackingSpan: EventSpan = {
      ...span,
      fromMs: Math.min(...lacking.map((difference) => difference.grainMs)),
      toMs: Math.max(...lacking.map((difference) => difference.grainMs)) + grainMs,
    };
    if (await othersWriting(span)) return { ...outcome, postponed: 1 };
    const staged = await stageSummaryRepair(store, {
      target,
      source,
      span: lackingSpan,
      ingestDays: [...new Set(lacking.map((difference) => difference.ingestDay))],
    });
    if (staged.overCells > 0 || staged.underCells === 0) {
      outcome.unrepaired += 1;
      metrics.gaps.inc({ table: target, outcome: 'not_repaired' });
      logger?.error(
        { ...where, grains: lacking.map(describe), cells_over: staged.overCells },
        `summaries lack stored events, and some of their cells hold values the events do not give (a frame or threshold changed during the insert, or a double count): not repaired; \`driftwatch summaries rebuild --model ${span.model}\` re-derives whole past days`,
      );
      return outcome;
    }
    // a live writer's insert may have been half-way through its views when the cells were read
    if (await othersWriting(span)) return { ...outcome, postponed: 1 };
    await applySummaryRepair(store, staged);
    metrics.gaps.inc({ table: target, outcome: 'repaired' });
    metrics.repairedEvents.inc({ table: target }, staged.events);
    logger?.warn(
      {
        ...where,
        from: iso(lackingSpan.fromMs),
        to: iso(lackingSpan.toMs),
        events: staged.events,
        values: staged.values,
        cells: staged.underCells,
        repair_id: staged.repairId,
      },
      'summary gap repaired: stored events the summaries lacked (an insert cut short by a crash or a failure) were added from the raw events',
    );
    return { ...outcome, repaired: 1, repairedEvents: staged.events };
  }

  /** Whether another live writer has any of the span's hours open (never on an embedded store). */
  async function othersWriting(span: EventSpan): Promise<boolean> {
    if (abandonedAfterMs === 0) return false;
    const entries = await listLedgerEntriesBetween(store, span);
    return entries.some(
      (entry) =>
        entry.writerId !== mine && entry.state === 'open' && entry.ageMs < abandonedAfterMs,
    );
  }

  async function buildFinerCells(nowMs = Date.now()): Promise<FinerBuildReport> {
    const report = await buildClosedFinerHours(
      store,
      {
        graceMs: options.finerGraceMs ?? FINER_GRACE_MS,
        retained: await readRetainedDays(store),
        nowMs,
        limit: FINER_BUILDS_PER_PASS,
        minEvents: options.finerMinEvents ?? FINER_MIN_EVENTS,
      },
      (hour, events) => {
        metrics.finerBuilds.inc({ kind: hour.previousBuild === '0' ? 'first' : 'rebuild' });
        metrics.finerBuildEvents.inc(events);
      },
    );
    if (report.built > 0) {
      logger?.info(
        { ...report },
        'finer cells built for closed hours (and hours whose events changed since their build)',
      );
    }
    return report;
  }

  async function tick(): Promise<void> {
    try {
      await writer.exclusive(() => writer.ledger.closeIdle());
      await reconcile();
    } catch (error) {
      logger?.warn(
        { err: errorMessage(error) },
        'summary check failed; the hours it had to check are checked again next time',
      );
    }
    try {
      // after the checks: an hour repaired this pass is built from its repaired summaries
      await buildFinerCells();
    } catch (error) {
      metrics.finerBuildFailures.inc();
      logger?.warn(
        { err: errorMessage(error) },
        'finer cells not built; the hours are built by a later pass (narrowed from raw events until then)',
      );
    }
  }

  return {
    reconcile,
    buildFinerCells,
    start() {
      if (timer) return;
      timer = setInterval(pass, options.intervalMs ?? 60_000);
      timer.unref();
      atNextClose();
    },
    async stop() {
      clearInterval(timer);
      clearTimeout(closeTimer);
      timer = undefined;
      closeTimer = undefined;
      await running;
    },
  };
}

/**
 * A process that writes events, at start before any ingest: one pass (a failure is logged
 * and the hours are checked again by the next pass), then a pass every minute.
 */
export async function startSummaryReconciler(
  store: Store,
  options: SummaryReconcilerOptions,
): Promise<SummaryReconciler> {
  const reconciler = createSummaryReconciler(store, options);
  await reconciler.reconcile().catch((error: unknown) => {
    options.logger?.error(
      { err: errorMessage(error) },
      'the summaries could not be checked at start; they are checked again every minute',
    );
  });
  reconciler.start();
  return reconciler;
}

type Entry = SummaryScope & { writerId: string };

/** Entries per (model, kind, UTC day), each day's distinct hours in order. */
function byDay(entries: readonly Entry[]): { scopes: SummaryScope[]; entries: Entry[] }[] {
  const days = new Map<string, { scopes: Map<number, SummaryScope>; entries: Entry[] }>();
  for (const entry of entries) {
    const key = `${entry.model}\u0000${entry.kind}\u0000${dayOf(entry.hourMs)}`;
    let day = days.get(key);
    if (!day) days.set(key, (day = { scopes: new Map(), entries: [] }));
    day.entries.push(entry);
    day.scopes.set(entry.hourMs, { model: entry.model, kind: entry.kind, hourMs: entry.hourMs });
  }
  return [...days.values()].map((day) => ({
    scopes: [...day.scopes.values()].sort((a, b) => a.hourMs - b.hourMs),
    entries: day.entries,
  }));
}

/** Whether a table kept `days` days (0: forever) still holds a grain starting at `ms`, with a day to spare. */
function kept(days: number, ms: number, nowMs: number): boolean {
  return days === 0 || ms >= nowMs - (days - 1) * DAY_MS;
}

/** Rows readers take from the views (not replaced by a rebuild) are the ones compared. */
function comparedIn(context: CheckContext) {
  return (grainMs: number, ingestDay: string) =>
    readFromViews(context.rebuilds, dayText(grainMs), ingestDay);
}

function describe(difference: CountDifference) {
  return {
    grain: iso(difference.grainMs),
    ingest_day: difference.ingestDay,
    stored_events: difference.expected,
    summarized: difference.stored,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function emptyReport(): ReconcileReport {
  return { hours: 0, repaired: 0, repairedEvents: 0, unrepaired: 0, postponed: 0 };
}

function addTo(into: ReconcileReport, from: ReconcileReport): void {
  into.hours += from.hours;
  into.repaired += from.repaired;
  into.repairedEvents += from.repairedEvents;
  into.unrepaired += from.unrepaired;
  into.postponed += from.postponed;
}

const TABLES = ['summary_5m', 'summary_1h', 'summary_1d', 'slice_combos'] as const;

/** One set of counters per registry (a test may build several reconcilers on one). */
const reconcilerMetrics = oncePerRegistry(createMetrics);

function createMetrics(registry: Registry) {
  const registers = [registry];
  const checks = new Counter({
    name: 'driftwatch_summaries_checks_total',
    help: 'Hours of a model whose summaries were checked against the stored events (hours a stopped writer or a failed insert left open)',
    registers,
  });
  const gaps = new Counter({
    name: 'driftwatch_summaries_gaps_total',
    help: 'Summary tables found differing from the stored events in an hour or day checked, by table and outcome (repaired: the missing cells added from the raw events; not_repaired: the table counts values no stored event explains)',
    labelNames: ['table', 'outcome'] as const,
    registers,
  });
  const repairedEvents = new Counter({
    name: 'driftwatch_summaries_repaired_events_total',
    help: 'Stored events a summary table lacked, added by repairs, by table',
    labelNames: ['table'] as const,
    registers,
  });
  for (const table of TABLES) {
    for (const outcome of ['repaired', 'not_repaired']) gaps.inc({ table, outcome }, 0);
    repairedEvents.inc({ table }, 0);
  }
  const finerBuilds = new Counter({
    name: 'driftwatch_summaries_finer_builds_total',
    help: "Closed hours of a model whose finer cells (summary_1h_k10) were built, by kind (first: the hour's first build; rebuild: its events had changed since)",
    labelNames: ['kind'] as const,
    registers,
  });
  const finerBuildEvents = new Counter({
    name: 'driftwatch_summaries_finer_build_events_total',
    help: 'Stored events read by the finer cells’ builds',
    registers,
  });
  const finerBuildFailures = new Counter({
    name: 'driftwatch_summaries_finer_build_failures_total',
    help: 'Passes of the finer cells’ builder that failed (the hours are built by a later pass; until then they are narrowed from raw events)',
    registers,
  });
  for (const kind of ['first', 'rebuild']) finerBuilds.inc({ kind }, 0);
  return { checks, gaps, repairedEvents, finerBuilds, finerBuildEvents, finerBuildFailures };
}
