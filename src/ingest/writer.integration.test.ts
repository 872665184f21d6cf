import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsAcrossMonths, validPrediction } from '../../test/helpers/poison.js';
import { storeFailingFirstInsert } from '../../test/helpers/flakyStore.js';
import { openTestStore } from '../../test/helpers/store.js';
import { StoreError, type Store } from '../store/clickhouse.js';
import { createIngestMetrics } from './metrics.js';
import { createEventPipeline, type IncomingMessage } from './pipeline.js';
import { byPartitions, createEventWriter, type WriterClock } from './writer.js';

/**
 * The writer against embedded ClickHouse. A materialized view counts every row inserted
 * into `events` and `labels` (as the drift engine's summaries do): deduplication must keep
 * a replay, a reshaped replay or a retry from ever reaching it twice.
 */
describe('the event writer on embedded ClickHouse', () => {
  let store: Store;
  const prepare = createEventPipeline();
  const metrics = createIngestMetrics();
  let writer: ReturnType<typeof createEventWriter>;

  beforeAll(async () => {
    store = await openTestStore();
    await store.command(
      `CREATE TABLE inserted_rows (tbl LowCardinality(String), model String, n UInt64)
       ENGINE = SummingMergeTree ORDER BY (tbl, model)`,
    );
    await store.command(
      `CREATE MATERIALIZED VIEW count_events TO inserted_rows AS
       SELECT 'events' AS tbl, model, count() AS n FROM events GROUP BY model`,
    );
    await store.command(
      `CREATE MATERIALIZED VIEW count_labels TO inserted_rows AS
       SELECT 'labels' AS tbl, model, count() AS n FROM labels GROUP BY model`,
    );
    // The table refuses one particular row for its content, as a CHECK constraint does.
    await store.command(
      `ALTER TABLE events ADD CONSTRAINT refuse_one CHECK event_id != 'refuse-me'`,
    );
    writer = createEventWriter(store, { metrics });
  });
  afterAll(async () => {
    await store.close();
  });

  const messages = (model: string, ids: readonly string[], offset = 0): IncomingMessage[] =>
    ids.map((id, i) => ({
      kind: 'prediction',
      payload: Buffer.from(validPrediction(model, id, '2026-11-22T10:00:00Z')),
      origin: { source: 'kafka', topic: `${model}-topic`, partition: 0, offset: offset + i },
    }));
  const ids = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `e${from + i}`);

  async function insertedRows(table: string, model: string): Promise<number> {
    const [row] = await store.query<{ n: string }>(
      'SELECT sum(n) AS n FROM inserted_rows WHERE tbl = {table:String} AND model = {model:String}',
      { table, model },
    );
    return Number(row?.n ?? 0);
  }

  it('inserts each event once, whatever the shape of the replay', async () => {
    const model = 'replay';
    const first = await prepare(messages(model, ids(0, 100)));
    await writer.write(first);
    // A replay cut differently: half already stored, half new, one repeated inside the batch.
    const replay = await prepare(messages(model, [...ids(50, 150), 'e120']));
    await writer.write(replay);
    expect(replay.outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(51);
    expect(replay.outcomes.filter((o) => o.status === 'stored')).toHaveLength(50);
    // The same batch again, as after a refused commit.
    const again = await prepare(messages(model, ids(0, 150)));
    await writer.write(again);
    expect(again.outcomes.every((o) => o.status === 'duplicate')).toBe(true);
    expect(await insertedRows('events', model)).toBe(150);
  });

  it('finds stored events across parts, after their merge, and over many time ranges', async () => {
    // The lookup narrows by the batch's time ranges (40 here, a day apart) and leaves
    // event_id out of index analysis (src/store/events.ts, EVENT_LOOKUP_SETTINGS):
    // a duplicate in any part, merged or not, at any time of the batch, must still be found.
    const model = 'across-parts';
    const at = (i: number) =>
      new Date(Date.UTC(2026, 10, 22, 10) - (i % 40) * 86_400_000 - (i % 7) * 3_600_000)
        .toISOString()
        .replace('.000Z', 'Z');
    const timed = (idsAndTimes: readonly (readonly [string, string])[], offset: number) =>
      idsAndTimes.map(([id, ts], i) => ({
        kind: 'prediction' as const,
        payload: Buffer.from(validPrediction(model, id, ts)),
        origin: {
          source: 'kafka' as const,
          topic: `${model}-topic`,
          partition: 1,
          offset: offset + i,
        },
      }));
    const spread = (from: number, to: number) =>
      ids(from, to).map((id, i) => [id, at(from + i)] as const);
    // three flushes: three parts (the store does not merge them before the next lookup)
    for (const k of [0, 1, 2])
      await writer.write(await prepare(timed(spread(k * 100, k * 100 + 100), k * 100)));
    // the same id at another time is another event
    await writer.write(await prepare(timed([['same-id', at(3)]], 300)));
    const other = await prepare(timed([['same-id', at(4)]], 301));
    await writer.write(other);
    expect(other.outcomes.map((o) => o.status)).toEqual(['stored']);

    const everything = [
      ...spread(0, 350),
      ['same-id', at(3)] as const,
      ['same-id', at(4)] as const,
    ];
    const replay = await prepare(timed(everything, 1000));
    await writer.write(replay);
    const statuses = replay.outcomes.map((o) => o.status);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(302);
    expect(statuses.slice(300, 350)).toEqual(Array.from({ length: 50 }, () => 'stored'));

    await store.command('OPTIMIZE TABLE events FINAL');
    const afterMerge = await prepare(timed(everything, 2000));
    await writer.write(afterMerge);
    expect(afterMerge.outcomes.every((o) => o.status === 'duplicate')).toBe(true);
    expect(await insertedRows('events', model)).toBe(352);
  });

  it('recognises stored events and labels whatever characters their ids hold', async () => {
    // The lookups pass their ids as one JSON text (src/store/events.ts, idSet): every
    // character JSON escapes, and those that separate or quote lists, must come back exact.
    const odd = [
      'a"b',
      'back\\slash',
      'com,ma',
      "it's",
      'new\nline',
      'nul\u0000',
      'tab\t',
      ']',
      '[',
      'ü€😀',
    ];
    const escaped = odd.map((id) => JSON.stringify(id).slice(1, -1));
    const model = 'odd-ids';
    const first = await prepare(messages(model, escaped));
    await writer.write(first);
    expect(first.outcomes.map((o) => o.status)).toEqual(odd.map(() => 'stored'));
    const stored = await store.query<{ event_id: string }>(
      'SELECT event_id FROM events WHERE model = {model:String} ORDER BY event_id',
      { model },
    );
    expect(stored.map((row) => row.event_id)).toEqual([...odd].sort());
    const again = await prepare(messages(model, escaped, 100));
    await writer.write(again);
    expect(again.outcomes.map((o) => o.status)).toEqual(odd.map(() => 'duplicate'));
    expect(await insertedRows('events', model)).toBe(odd.length);

    const label = (id: string) => ({
      kind: 'label' as const,
      payload: Buffer.from(
        JSON.stringify({ model, prediction_id: id, label: 1, ts: '2026-11-22T10:00:00Z' }),
      ),
      origin: { source: 'http' as const, topic: '', partition: -1, offset: -1 },
    });
    await writer.write(await prepare(odd.map(label)));
    const replay = await prepare(odd.map(label));
    await writer.write(replay);
    expect(replay.outcomes.map((o) => o.status)).toEqual(odd.map(() => 'duplicate'));
    expect(await insertedRows('labels', model)).toBe(odd.length);
  });

  it('writes batches that wait together as one flush, each with its own outcomes', async () => {
    const model = 'together';
    const batches = await Promise.all(
      [0, 1, 2, 3].map((k) => prepare(messages(model, ids(k * 10, k * 10 + 15)))),
    );
    await Promise.all(batches.map((batch) => writer.write(batch)));
    const stored = batches.flatMap((b) => b.outcomes).filter((o) => o.status === 'stored');
    expect(stored).toHaveLength(45);
    expect(await insertedRows('events', model)).toBe(45);
  });

  it('dead-letters only the row the store refuses, found by bisection, and stores the rest', async () => {
    const model = 'bisect';
    const batch = await prepare(messages(model, [...ids(0, 40), 'refuse-me', ...ids(40, 80)]));
    await writer.write(batch);
    expect(batch.outcomes[40]).toMatchObject({ status: 'dead_letter', reason: 'store_refused' });
    expect((batch.outcomes[40] as { detail: string }).detail).toMatch(/refuse_one/);
    expect(batch.outcomes.filter((o) => o.status === 'stored')).toHaveLength(80);
    const [events] = await store.query<{ n: string; refused: string }>(
      `SELECT count() AS n, countIf(event_id = 'refuse-me') AS refused FROM events WHERE model = {model:String}`,
      { model },
    );
    expect([Number(events?.n), Number(events?.refused)]).toEqual([80, 0]);
    expect(await insertedRows('events', model)).toBe(80);
    const letters = await store.query<{ reason: string; offset: string }>(
      `SELECT reason, offset FROM dead_letters WHERE topic = 'bisect-topic'`,
    );
    expect(letters.map((l) => [l.reason, Number(l.offset)])).toEqual([['store_refused', 40]]);
  });

  it('keeps rows a view refused after the table stored them: stored once, never inserted again', async () => {
    await store.command(
      `CREATE MATERIALIZED VIEW refuse_in_view TO inserted_rows AS
       SELECT 'view' AS tbl, model, toUInt64(throwIf(event_id = 'view-refuses', 'the view refuses')) AS n
       FROM events WHERE model = 'view-refusal'`,
    );
    try {
      const model = 'view-refusal';
      const failuresBefore = metrics.snapshot().insert_failures;
      const batch = await prepare(messages(model, [...ids(0, 10), 'view-refuses']));
      await writer.write(batch);
      expect(batch.outcomes.every((o) => o.status === 'stored')).toBe(true);
      // Views are not atomic with their table: the table kept the block; a view did not.
      const [row] = await store.query<{ n: string }>(
        'SELECT count() AS n FROM events WHERE model = {model:String}',
        { model },
      );
      expect(Number(row?.n)).toBe(11);
      expect(metrics.snapshot().insert_failures).toBe(failuresBefore + 1);
    } finally {
      await store.command('DROP VIEW refuse_in_view');
    }
  });

  it('splits a batch spanning more months than one insert may touch', async () => {
    expect(
      byPartitions(
        [1, 2, 3, 1, 2, 4, 5].map((month) => ({ month })),
        2,
      ),
    ).toEqual([
      [{ month: 1 }, { month: 2 }, { month: 1 }, { month: 2 }],
      [{ month: 3 }, { month: 4 }],
      [{ month: 5 }],
    ]);
    const payloads = eventsAcrossMonths('months');
    const batch = await prepare(
      payloads.map((text, i) => ({
        kind: 'prediction' as const,
        payload: Buffer.from(text),
        origin: { source: 'http' as const, topic: '', partition: -1, offset: i },
      })),
    );
    await writer.write(batch);
    expect(batch.outcomes.every((o) => o.status === 'stored')).toBe(true);
    expect(await insertedRows('events', 'months')).toBe(120);
  });

  it('stores a corrected label and never the same label twice', async () => {
    const label = (value: number, ts: string) => ({
      kind: 'label' as const,
      payload: Buffer.from(
        JSON.stringify({ model: 'labels', prediction_id: 'p1', label: value, ts }),
      ),
      origin: { source: 'http' as const, topic: '', partition: -1, offset: -1 },
    });
    await writer.write(await prepare([label(0, '2026-11-22T10:00:00Z')]));
    const replay = await prepare([
      label(0, '2026-11-22T10:00:00Z'),
      label(0, '2026-11-22T10:00:00Z'),
    ]);
    await writer.write(replay);
    expect(replay.outcomes.map((o) => o.status)).toEqual(['duplicate', 'duplicate']);
    const corrected = await prepare([label(1, '2026-11-22T11:00:00Z')]);
    await writer.write(corrected);
    expect(corrected.outcomes.map((o) => o.status)).toEqual(['stored']);
    expect(await insertedRows('labels', 'labels')).toBe(2);
  });

  it('stores a redelivered dead letter once', async () => {
    const bad = (): IncomingMessage[] => [
      {
        kind: 'prediction',
        payload: Buffer.from('not json'),
        origin: { source: 'kafka', topic: 'dead-topic', partition: 3, offset: 7 },
      },
    ];
    await writer.write(await prepare(bad()));
    await writer.write(await prepare(bad()));
    const [row] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM dead_letters WHERE topic = 'dead-topic'",
    );
    expect(Number(row?.n)).toBe(1);
  });

  it('rejects with a retriable error while a table is detached, and dead-letters nothing', async () => {
    const batch = await prepare(messages('outage', ids(0, 10)));
    await store.command('DETACH TABLE events');
    try {
      const failure = await writer.write(batch).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(StoreError);
      expect(failure).toMatchObject({ retriable: true, failure: 'infrastructure', serverCode: 60 });
    } finally {
      await store.command('ATTACH TABLE events');
    }
    await writer.write(batch);
    expect(batch.outcomes.every((o) => o.status === 'stored')).toBe(true);
    const [row] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM dead_letters WHERE topic = 'outage-topic'",
    );
    expect(Number(row?.n)).toBe(0);
    expect(await insertedRows('events', 'outage')).toBe(10);
  });
  it('refuses, unwritten, the batches of a series queued behind one whose flush failed', async () => {
    // the store's first insert into `events` fails as a lost connection does, once the
    // other batches are queued behind it; every other call is the real store's
    let queued: () => void = () => undefined;
    const allQueued = new Promise<void>((resolve) => (queued = resolve));
    const flaky = storeFailingFirstInsert(store, 'events', allQueued);
    const seriesWriter = createEventWriter(flaky.store, { metrics: createIngestMetrics() });
    const post = {};
    const settle = (written: Promise<void>) =>
      written.then(
        () => 'written',
        (error: unknown) => error,
      );
    const first = settle(
      seriesWriter.write(await prepare(messages('series', ids(0, 5))), { series: post }),
    );
    const [later, other] = await Promise.all([
      prepare(messages('series', ids(5, 10))),
      prepare(messages('series-other', ids(0, 5))),
    ]);
    const laterWritten = settle(seriesWriter.write(later, { series: post }));
    const otherWritten = settle(seriesWriter.write(other, { series: {} }));
    queued();
    const failure = await first;
    expect(failure).toMatchObject({ retriable: true, failure: 'infrastructure' });
    expect(await laterWritten).toBe(failure);
    expect(await otherWritten).toBe('written');
    expect(await insertedRows('events', 'series')).toBe(0);
    expect(await insertedRows('events', 'series-other')).toBe(5);
    await seriesWriter.close();
  });

  /** Time that moves only when the test says, and the timers the writer asked for. */
  function manualClock() {
    let now = 0;
    const timers: { at: number; fire(): void; live: boolean }[] = [];
    const clock: WriterClock = {
      now: () => now,
      setTimer(fire, ms) {
        const timer = { at: now + ms, fire, live: true };
        timers.push(timer);
        return () => (timer.live = false);
      },
    };
    return {
      clock,
      advance(ms: number) {
        now += ms;
        for (const timer of timers.filter((t) => t.live && t.at <= now)) {
          timer.live = false;
          timer.fire();
        }
      },
      /** ms until each live timer fires. */
      live: () => timers.filter((t) => t.live).map((t) => t.at - now),
    };
  }

  /** A writer of its own, with its own count of inserts into `events`. */
  function lingeringWriter(lingerMessages: number, lingerMs = 200) {
    const time = manualClock();
    const own = createIngestMetrics();
    const lingering = createEventWriter(store, {
      metrics: own,
      lingerMessages,
      lingerMs,
      clock: time.clock,
    });
    return { writer: lingering, time, inserts: () => own.snapshot().event_inserts };
  }

  describe('lingering before a flush', () => {
    it('waits until enough messages wait, then writes them in one insert', async () => {
      const { writer: lingering, inserts } = lingeringWriter(100);
      const batches = await Promise.all(
        [0, 1, 2].map((k) => prepare(messages('linger-count', ids(k * 40, k * 40 + 40)))),
      );
      // written one after another, as a consumer hands them over; none waits for the others
      await Promise.all(batches.map((batch) => lingering.write(batch, { linger: true })));
      expect(inserts()).toEqual({ inserts: 1, rows: 120 });
      expect(await insertedRows('events', 'linger-count')).toBe(120);
    });

    it('writes what waits once the oldest batch has waited the bound, however little it is', async () => {
      const { writer: lingering, time, inserts } = lingeringWriter(10_000, 200);
      const [first, second] = await Promise.all([
        prepare(messages('linger-time', ids(0, 30))),
        prepare(messages('linger-time', ids(30, 60))),
      ]);
      const written = [lingering.write(first!, { linger: true })];
      expect(time.live()).toEqual([200]);
      time.advance(150);
      written.push(lingering.write(second!, { linger: true }));
      // the bound counts from the oldest batch: no new timer for the second
      expect(time.live()).toEqual([50]);
      time.advance(50);
      await Promise.all(written);
      expect(inserts()).toEqual({ inserts: 1, rows: 60 });
      expect(time.live()).toEqual([]);
    });

    it('writes a batch that waited behind a flush longer than the bound at once', async () => {
      const { writer: lingering, time, inserts } = lingeringWriter(10_000, 200);
      const [first, second] = await Promise.all([
        prepare(messages('linger-behind', ids(0, 30))),
        prepare(messages('linger-behind', ids(30, 60))),
      ]);
      const urgent = lingering.write(first!);
      const behind = lingering.write(second!, { linger: true });
      time.advance(500); // the running flush took longer than the bound; no timer was set
      expect(time.live()).toEqual([]);
      await Promise.all([urgent, behind]);
      expect(inserts()).toEqual({ inserts: 2, rows: 60 });
    });

    it('takes lingering batches along with a write that does not linger (an HTTP post)', async () => {
      const { writer: lingering, time, inserts } = lingeringWriter(10_000, 200);
      const [kafka, http] = await Promise.all([
        prepare(messages('linger-http', ids(0, 30))),
        prepare(messages('linger-http', ids(30, 60))),
      ]);
      await Promise.all([lingering.write(kafka!, { linger: true }), lingering.write(http!)]);
      expect(inserts()).toEqual({ inserts: 1, rows: 60 });
      expect(time.live()).toEqual([]);
    });

    it('lets a write wait its own, shorter bound (an HTTP chunk), taking lingering batches along', async () => {
      const { writer: lingering, time, inserts } = lingeringWriter(10_000, 200);
      const [kafka, post, other] = await Promise.all([
        prepare(messages('linger-own', ids(0, 30))),
        prepare(messages('linger-own', ids(30, 60))),
        prepare(messages('linger-own', ids(60, 90))),
      ]);
      const written = [lingering.write(kafka!, { linger: true })];
      time.advance(10);
      written.push(lingering.write(post!, { lingerMs: 20 }));
      // the post's bound ends first (20 ms from now), before the Kafka batch's 190
      expect(time.live()).toEqual([20]);
      time.advance(5);
      written.push(lingering.write(other!, { lingerMs: 20 }));
      expect(time.live()).toEqual([15]);
      time.advance(15);
      await Promise.all(written);
      expect(inserts()).toEqual({ inserts: 1, rows: 90 });
      expect(time.live()).toEqual([]);
    });

    it("counts a write's own bound from the end of the flush it queued behind (posts fall into step)", async () => {
      const { writer: lingering, time, inserts } = lingeringWriter(10_000, 200);
      const [running, post] = await Promise.all([
        prepare(messages('linger-step', ids(0, 30))),
        prepare(messages('linger-step', ids(30, 60))),
      ]);
      const first = lingering.write(running!);
      const second = lingering.write(post!, { lingerMs: 20 });
      time.advance(500); // the running flush takes longer than the post's bound
      await first;
      // 20 ms from the flush's end, for the posts it answered to send their next chunks
      expect(time.live()).toEqual([20]);
      time.advance(20);
      await second;
      expect(inserts()).toEqual({ inserts: 2, rows: 60 });
    });

    it('does not make a lone post wait: with no other post to share with, its chunks are written at once', async () => {
      const { writer: lingering, time, inserts } = lingeringWriter(10_000, 200);
      const [one, two] = await Promise.all([
        prepare(messages('linger-alone', ids(0, 30))),
        prepare(messages('linger-alone', ids(30, 60))),
      ]);
      const post = {};
      const written = [
        lingering.write(one!, { series: post, lingerMs: 200 }),
        lingering.write(two!, { series: post, lingerMs: 200 }),
      ];
      // no timer: nothing waits for company that is not there (the clock never moves here)
      expect(time.live()).toEqual([]);
      await Promise.all(written);
      expect(inserts().rows).toBe(60);
      expect(time.live()).toEqual([]);
    });

    it('writes every lingering batch at once when flushed (shutdown)', async () => {
      const { writer: lingering, time, inserts } = lingeringWriter(10_000, 200);
      const batches = await Promise.all(
        [0, 1].map((k) => prepare(messages('linger-stop', ids(k * 25, k * 25 + 25)))),
      );
      let settled = 0;
      const written = batches.map((batch) =>
        lingering.write(batch, { linger: true }).then(() => (settled += 1)),
      );
      await lingering.flush();
      await Promise.all(written);
      expect(settled).toBe(2);
      expect(inserts()).toEqual({ inserts: 1, rows: 50 });
      expect(time.live()).toEqual([]);
      expect(await insertedRows('events', 'linger-stop')).toBe(50);
    });

    it('rejects every batch of a lingered flush the store fails, and stores them once on retry', async () => {
      const { writer: lingering, time } = lingeringWriter(10_000, 200);
      const batches = await Promise.all(
        [0, 1, 2].map((k) => prepare(messages('linger-outage', ids(k * 10, k * 10 + 10)))),
      );
      await store.command('DETACH TABLE events');
      let failures: unknown[];
      try {
        const written = batches.map((batch) =>
          lingering.write(batch, { linger: true }).then(
            () => undefined,
            (error: unknown) => error,
          ),
        );
        time.advance(200);
        failures = await Promise.all(written);
      } finally {
        await store.command('ATTACH TABLE events');
      }
      expect(failures).toHaveLength(3);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(StoreError);
        expect(failure).toMatchObject({ retriable: true });
      }
      // the callers retry the same batches
      const retried = batches.map((batch) => lingering.write(batch, { linger: true }));
      await lingering.flush();
      await Promise.all(retried);
      expect(batches.flatMap((b) => b.outcomes).every((o) => o.status === 'stored')).toBe(true);
      expect(await insertedRows('events', 'linger-outage')).toBe(30);
    });
  });
});
