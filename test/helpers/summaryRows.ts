import type { Store } from '../../src/store/clickhouse.js';

export const SUMMARY_TABLES = ['summary_5m', 'summary_1h', 'summary_1d'] as const;
export type SummaryTableName = (typeof SUMMARY_TABLES)[number];

export interface SummaryCell {
  count: number;
  sum: number;
  /** Exact text, -0 read as 0 (a cell of both zeros keeps whichever its rows met first). */
  min: string;
  max: string;
}

/**
 * A model's summary rows of one table as its cells mean them (rows of one key merged, as
 * the AggregatingMergeTree merges them), keyed by everything but the model, so two models
 * given the same events compare row for row.
 */
export async function readSummaryCells(
  store: Store,
  table: SummaryTableName,
  model: string,
): Promise<Map<string, SummaryCell>> {
  const rows = await store.query<{
    key: string;
    count: string;
    sum: string;
    min: string;
    max: string;
  }>(
    `SELECT concat_ws('|', toString(kind), toString(grain_start), toString(ingest_day), toString(rebuild_id), feature,
                      toString(slice_hash), toString(state), toString(frame), toString(bucket), category) AS key,
            toString(sum(count)) AS count, toString(sum(value_sum)) AS sum,
            toString(if(min(value_min) = 0, 0., min(value_min))) AS min,
            toString(if(max(value_max) = 0, 0., max(value_max))) AS max
     FROM ${table} WHERE model = {model:String}
     GROUP BY kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category`,
    { model },
  );
  return new Map(
    rows.map((row) => [
      row.key,
      { count: Number(row.count), sum: Number(row.sum), min: row.min, max: row.max },
    ]),
  );
}

/**
 * Keys whose cells differ between two models' rows: counts, mins and maxes exactly, sums
 * up to the rounding of adding the same values in another order (|Δ| ≤ 2n²·2⁻⁵³·M).
 */
export function differingCells(
  actual: ReadonlyMap<string, SummaryCell>,
  expected: ReadonlyMap<string, SummaryCell>,
): string[] {
  const differing: string[] = [];
  for (const key of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(key);
    const b = expected.get(key);
    if (!a || !b) {
      differing.push(`${key}: ${a ? 'extra' : 'missing'}`);
      continue;
    }
    const finite = [b.min, b.max].map(Number).filter(Number.isFinite);
    const magnitude = Math.max(1, ...finite.map(Math.abs));
    const sumsAgree =
      a.sum === b.sum || Math.abs(a.sum - b.sum) <= 2 * b.count * b.count * 2 ** -53 * magnitude;
    if (a.count !== b.count || a.min !== b.min || a.max !== b.max || !sumsAgree)
      differing.push(`${key}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
  }
  return differing;
}

export async function readSliceCombos(store: Store, model: string): Promise<string[]> {
  const rows = await store.query<{ row: string }>(
    `SELECT concat(toString(slice_hash), '|', toString(any(attributes))) AS row
     FROM slice_combos WHERE model = {model:String} GROUP BY slice_hash ORDER BY row`,
    { model },
  );
  return rows.map((row) => row.row);
}

/**
 * Events each summary table counts (its 'event' cells, the views' own rows) per model and
 * grain, beside the distinct events stored in that grain: what a monitor reads against
 * what is there. Computed here, independently of the service's own check.
 */
export async function eventsPerGrain(
  store: Store,
): Promise<
  Record<SummaryTableName, { stored: Map<string, number>; summarized: Map<string, number> }>
> {
  const grainOf: Record<SummaryTableName, string> = {
    summary_5m: 'toStartOfFiveMinutes(ts)',
    summary_1h: 'toStartOfHour(ts)',
    summary_1d: 'toStartOfDay(ts)',
  };
  const result = {} as Record<
    SummaryTableName,
    { stored: Map<string, number>; summarized: Map<string, number> }
  >;
  for (const table of SUMMARY_TABLES) {
    const stored = await store.query<{ key: string; n: string }>(
      `SELECT concat(model, '|', toString(kind), '|', toString(toDateTime(${grainOf[table]}, 'UTC'))) AS key,
              count() AS n
       FROM events FINAL GROUP BY key`,
    );
    const summarized = await store.query<{ key: string; n: string }>(
      `SELECT concat(model, '|', toString(kind), '|', toString(grain_start)) AS key, sum(count) AS n
       FROM ${table} WHERE state = 'event' AND kind != 'reference' AND rebuild_id = 0 GROUP BY key`,
    );
    result[table] = {
      stored: new Map(stored.map((row) => [row.key, Number(row.n)])),
      summarized: new Map(summarized.map((row) => [row.key, Number(row.n)])),
    };
  }
  return result;
}
