import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFailingFirstInsert, storeHoldingFirstInsert } from '../../test/helpers/flakyStore.js';
import { openTestStore } from '../../test/helpers/store.js';
import { loadIngestConfig } from '../config/config.js';
import { DriftwatchError } from '../errors.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { PreparedBatch } from '../ingest/pipeline.js';
import { createEventWriter, type EventWriter } from '../ingest/writer.js';
import type { Store } from '../store/clickhouse.js';
import { countStored } from '../store/events.js';
import { buildApp } from './app.js';

/** Three of the route's 4,096-event chunks and a bit. */
const EVENTS = 3 * 4096 + 100;

const body = (offset = 0) =>
  Array.from({ length: EVENTS }, (_, i) =>
    JSON.stringify({
      event_id: `e${offset + i}`,
      model: 'fraud-detector',
      ts: '2026-11-22T10:00:00Z',
      prediction_id: `p${offset + i}`,
      features: { amount: i, merchant_category: 'grocery' },
      score: 0.5,
    }),
  ).join('\n');

/**
 * The service's writer, watched: how many of a post's chunks it holds at once, and a
 * hook that may hold or fail a write. The writing itself is the real writer's.
 */
function watchedWriter(
  writer: EventWriter,
  before: (batch: PreparedBatch, call: number) => Promise<void>,
) {
  let inFlight = 0;
  let calls = 0;
  const seen = { maxInFlight: 0 };
  const watched: EventWriter = {
    ...writer,
    ledger: writer.ledger,
    async write(batch, options) {
      calls += 1;
      inFlight += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
      try {
        await before(batch, calls);
        await writer.write(batch, options);
      } finally {
        inFlight -= 1;
      }
    },
  };
  return { watched, seen };
}

describe("POST /v1/events writes a post's chunks while it reads the next ones", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  /** One NDJSON post of predictions to a service writing through `writer`, closed after. */
  const post = async (writer: EventWriter, payload: string) => {
    const app = buildApp({
      store,
      writer,
      metrics: createIngestMetrics(),
      monitors: () => [],
      ingest: loadIngestConfig({}),
    });
    try {
      return await app.inject({
        method: 'POST',
        url: '/v1/events?type=prediction',
        headers: { 'content-type': 'application/x-ndjson' },
        payload,
      });
    } finally {
      await app.close();
    }
  };

  it('hands the next chunk to the writer before the first is written, and counts each once', async () => {
    await store.command('TRUNCATE TABLE events');
    const metrics = createIngestMetrics();
    const real = createEventWriter(store, { metrics });
    // The first write waits until a second chunk reaches the writer (or 5 s pass): a route
    // that awaits each chunk before reading the next never has two at once.
    let secondArrived: () => void = () => undefined;
    const second = new Promise<void>((resolve) => (secondArrived = resolve));
    const { watched, seen } = watchedWriter(real, async (_batch, call) => {
      if (call === 1) await Promise.race([second, new Promise((r) => setTimeout(r, 5000))]);
      else secondArrived();
    });
    const response = await post(watched, body());
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: EVENTS, rejected: 0, duplicates: 0 });
    expect(seen.maxInFlight).toBeGreaterThanOrEqual(2);
    expect((await countStored(store)).events.predictions).toBe(EVENTS);
  });

  it('reports as processed only the chunks before a failed one; a resend of all counts nothing twice', async () => {
    await store.command('TRUNCATE TABLE events');
    const metrics = createIngestMetrics();
    const real = createEventWriter(store, { metrics });
    // The store is "unavailable" for the second chunk only, through every retry; the
    // chunks after it are written meanwhile.
    const batches: PreparedBatch[] = [];
    const { watched } = watchedWriter(real, (batch) => {
      if (!batches.includes(batch)) batches.push(batch);
      if (batches.indexOf(batch) === 1) {
        return Promise.reject(
          new DriftwatchError('DW_STORE', 'the store is away (test)', { retriable: true }),
        );
      }
      return Promise.resolve();
    });
    const failed = await post(watched, body());
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toMatchObject({ processed: 4096, accepted: 4096 });
    const stored = (await countStored(store)).events.predictions;
    expect(stored).toBeGreaterThanOrEqual(4096);
    expect(stored).toBeLessThan(EVENTS);
    const response = await post(
      createEventWriter(store, { metrics: createIngestMetrics() }),
      body(),
    );
    expect(response.statusCode).toBe(200);
    const answer = response.json<{ accepted: number; duplicates: number }>();
    expect(answer.accepted).toBe(EVENTS);
    expect(answer.duplicates).toBeGreaterThanOrEqual(4096);
    expect((await countStored(store)).events.predictions).toBe(EVENTS);
  });

  it('keeps the first copy of a repeated event when the chunk holding it is retried', async () => {
    await store.command('TRUNCATE TABLE events');
    // chunk 2 (events 4096…) repeats e7 of chunk 1, with another score
    const lines = body().split('\n');
    lines[4096 + 5] = lines[7]!.replace('"score":0.5', '"score":0.9');
    // The store's first insert into `events` fails as a lost connection does (retriable),
    // once the second chunk is in the writer's queue behind it; every other call is the
    // real store's.
    let secondQueued: () => void = () => undefined;
    const queued = new Promise<void>((resolve) => (secondQueued = resolve));
    const flaky = storeFailingFirstInsert(
      store,
      'events',
      Promise.race([queued, new Promise((r) => setTimeout(r, 5000))]),
    );
    const real = createEventWriter(flaky.store, { metrics: createIngestMetrics() });
    const { watched } = watchedWriter(real, (_batch, call) => {
      if (call === 2) secondQueued();
      return Promise.resolve();
    });
    const response = await post(watched, lines.join('\n'));
    expect(flaky.failed()).toBe(true);
    expect(response.statusCode).toBe(200);
    // the counts of the same post written without a failure
    expect(response.json()).toMatchObject({ accepted: EVENTS, rejected: 0, duplicates: 1 });
    expect((await countStored(store)).events.predictions).toBe(EVENTS - 1);
    const rows = await store.query<{ score: number }>(
      "SELECT score FROM events WHERE event_id = 'e7'",
    );
    expect(rows).toEqual([{ score: 0.5 }]);
  });
});

