import type { Store } from './clickhouse.js';

export interface RetentionSettings {
  /** Days to keep events and labels by their event time; 0 keeps them forever. */
  eventsDays: number;
  /** Days to keep dead letters by when they were received; 0 keeps them forever. */
  deadLettersDays: number;
}

export interface AppliedRetention {
  table: string;
  days: number;
}

/**
 * Sets each table's TTL to the configured retention at startup. The change is metadata
 * only (`materialize_ttl_after_modify = 0`): no existing part is rewritten; parts written
 * from now on carry the TTL, and older parts get it when merges rewrite them
 * (`ALTER TABLE ... MATERIALIZE TTL` applies it to them at once). `events` is partitioned
 * by month and drops whole expired parts (`ttl_only_drop_parts`, migration 0005).
 */
export async function applyRetention(
  store: Store,
  settings: RetentionSettings,
): Promise<AppliedRetention[]> {
  const plan = [
    { table: 'events', column: 'toDateTime(ts)', days: settings.eventsDays },
    { table: 'labels', column: 'toDateTime(ts)', days: settings.eventsDays },
    { table: 'dead_letters', column: 'toDateTime(received_at)', days: settings.deadLettersDays },
  ] as const;
  const current = await readTableTtls(store);
  for (const { table, column, days } of plan) {
    if (days > 0) {
      await store.command(
        `ALTER TABLE ${table} MODIFY TTL ${column} + toIntervalDay({days:UInt32})`,
        { days },
        { materialize_ttl_after_modify: 0 },
      );
    } else if (current.get(table)) {
      await store.command(`ALTER TABLE ${table} REMOVE TTL`);
    }
  }
  return plan.map(({ table, days }) => ({ table, days }));
}

/** Whether each table has a table TTL now. */
async function readTableTtls(store: Store): Promise<Map<string, boolean>> {
  const rows = await store.query<{ name: string; has_ttl: number }>(
    `SELECT name, position(create_table_query, ' TTL ') > 0 AS has_ttl FROM system.tables
     WHERE database = currentDatabase() AND name IN ('events', 'labels', 'dead_letters')`,
  );
  return new Map(rows.map((row) => [row.name, Boolean(Number(row.has_ttl))]));
}

/** The TTL clause each table has now, as ClickHouse reports it (for tests and status). */
export async function describeRetention(store: Store): Promise<Record<string, string>> {
  const rows = await store.query<{ name: string; ttl: string }>(
    `SELECT name, extract(create_table_query, ' TTL (.*?)(?: SETTINGS |$)') AS ttl FROM system.tables
     WHERE database = currentDatabase() AND name IN ('events', 'labels', 'dead_letters')`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.ttl]));
}
