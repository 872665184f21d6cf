import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startClickHouseHttpStandIn,
  type ClickHouseHttpStandIn,
} from '../../test/helpers/clickhouseHttp.js';
import { toPredictionRow, type TestPrediction } from '../../test/helpers/events.js';
import { loadStoreConfig } from '../config/config.js';
import { openStore, type Store } from './clickhouse.js';
import {
  insertDeadLetters,
  insertEvents,
  insertLabels,
  type DeadLetterRow,
  type LabelRow,
} from './events.js';
import { migrate } from './migrate.js';

/**
 * The same batch sent twice to a cluster, as the ingest writer sends it again after an
 * answer that never came, before the pre-insert existence check could see the first copy
 * (a replica that lags behind the one that stored it). Keeper's deduplication log, which
 * every replica of a shard shares, is what stores it once; the stand-in's one-shard node
 * keeps the same log for its tables (test/helpers/clickhouseHttp.ts).
 */
describe('a batch sent twice to a cluster', () => {
  let clickhouse: ClickHouseHttpStandIn;
  let store: Store;

  const origin = { source: 'test', kafka_topic: '', kafka_partition: -1, kafka_offset: -1 };
  const prediction = (id: number): TestPrediction => ({
    ...origin,
    kind: 'prediction',
    event_id: `e${id}`,
    model: 'retried',
    model_version: 'v1',
    ts: `2026-11-22 10:0${id}:00.000`,
    prediction_id: `p${id}`,
    score: 0.25 * id,
    prediction: null,
    features: { amount: 10 * id, channel: 'web', missing: null },
    attributes: { country: 'FR' },
  });
  const label: LabelRow = {
    ...origin,
    event_id: 'l1',
    model: 'retried',
    prediction_id: 'p1',
    label: '1',
    ts: '2026-11-22 10:30:00.000',
  };
  const deadLetter: DeadLetterRow = {
    dead_letter_id: 'sha256:abc',
    source: 'http',
    topic: '',
    partition: -1,
    offset: -1,
    payload: '{',
    payload_bytes: 1,
    payload_sha256: 'abc',
    reason: 'not_json',
    detail: 'unexpected end',
  };

  const stored = async (sql: string) => {
    const [row] = await store.query<{ n: string }>(sql, { model: 'retried' });
    return Number(row?.n);
  };
  const storedEvents = () => stored('SELECT count() AS n FROM events WHERE model = {model:String}');
  // the 'event' cells count each event once, at each grain
  const summarizedEvents = () =>
    stored(
      "SELECT sum(count) AS n FROM summary_1h WHERE model = {model:String} AND state = 'event'",
    );

  beforeAll(async () => {
    clickhouse = await startClickHouseHttpStandIn({ cluster: { name: 'dw', shards: 1 } });
    store = await openStore(
      loadStoreConfig({
        CLICKHOUSE_URL: clickhouse.url,
        CLICKHOUSE_CLUSTER: 'dw',
        CLICKHOUSE_DATABASE: 'dw_retries',
      }),
    );
    await migrate(store);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await clickhouse?.close();
  });

  it('stores its events once, and the summary views count them once', async () => {
    const batch = [1, 2, 3].map((id) => toPredictionRow(prediction(id)));
    await insertEvents(store, batch);
    await insertEvents(store, batch);
    // no FINAL: the rows as stored, before any merge could collapse them
    expect(await storedEvents()).toBe(3);
    expect(await summarizedEvents()).toBe(3);
    // a batch of other content is another insert, whatever it shares with the first
    await insertEvents(
      store,
      [2, 4].map((id) => toPredictionRow(prediction(id))),
    );
    expect(await storedEvents()).toBe(5);
  });

  it('stores its labels and dead letters once', async () => {
    await insertLabels(store, [label]);
    await insertLabels(store, [label]);
    expect(await stored('SELECT count() AS n FROM labels WHERE model = {model:String}')).toBe(1);
    await insertDeadLetters(store, [deadLetter]);
    await insertDeadLetters(store, [deadLetter]);
    expect(await stored("SELECT count() AS n FROM dead_letters WHERE source = 'http'")).toBe(1);
  });
});
