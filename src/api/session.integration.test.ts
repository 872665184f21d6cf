import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';
import { createToken } from './auth/tokens.js';

/** Issue 18, item 8: the dashboard's session behind an https proxy, and logging out. */
const reader = createToken('read', 'analyst');
const other = createToken('read', 'auditor');
const PROXY = '10.1.2.3';

describe('dashboard sessions', () => {
  let store: Store;
  let app: FastifyInstance;
  let second: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore();
    const options = {
      store,
      monitors: () => [],
      auth: { tokens: [reader.entry, other.entry] },
      trustProxy: [PROXY, '127.0.0.0/8'],
    };
    app = buildApp({ ...options, metrics: createIngestMetrics() });
    // A second API process on the same store (the API role scales out).
    second = buildApp({ ...options, metrics: createIngestMetrics() });
    await Promise.all([app.ready(), second.ready()]);
  });
  afterAll(async () => {
    await Promise.all([app.close(), second.close()]);
    await store.close();
  });

  const logIn = (
    on: FastifyInstance,
    token: string,
    via: { remoteAddress?: string; proto?: string } = {},
  ) =>
    on.inject({
      method: 'POST',
      url: '/v1/session',
      remoteAddress: via.remoteAddress ?? '127.0.0.1',
      headers: {
        'content-type': 'application/json',
        ...(via.proto ? { 'x-forwarded-proto': via.proto } : {}),
      },
      payload: JSON.stringify({ token }),
    });
  const cookieOf = (response: { headers: Record<string, unknown> }) =>
    String(response.headers['set-cookie']);
  const models = (on: FastifyInstance, cookie: string) =>
    on.inject({ method: 'GET', url: '/v1/models', headers: { cookie } });

  it('are Secure when a trusted proxy says the client came over https', async () => {
    const behindHttps = await logIn(app, reader.token, { remoteAddress: PROXY, proto: 'https' });
    expect(behindHttps.statusCode).toBe(200);
    expect(cookieOf(behindHttps)).toMatch(/; Secure/);
    expect(cookieOf(behindHttps)).toMatch(/HttpOnly/);
    expect(cookieOf(behindHttps)).toMatch(/SameSite=Strict/);
    const fromLoopbackProxy = await logIn(app, reader.token, { proto: 'https' });
    expect(cookieOf(fromLoopbackProxy)).toMatch(/; Secure/);
  });

  it('believe X-Forwarded-Proto only from the trusted proxies', async () => {
    const stranger = await logIn(app, reader.token, { remoteAddress: '192.0.2.7', proto: 'https' });
    expect(stranger.statusCode).toBe(200);
    expect(cookieOf(stranger)).not.toMatch(/Secure/);
    const plainHttp = await logIn(app, reader.token, { remoteAddress: PROXY, proto: 'http' });
    expect(cookieOf(plainHttp)).not.toMatch(/Secure/);
  });

  it('keep the token out of the cookie: it carries a session id', async () => {
    const login = await logIn(app, reader.token);
    const session = cookieOf(login).split(';')[0] ?? '';
    expect(session).toMatch(/^driftwatch_session=dws_[A-Za-z0-9_-]{43}$/);
    expect(cookieOf(login)).not.toContain(reader.token);
    // The token itself is no session.
    const tokenAsCookie = await models(app, `driftwatch_session=${reader.token}`);
    expect(tokenAsCookie.statusCode).toBe(401);
  });

  it('end on the server at logout: the replayed cookie is refused by every API process', async () => {
    const login = await logIn(app, reader.token);
    const session = cookieOf(login).split(';')[0] ?? '';
    expect((await models(app, session)).statusCode).toBe(200);
    expect((await models(second, session)).statusCode).toBe(200);
    // Another session of the same token lives on.
    const otherLogin = await logIn(second, reader.token);
    const otherSession = cookieOf(otherLogin).split(';')[0] ?? '';

    const logout = await second.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie: session },
    });
    expect(logout.statusCode).toBe(204);
    expect(cookieOf(logout)).toMatch(/driftwatch_session=;/);

    for (const on of [app, second]) {
      const replayed = await models(on, session);
      expect(replayed.statusCode).toBe(401);
      expect(replayed.json()).toMatchObject({ code: 'DW_UNAUTHENTICATED' });
    }
    expect((await models(app, otherSession)).statusCode).toBe(200);
    // The token itself still works as a bearer token: logging out ends a session, not a token.
    const bearer = await app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${reader.token}` },
    });
    expect(bearer.statusCode).toBe(200);
  });

  it('end when their token leaves the configuration', async () => {
    const login = await logIn(app, other.token);
    const session = cookieOf(login).split(';')[0] ?? '';
    expect((await models(app, session)).statusCode).toBe(200);
    const withoutIt = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: [reader.entry] },
    });
    expect((await models(withoutIt, session)).statusCode).toBe(401);
    await withoutIt.close();
  });

  it('expire: a session past its 12 hours is refused', async () => {
    const { createSessions } = await import('./auth/sessions.js');
    let now = new Date('2026-12-06T08:00:00Z');
    const sessions = createSessions(store, [reader.entry], { now: () => now });
    const opened = await sessions.open(reader.token);
    expect(opened?.principal).toEqual({ role: 'read', name: 'analyst' });
    const id = opened?.id ?? '';
    now = new Date('2026-12-06T19:59:00Z');
    expect(await sessions.principalOf(id)).toEqual({ role: 'read', name: 'analyst' });
    now = new Date('2026-12-06T20:00:01Z');
    expect(await sessions.principalOf(id)).toBeUndefined();
    expect(await sessions.open('dw_not-a-token')).toBeUndefined();
  });
});
