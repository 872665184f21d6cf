import type { RetentionSettings } from '../config/config.js';
import type { Store } from './clickhouse.js';
import { createClusterSchema, storageTable } from './clusterSchema.js';

export interface AppliedRetention {
  table: string;
  days: number;
}

/** What a table keeps, and by which column; `where` keeps rows the TTL must never remove. */
interface TablePolicy {
  table: string;
  column: string;
  days: number;
  where?: string;
}

function retentionPlan(settings: RetentionSettings): TablePolicy[] {
  // A profile's reference cells live in the summary tables too, at the epoch: never expired.
  const events = "kind != 'reference'";
  return [
    { table: 'events', column: 'toDateTime(ts)', days: settings.eventsDays },
    { table: 'labels', column: 'toDateTime(ts)', days: settings.eventsDays },
    { table: 'dead_letters', column: 'toDateTime(received_at)', days: settings.deadLettersDays },
    {
      table: 'summary_5m',
      column: 'grain_start',
      days: settings.fiveMinuteSummaryDays,
      where: events,
    },
    { table: 'summary_1h', column: 'grain_start', days: settings.hourSummaryDays, where: events },
    // the hour grain's finer cells (0015): only narrowing reads them, kept for less
    { table: 'summary_1h_k10', column: 'grain_start', days: settings.finerSummaryDays },
    // their builds' records (0015), one a model-hour: kept as long as the cells they name
    { table: 'summary_finer_builds', column: 'grain_start', days: settings.finerSummaryDays },
  ];
}

const RETAINED_TABLES = [
  'events',
  'labels',
  'dead_letters',
  'summary_5m',
  'summary_1h',
  'summary_1h_k10',
  'summary_finer_builds',
];

/**
 * Sets each table's TTL to the configured retention at startup. The change is metadata
 * only (`materialize_ttl_after_modify = 0`): no existing part is rewritten; parts written
 * from now on carry the TTL, and older parts get it when merges rewrite them
 * (`ALTER TABLE ... MATERIALIZE TTL` applies it to them at once). `events` is partitioned
 * by month and drops whole expired parts (`ttl_only_drop_parts`, migration 0005). Reads
 * ask `readRetainedDays` what is kept, so no window is answered from a half-expired grain.
 */
export async function applyRetention(
  store: Store,
  settings: RetentionSettings,
): Promise<AppliedRetention[]> {
  const plan = retentionPlan(settings);
  const current = await describeRetention(store);
  // on a cluster, a TTL belongs to each shard's local table, set on every node
  const form = store.cluster
    ? createClusterSchema(store.cluster).statementsFor
    : (sql: string) => [sql];
  for (const { table, column, days, where } of plan) {
    // already so: no DDL at every start (on a cluster, DDL waits for every node)
    if (
      days > 0 &&
      ttlDays(current[table]) === days &&
      /\bWHERE\b/.test(current[table] ?? '') === Boolean(where)
    ) {
      continue;
    }
    if (days > 0) {
      const ttl = `${column} + toIntervalDay({days:UInt32})${where ? ` DELETE WHERE ${where}` : ''}`;
      for (const statement of form(`ALTER TABLE ${table} MODIFY TTL ${ttl}`)) {
        await store.command(statement, { days }, { materialize_ttl_after_modify: 0 });
      }
    } else if (current[table]) {
      for (const statement of form(`ALTER TABLE ${table} REMOVE TTL`))
        await store.command(statement);
    }
  }
  retainedCache.delete(store);
  return plan.map(({ table, days }) => ({ table, days }));
}

/** The TTL clause each table has now, as ClickHouse reports it (for tests and status). */
export async function describeRetention(store: Store): Promise<Record<string, string>> {
  const stored = new Map(
    RETAINED_TABLES.map((table) => [storageTable(table, store.cluster), table]),
  );
  const rows = await store.query<{ name: string; ttl: string }>(
    `SELECT name, extract(create_table_query, ' TTL (.*?)(?: SETTINGS |$)') AS ttl FROM system.tables
     WHERE database = currentDatabase() AND name IN {tables:Array(String)}`,
    { tables: [...stored.keys()] },
  );
  return Object.fromEntries(rows.map((row) => [stored.get(row.name) ?? row.name, row.ttl]));
}

/** Days kept by what a window is read from (0 = forever), as the tables' TTLs say now. */
export interface RetainedDays {
  raw: number;
  '5m': number;
  '1h': number;
  /** The hour's finer cells of numbers (summary_1h_k10), which narrowing reads. */
  finer: number;
}

/** How long a store's TTLs are taken as read: one query a minute, not one a window. */
const REREAD_MS = 60_000;
const retainedCache = new WeakMap<Store, { readAt: number; days: Promise<RetainedDays> }>();

/**
 * What the store keeps now, from its tables' TTLs rather than this process's settings: the
 * TTL is what deletes, whichever process set it. Read at most once a minute per store
 * (and again after this process applies its retention).
 */
export function readRetainedDays(store: Store, now = Date.now()): Promise<RetainedDays> {
  const cached = retainedCache.get(store);
  if (cached && now - cached.readAt < REREAD_MS) return cached.days;
  const days = describeRetention(store).then((ttls) => {
    const kept = (table: string) => ttlDays(ttls[table]);
    return {
      raw: kept('events'),
      '5m': kept('summary_5m'),
      '1h': kept('summary_1h'),
      finer: kept('summary_1h_k10'),
    };
  });
  retainedCache.set(store, { readAt: now, days });
  days.catch(() => retainedCache.delete(store));
  return days;
}

/** The days a TTL clause keeps (0: none). */
function ttlDays(ttl: string | undefined): number {
  const match = /toIntervalDay\((?:_CAST\()?(\d+)/.exec(ttl ?? '');
  return match ? Number(match[1]) : 0;
}
