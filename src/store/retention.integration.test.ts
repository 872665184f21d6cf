import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { insertEvents, type EventTableRow } from './events.js';
import { applyRetention, describeRetention } from './retention.js';

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
    await applyRetention(store, { eventsDays: 400, deadLettersDays: 30 });
    expect(await describeRetention(store)).toEqual({
      events: "toDateTime(ts) + toIntervalDay(_CAST(400, 'UInt32'))",
      labels: "toDateTime(ts) + toIntervalDay(_CAST(400, 'UInt32'))",
      dead_letters: "toDateTime(received_at) + toIntervalDay(_CAST(30, 'UInt32'))",
    });
    expect(await parts()).toEqual(before);
    // Applying it again at the next start changes nothing.
    await applyRetention(store, { eventsDays: 400, deadLettersDays: 30 });
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
    await applyRetention(store, { eventsDays: 0, deadLettersDays: 0 });
    expect(await describeRetention(store)).toEqual({ events: '', labels: '', dead_letters: '' });
    await applyRetention(store, { eventsDays: 0, deadLettersDays: 0 });
  });
});