describe('POST /v1/events: concurrent posts share an insert (DRIFTWATCH_INGEST_HTTP_LINGER_MS)', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  const small = (offset: number) =>
    Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({
        event_id: `c${offset + i}`,
        model: 'fraud-detector',
        ts: '2026-11-22T10:00:00Z',
        prediction_id: `p${offset + i}`,
        features: { amount: i },
        score: 0.5,
      }),
    ).join('\n');

  it('joins the post waiting behind an insert with the next one, each answered once its events are stored', async () => {
    const metrics = createIngestMetrics();
    // the first insert into events is held until released, so that post 1 queues behind it
    let release!: () => void;
    const until = new Promise<void>((resolve) => (release = resolve));
    const gated = storeHoldingFirstInsert(store, 'events', until, { fail: false }).store;
    const writer = createEventWriter(gated, { metrics, lingerMessages: 20 });
    const writes: (() => void)[] = [];
    const nextWrite = () => new Promise<void>((resolve) => writes.push(resolve));
    const watched: EventWriter = {
      ...writer,
      write(batch, options) {
        writes.shift()?.();
        return writer.write(batch, options);
      },
    };
    const app = buildApp({
      store: gated,
      writer: watched,
      metrics: createIngestMetrics(),
      monitors: () => [],
      ingest: loadIngestConfig({ DRIFTWATCH_INGEST_HTTP_LINGER_MS: '1000' }),
    });
    const post = (offset: number) =>
      app.inject({
        method: 'POST',
        url: '/v1/events?type=prediction',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: small(offset),
      });
    try {
      // post 0 alone is written at once (no company), and held; post 1 queues behind it
      let written = nextWrite();
      const first = post(0);
      await written;
      written = nextWrite();
      const second = post(10);
      await written;
      release();
      // post 1 waits (up to 1 s from that insert's end) for post 2, sent once post 0 is answered;
      // the count bound (20) then writes both at once. Without the wait post 1 went alone.
      const responses = [await first];
      responses.push(...(await Promise.all([second, post(20)])));
      for (const response of responses) {
        expect(response.statusCode).toBe(200);
        expect(response.json()).toMatchObject({ accepted: 10, rejected: 0, duplicates: 0 });
      }
      expect(metrics.snapshot().event_inserts).toEqual({ inserts: 2, rows: 30 });
      const [stored] = await store.query<{ n: number }>(
        "SELECT count() AS n FROM events WHERE startsWith(event_id, 'c')",
      );
      expect(Number(stored!.n)).toBe(30);
    } finally {
      await app.close();
    }
  });
});
