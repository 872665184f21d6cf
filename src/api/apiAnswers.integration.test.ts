import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { planFromYaml } from '../../test/helpers/verdicts.js';
import { createAlertsApi } from '../alerts/alertsApi.js';
import { loadAlertsConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';
import { createToken } from './auth/tokens.js';

/** Issue 18, item 8: what the API answers to filters it does not know, empty posts, frames. */
const admin = createToken('admin', 'root');
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('the API refuses what it does not understand', () => {
  let store: Store;
  let app: FastifyInstance;
  const routes: { method: string; url: string }[] = [];
  beforeAll(async () => {
    store = await openTestStore();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: [admin.entry] },
      alerts: createAlertsApi(store, { plans: () => [], config: loadAlertsConfig({}) }),
      exports: { signingKey: null, version: 'test' },
    });
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url });
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  const get = (url: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin.token}` } });

  const UNKNOWN_VALUES: [url: string, named: RegExp][] = [
    [
      '/v1/results?status=bogus',
      /"bogus" is not one of ok, warn, critical, insufficient_data, no_data/,
    ],
    ['/v1/results?status=warn,Critical', /status: "Critical" is not one of ok, warn, critical/],
    ['/v1/results?metric=psx', /metric: "psx" is not one of psi, jensen_shannon, (\w+, )*ks, /],
    ['/v1/alerts?state=all', /state: "all" is not one of pending, firing, resolved/],
    ['/v1/alerts/events?event=fired', /event: "fired" is not one of pending, firing, escalated/],
    ['/v1/dead-letters?reason=nope', /reason must be one of too_large, not_utf8, not_json/],
    [
      '/v1/exports?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=xml',
      /format must be one of csv, jsonl, parquet/,
    ],
  ];
  for (const [url, named] of UNKNOWN_VALUES) {
    it(`refuses an unknown filter value, naming the allowed ones: ${url}`, async () => {
      const response = await get(url);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'DW_BAD_REQUEST',
        error: expect.stringMatching(named),
      });
    });
  }

  it('refuses a parameter a route does not have, instead of dropping it in silence', async () => {
    for (const [url, field] of [
      ['/v1/results?state=firing', 'state'],
      ['/v1/alerts?status=critical', 'status'],
      ['/v1/models/m/runs?status=warn', 'status'],
    ] as const) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({
        error: `querystring has no field "${field}"`,
      });
    }
  });

  it('still answers the values it knows', async () => {
    expect((await get('/v1/results?status=warn,critical&metric=psi')).statusCode).toBe(200);
    expect((await get('/v1/alerts?state=pending,firing')).statusCode).toBe(200);
    expect((await get('/v1/alerts/events?event=firing,resolved')).statusCode).toBe(200);
  });

  it('answers a post without a body with a 400 saying what to send', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: expect.stringMatching(/^the request has no body: send events as NDJSON/),
      code: 'DW_BAD_REQUEST',
      request_id: expect.any(String),
    });
  });

  it('gives dead letters RFC 3339 times (UTC, with Z), and pages them by cursor still', async () => {
    const bad = Array.from({ length: 3 }, (_, i) => `{"type":"prediction","event_id":"x${i}"`);
    const posted = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/x-ndjson' },
      payload: bad.join('\n'),
    });
    expect(posted.statusCode).toBe(207);
    const first = (await get('/v1/dead-letters?limit=2')).json() as {
      dead_letters: { received_at: string }[];
      next_cursor: string | null;
    };
    expect(first.dead_letters).toHaveLength(2);
    for (const letter of first.dead_letters) expect(letter.received_at).toMatch(RFC3339_UTC);
    const rest = (await get(`/v1/dead-letters?limit=2&before=${first.next_cursor}`)).json() as {
      dead_letters: { received_at: string }[];
    };
    expect(rest.dead_letters).toHaveLength(1);
    expect(rest.dead_letters[0]?.received_at).toMatch(RFC3339_UTC);
  });

  it('lets no other site frame any of its pages', async () => {
    const pages = routes
      .filter((route) => route.method === 'GET' && !route.url.includes('*'))
      .map((route) => route.url.replace(':model', 'm').replace(':name', 'dashboard.css'));
    const html: string[] = [];
    for (const url of [...new Set(pages), '/login?next=/dashboard', '/docs/static/index.html']) {
      const response = await get(url);
      // Every answer says it, HTML or not.
      expect(response.headers['x-frame-options'], url).toBe('DENY');
      if (String(response.headers['content-type']).startsWith('text/html')) {
        html.push(url);
        expect(response.headers['content-security-policy'], url).toMatch(/frame-ancestors 'none'/);
      }
    }
    // The pages people open: the dashboard, the login and the API reference.
    expect(html).toEqual(expect.arrayContaining(['/dashboard', '/login', '/docs']));
  });
});

describe('events for a model no monitor watches', () => {
  let store: Store;
  let app: FastifyInstance;
  const registry = createMetricsRegistry({ processMetrics: false });
  beforeAll(async () => {
    store = await openTestStore();
    const plan = planFromYaml(`model: fraud-detector
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`);
    app = buildApp({
      store,
      metrics: createIngestMetrics(registry),
      registry,
      monitors: () => [plan],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const ts = new Date(Date.now() - 60_000).toISOString();
  const events = (model: string, ids: string[]) =>
    ids.map((id) => ({
      type: 'prediction',
      event_id: id,
      model,
      ts,
      prediction_id: id,
      features: { amount: 1 },
      score: 0.5,
    }));
  const post = (body: unknown[]) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const unwatchedCount = async () =>
    /driftwatch_ingest_unwatched_events_total\{model="fraud-detecter",source="http"\} (\d+)/.exec(
      (await app.inject({ url: '/metrics' })).body,
    )?.[1];

  it('are stored, counted by model, and named in the answer', async () => {
    const answer = await post([
      ...events('fraud-detector', ['w1', 'w2']),
      ...events('fraud-detecter', ['u1', 'u2', 'u3']),
    ]);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({
      accepted: 5,
      rejected: 0,
      duplicates: 0,
      errors: [],
      errors_omitted: 0,
      notes: [
        'model "fraud-detecter" has no monitor: its 3 events are stored, and nothing watches them (add a monitor file for it, or check the model name)',
      ],
    });
    expect(await unwatchedCount()).toBe('3');
    // The watched model has no such series.
    expect((await app.inject({ url: '/metrics' })).body).not.toMatch(
      /unwatched_events_total\{model="fraud-detector"/,
    );
  });

  it('are said again on a resend, and not counted twice', async () => {
    const answer = await post(events('fraud-detecter', ['u1', 'u2', 'u3']));
    expect(answer.json()).toMatchObject({
      duplicates: 3,
      notes: [expect.stringMatching(/"fraud-detecter"/)],
    });
    expect(await unwatchedCount()).toBe('3');
    // A post of watched models only says nothing of the kind.
    expect(answer.json()).toHaveProperty('notes');
    expect((await post(events('fraud-detector', ['w3']))).json()).not.toHaveProperty('notes');
  });
});
