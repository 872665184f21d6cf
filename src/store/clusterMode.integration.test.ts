import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startClickHouseHttpStandIn,
  type ClickHouseHttpStandIn,
} from '../../test/helpers/clickhouseHttp.js';
import { REPO_ROOT } from '../../test/helpers/cli.js';
import { toPredictionRow } from '../../test/helpers/events.js';
import { capturingLogger } from '../../test/helpers/logs.js';
import { loadConfig, loadStoreConfig } from '../config/config.js';
import { startService, type Service } from '../main.js';
import { replayWindows } from '../monitors/backtest.js';
import { evaluateMonitorWindow, type WindowEvaluation } from '../monitors/evaluateWindow.js';
import { backtestWindows } from '../monitors/windows.js';
import { windowEndingAt } from '../timeWindow.js';
import { openStore } from './clickhouse.js';
import { TABLE_PLACEMENTS, storageTable } from './clusterSchema.js';
import { insertEvents } from './events.js';
import { migrate, readMigrations, splitStatements, storeForm } from './migrate.js';
import { applyRetention, readRetainedDays } from './retention.js';
import { FINER_SUMMARY_DAYS } from '../config/config.js';

/**
 * driftwatch on a two-shard cluster (CLICKHOUSE_CLUSTER), over HTTP, against the stand-in
 * answering as a node whose two shards are both itself (test/helpers/clickhouseHttp.ts):
 * the Distributed tables, their sharding key, shard pruning and the views on the local
 * tables are ClickHouse's own. Both shards' local tables being one table, a read that is not
 * confined to one model's shard counts that model's rows twice: a monitor run equal to the
 * same run on one server's tables shows every read of the run was confined to one shard.
 */
