import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestPredictions, testPrediction } from '../../test/helpers/events.js';
import { openTestStore } from '../../test/helpers/store.js';
import { createRandom } from '../demo/random.js';
import type { Store } from '../store/clickhouse.js';
import { buildFinerHour, listFinerHours, listFinerHoursToBuild } from '../store/finerCells.js';
import { readRetainedDays } from '../store/retention.js';
import { buildableHours } from './finerCellBuilder.js';
import { insertFeatureFrames } from '../store/summaryQueries.js';
import { createIngestMetrics } from './metrics.js';
import {
  createSummaryReconciler,
  FINER_GRACE_MS,
  type SummaryReconciler,
} from './summaryReconciler.js';
import { createEventWriter } from './writer.js';

/**
 * The finer cells of closed hours (migration 0015) built by the summary reconciler, off the
 * insert path, against an embedded ClickHouse: each closed hour once, none before its grace
 * has passed, again when late events change it, never two builds counted. Every expected
 * total is computed here from the events inserted; the cells' k = 7 roll-up is compared
 * with summary_1h's cells, which the insert's views wrote.
 */
const MODEL = 'finer-build-model';
const HOUR = 3_600_000;
const H1 = Date.parse('2026-11-10T08:00:00Z');
const H2 = H1 + HOUR;
const OPEN = H2 + HOUR;

interface Inserted {
  ts: number;
  x: number;
  y: number | null;
  region: string;
}

