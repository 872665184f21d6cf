import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  insertFleetEvents,
  insertFleetFrames,
  insertFleetSliceCombos,
  insertFleetSummaries,
  type Fleet,
  type FleetRange,
} from '../../bench/fleetSummaries.js';
import type { Store } from '../../src/store/clickhouse.js';
import { ALL_SLICE_ID } from '../../src/drift/samples.js';
import { readWindowSamples } from '../../src/drift/windowSummary.js';
import { openTestStore } from '../helpers/store.js';

/**
 * The many-models benchmark writes summaries without raw events (bench/fleetSummaries.ts).
 * Its figures mean something only if those are the summaries ingest would have made: the
 * same fleet's events are ingested as raw rows (models raw-*, through the views) and
 * generated as cells (gen-*: fine cells through the rollups; day-*: the day grain written
 * directly), and every row of every summary table must agree — same cells, counts, mins
 * and maxes, sums up to the order they were added in — as must a window a monitor reads.
 */
const FLEET = {
  numeric: ['n0', 'n1', 'n2', 'n3'],
  categorical: ['c0', 'c1'],
  slices: 3,
  eventsPerSlicePerDay: 400,
  threshold: 0.5,
};
const RANGE: FleetRange = { first: 0, count: 2, from: new Date('2026-09-01T00:00:00Z'), days: 2 };
const fleet = (prefix: string): Fleet => ({ ...FLEET, prefix });

interface Row {
  key: string;
  count: number;
  sum: number;
  min: string;
  max: string;
}

/** A table's rows for one prefix, keyed without the prefix, merged per key. */
async function rowsOf(store: Store, table: string, prefix: string): Promise<Map<string, Row>> {
  const rows = await store.query<{
    key: string;
    count: string;
    sum: number;
    min: string;
    max: string;
  }>(
    `SELECT concat_ws('|', substring(model, length({prefix:String}) + 1), toString(kind), toString(grain_start),
                      toString(ingest_day), toString(rebuild_id), feature, toString(slice_hash), toString(state),
                      toString(frame), toString(bucket), category) AS key,
            toString(sum(count)) AS count, sum(value_sum) AS sum,
            toString(min(value_min) + 0) AS min, toString(max(value_max) + 0) AS max
     FROM ${table} WHERE startsWith(model, {prefix:String})
     GROUP BY model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category`,
    { prefix },
  );
  return new Map(
    rows.map((r) => [
      r.key,
      { key: r.key, count: Number(r.count), sum: Number(r.sum), min: r.min, max: r.max },
    ]),
  );
}

/** Keys missing on either side or cells that differ (sums within their rounding). */
function differences(expected: Map<string, Row>, actual: Map<string, Row>): string[] {
  const found: string[] = [];
  for (const [key, row] of expected) {
    const other = actual.get(key);
    const tolerance =
      1e-12 * row.count * Math.max(Math.abs(Number(row.min)), Math.abs(Number(row.max)), 1);
    if (
      !other ||
      other.count !== row.count ||
      other.min !== row.min ||
      other.max !== row.max ||
      Math.abs(other.sum - row.sum) > tolerance
    )
      found.push(`${key}: ${JSON.stringify(row)} vs ${JSON.stringify(other)}`);
  }
  for (const key of actual.keys()) if (!expected.has(key)) found.push(`${key}: only generated`);
  return found;
}

describe('the many-models benchmark’s generated summaries', () => {
  let store: Store;

  beforeAll(async () => {
    store = await openTestStore();
    for (const prefix of ['raw-', 'gen-', 'day-'])
      await insertFleetFrames(store, fleet(prefix), RANGE);
    await insertFleetEvents(store, fleet('raw-'), RANGE);
    await insertFleetSliceCombos(store, fleet('gen-'), RANGE);
    await insertFleetSummaries(store, fleet('gen-'), RANGE, 'fine');
    await insertFleetSummaries(store, fleet('day-'), RANGE, '1d');
  }, 120_000);

  afterAll(async () => {
    await store?.close();
  });

  it.each(['summary_5m', 'summary_1h', 'summary_1d'])(
    'are the rows ingest makes from the same events in %s',
    async (table) => {
      const raw = await rowsOf(store, table, 'raw-');
      const generated = await rowsOf(store, table, 'gen-');
      // every kind of cell is there: numbers, categories, nulls, event times, scores
      const states = new Set([...raw.keys()].map((key) => key.split('|')[7]));
      expect([...states].sort()).toEqual(['event', 'null', 'number', 'score', 'string']);
      expect(raw.size).toBeGreaterThan(1000);
      expect(differences(raw, generated)).toEqual([]);
    },
  );

  it('writes the same day grain directly', async () => {
    expect(
      differences(
        await rowsOf(store, 'summary_1d', 'raw-'),
        await rowsOf(store, 'summary_1d', 'day-'),
      ),
    ).toEqual([]);
  });

  it('names the slices as ingest does, so a window reads the same samples', async () => {
    // a window of a day, hours and five minutes: every grain is read
    const window = {
      start: new Date('2026-09-01T00:00:00Z'),
      end: new Date('2026-09-02T13:35:00Z'),
    };
    const keys = [{ attributes: ['segment'], kept: ['s0', 's1', 's2'] }];
    const read = async (model: string) => {
      const { samples, pieces } = await readWindowSamples(store, { model, window, keys });
      return { samples, sources: pieces.map((piece) => piece.source) };
    };
    const raw = await read('raw-0001');
    const generated = await read('gen-0001');
    expect(raw.sources).toEqual(['1d', '1h', '5m']);
    const all = raw.samples.slices.get(ALL_SLICE_ID);
    // a slice's events are spread evenly over each day: all of the first, 13:35 of the second
    const secondDay = Math.ceil(((13 * 60 + 35) / 1440) * FLEET.eventsPerSlicePerDay);
    expect(all?.events).toBe(FLEET.slices * (FLEET.eventsPerSlicePerDay + secondDay));
    expect(raw.samples.slices.size).toBe(1 + FLEET.slices);
    expect(JSON.stringify(generated.samples, roundSums)).toEqual(
      JSON.stringify(raw.samples, roundSums),
    );
  });
});

/** Sums added in another order differ in their last bits: compared to 12 digits. */
function roundSums(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Map) return [...value.entries()];
  if (value instanceof Set) return [...value];
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return typeof value === 'number' && !Number.isInteger(value)
    ? Number(value.toPrecision(12))
    : value;
}
