import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startClickHouseHttpStandIn,
  type ClickHouseHttpStandIn,
} from '../../test/helpers/clickhouseHttp.js';
import { REPO_ROOT } from '../../test/helpers/cli.js';
import { capturingLogger } from '../../test/helpers/logs.js';
import { loadConfig, loadStoreConfig } from '../config/config.js';
import { startService, type Service } from '../main.js';
import { replayWindows } from '../monitors/backtest.js';
import {
  evaluateMonitorWindow,
  loadFileBaseline,
  type WindowEvaluation,
} from '../monitors/evaluateWindow.js';
import { windowEndingAt } from '../timeWindow.js';
import { backtestWindows } from '../monitors/windows.js';
import { openStore } from './clickhouse.js';
import { countStored } from './events.js';
import { readMigrations } from './migrate.js';

/**
 * The server-mode store (CLICKHOUSE_URL) end to end: the same migrations, ingest and a
 * monitor run as on the embedded store, through @clickhouse/client's HTTP transport to a
 * loopback stand-in for a server (test/helpers/clickhouseHttp.ts).
 */
describe('driftwatch on a ClickHouse server (over HTTP)', () => {
  let clickhouse: ClickHouseHttpStandIn;
  let service: Service;
  const log = capturingLogger();

  beforeAll(async () => {
    clickhouse = await startClickHouseHttpStandIn();
    const config = loadConfig({
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: 'dw_server',
      DRIFTWATCH_MONITORS_DIR: path.join(REPO_ROOT, 'monitors'),
      RETRAIN_SECRET: 'whsec_c2VydmVyLW1vZGU=', // the shipped monitor's webhook secret
      DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
    });
    service = await startService(config, {
      kafka: false,
      http: false,
      schedule: false,
      log: () => undefined,
      logger: log.logger,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await clickhouse?.close();
  });

  it('creates its database and applies every migration in it', async () => {
    expect(clickhouse.statements[0]).toBe('CREATE DATABASE IF NOT EXISTS dw_server');
    const applied = await service.store.query<{ version: number }>(
      'SELECT version FROM dw_server.schema_migrations FINAL ORDER BY version',
    );
    expect(applied.map((row) => Number(row.version))).toEqual(
      readMigrations().map((migration) => migration.version),
    );
  });

  it('ingests over HTTP and counts what it stored', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: fs.readFileSync(path.join(REPO_ROOT, 'examples/events.ndjson')),
    });
    expect(response.json()).toMatchObject({ accepted: 998, rejected: 2 });
    expect(await countStored(service.store)).toEqual({
      events: { predictions: 998, features: 0, labels: 0 },
      dead_letters: 2,
    });
  });

  it('names a refusal that came with no message (a URL over the server’s limit)', async () => {
    // 2 MB of query parameters: the URL passes a server's http_max_uri_size (1 MiB)
    const refused = service.store.query('SELECT length({big:String}) AS n', {
      big: 'x'.repeat(2_000_000),
    });
    await expect(refused).rejects.toThrow(/no message .*http_max_uri_size/);
  });

  it('when the server stops accepting its password: producers hear 503, the operator an error, nothing is lost', async () => {
    const first = fs.readFileSync(path.join(REPO_ROOT, 'examples/events.ndjson'), 'utf8');
    const event = { ...(JSON.parse(first.split('\n')[0]!) as object), event_id: 'after-rotation' };
    const post = () =>
      service.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: `${JSON.stringify(event)}\n`,
      });
    clickhouse.refuseLogins(true);
    try {
      const refused = await post();
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: 'DW_STORE_UNAVAILABLE', processed: 0 });
      const metrics = await service.app.inject({ url: '/metrics' });
      expect(metrics.body).toMatch(
        /^driftwatch_ingest_insert_failures_total\{table="\w+",class="access"\} [1-9]/m,
      );
      expect(log.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          msg: 'HTTP ingest: the store refuses our credentials: needs an operator',
        }),
      );
      // The client's own report of the failed request: one structured line, not a block on stderr.
      expect(log.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          source: '@clickhouse/client',
          err: expect.stringContaining('Authentication failed') as unknown,
        }),
      );
    } finally {
      clickhouse.refuseLogins(false);
    }
    // The producer resends once the operator has mended the credentials: stored once.
    expect((await post()).json()).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await countStored(service.store)).events.predictions).toBe(999);
  });

  it('runs a monitor against a CSV baseline sent to the server as a stream', async () => {
    const plan = service.plans.find((p) => p.model === 'fraud-detector');
    if (!plan) throw new Error('the fraud-detector monitor did not load');
    const evaluation = await evaluateMonitorWindow(
      service.store,
      plan,
      windowEndingAt(new Date('2026-11-22T11:00:00Z'), plan.windowMs),
      { now: new Date('2026-11-22T11:00:00Z') },
    );
    expect(evaluation.baseline).toMatchObject({ name: 'file:fraud-detector.csv', version: 1 });
    expect(evaluation.results.length).toBeGreaterThan(0);
    const [stored] = await service.store.query<{ n: string }>(
      'SELECT count() AS n FROM monitor_results FINAL WHERE monitor = {monitor:String}',
      { monitor: 'fraud-detector' },
    );
    expect(Number(stored?.n)).toBe(evaluation.results.length);
    // the file went to the server as the body of an INSERT, not through file()
    expect(clickhouse.statements).toContainEqual(
      expect.stringMatching(/^INSERT INTO `\S+` FROM INFILE '.+' FORMAT CSVWithNames$/),
    );
  });

  it('replays windows from one Arrow read over HTTP, each giving what it gives alone', async () => {
    const plan = service.plans.find((p) => p.model === 'fraud-detector');
    if (!plan) throw new Error('the fraud-detector monitor did not load');
    const now = new Date('2026-11-23T00:00:00Z');
    const windows = backtestWindows(
      new Date('2026-11-22T09:30:00Z'),
      new Date('2026-11-22T11:30:00Z'),
      plan.windowMs,
    );
    const alone: WindowEvaluation[] = [];
    for (const window of windows) {
      alone.push(await evaluateMonitorWindow(service.store, plan, window, { persist: false, now }));
    }
    const arrowReads = clickhouse.statements.length;
    const replayed: WindowEvaluation[] = [];
    // every value as alone (the backtest's default KS knots, tested in backtest.integration)
    for await (const evaluation of replayWindows(service.store, plan, windows, {
      now,
      ksKnots: false,
    })) {
      replayed.push(evaluation);
    }
    // the run of windows crossed as Arrow (FORMAT ArrowStream) through the server's HTTP interface
    expect(
      clickhouse.statements.slice(arrowReads).filter((sql) => /FORMAT ArrowStream\s*$/.test(sql)),
    ).toHaveLength(1);
    const comparable = (e: WindowEvaluation) => ({ ...e, durationMs: 0 });
    expect(replayed.map(comparable)).toEqual(alone.map(comparable));
    // empty windows on both sides of the data, and the data in between
    expect(alone.map((e) => e.events > 0)).toEqual([false, true, true, false]);
  });

  it('loads an Arrow IPC baseline (its schema read locally), and names what it cannot read', async () => {
    const plan = service.plans.find((p) => p.model === 'fraud-detector');
    if (!plan) throw new Error('the fraud-detector monitor did not load');
    const arrow = path.join(REPO_ROOT, 'examples/current.arrow');
    const loaded = await loadFileBaseline(service.store, plan, arrow, { onlyIfChanged: false });
    expect(loaded).toMatchObject({ name: 'file:current.arrow', rowCount: 8000 });
    const parquet = path.join(REPO_ROOT, 'examples/baseline.parquet');
    await expect(
      loadFileBaseline(service.store, plan, parquet, { onlyIfChanged: false }),
    ).rejects.toThrow(
      `${parquet}: on a ClickHouse server (CLICKHOUSE_URL), driftwatch reads the columns of CSV and Arrow IPC files only`,
    );
  });

  it('on a cluster, creates its database on every node', async () => {
    const before = clickhouse.statements.length;
    // this stand-in is one server, in no cluster: it refuses ON CLUSTER, as such a server would
    // (src/store/clusterMode.integration.test.ts runs a cluster's node)
    await expect(
      openStore({
        ...loadStoreConfig({ CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_CLUSTER: 'dw' }),
      }),
    ).rejects.toMatchObject({ code: 'DW_STORE' });
    expect(clickhouse.statements[before]).toBe(
      'CREATE DATABASE IF NOT EXISTS driftwatch ON CLUSTER dw',
    );
  });
});