describe('finer cells built once an hour has closed (embedded ClickHouse)', () => {
  let store: Store;
  let reconciler: SummaryReconciler;
  const registry = new Registry();
  const inserted: Inserted[] = [];
  let serial = 0;

  async function insert(rows: Inserted[]): Promise<void> {
    inserted.push(...rows);
    await insertTestPredictions(
      store,
      rows.map((row) => {
        serial += 1;
        return testPrediction({
          event_id: `f${serial}`,
          model: MODEL,
          prediction_id: `p${serial}`,
          ts: new Date(row.ts).toISOString().replace('T', ' ').replace('Z', ''),
          features: { x: row.x, y: row.y, c: 'a' },
          attributes: { region: row.region },
        });
      }),
    );
  }

  /** Events of an hour, drawn: x normal around 10, y sometimes missing, two regions. */
  function draw(hourMs: number, n: number, seed: number): Inserted[] {
    const random = createRandom(seed);
    return Array.from({ length: n }, (_, i) => ({
      ts: hourMs + Math.floor((i * HOUR) / n),
      x: 10 + 4 * random.normal(),
      y: i % 7 === 0 ? null : random.uniform() * 100,
      region: i % 3 ? 'north' : 'south',
    }));
  }

  /** Per feature: the finite values the hour's inserted events hold, their count and sum. */
  function expectedTotals(hourMs: number): Record<string, { count: number; sum: number }> {
    const totals: Record<string, { count: number; sum: number }> = {};
    for (const row of inserted.filter((r) => r.ts >= hourMs && r.ts < hourMs + HOUR)) {
      for (const [feature, value] of [
        ['x', row.x],
        ['y', row.y],
      ] as const) {
        if (value === null) continue;
        const total = (totals[feature] ??= { count: 0, sum: 0 });
        total.count += 1;
        total.sum += value;
      }
    }
    return totals;
  }

  /** Per feature: every stored finer cell of the hour, whatever its build. */
  async function storedTotals(hourMs: number) {
    const rows = await store.query<{ feature: string; c: string; s: number; builds: string }>(
      `SELECT feature, sum(count) AS c, sum(value_sum) AS s, uniqExact(build_id) AS builds
       FROM summary_1h_k10 WHERE model = {model:String} AND grain_start = toDateTime({h:UInt32}, 'UTC')
       GROUP BY feature ORDER BY feature`,
      { model: MODEL, h: hourMs / 1000 },
    );
    return Object.fromEntries(
      rows.map((r) => [r.feature, { count: Number(r.c), sum: r.s, builds: Number(r.builds) }]),
    );
  }

  async function expectExact(hourMs: number): Promise<void> {
    const stored = await storedTotals(hourMs);
    const expected = expectedTotals(hourMs);
    expect(Object.keys(stored)).toEqual(Object.keys(expected));
    for (const [feature, total] of Object.entries(expected)) {
      // one build's cells, every finite value once
      expect(stored[feature]?.builds, feature).toBe(1);
      expect(stored[feature]?.count, feature).toBe(total.count);
      expect(stored[feature]?.sum, feature).toBeCloseTo(total.sum, 6);
    }
  }

  const currentHours = async () =>
    (await listFinerHours(store, MODEL, { sinceMs: H1, beforeMs: OPEN + HOUR }))
      .filter((hour) => hour.currentBuild !== null)
      .map((hour) => new Date(hour.hourMs).toISOString());

  beforeAll(async () => {
    store = await openTestStore();
    // a frame for x (the views bucket z = (x - 10) / 4): the builder must use the same one
    await insertFeatureFrames(store, MODEL, [{ feature: 'x', frame: 1, centre: 10, scale: 4 }]);
    const writer = createEventWriter(store, { metrics: createIngestMetrics() });
    reconciler = createSummaryReconciler(store, {
      writer,
      registry,
      abandonedAfterMs: 0,
      finerGraceMs: 10 * 60_000,
      finerMinEvents: 1,
    });
    await insert([...draw(H1, 3000, 1), ...draw(H2, 2000, 2), ...draw(OPEN, 500, 3)]);
  });
  afterAll(async () => {
    await store.close();
  });

  it('builds nothing before an hour has ended and its grace passed', async () => {
    // 09:05: the 08:00 hour ended five minutes ago, inside its ten minutes' grace
    const report = await reconciler.buildFinerCells(H2 + 5 * 60_000);
    expect(report).toEqual({ built: 0, rebuilt: 0, events: 0, waiting: 0 });
    expect(await currentHours()).toEqual([]);
  });

  it('builds no hour with fewer events than its minimum (a small model’s straddles read raw rows)', async () => {
    // H1 has 3,000 events, H2 2,000: a minimum of 2,500 builds H1 only, the default none
    const small = (finerMinEvents?: number) =>
      createSummaryReconciler(store, {
        writer: createEventWriter(store, { metrics: createIngestMetrics() }),
        registry: new Registry(),
        abandonedAfterMs: 0,
        finerGraceMs: 10 * 60_000,
        ...(finerMinEvents === undefined ? {} : { finerMinEvents }),
      });
    const now = OPEN + 30 * 60_000;
    const due = async (minEvents: number) =>
      (await listFinerHoursToBuild(store, { sinceMs: H1, beforeMs: OPEN }, minEvents)).map(
        (hour) => hour.hourMs,
      );
    expect(await due(2500)).toEqual([H1]);
    expect(await due(1)).toEqual([H1, H2]);
    expect(await small().buildFinerCells(now)).toEqual({
      built: 0,
      rebuilt: 0,
      events: 0,
      waiting: 0,
    });
    expect(await currentHours()).toEqual([]);
  });

  it('by default builds an hour two minutes after it has closed: a run over the hour just closed reads its cells', async () => {
    const retained = await readRetainedDays(store);
    // one second past 09:02 the 08:00 hour is buildable, one second before it not yet
    const at = (ms: number) => buildableHours({ graceMs: FINER_GRACE_MS, retained, nowMs: ms });
    expect(FINER_GRACE_MS).toBe(2 * 60_000);
    expect(at(H2 + FINER_GRACE_MS + 1000)).toMatchObject({ beforeMs: H2 });
    expect(at(H2 + FINER_GRACE_MS - 1000)).toMatchObject({ beforeMs: H1 });
  });

  it('builds each closed hour once, every finite value in it once, inside summary_1h’s cells', async () => {
    const now = OPEN + 30 * 60_000;
    const report = await reconciler.buildFinerCells(now);
    expect(report).toEqual({ built: 2, rebuilt: 0, events: 5000, waiting: 0 });
    await expectExact(H1);
    await expectExact(H2);
    // the open hour is not built
    expect(await storedTotals(OPEN)).toEqual({});
    expect(await currentHours()).toEqual([new Date(H1).toISOString(), new Date(H2).toISOString()]);
    // k = 7 is floor(k10 / 8): the finer cells rolled up are summary_1h's number cells
    const rolledUp = await store.query<{ key: string; c: string }>(
      `SELECT concat(feature, ' ', toString(slice_hash), ' ', toString(frame), ' ', toString(intDiv(bucket - if(bucket < 0, 7, 0), 8))) AS key,
              sum(count) AS c
       FROM summary_1h_k10 WHERE model = {model:String} GROUP BY key ORDER BY key`,
      { model: MODEL },
    );
    const hourCells = await store.query<{ key: string; c: string }>(
      `SELECT concat(feature, ' ', toString(slice_hash), ' ', toString(frame), ' ', toString(bucket)) AS key,
              sum(count) AS c
       FROM summary_1h WHERE model = {model:String} AND kind = 'prediction' AND state = 'number'
         AND grain_start < toDateTime({open:UInt32}, 'UTC')
       GROUP BY key ORDER BY key`,
      { model: MODEL, open: OPEN / 1000 },
    );
    expect(rolledUp.length).toBeGreaterThan(20);
    expect(rolledUp).toEqual(hourCells);
    // x was bucketed under its frame, y (no frame) under frame 0
    const frames = await store.query<{ feature: string; frame: number }>(
      `SELECT DISTINCT feature, frame FROM summary_1h_k10 WHERE model = {model:String} ORDER BY feature`,
      { model: MODEL },
    );
    expect(frames.map((f) => `${f.feature} ${Number(f.frame)}`)).toEqual(['x 1', 'y 0']);
    // a second pass finds nothing to build
    expect(await reconciler.buildFinerCells(now)).toMatchObject({ built: 0 });
  });

  it('detects late events in a built hour and builds it again: nothing twice, nothing lost', async () => {
    const late = draw(H1, 40, 4);
    await insert(late);
    // stale until rebuilt: readers no longer take the 08:00 build
    expect(await currentHours()).toEqual([new Date(H2).toISOString()]);
    const report = await reconciler.buildFinerCells(OPEN + 40 * 60_000);
    expect(report).toEqual({ built: 1, rebuilt: 1, events: 3040, waiting: 0 });
    await expectExact(H1);
    await expectExact(H2);
    expect(await currentHours()).toEqual([new Date(H1).toISOString(), new Date(H2).toISOString()]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('driftwatch_summaries_finer_builds_total{kind="first"} 2');
    expect(metrics).toContain('driftwatch_summaries_finer_builds_total{kind="rebuild"} 1');
    expect(metrics).toContain('driftwatch_summaries_finer_build_events_total 8040');
  });

  it('builds again an hour whose build a crash cut short, and deletes that build’s cells', async () => {
    // a build of 09:00 that started after the last one, wrote cells and never finished
    await store.command(
      `INSERT INTO summary_finer_builds (model, grain_start, build_id, started_at, done, events, summarized)
       VALUES ({model:String}, toDateTime({h:UInt32}, 'UTC'), 77, now64(6), 0, 0, 2000)`,
      { model: MODEL, h: H2 / 1000 },
    );
    await store.command(
      `INSERT INTO summary_1h_k10 SELECT model, grain_start, 77, feature, slice_hash, frame, bucket, count, value_sum, value_min, value_max
       FROM summary_1h_k10 WHERE model = {model:String} AND grain_start = toDateTime({h:UInt32}, 'UTC')`,
      { model: MODEL, h: H2 / 1000 },
    );
    expect(await currentHours()).toEqual([new Date(H1).toISOString()]);
    const report = await reconciler.buildFinerCells(OPEN + 50 * 60_000);
    expect(report).toEqual({ built: 1, rebuilt: 1, events: 2000, waiting: 0 });
    await expectExact(H2);
    expect(await currentHours()).toHaveLength(2);
  });

  it('two builders of one hour at once (two processes’ reconcilers) leave it counted once', async () => {
    await insert(draw(H1, 30, 5));
    expect(await currentHours()).toEqual([new Date(H2).toISOString()]);
    const other = createSummaryReconciler(store, {
      writer: createEventWriter(store, { metrics: createIngestMetrics() }),
      registry: new Registry(),
      abandonedAfterMs: 0,
      finerMinEvents: 1,
    });
    const now = OPEN + 55 * 60_000;
    const reports = await Promise.all([
      reconciler.buildFinerCells(now),
      other.buildFinerCells(now),
    ]);
    expect(reports.map((r) => r.built)).toEqual([1, 1]);
    await expectExact(H1);
    await expectExact(H2);
    expect(await currentHours()).toHaveLength(2);
  });

  // last: a build started in the future stays the hour's newest
  it('a build that another, started after it, superseded while it ran deletes its own cells', async () => {
    // the newer build (as another process's): started later, done, the hour's events now
    const [hour] = await listFinerHours(store, MODEL, { sinceMs: H2, beforeMs: H2 + HOUR });
    const summarized = hour?.summarized ?? 0;
    await store.command(
      `INSERT INTO summary_1h_k10 SELECT model, grain_start, 88, feature, slice_hash, frame, bucket, count, value_sum, value_min, value_max
       FROM summary_1h_k10 WHERE model = {model:String} AND grain_start = toDateTime({h:UInt32}, 'UTC')`,
      { model: MODEL, h: H2 / 1000 },
    );
    await store.command(
      `INSERT INTO summary_finer_builds (model, grain_start, build_id, started_at, done, events, summarized)
       VALUES ({model:String}, toDateTime({h:UInt32}, 'UTC'), 88, now64(6) + INTERVAL 1 HOUR, 1, {s:UInt64}, {s:UInt64})`,
      { model: MODEL, h: H2 / 1000, s: summarized },
    );
    // this build started before it and finishes after it
    await buildFinerHour(store, { model: MODEL, hourMs: H2, summarized, previousBuild: '0' });
    const [after] = await listFinerHours(store, MODEL, { sinceMs: H2, beforeMs: H2 + HOUR });
    expect(after?.currentBuild).toBe('88');
    // only the newer build's cells are left: every value once
    await expectExact(H2);
  });
});
