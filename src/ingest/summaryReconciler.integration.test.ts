import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '../../test/helpers/logs.js';
import { openTestStore } from '../../test/helpers/store.js';
import {
  differingCells,
  readSliceCombos,
  readSummaryCells,
  SUMMARY_TABLES,
} from '../../test/helpers/summaryRows.js';
import type { Store } from '../store/clickhouse.js';
import { insertEvents, type EventTableRow } from '../store/events.js';
import {
  hourText,
  listLedgerEntriesBetween,
  listOpenLedgerEntries,
  recordLedger,
} from '../store/summaryLedger.js';
import { insertFeatureFrames, upsertSummarySettings } from '../store/summaryQueries.js';
import { createIngestMetrics } from './metrics.js';
import { createEventPipeline, type IncomingMessage } from './pipeline.js';
import { createSummaryReconciler, type ReconcileReport } from './summaryReconciler.js';
import { createEventWriter, type EventWriter } from './writer.js';
import { ABANDONED_AFTER_MS, createWriterLedger } from './writerLedger.js';
import { eventsPerGrain } from '../../test/helpers/summaryRows.js';

/**
 * A crash between an insert's part in `events` and its views' parts, made exact: the same
 * events written through the writer with some of the summary views detached (as a kill
 * leaves them: stored, not summarized, in any combination of tables), and once with every
 * view (model `whole`). The next process's reconciler must leave every summary table of
 * the cut models equal, row for row, to `whole`'s: the same cells, counts, mins and maxes
 * (sums up to rounding), the same slice combinations.
 */
const SCENARIOS: { model: string; detached: string[]; repaired: string[] }[] = [
  {
    model: 'cut-all',
    detached: ['events_summary_input_mv'],
    repaired: ['summary_5m', 'summary_1h', 'summary_1d', 'slice_combos'],
  },
  { model: 'cut-hour', detached: ['summary_1h_rollup_mv'], repaired: ['summary_1h'] },
  { model: 'cut-five', detached: ['summary_5m_rollup_mv'], repaired: ['summary_5m'] },
  { model: 'cut-day', detached: ['summary_1d_fine_mv'], repaired: ['summary_1d'] },
  {
    model: 'cut-numbers',
    detached: ['summary_fine_numbers_mv'],
    repaired: ['summary_5m', 'summary_1h', 'summary_1d'],
  },
  {
    model: 'cut-hour-and-day',
    detached: ['summary_1h_rollup_mv', 'summary_1d_fine_mv', 'slice_combos_mv'],
    repaired: ['summary_1h', 'summary_1d', 'slice_combos'],
  },
];

// across a day's end: the day grain has two days, the hour grain three hours
const START = Date.UTC(2026, 10, 20, 23, 20);
const COUNT = 1200;

function payload(model: string, i: number, late: boolean): string {
  // ±Infinity is sent as JSON's 1e309 and -1e309 (stored as ±inf)
  const edges = [0, Infinity, -Infinity, 1 / 128, 10 + 4 * (1 + 2 ** -7), -3.25, 1e300];
  const features: Record<string, unknown> = {
    x: i % 11 === 0 ? 'n/a' : 10 + 4 * Math.sin(i),
    y: edges[i % edges.length],
    c: ['a', 'b', 'c', ''][i % 4],
    ...(i % 13 === 0 ? { d: null } : {}),
  };
  // events of the second part bring slice combinations of their own
  const attributes = { country: ['US', 'DE', 'FR'][i % 3], channel: late ? 'late' : 'web' };
  return JSON.stringify({
    type: 'prediction',
    event_id: `e${i}`,
    model,
    model_version: 'v1',
    ts: new Date(START + i * 3001).toISOString(),
    prediction_id: `p${i}`,
    features,
    // a class and no score: no score cell
    ...(i % 7 === 0 ? { prediction: 'approve' } : { score: (i % 100) / 100 }),
    attributes,
  }).replace('"y":null', `"y":${String(edges[i % edges.length]).replace('Infinity', '1e309')}`);
}

