import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import {
  startClickHouseHttpStandIn,
  type ClickHouseHttpStandIn,
} from '../helpers/clickhouseHttp.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 21, Deliver 4: every line a running service writes is JSON, in the situations that
 * used to print text of their own: node-cron's coloured "missed execution" warning (the
 * process was paused across a tick, here with SIGSTOP) and @clickhouse/client's errors (the
 * ClickHouse server goes away under the service). The real `driftwatch serve` process;
 * its stdout and stderr are read whole, line by line.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the JSON log of a running service', () => {
  let clickhouse: ClickHouseHttpStandIn | undefined;
  const dir = tempDir('driftwatch-json-logs-');
  afterAll(async () => {
    await clickhouse?.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds nothing but JSON lines: a missed tick, the store going away, start and stop', async () => {
    clickhouse = await startClickHouseHttpStandIn();
    const monitors = path.join(dir, 'monitors');
    fs.mkdirSync(monitors);
    fs.writeFileSync(
      path.join(monitors, 'baseline.csv'),
      ['amount', ...Array.from({ length: 50 }, (_, i) => String(i))].join('\n'),
    );
    // A tick once a minute, at a second a few seconds from now (node-cron's seconds field),
    // so the process can be paused across it.
    const tickAt = new Date(Date.now() + 25_000);
    fs.writeFileSync(
      path.join(monitors, 'ticks.yaml'),
      `model: ticks
baseline: { file: baseline.csv }
features: { amount: numeric }
schedule: '${tickAt.getUTCSeconds()} * * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`,
    );
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/driftwatch.js'), 'serve'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CLICKHOUSE_URL: clickhouse.url,
        CLICKHOUSE_DATABASE: 'dw_json_logs',
        DRIFTWATCH_PORT: '0',
        DRIFTWATCH_MONITORS_DIR: monitors,
        DRIFTWATCH_STORE_WAIT_SECONDS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const waitFor = async (pattern: RegExp, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(stderr)) {
        if (Date.now() > until) throw new Error(`no ${pattern} in:\n${stderr}\n${stdout}`);
        await sleep(100);
      }
      return pattern.exec(stderr);
    };
    try {
      const url = (await waitFor(/listening on (http:\/\/[^\s;"]+)/, 90_000))?.[1] ?? '';
      // Paused from before the tick until after it: node-cron finds it missed.
      const pauseAt = tickAt.getTime() - 2_000 - Date.now();
      expect(pauseAt).toBeGreaterThan(0);
      await sleep(pauseAt);
      child.kill('SIGSTOP');
      await sleep(5_000);
      child.kill('SIGCONT');
      await waitFor(/missed/, 20_000);
      // The server goes away: the client's request errors, and the requests that fail.
      await clickhouse.close();
      clickhouse = undefined;
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      expect((await fetch(`${url}/v1/status`)).status).toBe(503);
      await waitFor(/@clickhouse\/client/, 20_000);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }

    const lines = `${stdout}${stderr}`.split('\n').filter((line) => line.length > 0);
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'warn', stage: 'scheduler', monitor: 'ticks' }),
    );
    expect(logged).toContainEqual(expect.objectContaining({ source: '@clickhouse/client' }));
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: expect.stringMatching(/listening on http/) }),
    );
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'SIGTERM: stopping' }));
  }, 180_000);
});
