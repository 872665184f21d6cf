import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { insertEvents, type EventTableRow } from './events.js';
import { migrate, readMigrations } from './migrate.js';
import { insertFeatureFrames, upsertSummarySettings } from './summaryQueries.js';
import { createRandom } from '../demo/random.js';

/**
 * Migration 0009 replaces 0006's summary views (each event exploded and bucketed once, at
 * the five-minute grain with k = 7, the hour and five-minute grains rolled up from that)
 * without changing a summary row: the same inserts into a store at 0008 and into the same
 * store upgraded to 0009 give the same rows in every summary table — same cells, counts,
 * mins and maxes; sums equal up to the order they were added in. The upgraded store runs
 * every later migration too: 0011's day grain, rolled up from the fine cells instead of
 * the hour grain's blocks, is held to the same rows.
 */
const SUMMARY_TABLES = ['summary_5m', 'summary_1h', 'summary_1d'] as const;

/** Bucket edges of both keys (k = 7 and k = 5) on both branches, both signs, and extremes. */
const EDGES: number[] = [
  0,
  -0,
  1 / 128,
  -1 / 128,
  3 / 128,
  -3 / 128,
  1 / 32,
  -1 / 32,
  5 / 128,
  -5 / 128,
  0.5,
  -0.5,
  1 - 2 ** -53,
  -(1 - 2 ** -53),
  1 - 2 ** -7,
  -(1 - 2 ** -7),
  1,
  -1,
  1 + 2 ** -7,
  -(1 + 2 ** -7),
  1 + 3 * 2 ** -7,
  -(1 + 3 * 2 ** -7),
  1 + 2 ** -5,
  -(1 + 2 ** -5),
  1 + 2 ** -5 - 2 ** -52,
  -(1 + 2 ** -5 - 2 ** -52),
  2 - 2 ** -52,
  -(2 - 2 ** -52),
  2,
  -2,
  1024 * (1 + 7 * 2 ** -7),
  -1024 * (1 + 7 * 2 ** -7),
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  -2.2250738585072014e-308,
  1e300,
  -1e300,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
];
const NON_FINITE = [NaN, Infinity, -Infinity];

// the demo's seeded generator (mulberry32), so a failure replays
const random = (seed: number): (() => number) => createRandom(seed).uniform;

const T0 = Date.UTC(2026, 10, 20, 23, 20); // the day, hours and five-minute grains all turn over
/** ts on the edges of grains: the last millisecond of one and the first of the next. */
const EDGE_TIMES = [
  Date.UTC(2026, 10, 20, 23, 54, 59, 999),
  Date.UTC(2026, 10, 20, 23, 55),
  Date.UTC(2026, 10, 20, 23, 59, 59, 999),
  Date.UTC(2026, 10, 21),
  Date.UTC(2026, 10, 21, 0, 4, 59, 999),
  Date.UTC(2026, 10, 21, 0, 5),
  Date.UTC(2026, 10, 21, 0, 59, 59, 999),
  Date.UTC(2026, 10, 21, 1),
];
const SLICES: Record<string, string>[] = [
  {},
  { country: 'US' },
  { country: 'DE', channel: 'web' },
  { country: 'FR' },
];
const SCORES = [
  null,
  0,
  0.5,
  0.5 - 2 ** -53,
  1,
  1 - 2 ** -53,
  -0.25,
  1.5,
  3e9,
  -3e9,
  NaN,
  Infinity,
];

function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function makeEvents(count: number): EventTableRow[] {
  const next = random(11);
  // a number near an edge, a log-uniform one of either sign, or a small uniform one
  const number = (i: number): number => {
    const pick = next();
    if (pick < 0.35) return EDGES[i % EDGES.length] ?? 0;
    if (pick < 0.4) return NON_FINITE[i % NON_FINITE.length] ?? NaN;
    if (pick < 0.7) return (next() < 0.5 ? -1 : 1) * 2 ** (next() * 80 - 40);
    return next() * 6 - 3;
  };
  return Array.from({ length: count }, (_, i) => {
    const tsMs =
      i < EDGE_TIMES.length * 4 ? (EDGE_TIMES[i % EDGE_TIMES.length] ?? T0) : T0 + i * 1297;
    const model = i % 9 === 0 ? 'm2' : 'm';
    // x has a frame (centre 10, scale 4): v = 10 + 4z puts z on the edges; y has none
    const x = 10 + 4 * number(i);
    const y = number(i + 7);
    const wrongType = i % 17 === 0;
    return {
      kind: i % 6 === 0 ? 'feature' : 'prediction',
      event_id: `e${i}`,
      model,
      model_version: 'v1',
      ts: clickhouseTime(tsMs),
      prediction_id: `p${i}`,
      score: i % 6 === 0 ? null : i % 3 === 1 ? next() : (SCORES[(i >> 1) % SCORES.length] ?? null),
      prediction: null,
      feature_numbers: wrongType ? { x } : { x, y, ...(i % 5 === 0 ? { w: number(i + 3) } : {}) },
      feature_strings: {
        c: ['a', 'b', 'c', ''][i % 4] ?? 'a',
        ...(wrongType ? { y: 'n/a' } : {}),
      },
      feature_nulls: i % 13 === 0 ? ['d'] : i % 14 === 0 ? ['d', 'w'] : [],
      attributes: SLICES[i % SLICES.length] ?? {},
      source: 'test',
      kafka_topic: '',
      kafka_partition: -1,
      kafka_offset: -1,
    };
  });
}

