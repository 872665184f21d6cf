import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '../../test/helpers/logs.js';
import { validPrediction } from '../../test/helpers/poison.js';
import { openTestStore } from '../../test/helpers/store.js';
import { loadIngestConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';

/**
 * Issue 18, item 7 (HTTP): the request timeout is the client's silence, not the server's
 * work; a post cut short says (or logs) what of it was stored; a small post is not queued
 * behind large ones. Real clients: undici (fetch) and node:http writers that pause or
 * hang up mid-body.
 */
const lines = (model: string, from: number, count: number): string =>
  Array.from({ length: count }, (_, i) =>
    validPrediction(model, `e${from + i}`, '2026-11-22T10:00:00Z'),
  ).join('\n') + '\n';

/** A request whose body the test writes by hand; `answer` settles with the response (or the connection's end). */
function openPost(
  port: number,
  headers: Record<string, string | number> = {},
): {
  request: http.ClientRequest;
  answer: Promise<{ status: number; body: string } | { closed: string }>;
} {
  const request = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v1/events?type=prediction',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
  });
  const answer = new Promise<{ status: number; body: string } | { closed: string }>((resolve) => {
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', (error) => resolve({ closed: error.message }));
  });
  return { request, answer };
}

describe('HTTP ingest limits on embedded ClickHouse', () => {
  let store: Store;
  const { logger, lines: logged } = capturingLogger();

  async function listen(options: { requestTimeoutMs: number; concurrency?: number }) {
    const metrics = createIngestMetrics();
    const app = buildApp({
      store,
      metrics,
      monitors: () => [],
      logger,
      ingest: { ...loadIngestConfig({}), httpConcurrency: options.concurrency ?? 8 },
      http: { requestTimeoutMs: options.requestTimeoutMs },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    return { app, port, url: `http://127.0.0.1:${port}` };
  }
  const storedOf = async (model: string) =>
    Number(
      (
        await store.query<{ n: string }>(
          'SELECT count() AS n FROM events FINAL WHERE model = {model:String}',
          { model },
        )
      )[0]?.n,
    );

  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('takes a body whose processing lasts far longer than the timeout, from a client that sent it at once', async () => {
    const { app, url } = await listen({ requestTimeoutMs: 1000 });
    try {
      const started = performance.now();
      const response = await fetch(`${url}/v1/events?type=prediction`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: lines('slow-store', 0, 40_000),
      });
      const seconds = (performance.now() - started) / 1000;
      expect({ status: response.status, body: await response.json() }).toMatchObject({
        status: 200,
        body: { accepted: 40_000, rejected: 0 },
      });
      // the point of the test: the server worked on it longer than the client may be silent
      expect(seconds).toBeGreaterThan(1);
    } finally {
      await app.close();
    }
  }, 300_000);

  it('answers a client that goes silent mid-body with 408, what it stored, and a closed connection', async () => {
    const { app, port, url } = await listen({ requestTimeoutMs: 1000 });
    try {
      const body = lines('silent', 0, 100);
      const { request, answer } = openPost(port, { 'content-length': body.length * 2 });
      request.write(body); // half of what it announced, then nothing
      const got = await answer;
      expect(got).toMatchObject({ status: 408 });
      expect(JSON.parse((got as { body: string }).body)).toMatchObject({
        error: expect.stringContaining('DRIFTWATCH_REQUEST_TIMEOUT_MS'),
        code: 'DW_REQUEST_TIMEOUT',
        request_id: expect.any(String),
        processed: 100,
        accepted: 100,
        rejected: 0,
        duplicates: 0,
        errors: [],
        errors_omitted: 0,
      });
      expect(await storedOf('silent')).toBe(100);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('driftwatch_http_ingest_cut_short_total{reason="timeout"} 1');
      expect(metrics).toContain(
        'driftwatch_http_ingest_cut_short_events_total{reason="timeout"} 100',
      );
      expect(metrics).toContain('driftwatch_http_ingest_requests_total{status="408"} 1');
      expect(metrics).not.toMatch(/driftwatch_http_server_errors_total\{route="\/v1\/events"/);
      request.destroy();
    } finally {
      await app.close();
    }
  }, 60_000);

  it('logs and counts a client that hangs up mid-body with what was stored of it, never as a 5xx', async () => {
    const { app, port, url } = await listen({ requestTimeoutMs: 30_000 });
    try {
      const { request, answer } = openPost(port, { 'transfer-encoding': 'chunked' });
      request.write(lines('hung-up', 0, 5000));
      // once some of it is stored, the client goes away
      for (let i = 0; i < 200 && (await storedOf('hung-up')) === 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      request.destroy();
      expect(await answer).toMatchObject({ closed: expect.any(String) });
      let cut: Record<string, unknown> | undefined;
      for (let i = 0; i < 200 && !cut; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        cut = logged.find((line) => line.reason === 'aborted');
      }
      expect(cut).toMatchObject({
        level: 'warn',
        msg: expect.stringContaining('the client closed the connection'),
      });
      expect(cut?.stored).toBe(await storedOf('hung-up'));
      expect(cut?.processed).toBeGreaterThan(0);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('driftwatch_http_ingest_cut_short_total{reason="aborted"} 1');
      expect(metrics).toContain(
        `driftwatch_http_ingest_cut_short_events_total{reason="aborted"} ${String(cut?.processed)}`,
      );
      expect(metrics).not.toMatch(/driftwatch_http_server_errors_total\{route="\/v1\/events"/);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('answers a small post at once while large posts hold every slot and more wait', async () => {
    const { app, port, url } = await listen({ requestTimeoutMs: 60_000, concurrency: 2 });
    try {
      // three large posts (no declared length) that send a little and then wait: two hold the
      // large lane's slots, the third waits for one
      const large = [0, 1, 2].map((i) => {
        const post = openPost(port, { 'transfer-encoding': 'chunked' });
        post.request.write(lines(`large-${i}`, 0, 200));
        return post;
      });
      for (let i = 0; i < 200 && (await storedOf('large-1')) === 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const started = performance.now();
      const small = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: validPrediction('small', 'one', '2026-11-22T10:00:00Z').replace(
          '{',
          '{"type":"prediction",',
        ),
        signal: AbortSignal.timeout(20_000),
      });
      expect(small.status).toBe(200);
      expect(await small.json()).toMatchObject({ accepted: 1 });
      expect(performance.now() - started).toBeLessThan(10_000);
      // the large ones are still open: they finish now, the waiting one after a slot frees
      expect(await storedOf('large-2')).toBe(0);
      for (const [i, post] of large.entries()) post.request.end(lines(`large-${i}`, 200, 300));
      for (const post of large) {
        const got = await post.answer;
        expect(got).toMatchObject({ status: 200 });
        expect(JSON.parse((got as { body: string }).body)).toMatchObject({ accepted: 500 });
      }
    } finally {
      await app.close();
    }
  }, 120_000);

  it('keeps a client that sends slowly but steadily, and cuts off one that trickles bytes (every route)', async () => {
    const { app, port } = await listen({ requestTimeoutMs: 1000 });
    try {
      // 2 KiB every 300 ms: slower than the timeout overall, never silent for it
      const body = lines('steady', 0, 100);
      const steady = openPost(port, { 'content-length': body.length });
      for (let at = 0; at < body.length; at += 2048) {
        steady.request.write(body.slice(at, at + 2048));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      steady.request.end();
      expect(await steady.answer).toMatchObject({ status: 200 });
      expect(await storedOf('steady')).toBe(100);

      // a JSON body the framework reads (the dashboard's login), trickled at 10 bytes/s
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.write(
          'POST /v1/session HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n',
        );
        const trickle = setInterval(() => socket.write('{'), 100);
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        socket.on('close', () => {
          clearInterval(trickle);
          resolve(received);
        });
        socket.on('error', () => undefined);
      });
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    } finally {
      await app.close();
    }
  }, 60_000);
});
