import type { Store } from '../src/store/clickhouse.js';
import { eventsPerGrain, SUMMARY_TABLES } from '../test/helpers/summaryRows.js';
import { SOAK_MODEL } from './messages.js';
import type { Injection } from './protocol.js';
import { ledger, type DeadLetterGroup, type Ledger, type TableCounts } from './tally.js';

/**
 * Views counting every row inserted into the event tables, as the drift engine's
 * summaries would: a row inserted twice is counted twice here even after the table's
 * merges have collapsed it.
 */
export async function countInserts(store: Store): Promise<void> {
  await store.command(
    `CREATE TABLE IF NOT EXISTS soak_inserted_rows (tbl LowCardinality(String), n UInt64)
     ENGINE = SummingMergeTree ORDER BY tbl`,
  );
  for (const table of ['events', 'labels', 'dead_letters']) {
    await store.command(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS soak_count_${table} TO soak_inserted_rows AS
       SELECT '${table}' AS tbl, count() AS n FROM ${table}`,
    );
  }
}

/** What the store holds at the end, against what the producer had acknowledged. */
export interface FinalCounts {
  events: Ledger & { counts: TableCounts; missingSample: string[]; unacknowledgedStored: number };
  labels: Ledger & { counts: TableCounts };
  deadLetters: {
    rows: number;
    byReason: Record<string, number>;
    counts: TableCounts;
    doubleCounted: number;
  };
  deadLetterGroups: DeadLetterGroup[];
  /** Event ids of injections expected to be stored that are stored. */
  injectedStored: Set<string>;
  infinitiesStored: number;
  monitorRuns: { runs: number; byStatus: Record<string, number> };
  /**
   * The drift engine's summaries (migrations 0006, 0009 and 0011): events each summary grain counted (one
   * 'event' cell per event, filled by materialized views on every insert into `events`),
   * against the distinct events stored, in all and grain by grain (per model and kind). More
   * is double-counting in what the monitors read, fewer is events they never see.
   */
  summaries: SummaryGrains & { rebuilds: number };
  /** The end of every evaluated window (ms). */
  windowEnds: number[];
}

export async function finalCounts(
  store: Store,
  goodAcked: number,
  injections: readonly Injection[],
): Promise<FinalCounts> {
  const number = (value: unknown) => Number(value ?? 0);
  const inserted = new Map(
    (
      await store.query<{ tbl: string; n: string }>(
        'SELECT tbl, sum(n) AS n FROM soak_inserted_rows GROUP BY tbl',
      )
    ).map((row) => [row.tbl, number(row.n)]),
  );
  const model = { model: SOAK_MODEL, produced: goodAcked };
  const [events] = await store.query<Record<string, string>>(
    `SELECT count() AS rows, uniqExact(model, kind, ts, event_id) AS distinct,
            uniqExactIf(event_id, model = {model:String} AND kind = 'prediction'
              AND startsWith(event_id, 'g-') AND toUInt64(substring(event_id, 3)) < {produced:UInt64}) AS stored_good,
            uniqExactIf(event_id, model = {model:String} AND startsWith(event_id, 'g-')
              AND toUInt64(substring(event_id, 3)) >= {produced:UInt64}) AS unacknowledged
     FROM events`,
    model,
  );
  const missing = await store.query<{ id: string }>(
    `SELECT concat('g-', toString(number)) AS id FROM numbers({produced:UInt64})
     WHERE id NOT IN (SELECT event_id FROM events WHERE model = {model:String})
     ORDER BY number LIMIT 20`,
    model,
  );
  const eventCounts: TableCounts = {
    rows: number(events?.rows),
    distinct: number(events?.distinct),
    inserted: inserted.get('events') ?? 0,
  };
  const labelsProduced = Math.ceil(goodAcked / 10);
  const [labels] = await store.query<Record<string, string>>(
    `SELECT count() AS rows, uniqExact(model, prediction_id, label, ts, event_id) AS distinct,
            uniqExactIf(prediction_id, model = {model:String} AND startsWith(prediction_id, 'p-g-')
              AND toUInt64(substring(prediction_id, 5)) < {produced:UInt64}) AS stored
     FROM labels`,
    model,
  );
  const labelCounts: TableCounts = {
    rows: number(labels?.rows),
    distinct: number(labels?.distinct),
    inserted: inserted.get('labels') ?? 0,
  };
  const deadLetterGroups = (
    await store.query<{ sha256: string; reason: string; rows: string }>(
      `SELECT payload_sha256 AS sha256, reason, count() AS rows
       FROM dead_letters GROUP BY payload_sha256, reason`,
    )
  ).map((row) => ({ ...row, rows: number(row.rows) }));
  const [dead] = await store.query<Record<string, string>>(
    'SELECT count() AS rows, uniqExact(source, dead_letter_id) AS distinct FROM dead_letters',
  );
  const deadCounts: Required<TableCounts> = {
    rows: number(dead?.rows),
    distinct: number(dead?.distinct),
    inserted: inserted.get('dead_letters') ?? 0,
  };
  const byReason: Record<string, number> = {};
  for (const group of deadLetterGroups)
    byReason[group.reason] = (byReason[group.reason] ?? 0) + group.rows;
  const ids = injections.flatMap((injection) => injection.eventIds);
  const storedInjected = await store.query<{ event_id: string }>(
    `SELECT DISTINCT event_id FROM events
     WHERE model = {model:String} AND event_id IN {ids:Array(String)}`,
    { model: SOAK_MODEL, ids },
  );
  const [infinities] = await store.query<{ n: string }>(
    `SELECT uniqExact(event_id) AS n FROM events
     WHERE model = {model:String} AND startsWith(event_id, 'b-')
       AND isInfinite(feature_numbers['amount'])`,
    { model: SOAK_MODEL },
  );
  const runs = await store.query<{ status: string; n: string }>(
    `SELECT status, count() AS n FROM monitor_runs FINAL
     WHERE monitor = {model:String} GROUP BY status`,
    { model: SOAK_MODEL },
  );
  const byStatus = Object.fromEntries(runs.map((row) => [row.status, number(row.n)]));
  const windows = await store.query<{ end_ms: string }>(
    `SELECT toUnixTimestamp64Milli(window_end) AS end_ms FROM monitor_runs FINAL
     WHERE monitor = {model:String}`,
    { model: SOAK_MODEL },
  );
  const [rebuilds] = await store.query<{ n: string }>('SELECT count() AS n FROM summary_rebuilds');
  return {
    summaries: { ...(await summaryGrains(store)), rebuilds: number(rebuilds?.n) },
    events: {
      ...ledger(goodAcked, number(events?.stored_good), eventCounts),
      counts: eventCounts,
      missingSample: missing.map((row) => row.id),
      unacknowledgedStored: number(events?.unacknowledged),
    },
    labels: {
      ...ledger(labelsProduced, number(labels?.stored), labelCounts),
      counts: labelCounts,
    },
    deadLetters: {
      rows: deadCounts.rows,
      byReason,
      counts: deadCounts,
      doubleCounted: Math.max(
        deadCounts.rows - deadCounts.distinct,
        deadCounts.inserted - deadCounts.distinct,
      ),
    },
    deadLetterGroups,
    injectedStored: new Set(storedInjected.map((row) => row.event_id)),
    infinitiesStored: number(infinities?.n),
    monitorRuns: {
      runs: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
      byStatus,
    },
    windowEnds: windows.map((row) => number(row.end_ms)),
  };
}

/** Per summary table: the events its 'event' cells count against the distinct stored events. */
export interface SummaryGrains {
  distinctEvents: number;
  tables: Record<
    (typeof SUMMARY_TABLES)[number],
    {
      summarized: number;
      /** (model, kind, grain) whose count differs from the distinct events stored in it. */
      differing: number;
      sample: string[];
    }
  >;
}

export async function summaryGrains(store: Store): Promise<SummaryGrains> {
  const grains = await eventsPerGrain(store);
  const [distinct] = await store.query<{ n: string }>('SELECT count() AS n FROM events FINAL');
  const tables = {} as SummaryGrains['tables'];
  for (const table of SUMMARY_TABLES) {
    const { stored, summarized } = grains[table];
    const differing = [...new Set([...stored.keys(), ...summarized.keys()])].filter(
      (key) => stored.get(key) !== summarized.get(key),
    );
    tables[table] = {
      summarized: [...summarized.values()].reduce((sum, n) => sum + n, 0),
      differing: differing.length,
      sample: differing
        .slice(0, 5)
        .map(
          (key) => `${key}: ${summarized.get(key) ?? 0} summarized, ${stored.get(key) ?? 0} stored`,
        ),
    };
  }
  return { distinctEvents: Number(distinct?.n ?? 0), tables };
}

/**
 * The HTTP ingest service's own store: events h-0 .. h-(acknowledged - 1) of `model`. No
 * view counting inserts here: on an embedded store a SIGKILL mid-insert loses such a view's
 * part as it loses the summaries' (which is the point). Counted twice is judged by the table
 * (rows against distinct keys); the summaries are judged apart, grain by grain against the
 * distinct stored events (more is counted twice, fewer is missing).
 */
export interface HttpStoreCounts {
  events: Ledger & { rows: number; distinct: number; missingSample: string[] };
  summaries: SummaryGrains;
}

export async function countHttpStore(
  store: Store,
  model: string,
  acknowledged: number,
): Promise<HttpStoreCounts> {
  const params = { model, acknowledged };
  const [events] = await store.query<Record<string, string>>(
    `SELECT count() AS rows, uniqExact(model, kind, ts, event_id) AS distinct,
            uniqExactIf(event_id, model = {model:String} AND startsWith(event_id, 'h-')
              AND toUInt64(substring(event_id, 3)) < {acknowledged:UInt64}) AS stored
     FROM events`,
    params,
  );
  const missing = await store.query<{ id: string }>(
    `SELECT concat('h-', toString(number)) AS id FROM numbers({acknowledged:UInt64})
     WHERE id NOT IN (SELECT event_id FROM events WHERE model = {model:String})
     ORDER BY number LIMIT 20`,
    params,
  );
  const summaries = await summaryGrains(store);
  const rows = Number(events?.rows ?? 0);
  const distinct = Number(events?.distinct ?? 0);
  return {
    events: {
      ...ledger(acknowledged, Number(events?.stored ?? 0), { rows, distinct }),
      rows,
      distinct,
      missingSample: missing.map((row) => row.id),
    },
    summaries,
  };
}
