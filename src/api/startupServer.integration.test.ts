import http from 'node:http';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createToken } from './auth/tokens.js';
import { listenWhileStarting } from './startupServer.js';

describe('the HTTP face of a service that is still starting', () => {
  it('is alive, not ready with the reason given last, and serves nothing else; then frees its port', async () => {
    const server = await listenWhileStarting(
      { host: '127.0.0.1', port: 0 },
      { check: 'store', detail: 'connecting to the store at http://clickhouse:8123' },
    );
    const base = `http://127.0.0.1:${server.port}`;
    const readyz = async () => {
      const response = await fetch(`${base}/readyz`);
      return { status: response.status, body: (await response.json()) as unknown };
    };
    expect(await readyz()).toEqual({
      status: 503,
      body: {
        status: 'not ready',
        checks: {
          store: { ok: false, detail: 'connecting to the store at http://clickhouse:8123' },
        },
      },
    });
    server.notReady('monitors', 'preparing monitor fraud-detector (1 of 2)');
    expect((await readyz()).body).toEqual({
      status: 'not ready',
      checks: { monitors: { ok: false, detail: 'preparing monitor fraud-detector (1 of 2)' } },
    });

    const healthz = await fetch(`${base}/healthz?probe=1`);
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: 'ok' }]);

    const ingest = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'x-request-id': 'req-42', 'content-type': 'application/x-ndjson' },
      body: '{}\n',
    });
    expect(ingest.status).toBe(503);
    expect(ingest.headers.get('retry-after')).toBe('5');
    expect(await ingest.json()).toEqual({
      error: 'the service is starting: retry later',
      code: 'DW_UNAVAILABLE',
      request_id: 'req-42',
    });

    await server.close();
    await server.close(); // a second close (start-up failing after the hand-over) is harmless
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('serves /metrics to the callers the app would serve it to, and to no one else', async () => {
    const registry = new Registry();
    new Counter({ name: 'driftwatch_probe_total', help: 'a probe', registers: [registry] }).inc(2);
    const metricsToken = createToken('metrics', 'prometheus');
    const ingestToken = createToken('ingest', 'producer');
    const server = await listenWhileStarting(
      { host: '127.0.0.1', port: 0 },
      { check: 'store', detail: 'connecting' },
      { registry, tokens: [metricsToken.entry, ingestToken.entry] },
    );
    const metricsAs = (token?: string) =>
      fetch(`http://127.0.0.1:${server.port}/metrics`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    try {
      const anonymous = await metricsAs();
      expect([anonymous.status, ((await anonymous.json()) as { code: string }).code]).toEqual([
        401,
        'DW_UNAUTHENTICATED',
      ]);
      const wrongRole = await metricsAs(ingestToken.token);
      expect([wrongRole.status, ((await wrongRole.json()) as { code: string }).code]).toEqual([
        403,
        'DW_FORBIDDEN',
      ]);
      const granted = await metricsAs(metricsToken.token);
      expect(granted.status).toBe(200);
      expect(await granted.text()).toMatch(/^driftwatch_probe_total 2$/m);
    } finally {
      await server.close();
    }

    // Without tokens: requests addressed to localhost only, as in the app.
    const open = await listenWhileStarting(
      { host: '127.0.0.1', port: 0 },
      { check: 'store', detail: 'connecting' },
      { registry },
    );
    try {
      const local = await fetch(`http://127.0.0.1:${open.port}/metrics`);
      expect(local.status).toBe(200);
      // fetch may not set Host: a page rebinding its DNS name to 127.0.0.1 sends its own.
      const rebound = await new Promise<number | undefined>((resolve, reject) => {
        http
          .get(
            {
              host: '127.0.0.1',
              port: open.port,
              path: '/metrics',
              headers: { host: 'attacker.example' },
            },
            (response) => {
              response.resume();
              resolve(response.statusCode);
            },
          )
          .on('error', reject);
      });
      expect(rebound).toBe(401);
    } finally {
      await open.close();
    }
  });
});