/** What a rebuild and a reference profile write into summary_input (summaryQueries.ts). */
const REPLAYS = [
  // a rebuild's replay of events ingested on earlier days
  `INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                              feature_numbers, feature_strings, feature_nulls, attributes)
   SELECT model, model, CAST(kind, 'Enum8(\\'prediction\\' = 1, \\'feature\\' = 2, \\'reference\\' = 3)'), ts,
          toDateTime64('2026-11-18 23:59:59.999', 3, 'UTC') + toIntervalMillisecond(cityHash64(event_id) % 2), 3,
          score, feature_numbers, feature_strings, feature_nulls, attributes
   FROM events`,
  // a baseline's rows as reference cells (hour grain only)
  `INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                              feature_numbers, feature_strings, feature_nulls, attributes)
   SELECT model, model, 'reference', toDateTime64(0, 3, 'UTC'), toDateTime64('2026-11-21 08:00:00', 3, 'UTC'), 77,
          score, feature_numbers, feature_strings, feature_nulls, attributes
   FROM events WHERE kind = 'prediction'`,
  // the first and last grains DateTime holds (1970-01-01 to 2106-02-07 06:28:15); outside it
  // ClickHouse's toStartOfHour/toStartOfFiveMinutes of a DateTime64 wrap around (0006's
  // views file 2299-12-31 under 2027-10-18 10:03:28), and 0009's hour differs: see the
  // migration's notes
  `INSERT INTO summary_input (model, config_model, kind, ts, ingested_at, rebuild_id, score,
                              feature_numbers, feature_strings, feature_nulls, attributes)
   SELECT model, model, toString(kind),
          [toDateTime64('1970-01-01 00:00:00', 3, 'UTC'), toDateTime64('1970-01-01 00:04:59.999', 3, 'UTC'),
           toDateTime64('2106-02-07 06:27:00', 3, 'UTC'), toDateTime64('2106-02-07 06:28:15.999', 3, 'UTC')][cityHash64(event_id) % 4 + 1],
          ingested_at, 0, score, feature_numbers, feature_strings, feature_nulls, attributes
   FROM events WHERE cityHash64(event_id) % 50 = 0`,
];

interface SummaryRow {
  key: string;
  count: number;
  sum: number;
  min: string;
  max: string;
}

/**
 * Every row of a summary table as its cells mean it (rows of one key merged as the
 * AggregatingMergeTree merges them), floats as exact text; -0 reads as 0 (a cell holding
 * both zeros reports whichever its rows met first).
 */
async function readSummary(store: Store, table: string): Promise<SummaryRow[]> {
  const rows = await store.query<{
    key: string;
    count: string;
    sum: string;
    min: string;
    max: string;
  }>(
    `SELECT concat_ws('|', model, toString(kind), toString(grain_start), toString(ingest_day), toString(rebuild_id), feature,
                      toString(slice_hash), toString(state), toString(frame), toString(bucket), category) AS key,
            toString(sum(count)) AS count, toString(sum(value_sum)) AS sum,
            toString(if(min(value_min) = 0, 0., min(value_min))) AS min,
            toString(if(max(value_max) = 0, 0., max(value_max))) AS max
     FROM ${table}
     GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category
     ORDER BY key`,
  );
  return rows.map((row) => ({
    key: row.key,
    count: Number(row.count),
    sum: parseFloatText(row.sum),
    min: row.min,
    max: row.max,
  }));
}

function parseFloatText(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan') return NaN;
  return Number(text);
}

async function readSliceCombos(store: Store): Promise<string[]> {
  const rows = await store.query<{ row: string }>(
    `SELECT concat(model, '|', toString(slice_hash), '|', toString(any(attributes))) AS row
     FROM slice_combos GROUP BY model, slice_hash ORDER BY row`,
  );
  return rows.map((r) => r.row);
}

/**
 * Sums added in another order differ by at most the rounding of each addition: for n
 * values of magnitude at most M, |sum₁ − sum₂| ≤ 2(n − 1)·2⁻⁵³·n·M.
 */
function sumsAgree(a: SummaryRow, b: SummaryRow): boolean {
  if (Object.is(a.sum, b.sum) || a.sum === b.sum) return true;
  if (!Number.isFinite(a.sum) || !Number.isFinite(b.sum)) return false;
  const magnitude = Math.max(Math.abs(Number(a.min)), Math.abs(Number(a.max)));
  return Math.abs(a.sum - b.sum) <= 2 * (a.count - 1) * 2 ** -53 * a.count * magnitude;
}

