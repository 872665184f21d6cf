import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startClickHouseHttpStandIn,
  type ClickHouseHttpStandIn,
} from '../../test/helpers/clickhouseHttp.js';
import { capturingLogger } from '../../test/helpers/logs.js';
import {
  differingCells,
  readSliceCombos,
  readSummaryCells,
  SUMMARY_TABLES,
} from '../../test/helpers/summaryRows.js';
import { loadStoreConfig } from '../config/config.js';
import { openStore, type Store } from '../store/clickhouse.js';
import { migrate } from '../store/migrate.js';
import { hourText, listOpenLedgerEntries } from '../store/summaryLedger.js';
import { insertFeatureFrames, upsertSummarySettings } from '../store/summaryQueries.js';
import { createIngestMetrics } from './metrics.js';
import { createEventPipeline, type IncomingMessage } from './pipeline.js';
import { createSummaryReconciler, type ReconcileReport } from './summaryReconciler.js';
import { createEventWriter } from './writer.js';
import { ABANDONED_AFTER_MS, createWriterLedger } from './writerLedger.js';

/**
 * The ledger and the reconciler on a two-shard cluster (CLICKHOUSE_CLUSTER), against the
 * stand-in answering as a node whose two shards are both itself: the ledger and the staged
 * repairs are Distributed tables sharded by model, the views are on the local tables. Both
 * shards' local tables being one table, a read of the check or the repair not confined to
 * the model's shard counts its rows twice, and the repaired summaries would differ from a
 * whole insert's. A crash is made as in summaryReconciler.integration.test.ts: the second
 * half of a model's events written with views detached, its writer's hours left open; the
 * next process runs with the defaults of a server (abandoned after ABANDONED_AFTER_MS).
 */
const START = Date.UTC(2026, 10, 20, 23, 20);
const COUNT = 600;
const CUTS: { model: string; detached: string[] }[] = [
  { model: 'cut-all', detached: ['events_summary_input_mv'] },
  { model: 'cut-day', detached: ['summary_1d_fine_mv'] },
];

function payload(model: string, i: number): string {
  return JSON.stringify({
    type: 'prediction',
    event_id: `e${i}`,
    model,
    model_version: 'v1',
    ts: new Date(START + i * 6001).toISOString(),
    prediction_id: `p${i}`,
    features: { x: i % 11 === 0 ? 'n/a' : 10 + 4 * Math.sin(i), c: ['a', 'b', ''][i % 3] },
    ...(i % 7 === 0 ? { prediction: 'approve' } : { score: (i % 100) / 100 }),
    attributes: { country: ['US', 'DE'][i % 2], half: i < COUNT / 2 ? 'first' : 'second' },
  });
}

describe('the summary reconciler on a two-shard cluster (over HTTP)', () => {
  let clickhouse: ClickHouseHttpStandIn;
  let store: Store;
  const prepare = createEventPipeline();
  const { logger, lines } = capturingLogger();
  let report: ReconcileReport;

  const messages = (model: string, from: number, to: number): IncomingMessage[] =>
    Array.from({ length: to - from }, (_, k) => ({
      kind: undefined,
      payload: Buffer.from(payload(model, from + k)),
      origin: { source: 'http', topic: '', partition: -1, offset: -1 },
    }));

  async function writeCut(model: string, detached: readonly string[]): Promise<void> {
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
  }

  beforeAll(async () => {
    clickhouse = await startClickHouseHttpStandIn({ cluster: { name: 'dw', shards: 2 } });
    store = await openStore(
      loadStoreConfig({
        CLICKHOUSE_URL: clickhouse.url,
        CLICKHOUSE_CLUSTER: 'dw',
        CLICKHOUSE_DATABASE: 'dw_reconcile',
      }),
    );
    await migrate(store);
    await writeCut('whole', []);
    for (const cut of CUTS) await writeCut(cut.model, cut.detached);
    // the crashed writers died 11 minutes ago: their entries made that old, on the local table
    const open = await listOpenLedgerEntries(store);
    await store.command(`DELETE FROM summary_ledger_local WHERE writer_id LIKE 'crashed-cut-%'`);
    await store.insert(
      'summary_ledger',
      open
        .filter((entry) => entry.writerId.startsWith('crashed-cut-'))
        .map((entry) => ({
          model: entry.model,
          kind: entry.kind,
          hour: hourText(entry.hourMs),
          writer_id: entry.writerId,
          state: 'open',
          at: new Date(Date.now() - ABANDONED_AFTER_MS - 60_000)
            .toISOString()
            .replace('T', ' ')
            .replace('Z', ''),
        })),
    );
    // the next process, as serve runs it on a server
    const next = createEventWriter(store, { metrics: createIngestMetrics() });
    report = await createSummaryReconciler(store, {
      writer: next,
      registry: new Registry(),
      logger,
    }).reconcile();
  }, 240_000);
  afterAll(async () => {
    await store?.close();
    await clickhouse?.close();
  });

  it('places the ledger and the staged repairs on the model`s shard, under Distributed tables', async () => {
    const tables = await store.query<{ name: string; engine: string; sharding_key: string }>(
      `SELECT name, engine, extract(engine_full, 'cityHash64\\(\\w+\\)') AS sharding_key
       FROM system.tables WHERE database = currentDatabase()
         AND name IN ('summary_ledger', 'summary_repairs', 'summary_ledger_local', 'summary_repairs_local')
       ORDER BY name`,
    );
    expect(tables).toEqual([
      { name: 'summary_ledger', engine: 'Distributed', sharding_key: 'cityHash64(model)' },
      // the stand-in runs a Replicated…MergeTree as its plain twin
      { name: 'summary_ledger_local', engine: 'ReplacingMergeTree', sharding_key: '' },
      { name: 'summary_repairs', engine: 'Distributed', sharding_key: 'cityHash64(model)' },
      { name: 'summary_repairs_local', engine: 'MergeTree', sharding_key: '' },
    ]);
  });

  it.each(CUTS)('$model: every summary table equal to a whole insert’s', async (cut) => {
    expect(report).toMatchObject({ unrepaired: 0, postponed: 0 });
    for (const table of SUMMARY_TABLES) {
      const repaired = await readSummaryCells(store, table, cut.model);
      const whole = await readSummaryCells(store, table, 'whole');
      expect(whole.size).toBeGreaterThan(0);
      expect({ table, differing: differingCells(repaired, whole).slice(0, 5) }).toEqual({
        table,
        differing: [],
      });
    }
    expect(await readSliceCombos(store, cut.model)).toEqual(await readSliceCombos(store, 'whole'));
    expect(
      lines.some(
        (line) => line.model === cut.model && /^summary gap repaired/.test(String(line.msg)),
      ),
    ).toBe(true);
  });

  it('records the checked hours in the ledger: no crashed writer`s hour is left open', async () => {
    const open = await listOpenLedgerEntries(store);
    expect(open.filter((entry) => entry.writerId.startsWith('crashed-cut-'))).toEqual([]);
    // the whole model's writer never crashed in this story, but never closed either: it is
    // a live writer's (fresh entries), left alone
    expect(open.filter((entry) => entry.writerId === 'crashed-whole').length).toBeGreaterThan(0);
  });
});
