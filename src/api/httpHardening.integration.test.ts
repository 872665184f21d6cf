import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { loggerOptions } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import type { ReadinessCheck } from '../observability/readiness.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';

/** Issue 7, items 3 and 4 (the HTTP server's part): probes, 5xx seen, slow clients cut off. */
describe('the HTTP server, hardened', () => {
  let store: Store;
  const lines: string[] = [];
  const logger = pino(
    loggerOptions('info'),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const registry = createMetricsRegistry({ processMetrics: false });
  const readiness: ReadinessCheck[] = [];
  let app: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    store = await openTestStore();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      logger,
      registry,
      readiness,
      http: { requestTimeoutMs: 1000 },
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it('is ready when the store answers and every added check passes', async () => {
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { store: { ok: true } } });
    readiness.push({
      name: 'kafka_consumer',
      check: async () => ({ ok: false, detail: 'no progress for 60 s while lag grows' }),
    });
    const unready = await app.inject({ url: '/readyz' });
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toEqual({
      status: 'not ready',
      checks: {
        store: { ok: true },
        kafka_consumer: { ok: false, detail: 'no progress for 60 s while lag grows' },
      },
    });
    readiness.pop();
  });

  it('cuts off a client that trickles its body, instead of holding the connection open', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const socket = net.connect(Number(new URL(address).port), '127.0.0.1');
    socket.write(
      'POST /v1/events HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/x-ndjson\r\ncontent-length: 1000\r\n\r\n',
    );
    const trickle = setInterval(() => socket.write('{'), 200); // 5 bytes/s
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
    });
    clearInterval(trickle);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    // In the API's error shape, saying which setting bounds it, and how far the post got.
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: expect.stringContaining('in 1000 ms (DRIFTWATCH_REQUEST_TIMEOUT_MS)'),
      code: 'DW_REQUEST_TIMEOUT',
      request_id: expect.any(String),
      processed: 0,
      accepted: 0,
      rejected: 0,
      duplicates: 0,
      errors: [],
      errors_omitted: 0,
    });
  });

  it('counts clients that go away mid-body, and timeouts, apart from server errors', async () => {
    const port = Number(new URL(app.listeningOrigin).port);
    const head =
      'POST /v1/events HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/x-ndjson\r\ncontent-length: 1000\r\n\r\n{"type":';
    const closed = (socket: net.Socket) =>
      new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // One hangs up at once (curl killed), one half-closes its side (a proxy giving up).
    const hangsUp = net.connect(port, '127.0.0.1', () => {
      hangsUp.write(head);
      setTimeout(() => hangsUp.destroy(), 150);
    });
    const halfCloses = net.connect(port, '127.0.0.1', () => {
      halfCloses.write(head);
      setTimeout(() => halfCloses.end(), 150);
    });
    halfCloses.resume();
    await Promise.all([closed(hangsUp), closed(halfCloses)]);
    const metrics = async () => (await app.inject({ url: '/metrics' })).body;
    await expect
      .poll(metrics)
      .toContain(
        'driftwatch_http_requests_abandoned_total{route="/v1/events",reason="client_closed"} 2',
      );
    const body = await metrics();
    // The trickled body of the test before: Node's 408.
    expect(body).toContain(
      'driftwatch_http_requests_abandoned_total{route="/v1/events",reason="timeout"} 1',
    );
    expect(body).not.toMatch(/driftwatch_http_server_errors_total\{route="\/v1\/events"/);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((line) => line.level === 'error')).toEqual([]);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'info',
        msg: 'client closed the request before its answer',
      }),
    );
  });

  it('logs and counts every 5xx with its request id; /healthz asks nothing of the store', async () => {
    await store.close(); // the store goes away under the service
    const health = await app.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not ready', checks: { store: { ok: false } } });

    // A store that went away is unavailable (retry later), not a bug of ours.
    const failed = await app.inject({ url: '/v1/status', headers: { 'x-request-id': 'req-42' } });
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['x-request-id']).toBe('req-42');
    expect(failed.json()).toEqual({
      error: 'the store is not reachable: retry later',
      code: 'DW_UNAVAILABLE',
      request_id: 'req-42',
    });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'error', reqId: 'req-42', msg: 'request failed' }),
    );
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.body).toContain(
      'driftwatch_http_server_errors_total{route="/v1/status",status="503"} 1',
    );
    // the not-ready answers of the first test and of this one
    expect(metrics.body).toContain(
      'driftwatch_http_server_errors_total{route="/readyz",status="503"} 2',
    );
  });
});
