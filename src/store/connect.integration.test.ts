import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  startClickHouseHttpStandIn,
  type ClickHouseHttpStandIn,
} from '../../test/helpers/clickhouseHttp.js';
import { REPO_ROOT } from '../../test/helpers/cli.js';
import { capturingLogger } from '../../test/helpers/logs.js';
import { loadConfig } from '../config/config.js';
import { startService, type Service } from '../main.js';
import { countStored } from './events.js';
import { readMigrations } from './migrate.js';

/** A loopback port where nothing listens (yet). */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// No monitors: what is under test is the store; preparing baselines would only add time.
const noMonitors = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-no-monitors-'));

function serviceConfig(url: string, waitSeconds: string, httpPort = 0) {
  return loadConfig({
    CLICKHOUSE_URL: url,
    CLICKHOUSE_DATABASE: 'dw_waits',
    DRIFTWATCH_STORE_WAIT_SECONDS: waitSeconds,
    DRIFTWATCH_PORT: String(httpPort),
    DRIFTWATCH_MONITORS_DIR: noMonitors,
  });
}

const quiet = { kafka: false, http: false, schedule: false, log: () => undefined } as const;

/** GET on the loopback port: status and JSON body, or undefined while nothing listens. */
async function get(port: number, path: string) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** Polls `path` until `until` holds of its answer (20 s at most). */
async function answerOf(
  port: number,
  path: string,
  until: (answer: Awaited<ReturnType<typeof get>>) => boolean,
) {
  for (const stop = Date.now() + 20_000; Date.now() < stop;) {
    const answer = await get(port, path);
    if (until(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} never answered as expected`);
}

/**
 * The soak's crash loop (docs/RELIABILITY.md): a service started before its ClickHouse
 * server answers waits for it, says so in its log, and comes up when the server does.
 */
describe('start-up waits for a ClickHouse server that is not up yet', () => {
  let clickhouse: ClickHouseHttpStandIn | undefined;
  let service: Service | undefined;
  afterAll(async () => {
    await service?.stop();
    await clickhouse?.close();
    fs.rmSync(noMonitors, { recursive: true, force: true });
  });

  it('answers probes while it retries, then migrates, listens and ingests once the server is up', async () => {
    const port = await unusedPort();
    const httpPort = await unusedPort();
    const { logger, lines } = capturingLogger();
    const started = startService(
      serviceConfig(`http://dw:s3cret-pw@127.0.0.1:${port}`, '60', httpPort),
      { ...quiet, http: true, logger },
    );

    // While it waits: alive, not ready, and saying why; nothing else is served yet.
    const waiting = await answerOf(httpPort, '/readyz', (answer) =>
      /attempt [3-9]/.test(JSON.stringify(answer?.body ?? {})),
    );
    expect(waiting?.status).toBe(503);
    expect(waiting?.body).toEqual({
      status: 'not ready',
      checks: {
        store: {
          ok: false,
          detail: expect.stringMatching(
            new RegExp(
              `^waiting for the store at http://127\\.0\\.0\\.1:${port}: attempt \\d+ failed ` +
                `\\(ClickHouse: connect ECONNREFUSED .*\\); next in \\d+\\.\\d s, \\d+\\.\\d s waited so far$`,
            ),
          ) as unknown,
        },
      },
    });
    expect(await get(httpPort, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    // Metrics say it too, from the registry the running app will serve.
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^driftwatch_starting 1$/m);
    const failed = /^driftwatch_store_wait_failed_attempts_total (\d+)$/m.exec(metrics);
    expect(Number(failed?.[1])).toBeGreaterThanOrEqual(3);
    expect(await get(httpPort, '/v1/status')).toMatchObject({
      status: 503,
      body: { code: 'DW_UNAVAILABLE', error: 'the service is starting: retry later' },
    });

    // The server comes up on the port the service has been asking.
    clickhouse = await startClickHouseHttpStandIn({ port });
    service = await started;
    expect(service.address).toBe(`http://127.0.0.1:${httpPort}`);
    expect(await get(httpPort, '/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { store: { ok: true } } },
    });
    const served = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(served).toMatch(/^driftwatch_starting 0$/m);
    expect(served).toMatch(/^driftwatch_store_wait_failed_attempts_total [1-9]\d*$/m);

    const waits = lines.filter((line) => line.stage === 'store');
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits[0]).toMatchObject({
      level: 'warn',
      msg: 'the store does not answer yet: start-up waits for it',
      store: `http://127.0.0.1:${port}`,
      attempt: 1,
      deadline_ms: 60_000,
      error: expect.stringContaining('ECONNREFUSED') as unknown,
    });
    expect(waits.map((line) => line.attempt)).toEqual(waits.map((_, index) => index + 1));
    for (const line of waits) {
      expect(line.retry_in_ms).toBeGreaterThan(0);
      expect(line.retry_in_ms).toBeLessThanOrEqual(15_000);
    }
    expect(JSON.stringify(lines)).not.toContain('s3cret-pw');

    const applied = await service.store.query<{ version: number }>(
      'SELECT version FROM dw_waits.schema_migrations FINAL ORDER BY version',
    );
    expect(applied.map((row) => Number(row.version))).toEqual(
      readMigrations().map((migration) => migration.version),
    );
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: fs.readFileSync(path.join(REPO_ROOT, 'examples/events.ndjson')),
    });
    expect(response.json()).toMatchObject({ accepted: 998, rejected: 2 });
    expect(await countStored(service.store)).toMatchObject({
      events: { predictions: 998 },
      dead_letters: 2,
    });
  });

  it('gives up at the deadline with one line naming the store and the last error', async () => {
    const port = await unusedPort();
    const httpPort = await unusedPort();
    const { logger, lines } = capturingLogger();
    const failure = await startService(
      serviceConfig(`http://dw:s3cret-pw@127.0.0.1:${port}`, '2', httpPort),
      { ...quiet, http: true, logger },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'DW_STORE' });
    const message = (failure as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^the ClickHouse store at http://127\\.0\\.0\\.1:${port} did not answer within 2 s ` +
          `\\(DRIFTWATCH_STORE_WAIT_SECONDS, \\d+ attempts\\); last error: ClickHouse: connect ECONNREFUSED`,
      ),
    );
    expect(message).not.toContain('s3cret-pw');
    expect(message.split('\n')).toHaveLength(1);
    const waits = lines.filter((line) => line.stage === 'store');
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits.at(-1)?.waited_ms as number).toBeLessThanOrEqual(2000);
    // the port it answered probes on while waiting is free again
    expect(await get(httpPort, '/healthz')).toBeUndefined();
  });

  it("with DRIFTWATCH_STORE_WAIT_SECONDS=0, fails at once with the store's own error", async () => {
    const port = await unusedPort();
    const { logger, lines } = capturingLogger();
    await expect(
      startService(serviceConfig(`http://127.0.0.1:${port}`, '0'), { ...quiet, logger }),
    ).rejects.toMatchObject({
      code: 'DW_STORE',
      message: expect.stringMatching(
        /^ClickHouse: connect ECONNREFUSED .*cannot reach ClickHouse at http:\/\/127\.0\.0\.1:\d+\)$/,
      ),
    });
    expect(lines.filter((line) => line.stage === 'store')).toEqual([]);
  });
});
