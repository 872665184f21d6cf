import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { insertEvents, type EventTableRow } from './events.js';
import { applyRetention, describeRetention, readRetainedDays } from './retention.js';

const event = (id: string, ts: string): EventTableRow => ({
  kind: 'prediction',
  event_id: id,
  model: 'retention',
  model_version: '',
  ts,
  prediction_id: id,
  score: 0.5,
  prediction: null,
  feature_numbers: { amount: 1 },
  feature_strings: {},
  feature_nulls: [],
  attributes: {},
  source: 'test',
  kafka_topic: '',
  kafka_partition: -1,
  kafka_offset: -1,
});

const KEEP_FOREVER = {
  eventsDays: 0,
  deadLettersDays: 0,
  fiveMinuteSummaryDays: 0,
  hourSummaryDays: 0,
  finerSummaryDays: 0,
};

describe('retention as table TTLs', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  async function parts(): Promise<string[]> {
    const rows = await store.query<{ name: string }>(
      "SELECT name FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active ORDER BY name",
    );
    return rows.map((row) => row.name);
  }

  it('sets the configured TTLs at startup without rewriting existing parts', async () => {
    await insertEvents(store, [
      event('old', '2010-01-01 00:00:00.000'),
      event('new', '2026-11-01 00:00:00.000'),
    ]);
    const before = await parts();
    await applyRetention(store, { ...KEEP_FOREVER, eventsDays: 400, deadLettersDays: 30 });
    expect(await describeRetention(store)).toEqual({
      events: "toDateTime(ts) + toIntervalDay(_CAST(400, 'UInt32'))",
      labels: "toDateTime(ts) + toIntervalDay(_CAST(400, 'UInt32'))",
      dead_letters: "toDateTime(received_at) + toIntervalDay(_CAST(30, 'UInt32'))",
      summary_5m: '',
      summary_1h: '',
      summary_1h_k10: '',
      summary_finer_builds: '',
    });
    expect(await parts()).toEqual(before);
    // Applying it again at the next start changes nothing.
    await applyRetention(store, { ...KEEP_FOREVER, eventsDays: 400, deadLettersDays: 30 });
    expect(await parts()).toEqual(before);
  });

  it('drops expired events once their parts are merged, and keeps the rest', async () => {
    await store.command('OPTIMIZE TABLE events FINAL');
    const rows = await store.query<{ event_id: string }>(
      "SELECT event_id FROM events WHERE model = 'retention' ORDER BY event_id",
    );
    expect(rows.map((row) => row.event_id)).toEqual(['new']);
  });

  it('removes a TTL when retention is set to 0 (keep forever)', async () => {
    await applyRetention(store, KEEP_FOREVER);
    expect(await describeRetention(store)).toEqual({
      events: '',
      labels: '',
      dead_letters: '',
      summary_5m: '',
      summary_1h: '',
      summary_1h_k10: '',
      summary_finer_builds: '',
    });
    await applyRetention(store, KEEP_FOREVER);
  });

  it("expires old summary cells by their grain, never a profile's reference cells", async () => {
    const cell = (table: string, kind: string, grainStart: string) =>
      store.command(
        `INSERT INTO ${table} (model, kind, grain_start, ingest_day, rebuild_id, feature, slice_hash, state, frame, bucket, category, count, value_sum, value_min, value_max)
         VALUES ('retention-cells', {kind:String}, {start:DateTime}, today(), 0, 'amount', 1, 'number', 0, 3, '', 1, 1, 1, 1)`,
        { kind, start: grainStart },
      );
    // ten days ago: within both retentions below, whenever the test runs
    const recent = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 10 * 86_400_000)
      .toISOString()
      .replace('T', ' ')
      .slice(0, 19);
    for (const table of ['summary_5m', 'summary_1h']) {
      await cell(table, 'prediction', '2010-01-01 00:00:00');
      await cell(table, 'prediction', recent);
      await cell(table, 'reference', '1970-01-01 00:00:00');
    }
    // the finer cells (0015) hold closed hours of events only
    for (const start of ['2010-01-01 00:00:00', recent])
      await store.command(
        `INSERT INTO summary_1h_k10 (model, grain_start, build_id, feature, slice_hash, frame, bucket, count, value_sum, value_min, value_max)
         VALUES ('retention-cells', {start:DateTime}, 1, 'amount', 1, 0, 3, 1, 1, 1, 1)`,
        { start },
      );
    for (const start of ['2010-01-01 00:00:00', recent])
      await store.command(
        `INSERT INTO summary_finer_builds (model, grain_start, build_id, started_at, done, events, summarized)
         VALUES ('retention-cells', {start:DateTime}, 1, now64(6), 1, 1, 1)`,
        { start },
      );
    await applyRetention(store, {
      ...KEEP_FOREVER,
      fiveMinuteSummaryDays: 35,
      hourSummaryDays: 400,
      finerSummaryDays: 8,
    });
    expect(await readRetainedDays(store)).toEqual({ raw: 0, '5m': 35, '1h': 400, finer: 8 });
    await store.command('ALTER TABLE summary_5m MATERIALIZE TTL', {}, { mutations_sync: '2' });
    await store.command('ALTER TABLE summary_1h MATERIALIZE TTL', {}, { mutations_sync: '2' });
    await store.command('ALTER TABLE summary_1h_k10 MATERIALIZE TTL', {}, { mutations_sync: '2' });
    await store.command(
      'ALTER TABLE summary_finer_builds MATERIALIZE TTL',
      {},
      {
        mutations_sync: '2',
      },
    );
    const kept = async (table: string) =>
      (
        await store.query<{ kind: string; start: string }>(
          `SELECT ${table === 'summary_1h_k10' ? "'prediction'" : 'toString(kind)'} AS kind, toString(grain_start) AS start FROM ${table}
           WHERE model = 'retention-cells' ORDER BY grain_start`,
        )
      ).map((row) => `${row.kind} ${row.start}`);
    // 2010 is past both: gone; the profile's cells at the epoch stay
    for (const table of ['summary_5m', 'summary_1h']) {
      expect(await kept(table)).toEqual(['reference 1970-01-01 00:00:00', `prediction ${recent}`]);
    }
    // the finer cells have a retention of their own: ten days ago is past their 8
    expect(await kept('summary_1h_k10')).toEqual([]);
    // and their builds' records with them (a row a model-hour, not forever): both past the 8 days
    const builds = await store.query<{ start: string }>(
      `SELECT toString(grain_start) AS start FROM summary_finer_builds WHERE model = 'retention-cells'`,
    );
    expect(builds.map((row) => row.start)).toEqual([]);
    await applyRetention(store, KEEP_FOREVER);
    expect(await readRetainedDays(store)).toEqual({ raw: 0, '5m': 0, '1h': 0, finer: 0 });
  });
});
