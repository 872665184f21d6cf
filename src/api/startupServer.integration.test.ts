import { describe, expect, it } from 'vitest';
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
});
