import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { createAlertsApi } from '../alerts/alertsApi.js';
import { loadAlertsConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';
import { ROLES, createToken, type Role } from './auth/tokens.js';

/** Every route × every role: each role reaches exactly what it may, and nothing else. */
const tokens = Object.fromEntries(ROLES.map((role) => [role, createToken(role, `${role}-test`)]));

type Needs = 'public' | 'ingest' | 'metrics' | 'read' | 'operate' | 'admin';
interface RouteCase {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  needs: Needs;
  payload?: unknown;
  /** The route as fastify declares it, to prove the table covers every route. */
  route: string;
}

const FROM = '2026-11-01T00:00:00Z';
const TO = '2026-11-02T00:00:00Z';
const ROUTES: RouteCase[] = [
  { method: 'GET', url: '/healthz', needs: 'public', route: 'GET /healthz' },
  { method: 'GET', url: '/readyz', needs: 'public', route: 'GET /readyz' },
  { method: 'GET', url: '/login', needs: 'public', route: 'GET /login' },
  { method: 'GET', url: '/assets/dashboard.js', needs: 'public', route: 'GET /assets/:name' },
  { method: 'DELETE', url: '/v1/session', needs: 'public', route: 'DELETE /v1/session' },
  {
    method: 'POST',
    url: '/v1/session',
    needs: 'public',
    payload: { token: tokens.read?.token },
    route: 'POST /v1/session',
  },
  {
    method: 'POST',
    url: '/v1/events?type=prediction',
    needs: 'ingest',
    payload: [],
    route: 'POST /v1/events',
  },
  { method: 'GET', url: '/metrics', needs: 'metrics', route: 'GET /metrics' },
  { method: 'GET', url: '/', needs: 'read', route: 'GET /' },
  { method: 'GET', url: '/dashboard', needs: 'read', route: 'GET /dashboard' },
  {
    method: 'GET',
    url: '/dashboard/models/m',
    needs: 'read',
    route: 'GET /dashboard/models/:model',
  },
  {
    method: 'GET',
    url: '/dashboard/alerts/a1b2',
    needs: 'read',
    route: 'GET /dashboard/alerts/:alert_id',
  },
  { method: 'GET', url: '/openapi.json', needs: 'read', route: 'GET /openapi.json' },
  { method: 'GET', url: '/docs', needs: 'read', route: 'GET /docs' },
  { method: 'GET', url: '/v1/status', needs: 'read', route: 'GET /v1/status' },
  { method: 'GET', url: '/v1/ingestion', needs: 'read', route: 'GET /v1/ingestion' },
  { method: 'GET', url: '/v1/models', needs: 'read', route: 'GET /v1/models' },
  { method: 'GET', url: '/v1/models/m', needs: 'read', route: 'GET /v1/models/:model' },
  { method: 'GET', url: '/v1/models/m/runs', needs: 'read', route: 'GET /v1/models/:model/runs' },
  {
    method: 'GET',
    url: '/v1/models/m/series?check_id=psi&feature=a',
    needs: 'read',
    route: 'GET /v1/models/:model/series',
  },
  {
    method: 'GET',
    url: '/v1/models/m/histogram?feature=a',
    needs: 'read',
    route: 'GET /v1/models/:model/histogram',
  },
  {
    method: 'GET',
    url: '/v1/models/m/labels',
    needs: 'read',
    route: 'GET /v1/models/:model/labels',
  },
  {
    method: 'GET',
    url: '/v1/models/m/performance',
    needs: 'read',
    route: 'GET /v1/models/:model/performance',
  },
  {
    method: 'GET',
    url: '/v1/models/m/baselines',
    needs: 'read',
    route: 'GET /v1/models/:model/baselines',
  },
  { method: 'GET', url: '/v1/results?model=m', needs: 'read', route: 'GET /v1/results' },
  { method: 'GET', url: '/v1/alerts', needs: 'read', route: 'GET /v1/alerts' },
  {
    method: 'GET',
    url: '/v1/alerts/events?model=m&check_id=psi&feature=a&slice=all&event=firing,resolved',
    needs: 'read',
    route: 'GET /v1/alerts/events',
  },
  {
    method: 'POST',
    url: '/v1/alerts/a1/acknowledge',
    needs: 'operate',
    payload: { comment: 'seen' },
    route: 'POST /v1/alerts/:alert_id/acknowledge',
  },
  {
    method: 'POST',
    url: '/v1/silences',
    needs: 'operate',
    payload: { model: 'm', until: TO, comment: 'maintenance' },
    route: 'POST /v1/silences',
  },
  { method: 'GET', url: '/v1/silences', needs: 'read', route: 'GET /v1/silences' },
  {
    method: 'POST',
    url: '/v1/silences/sil_1/end',
    needs: 'operate',
    payload: {},
    route: 'POST /v1/silences/:silence_id/end',
  },
  { method: 'GET', url: '/v1/alerts/a1b2', needs: 'read', route: 'GET /v1/alerts/:alert_id' },
  {
    method: 'GET',
    url: '/v1/alerts/a1b2/explanation',
    needs: 'read',
    route: 'GET /v1/alerts/:alert_id/explanation',
  },
  {
    method: 'GET',
    url: '/v1/notifications?status=dead',
    needs: 'read',
    route: 'GET /v1/notifications',
  },
  {
    method: 'POST',
    url: '/v1/models/m/alerts/test',
    needs: 'operate',
    payload: {},
    route: 'POST /v1/models/:model/alerts/test',
  },
  {
    method: 'POST',
    url: '/v1/models/m/runs',
    needs: 'operate',
    payload: { window_end: TO },
    route: 'POST /v1/models/:model/runs',
  },
  {
    method: 'POST',
    url: '/v1/models/m/backtest',
    needs: 'operate',
    payload: { from: FROM, to: TO },
    route: 'POST /v1/models/:model/backtest',
  },
  {
    method: 'POST',
    url: '/v1/models/m/baselines',
    needs: 'admin',
    payload: { from: FROM, to: TO },
    route: 'POST /v1/models/:model/baselines',
  },
  {
    method: 'GET',
    url: `/v1/exports?from=${FROM}&to=${TO}`,
    needs: 'admin',
    route: 'GET /v1/exports',
  },
  { method: 'GET', url: '/v1/dead-letters', needs: 'admin', route: 'GET /v1/dead-letters' },
];

/** The grants written out by hand, independently of ROLE_GRANTS in the code. */
const MAY: Record<Role, readonly Needs[]> = {
  ingest: ['public', 'ingest'],
  metrics: ['public', 'metrics'],
  read: ['public', 'metrics', 'read'],
  operator: ['public', 'metrics', 'read', 'operate'],
  admin: ['public', 'ingest', 'metrics', 'read', 'operate', 'admin'],
};

describe('access control over every route', () => {
  let store: Store;
  let app: FastifyInstance;
  const declared: string[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: Object.values(tokens).map((t) => t.entry), ingestRequestsPerMinute: 1000 },
      // The alert routes answer from the real alert tables, not 501.
      alerts: createAlertsApi(store, { plans: () => [], config: loadAlertsConfig({}) }),
    });
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) if (method !== 'HEAD') declared.push(`${method} ${route.url}`);
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('covers every route the app declares', () => {
    const covered = new Set(ROUTES.map((r) => r.route));
    // The reference page's own static files go with GET /docs.
    const missing = declared.filter(
      (route) => !covered.has(route) && !route.startsWith('GET /docs/'),
    );
    expect(missing).toEqual([]);
  });

  const request = (route: RouteCase, headers: Record<string, string>) =>
    app.inject({
      method: route.method,
      url: route.url,
      headers:
        route.payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      payload: route.payload === undefined ? undefined : JSON.stringify(route.payload),
    });

  for (const route of ROUTES) {
    it(`${route.method} ${route.url}: without a token ${route.needs === 'public' ? 'answers' : 'is refused'}`, async () => {
      const response = await request(route, {});
      if (route.needs === 'public') {
        expect([401, 403]).not.toContain(response.statusCode);
      } else if (
        ['/', '/dashboard', '/dashboard/models/m', '/dashboard/alerts/a1b2', '/docs'].includes(
          route.url,
        )
      ) {
        expect(response.statusCode).toBe(302);
        expect(response.headers.location).toMatch(/^\/login\?next=/);
      } else {
        expect(response.statusCode).toBe(401);
        expect(response.json()).toMatchObject({ code: 'DW_UNAUTHENTICATED' });
        expect(response.headers['www-authenticate']).toBe('Bearer');
      }
    });
    for (const role of ROLES) {
      const allowed = MAY[role].includes(route.needs);
      it(`${route.method} ${route.url} as ${role}: ${allowed ? 'reached' : 'forbidden'}`, async () => {
        const response = await request(route, { authorization: `Bearer ${tokens[role]?.token}` });
        if (allowed) {
          expect([401, 403], response.body.slice(0, 200)).not.toContain(response.statusCode);
          expect(response.statusCode === 500 || response.statusCode === 503).toBe(false);
        } else {
          expect(response.statusCode).toBe(403);
          expect(response.json()).toMatchObject({ code: 'DW_FORBIDDEN' });
        }
      });
    }
  }

  it('refuses a token that is not configured, and a malformed header', async () => {
    const forged = createToken('admin').token;
    for (const authorization of [`Bearer ${forged}`, 'Bearer', `Basic ${tokens.admin?.token}`]) {
      const response = await app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization },
      });
      expect(response.statusCode).toBe(401);
    }
  });

  it('answers an unknown path with 401 to strangers and 404 to token holders', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode).toBe(401);
    const known = await app.inject({
      method: 'GET',
      url: '/v1/nothing',
      headers: { authorization: `Bearer ${tokens.read?.token}` },
    });
    expect(known.statusCode).toBe(404);
    expect(known.json()).toMatchObject({ code: 'DW_NOT_FOUND' });
  });
});
