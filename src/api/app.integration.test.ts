import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';
import { createToken } from './auth/tokens.js';

const ingest = createToken('ingest', 'producer-a');
const ingestB = createToken('ingest', 'producer-b');
const ingestC = createToken('ingest', 'producer-c');
const read = createToken('read', 'analyst');
const events = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'prediction',
    event_id: `e${i}`,
    model: 'm',
    ts: '2026-11-22T10:00:00Z',
    prediction_id: `p${i}`,
    features: { amount: i },
    score: 0.5,
  }));

describe('the API around its routes', () => {
  let store: Store;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: {
        tokens: [ingest.entry, ingestB.entry, ingestC.entry, read.entry],
        ingestRequestsPerMinute: 3,
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const post = (token: string, contentType: string, payload: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      payload,
    });

  it('accepts only the documented content types: no text/plain or form posts', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await post(ingestB.token, type, JSON.stringify(events(1)));
      expect(response.statusCode, type).toBe(415);
      expect(response.json()).toMatchObject({ code: 'DW_UNSUPPORTED_MEDIA_TYPE' });
    }
  });

  it('limits ingest requests per token, not per address', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push(
        (await post(ingest.token, 'application/json', JSON.stringify(events(2)))).statusCode,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await post(ingest.token, 'application/json', '[]');
    expect(limited.json()).toMatchObject({ code: 'DW_RATE_LIMITED' });
    // Another producer's token has its own budget.
    expect((await post(ingestC.token, 'application/json', '[]')).statusCode).toBe(200);
  });

  it('logs the dashboard in with an HttpOnly, SameSite=Strict cookie, and out again', async () => {
    const page = await app.inject({ method: 'GET', url: '/dashboard' });
    expect(page.statusCode).toBe(302);
    const login = await app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: read.token }),
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toEqual({ role: 'read', name: 'analyst' });
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^driftwatch_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0] ?? '';
    const models = await app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { cookie: session },
    });
    expect(models.statusCode).toBe(200);
    const dashboard = await app.inject({
      method: 'GET',
      url: '/dashboard',
      headers: { cookie: session },
    });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.headers['content-security-policy']).toContain("script-src 'self'");
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: ingest.token }),
    });
    expect(refused.statusCode).toBe(403);
    const logout = await app.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie: session },
    });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/driftwatch_session=;/);
  });

  it('serves an OpenAPI 3.1 document where every operation declares its responses and security', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/openapi.json',
      headers: { authorization: `Bearer ${read.token}` },
    });
    expect(response.statusCode).toBe(200);
    const doc = response.json() as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, unknown>; security?: unknown[] }>
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
    for (const path of [
      '/v1/models',
      '/v1/results',
      '/v1/models/{model}/series',
      '/v1/alerts',
      '/v1/exports',
      '/v1/events',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const codes = Object.keys(operation.responses);
        expect(
          codes.some((code) => code.startsWith('2')),
          `${method} ${path}`,
        ).toBe(true);
        expect(codes, `${method} ${path}`).toContain('500');
        if (!['/healthz', '/readyz'].includes(path) && !path.startsWith('/v1/session')) {
          expect(operation.security, `${method} ${path}`).toBeDefined();
          expect(codes, `${method} ${path}`).toContain('401');
        }
      }
    }
    const docs = await app.inject({
      method: 'GET',
      url: '/docs',
      headers: { authorization: `Bearer ${read.token}` },
    });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger-ui/);
    // The reference page works offline: nothing is loaded from another host.
    expect(docs.body).not.toMatch(/(src|href)="https?:/);
  });

  it('rejects bad query parameters with a 400 naming the parameter', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/results?limit=0',
      headers: { authorization: `Bearer ${read.token}` },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'DW_BAD_REQUEST',
      error: expect.stringMatching(/limit/),
    });
  });
});

describe('5xx answers hide what went wrong', () => {
  it('answers DW_INTERNAL with the request id and nothing of the cause', async () => {
    const store = {
      kind: 'embedded',
      query: async () => {
        throw new Error('Code: 516. Authentication failed: password for user default is hunter2');
      },
    } as unknown as Store;
    const app = buildApp({ store, metrics: createIngestMetrics(), monitors: () => [] });
    const response = await app.inject({ method: 'GET', url: '/v1/status' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      error: 'internal error',
      code: 'DW_INTERNAL',
      request_id: expect.any(String),
    });
    expect(response.body).not.toMatch(/hunter2|password|516/);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      'driftwatch_http_server_errors_total{route="/v1/status",status="500"} 1',
    );
    await app.close();
  });
});

describe('a service without tokens', () => {
  it('answers requests addressed to localhost only (no DNS rebinding)', async () => {
    const store = await openTestStore();
    const app = buildApp({ store, metrics: createIngestMetrics(), monitors: () => [] });
    const local = await app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { host: '127.0.0.1:8080' },
    });
    expect(local.statusCode).toBe(200);
    const rebound = await app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { host: 'attacker.example:8080' },
    });
    expect(rebound.statusCode).toBe(401);
    await app.close();
    await store.close();
  });

  it('has no "log out" on its dashboard pages: there is no login', async () => {
    const store = await openTestStore();
    const app = buildApp({ store, metrics: createIngestMetrics(), monitors: () => [] });
    for (const url of ['/dashboard', '/dashboard/models/m', '/dashboard/alerts/a1']) {
      const page = await app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:8080' } });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<nav>');
      expect(page.body).not.toContain('id="logout"');
    }
    await app.close();
    await store.close();
  });
});