describe('driftwatch on a two-shard cluster (over HTTP)', () => {
  let clickhouse: ClickHouseHttpStandIn;
  let cluster: Service;
  let single: Service;
  let migrationRequests: ClickHouseHttpStandIn['requests'];

  const examples = fs.readFileSync(path.join(REPO_ROOT, 'examples/events.ndjson'));
  const serviceOn = (env: Record<string, string>) =>
    startService(
      loadConfig({
        CLICKHOUSE_URL: clickhouse.url,
        DRIFTWATCH_MONITORS_DIR: path.join(REPO_ROOT, 'monitors'),
        DRIFTWATCH_EVENTS_RETENTION_DAYS: '400',
        RETRAIN_SECRET: 'whsec_Y2x1c3Rlci1tb2Rl', // the shipped monitor's webhook secret
        DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET', // ...which the operator exposes to it
        ...env,
      }),
      {
        kafka: false,
        http: false,
        schedule: false,
        alerts: false,
        log: () => undefined,
        logger: capturingLogger().logger,
      },
    );
  const ingest = (service: Service) =>
    service.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: examples,
    });
  const plan = (service: Service) => {
    const found = service.plans.find((p) => p.model === 'fraud-detector');
    if (!found) throw new Error('the fraud-detector monitor did not load');
    return found;
  };

  beforeAll(async () => {
    clickhouse = await startClickHouseHttpStandIn({ cluster: { name: 'dw', shards: 2 } });
    cluster = await serviceOn({ CLICKHOUSE_CLUSTER: 'dw', CLICKHOUSE_DATABASE: 'dw_cluster' });
    migrationRequests = [...clickhouse.requests];
    // one server's tables, in another database of the same engine: what the cluster must equal
    single = await serviceOn({ CLICKHOUSE_DATABASE: 'dw_single' });
    expect((await ingest(single)).json()).toMatchObject({ accepted: 998, rejected: 2 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await single?.stop();
    await clickhouse?.close();
  });

  it('creates its database on every node and applies the migrations in their cluster form', () => {
    const statements = migrationRequests.map((request) => request.statement);
    expect(statements[0]).toBe('CREATE DATABASE IF NOT EXISTS dw_cluster ON CLUSTER dw');
    const form = storeForm({ cluster: 'dw', database: 'dw_cluster' }, readMigrations());
    const expected = [
      ...form.bootstrap,
      ...readMigrations().flatMap((migration) => form.statementsOf(migration)),
    ];
    // every generated statement was sent, in order (the history's reads and inserts between)
    const ddl = statements.filter((sql) => expected.includes(sql));
    expect(ddl).toEqual(expected);
    expect(statements).toContain(
      'CREATE TABLE IF NOT EXISTS events ON CLUSTER dw AS events_local ' +
        'ENGINE = Distributed(dw, dw_cluster, events_local, cityHash64(model))',
    );
  });

  it('sends every request with the cluster settings', () => {
    expect(clickhouse.requests.length).toBeGreaterThan(100);
    for (const request of migrationRequests.slice(1)) {
      expect(request.settings).toMatchObject({
        distributed_foreground_insert: '1',
        insert_quorum: 'auto',
        load_balancing: 'in_order',
        prefer_localhost_replica: '0',
        optimize_skip_unused_shards: '1',
        distributed_product_mode: 'local',
        parallel_distributed_insert_select: '0',
      });
    }
  });

  it('inserts events through the Distributed table with a token naming their content', async () => {
    const before = clickhouse.requests.length;
    expect((await ingest(cluster)).json()).toMatchObject({ accepted: 998, rejected: 2 });
    const inserts = clickhouse.requests
      .slice(before)
      .filter((request) => /^INSERT INTO events \(/.test(request.statement));
    expect(inserts.length).toBeGreaterThan(0);
    for (const insert of inserts) {
      expect(insert.settings).toMatchObject({
        distributed_foreground_insert: '1',
        insert_deduplication_token: insert.bodySha256,
      });
    }
    const labelsOrLetters = clickhouse.requests
      .slice(before)
      .filter((request) => /^INSERT INTO (labels|dead_letters)\b/.test(request.statement));
    expect(labelsOrLetters.length).toBeGreaterThan(0);
    for (const insert of labelsOrLetters) {
      expect(insert.settings.insert_deduplication_token).toMatch(/^[0-9a-f]{64}$/);
    }
    // one server's inserts carry none: it keeps no log to name them in
    expect(
      clickhouse.requests.filter(
        (request) =>
          /^INSERT INTO events \(/.test(request.statement) &&
          request.settings.insert_deduplication_token === undefined,
      ).length,
    ).toBeGreaterThan(0);
  });

  it('confines a read filtered by model to its shard (an unfiltered one reads both)', async () => {
    const count = async (where: string) => {
      const [row] = await cluster.store.query<{ n: string }>(
        `SELECT count() AS n FROM events ${where}`,
        { model: 'fraud-detector' },
      );
      return Number(row?.n);
    };
    // the examples are one model's: both shards' tables are this one table
    expect(await count('')).toBe(2 * 998);
    expect(await count('WHERE model = {model:String}')).toBe(998);
  });

  it("runs a monitor window as one server does: every read on the model's shard only", async () => {
    const now = new Date('2026-11-22T11:00:00Z');
    const evaluate = (service: Service) =>
      evaluateMonitorWindow(
        service.store,
        plan(service),
        windowEndingAt(now, plan(service).windowMs),
        {
          persist: false,
          now,
        },
      );
    const comparable = (e: WindowEvaluation) => ({ ...e, durationMs: 0 });
    const [onCluster, onOne] = [await evaluate(cluster), await evaluate(single)];
    expect(onCluster.results.length).toBeGreaterThan(0);
    expect(comparable(onCluster)).toEqual(comparable(onOne));
    // the history, which every node holds, takes the run's results
    const stored = await evaluateMonitorWindow(
      cluster.store,
      plan(cluster),
      windowEndingAt(now, plan(cluster).windowMs),
      { now },
    );
    const [row] = await cluster.store.query<{ n: string }>(
      'SELECT count() AS n FROM monitor_results FINAL WHERE monitor = {monitor:String}',
      { monitor: 'fraud-detector' },
    );
    expect(Number(row?.n)).toBe(stored.results.length);
  });

  it('replays windows from one Arrow read as one server does', async () => {
    const now = new Date('2026-11-23T00:00:00Z');
    const replay = async (service: Service) => {
      const windows = backtestWindows(
        new Date('2026-11-22T09:30:00Z'),
        new Date('2026-11-22T11:30:00Z'),
        plan(service).windowMs,
      );
      const evaluations: WindowEvaluation[] = [];
      for await (const e of replayWindows(service.store, plan(service), windows, { now })) {
        evaluations.push({ ...e, durationMs: 0 });
      }
      return evaluations;
    };
    const onCluster = await replay(cluster);
    expect(onCluster.map((e) => e.events > 0)).toEqual([false, true, true, false]);
    expect(onCluster).toEqual(await replay(single));
  });

  it("sets retention on every shard's local tables and reads it back from them", async () => {
    expect(clickhouse.statements).toContain(
      'ALTER TABLE events_local ON CLUSTER dw MODIFY TTL toDateTime(ts) + toIntervalDay({days:UInt32})',
    );
    expect(await readRetainedDays(cluster.store)).toEqual({
      raw: 400,
      '5m': 0,
      '1h': 0,
      finer: FINER_SUMMARY_DAYS,
    });
    // the next start finds them set: no DDL, which on a cluster waits for every node
    const before = clickhouse.statements.length;
    await applyRetention(cluster.store, {
      eventsDays: 400,
      deadLettersDays: 30,
      fiveMinuteSummaryDays: 0,
      hourSummaryDays: 0,
      finerSummaryDays: FINER_SUMMARY_DAYS,
    });
    expect(clickhouse.statements.slice(before).filter((sql) => /^ALTER/.test(sql))).toEqual([]);
  });

  it('refuses a database in the other form, naming what to do', async () => {
    const migrateAs = async (env: Record<string, string>) => {
      const store = await openStore(loadStoreConfig({ CLICKHOUSE_URL: clickhouse.url, ...env }));
      try {
        await migrate(store);
      } finally {
        await store.close();
      }
    };
    await expect(
      migrateAs({ CLICKHOUSE_DATABASE: 'dw_single', CLICKHOUSE_CLUSTER: 'dw' }),
    ).rejects.toMatchObject({
      code: 'DW_MIGRATION',
      message:
        "CLICKHOUSE_CLUSTER is dw, but the database holds one server's tables (events is not sharded): move them to the cluster, see docs/CLUSTER.md",
    });
    await expect(migrateAs({ CLICKHOUSE_DATABASE: 'dw_cluster' })).rejects.toMatchObject({
      code: 'DW_MIGRATION',
      message:
        "the database holds driftwatch's cluster form (events_local): set CLICKHOUSE_CLUSTER to its cluster's name, see docs/CLUSTER.md",
    });
  });

  it("copies a store into the cluster with docs/CLUSTER.md's statements, and the copy runs windows as the original", async () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/CLUSTER.md'), 'utf8');
    const block = doc
      .split(/^\s*```.*$/m)
      .find((part) => part.includes('-- driftwatch: copy a store'));
    if (!block) throw new Error('docs/CLUSTER.md has no copy block');
    const statements = splitStatements(block.replace(/^ +/gm, ''));
    const moved = await openStore(
      loadStoreConfig({
        CLICKHOUSE_URL: clickhouse.url,
        CLICKHOUSE_CLUSTER: 'dw',
        CLICKHOUSE_DATABASE: 'dw_moved',
      }),
    );
    try {
      await migrate(moved);
      for (const statement of statements) {
        if (/^SET /.test(statement)) continue; // every request to a cluster carries it
        // the old server is another database of this engine here
        await moved.command(
          statement.replace(/remote\('old-clickhouse:9000', driftwatch\.(\w+)\)/g, 'dw_single.$1'),
        );
      }
      // every table that holds rows is copied, and whole
      const copied = statements.flatMap((sql) => /^INSERT INTO (\w+)/.exec(sql)?.[1] ?? []);
      const notCopied = ['schema_migrations', 'predictions', 'feature_logs', 'baseline_rows'];
      expect(new Set(copied)).toEqual(
        new Set(
          Object.entries(TABLE_PLACEMENTS)
            .filter(([table, placement]) => placement.kind !== 'node' && table !== 'summary_input')
            .map(([table]) => table)
            .filter((table) => !notCopied.includes(table)),
        ),
      );
      for (const table of copied) {
        // FINAL where the engine has it (the `final` setting): an insert's block already
        // collapses, or merges, the rows of one key
        const [original] = await single.store.query<{ n: string }>(
          `SELECT count() AS n FROM ${table}`,
          {},
          { final: 1 },
        );
        // both shards' local tables are one table here: its rows are the copy's rows
        const [copy] = await moved.query<{ n: string }>(
          `SELECT count() AS n FROM ${storageTable(table, moved.cluster)}`,
          {},
          { final: 1 },
        );
        expect({ table, rows: Number(copy?.n) }).toEqual({ table, rows: Number(original?.n) });
      }
      // ... and summarized once: no view summarized the copied events or hours again
      for (const table of ['summary_5m', 'summary_1h', 'summary_1d']) {
        const sql = (from: string) => `SELECT toString(sum(count)) AS n FROM ${from}`;
        const [original] = await single.store.query<{ n: string }>(sql(table));
        const [copy] = await moved.query<{ n: string }>(sql(storageTable(table, moved.cluster)));
        expect({ table, counted: copy?.n }).toEqual({ table, counted: original?.n });
      }
      // the views detached during the copy are those that hang on copied tables
      const detached = statements.flatMap((sql) => /^DETACH TABLE (\w+)/.exec(sql)?.[1] ?? []);
      const hanging = await moved.query<{ views: string[] }>(
        `SELECT dependencies_table AS views FROM system.tables
         WHERE database = currentDatabase() AND name IN {tables:Array(String)}`,
        { tables: copied.map((table) => storageTable(table, moved.cluster)) },
      );
      expect(new Set(detached)).toEqual(new Set(hanging.flatMap((row) => row.views)));

      const now = new Date('2026-11-22T11:00:00Z');
      const evaluate = (store: typeof moved) =>
        evaluateMonitorWindow(store, plan(single), windowEndingAt(now, plan(single).windowMs), {
          persist: false,
          now,
        });
      const comparable = (e: WindowEvaluation) => ({ ...e, durationMs: 0 });
      expect(comparable(await evaluate(moved))).toEqual(comparable(await evaluate(single.store)));

      // attached again: new events are summarized as they arrive
      const events = async () => {
        const [row] = await moved.query<{ n: string }>(
          "SELECT sum(count) AS n FROM summary_1h WHERE model = 'fraud-detector' AND state = 'event'",
        );
        return Number(row?.n);
      };
      const before = await events();
      await insertEvents(moved, [
        toPredictionRow({
          kind: 'prediction',
          event_id: 'after-the-copy',
          model: 'fraud-detector',
          model_version: 'v1',
          ts: '2026-11-22 10:30:00.000',
          prediction_id: 'after-the-copy',
          score: 0.5,
          prediction: null,
          features: { amount: 10 },
          attributes: {},
          source: 'test',
          kafka_topic: '',
          kafka_partition: -1,
          kafka_offset: -1,
        }),
      ]);
      expect(await events()).toBe(before + 1);
    } finally {
      await moved.close();
    }
  });
});