interface Difference {
  table: string;
  key: string;
  before: SummaryRow | undefined;
  after: SummaryRow | undefined;
}

function compareTables(table: string, before: SummaryRow[], after: SummaryRow[]): Difference[] {
  const afterByKey = new Map(after.map((row) => [row.key, row]));
  const differences: Difference[] = [];
  for (const row of before) {
    const other = afterByKey.get(row.key);
    afterByKey.delete(row.key);
    if (
      !other ||
      other.count !== row.count ||
      other.min !== row.min ||
      other.max !== row.max ||
      !sumsAgree(row, other)
    ) {
      differences.push({ table, key: row.key, before: row, after: other });
    }
  }
  for (const [key, row] of afterByKey)
    differences.push({ table, key, before: undefined, after: row });
  return differences;
}

async function fill(store: Store, events: EventTableRow[]): Promise<void> {
  // two inserts: the second block meets cells the first one already wrote
  await insertEvents(store, events.slice(0, 1500));
  await insertEvents(store, events.slice(1500));
  for (const sql of REPLAYS) await store.command(sql);
}

async function readAll(store: Store): Promise<Record<string, SummaryRow[]>> {
  const tables: Record<string, SummaryRow[]> = {};
  for (const table of SUMMARY_TABLES) tables[table] = await readSummary(store, table);
  return tables;
}

describe('migration 0009: the summary views rolled up from fine cells', () => {
  let store: Store;
  const events = makeEvents(4000);
  let before: Record<string, SummaryRow[]>;
  let beforeCombos: string[];
  let upgraded: Record<string, SummaryRow[]>;
  let after: Record<string, SummaryRow[]>;
  let afterCombos: string[];

  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
    await migrate(
      store,
      readMigrations().filter((m) => m.version <= 8),
    );
    // today's insert path writes the events' class scores (a later migration's column, which
    // no summary reads): that column first, so the events of 0008 take today's rows
    const classScores = readMigrations().find((m) => m.name.endsWith('_class_scores'));
    for (const statement of classScores?.statements ?? []) await store.command(statement);
    await upsertSummarySettings(store, 'm', { threshold: 0.5 });
    await insertFeatureFrames(store, 'm', [{ feature: 'x', frame: 1, centre: 10, scale: 4 }]);
    await fill(store, events);
    before = await readAll(store);
    beforeCombos = await readSliceCombos(store);

    expect(await migrate(store)).toContain(9);
    upgraded = await readAll(store);

    for (const table of [...SUMMARY_TABLES, 'events', 'slice_combos']) {
      await store.command(`TRUNCATE TABLE ${table}`);
    }
    await fill(store, events);
    after = await readAll(store);
    afterCombos = await readSliceCombos(store);
  });
  afterAll(async () => {
    await store.close();
  });

  it('covers what it claims: both bucket branches, both signs, every state, several grains', () => {
    const hour = before.summary_1h ?? [];
    const fields = (row: SummaryRow) => row.key.split('|');
    const numberBuckets = hour
      .filter((row) => fields(row)[7] === 'number')
      .map((row) => Number(fields(row)[9]));
    expect(numberBuckets.some((b) => b >= 128)).toBe(true); // z >= 1
    expect(numberBuckets.some((b) => b <= -129)).toBe(true); // z <= -1
    expect(numberBuckets.some((b) => b >= 0 && b < 128)).toBe(true);
    expect(numberBuckets.some((b) => b < 0 && b >= -128)).toBe(true);
    const states = new Set(hour.map((row) => fields(row)[7]));
    expect([...states].sort()).toEqual(
      ['event', 'nan', 'neg_inf', 'null', 'number', 'pos_inf', 'score', 'string'].sort(),
    );
    expect(new Set(hour.map((row) => fields(row)[1]))).toEqual(
      new Set(['prediction', 'feature', 'reference']),
    );
    expect(new Set((before.summary_1d ?? []).map((row) => fields(row)[2])).size).toBe(4);
    expect(
      new Set((before.summary_5m ?? []).map((row) => fields(row)[2])).size,
    ).toBeGreaterThanOrEqual(18);
    expect(new Set(hour.map((row) => fields(row)[8]))).toEqual(new Set(['0', '1'])); // frames
  });

  it('leaves the summaries already stored untouched when it upgrades a store', () => {
    expect(upgraded).toEqual(before);
  });

  it('gives every summary table the same rows as migration 0006 for the same inserts', () => {
    const differences = SUMMARY_TABLES.flatMap((table) =>
      compareTables(table, before[table] ?? [], after[table] ?? []),
    );
    expect(differences.slice(0, 5)).toEqual([]);
    for (const table of SUMMARY_TABLES) {
      expect((after[table] ?? []).length).toBe((before[table] ?? []).length);
    }
    expect(afterCombos).toEqual(beforeCombos);
  });
});