describe('the summary reconciler on embedded ClickHouse', () => {
  let store: Store;
  const prepare = createEventPipeline();
  const registry = new Registry();
  const { logger, lines } = capturingLogger();
  let report: ReconcileReport;

  const messages = (model: string, from: number, to: number): IncomingMessage[] =>
    Array.from({ length: to - from }, (_, k) => ({
      kind: undefined,
      payload: Buffer.from(payload(model, from + k, from + k >= COUNT / 2)),
      origin: { source: 'http', topic: '', partition: -1, offset: -1 },
    }));

  /**
   * The first half written whole, a frame frozen for `x` in between (the second half is
   * bucketed in it), the second half with the given views detached: what a process killed
   * during the second insert leaves. Its writer never closes its hours.
   */
  async function writeCut(model: string, detached: readonly string[]): Promise<EventWriter> {
    const writer = createEventWriter(store, {
      metrics: createIngestMetrics(),
      ledger: createWriterLedger(store, { writerId: `crashed-${model}` }),
    });
    await upsertSummarySettings(store, model, { threshold: 0.5 });
    await writer.write(await prepare(messages(model, 0, COUNT / 2)));
    await sleep(5);
    await insertFeatureFrames(store, model, [{ feature: 'x', frame: 1, centre: 10, scale: 4 }]);
    await sleep(5);
    for (const view of detached) await store.command(`DETACH TABLE ${view}`);
    try {
      await writer.write(await prepare(messages(model, COUNT / 2, COUNT)));
    } finally {
      for (const view of detached) await store.command(`ATTACH TABLE ${view}`);
    }
    return writer;
  }

  beforeAll(async () => {
    store = await openTestStore();
    await writeCut('whole', []);
    for (const scenario of SCENARIOS) await writeCut(scenario.model, scenario.detached);
    // a double count (the same events inserted twice past the writer) in an open hour
    const doubled: EventTableRow[] = Array.from({ length: 50 }, (_, i) => ({
      kind: 'prediction',
      event_id: `d${i}`,
      model: 'doubled',
      model_version: 'v1',
      ts: new Date(START + i * 1000).toISOString().replace('T', ' ').replace('Z', ''),
      prediction_id: `p${i}`,
      score: 0.5,
      prediction: null,
      feature_numbers: { x: i },
      feature_strings: {},
      feature_nulls: [],
      attributes: {},
      source: 'test',
      kafka_topic: '',
      kafka_partition: -1,
      kafka_offset: -1,
    }));
    await insertEvents(store, doubled);
    await insertEvents(store, doubled);
    await recordLedger(
      store,
      'crashed-doubled',
      [{ model: 'doubled', kind: 'prediction', hourMs: Date.UTC(2026, 10, 20, 23) }],
      'open',
    );

    // the next process
    const next = createEventWriter(store, { metrics: createIngestMetrics() });
    const reconciler = createSummaryReconciler(store, {
      writer: next,
      registry,
      logger,
      abandonedAfterMs: 0,
    });
    report = await reconciler.reconcile();
  }, 180_000);
  afterAll(async () => {
    await store.close();
  });

  it.each(SCENARIOS)('$model: every summary table equal to a whole insert’s', async (scenario) => {
    for (const table of SUMMARY_TABLES) {
      const cut = await readSummaryCells(store, table, scenario.model);
      const whole = await readSummaryCells(store, table, 'whole');
      expect(whole.size).toBeGreaterThan(0);
      expect({ table, differing: differingCells(cut, whole).slice(0, 5) }).toEqual({
        table,
        differing: [],
      });
    }
    expect(await readSliceCombos(store, scenario.model)).toEqual(
      await readSliceCombos(store, 'whole'),
    );
    const repairedTables = lines
      .filter(
        (line) => line.model === scenario.model && /^summary gap repaired/.test(String(line.msg)),
      )
      .map((line) => (line.slice_combos ? 'slice_combos' : line.table));
    expect([...new Set(repairedTables)].sort()).toEqual([...scenario.repaired].sort());
  });

  it('counts every repair in /metrics as it logs it, and checks an hour once', async () => {
    const gaps = (await registry.getSingleMetric('driftwatch_summaries_gaps_total')?.get())?.values;
    const added = (
      await registry.getSingleMetric('driftwatch_summaries_repaired_events_total')?.get()
    )?.values;
    const repairs = lines.filter((line) => /^summary gap repaired/.test(String(line.msg)));
    for (const table of [...SUMMARY_TABLES, 'slice_combos']) {
      const logged = repairs.filter(
        (line) => (line.slice_combos ? 'slice_combos' : line.table) === table,
      );
      const counted = gaps?.find(
        (v) => v.labels.table === table && v.labels.outcome === 'repaired',
      );
      expect({ table, counted: counted?.value }).toEqual({ table, counted: logged.length });
      if (table === 'slice_combos') continue;
      const events = added?.find((v) => v.labels.table === table)?.value;
      expect({ table, events }).toEqual({
        table,
        events: logged.reduce((sum, line) => sum + Number(line.events), 0),
      });
    }
    // each cut model's second half (600 events) was missing from the day grain, over two days
    const dayRepairs = repairs.filter((line) => line.table === 'summary_1d');
    expect(dayRepairs.filter((line) => line.model === 'cut-all').length).toBe(2);
    expect(
      dayRepairs
        .filter((line) => line.model === 'cut-all')
        .reduce((n, l) => n + Number(l.events), 0),
    ).toBe(COUNT / 2);
    // 7 models' open hours (two each, one for `doubled`), each checked once
    expect(report.hours).toBe(2 * (SCENARIOS.length + 1) + 1);
  });

  it('leaves a double count as it is, and says so', async () => {
    expect(report.unrepaired).toBeGreaterThan(0);
    const said = lines.filter(
      (line) =>
        line.model === 'doubled' && line.level === 'error' && /count more/.test(String(line.msg)),
    );
    expect(said.length).toBeGreaterThan(0);
    const [events] = await store.query<{ n: string }>(
      `SELECT sum(count) AS n FROM summary_1h WHERE model = 'doubled' AND state = 'event'`,
    );
    expect(Number(events?.n)).toBe(100);
    expect(await listOpenLedgerEntries(store)).toEqual([]);
  });

  /** Events each summary table counts for a model, against its distinct stored events. */
  async function eventCounts(model: string) {
    const grains = await eventsPerGrain(store);
    return Object.fromEntries(
      SUMMARY_TABLES.map((table) => {
        const sum = (counts: Map<string, number>) =>
          [...counts].filter(([key]) => key.startsWith(`${model}|`)).reduce((n, [, v]) => n + v, 0);
        return [
          table,
          { stored: sum(grains[table].stored), summarized: sum(grains[table].summarized) },
        ];
      }),
    );
  }

  it('a live writer records an hour open before its first insert into it, refreshes it while it writes, and closes it once idle or at a stop', async () => {
    let now = 1_000_000;
    const writer = createEventWriter(store, {
      metrics: createIngestMetrics(),
      ledger: createWriterLedger(store, {
        writerId: 'lifecycle',
        now: () => now,
        refreshMs: 1000,
        closeAfterMs: 5000,
      }),
    });
    const hour = { model: 'lifecycle', kind: 'prediction' as const };
    const day = { ...hour, fromMs: Date.UTC(2026, 10, 20), toMs: Date.UTC(2026, 10, 21) };
    const rows = async () =>
      Number(
        (
          await store.query<{ n: string }>(
            `SELECT count() AS n FROM summary_ledger WHERE writer_id = 'lifecycle'`,
          )
        )[0]?.n,
      );
    await writer.write(await prepare(messages('lifecycle', 0, 10)));
    expect(await listLedgerEntriesBetween(store, day)).toMatchObject([
      { writerId: 'lifecycle', hourMs: Date.UTC(2026, 10, 20, 23), state: 'open' },
    ]);
    await writer.write(await prepare(messages('lifecycle', 10, 20)));
    expect(await rows()).toBe(1);
    now += 1500;
    await writer.write(await prepare(messages('lifecycle', 20, 30)));
    expect(await rows()).toBe(2); // refreshed
    now += 5000;
    await writer.exclusive(() => writer.ledger.closeIdle());
    expect((await listLedgerEntriesBetween(store, day)).map((e) => e.state)).toEqual(['closed']);
    // the next day's hour, closed at the stop
    await writer.write(await prepare(messages('lifecycle', 900, 910)));
    await writer.close();
    expect(
      (await listLedgerEntriesBetween(store, { ...day, toMs: day.toMs + 86_400_000 })).map(
        (e) => e.state,
      ),
    ).toEqual(['closed', 'closed']);
    expect(await eventCounts('lifecycle')).toEqual({
      summary_5m: { stored: 40, summarized: 40 },
      summary_1h: { stored: 40, summarized: 40 },
      summary_1d: { stored: 40, summarized: 40 },
    });
  });

  it('repairs, in the same process, an hour whose insert failed after `events` stored it', async () => {
    await store.command('CREATE TABLE refusals (n UInt8) ENGINE = Null');
    await store.command(
      `CREATE MATERIALIZED VIEW refuse_in_view TO refusals AS
       SELECT throwIf(event_id = 'e5', 'the view refuses') AS n FROM events WHERE model = 'refused'`,
    );
    const writer = createEventWriter(store, { metrics: createIngestMetrics() });
    const reconciler = createSummaryReconciler(store, {
      writer,
      registry: new Registry(),
      logger,
      abandonedAfterMs: ABANDONED_AFTER_MS,
    });
    try {
      await writer.write(await prepare(messages('refused', 0, 40)));
    } finally {
      await store.command('DROP VIEW refuse_in_view');
    }
    expect(writer.ledger.dirty()).toEqual([
      { model: 'refused', kind: 'prediction', hourMs: Date.UTC(2026, 10, 20, 23) },
    ]);
    // the failed insert left every summary without them
    expect(await eventCounts('refused')).toEqual({
      summary_5m: { stored: 40, summarized: 0 },
      summary_1h: { stored: 40, summarized: 0 },
      summary_1d: { stored: 40, summarized: 0 },
    });
    const outcome = await reconciler.reconcile();
    expect(outcome).toMatchObject({ hours: 1, unrepaired: 0, postponed: 0 });
    expect(writer.ledger.dirty()).toEqual([]);
    expect(await eventCounts('refused')).toEqual({
      summary_5m: { stored: 40, summarized: 40 },
      summary_1h: { stored: 40, summarized: 40 },
      summary_1d: { stored: 40, summarized: 40 },
    });
  });

  it('on a shared server, leaves an abandoned hour another live writer still writes for a later pass', async () => {
    const model = 'shared';
    const hourMs = Date.UTC(2026, 10, 20, 23);
    const crashed = createEventWriter(store, {
      metrics: createIngestMetrics(),
      ledger: createWriterLedger(store, { writerId: 'shared-crashed' }),
    });
    await store.command('DETACH TABLE events_summary_input_mv');
    try {
      await crashed.write(await prepare(messages(model, 0, 30)));
    } finally {
      await store.command('ATTACH TABLE events_summary_input_mv');
    }
    // the crashed writer's entry made old (it died 11 minutes ago); another writer's is fresh
    await store.command(`DELETE FROM summary_ledger WHERE writer_id = 'shared-crashed'`);
    const entry = (writerId: string, agoMs: number, state = 'open') => ({
      model,
      kind: 'prediction',
      hour: hourText(hourMs),
      writer_id: writerId,
      state,
      at: new Date(Date.now() - agoMs).toISOString().replace('T', ' ').replace('Z', ''),
    });
    await store.insert('summary_ledger', [
      entry('shared-crashed', ABANDONED_AFTER_MS + 60_000),
      entry('shared-live', 1000),
    ]);
    const writer = createEventWriter(store, { metrics: createIngestMetrics() });
    const reconciler = createSummaryReconciler(store, {
      writer,
      registry: new Registry(),
      logger,
      abandonedAfterMs: ABANDONED_AFTER_MS,
    });
    expect(await reconciler.reconcile()).toMatchObject({ postponed: 1, repaired: 0 });
    expect((await eventCounts(model)).summary_1h).toEqual({ stored: 30, summarized: 0 });
    await store.insert('summary_ledger', [entry('shared-live', 0, 'closed')]);
    expect(await reconciler.reconcile()).toMatchObject({ postponed: 0, unrepaired: 0 });
    expect(await eventCounts(model)).toEqual({
      summary_5m: { stored: 30, summarized: 30 },
      summary_1h: { stored: 30, summarized: 30 },
      summary_1d: { stored: 30, summarized: 30 },
    });
  });
});
