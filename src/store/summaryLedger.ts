import type { Store } from './clickhouse.js';

/**
 * The summary ledger (migration 0011): which hours of which model each event writer may be
 * writing. A writer records an hour `open` before its first insert into it (and again every
 * few minutes while it writes there), `closed` once it has been idle and every insert
 * into the hour was acknowledged; a reconciler that has checked an hour a writer left open
 * records `checked`. The newest row of a (scope, writer) says where it stands.
 */
export type EventKindOfSummary = 'prediction' | 'feature';

/** An hour of one model's events of one kind: what a check compares and a repair fixes. */
export interface SummaryScope {
  model: string;
  kind: EventKindOfSummary;
  /** The hour's start, Unix ms (a multiple of 3,600,000). */
  hourMs: number;
}

export type LedgerState = 'open' | 'closed' | 'checked';

export interface LedgerEntry extends SummaryScope {
  writerId: string;
  state: LedgerState;
  /** How long ago (by the store's clock) the entry was last written. */
  ageMs: number;
}

export function scopeKey(scope: SummaryScope): string {
  return `${scope.model}\u0000${scope.kind}\u0000${scope.hourMs}`;
}

export async function recordLedger(
  store: Store,
  writerId: string,
  scopes: readonly SummaryScope[],
  state: LedgerState,
): Promise<void> {
  await store.insert(
    'summary_ledger',
    scopes.map((scope) => ({
      model: scope.model,
      kind: scope.kind,
      hour: hourText(scope.hourMs),
      writer_id: writerId,
      state,
    })),
  );
}

/** Every (scope, writer) whose newest entry is `open`, oldest first. */
export async function listOpenLedgerEntries(store: Store): Promise<LedgerEntry[]> {
  return readEntries(
    store,
    `SELECT model, kind, toUnixTimestamp(hour) * 1000 AS hour_ms, writer_id,
            argMax(state, at) AS state, dateDiff('millisecond', max(at), now64(3)) AS age_ms
     FROM summary_ledger
     GROUP BY model, kind, hour, writer_id
     HAVING state = 'open'
     ORDER BY age_ms DESC`,
    {},
  );
}

/** Every writer's newest entry for the hours of one model and kind in [fromMs, toMs). */
export async function listLedgerEntriesBetween(
  store: Store,
  span: { model: string; kind: EventKindOfSummary; fromMs: number; toMs: number },
): Promise<LedgerEntry[]> {
  return readEntries(
    store,
    `SELECT model, kind, toUnixTimestamp(hour) * 1000 AS hour_ms, writer_id,
            argMax(state, at) AS state, dateDiff('millisecond', max(at), now64(3)) AS age_ms
     FROM summary_ledger
     WHERE model = {model:String} AND kind = {kind:String}
       AND hour >= toDateTime(intDiv({from_ms:Int64}, 1000), 'UTC') AND hour < toDateTime(intDiv({to_ms:Int64}, 1000), 'UTC')
     GROUP BY model, kind, hour, writer_id`,
    { model: span.model, kind: span.kind, from_ms: span.fromMs, to_ms: span.toMs },
  );
}

/** An hour as a DateTime value: 'YYYY-MM-DD HH:MM:SS' (UTC). */
export function hourText(hourMs: number): string {
  return new Date(hourMs).toISOString().slice(0, 19).replace('T', ' ');
}

async function readEntries(
  store: Store,
  sql: string,
  params: Record<string, unknown>,
): Promise<LedgerEntry[]> {
  const rows = await store.query<{
    model: string;
    kind: EventKindOfSummary;
    hour_ms: string;
    writer_id: string;
    state: LedgerState;
    age_ms: string;
  }>(sql, params);
  return rows.map((row) => ({
    model: row.model,
    kind: row.kind,
    hourMs: Number(row.hour_ms),
    writerId: row.writer_id,
    state: row.state,
    ageMs: Number(row.age_ms),
  }));
}
