import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { ROLES, createToken, type Role } from '../../src/api/auth/tokens.js';
import { loadConfig } from '../../src/config/config.js';
import { runDemo } from '../../src/demo/runDemo.js';
import { generateSigningKey } from '../../src/exports/signing.js';
import { DriftwatchError } from '../../src/errors.js';
import { createIngestMetrics } from '../../src/ingest/metrics.js';
import type { Service } from '../../src/main.js';
import type { Store } from '../../src/store/clickhouse.js';
import { REPO_ROOT } from '../helpers/cli.js';
import {
  createAnswerChecker,
  openApiPath,
  validatedDocument,
  type Answer,
  type Document,
} from '../helpers/openapi.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 21, Deliver 4: the OpenAPI document declares every status and content type the
 * routes answer. The document is validated by a real OpenAPI validator; then every route
 * fastify declares is called (on demo data, so lists have items) for its success and its
 * errors (400, 401, 403, 404, 408, 413, 415, 429, 500, 501, 503), and each answer is
 * checked against the document: status, content type, body schema, RFC 3339 times.
 */
const tokens = Object.fromEntries(
  ROLES.map((role) => [role, createToken(role, `${role}-openapi`)]),
);
const tokenOf = (role: Role) => tokens[role]?.token ?? '';
const keys = generateSigningKey();

type Needs = 'public' | 'ingest' | 'metrics' | 'read' | 'operate' | 'admin';
interface Call {
  /** The route as fastify declares it. */
  route: string;
  url: string;
  needs: Needs;
  payload?: unknown;
  contentType?: string;
}

/** Pages for people (and the reference page's files): not API operations, not in the document. */
const PAGES = [
  'GET /',
  'GET /dashboard',
  'GET /dashboard/models/:model',
  'GET /dashboard/alerts/:alert_id',
  'GET /login',
  'GET /assets/:name',
  'GET /openapi.json',
  'GET /docs',
];
const isPage = (route: string) => PAGES.includes(route) || route.startsWith('GET /docs/');

const NEEDED_BY: Record<Needs, Role> = {
  public: 'admin',
  ingest: 'ingest',
  metrics: 'metrics',
  read: 'read',
  operate: 'operator',
  admin: 'admin',
};
/** A role that may not do what a route needs. */
const REFUSED: Record<Exclude<Needs, 'public'>, Role> = {
  ingest: 'read',
  metrics: 'ingest',
  read: 'ingest',
  operate: 'read',
  admin: 'operator',
};

describe('the OpenAPI document, and every answer against it', () => {
  let service: Service;
  let app: FastifyInstance;
  let document: Document;
  let problemsOf: ReturnType<typeof createAnswerChecker>;
  const routes = new Set<string>();
  const exercised = new Map<string, Set<number>>();
  const dataDir = tempDir('driftwatch-openapi-');
  let from: string;
  let to: string;
  let alertId: string;
  let silenceId: string;

  beforeAll(async () => {
    const config = loadConfig({
      DRIFTWATCH_DATA_DIR: dataDir,
      DRIFTWATCH_PORT: '0',
      DRIFTWATCH_MONITORS_DIR: path.join(REPO_ROOT, 'monitors'),
      DRIFTWATCH_TOKENS: Object.values(tokens)
        .map((token) => token.line)
        .join(','),
      DRIFTWATCH_EXPORT_SIGNING_KEY: keys.privateKey,
    });
    ({ service } = await runDemo(config, {
      hours: 2,
      eventsPerHour: 600,
      liveSeconds: 0,
      print: () => undefined,
      ingestToken: tokenOf('ingest'),
      driftToEnd: true,
    }));
    app = service.app;
    // fastify lists its routes to an onRoute hook only: an app built as the service's is,
    // hooked before it is ready, names every route the service has.
    const listed = buildApp({
      store: service.store,
      metrics: createIngestMetrics(),
      monitors: () => [],
    });
    listed.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') routes.add(`${method} ${route.url}`);
      }
    });
    await listed.ready();
    await listed.close();
    const answer = await app.inject({
      url: '/openapi.json',
      headers: { authorization: `Bearer ${tokenOf('read')}` },
    });
    document = await validatedDocument(answer.json());
    problemsOf = createAnswerChecker(document);
    to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    from = new Date(Date.parse(to) - 3_600_000).toISOString();
    const alerts = await app.inject({
      url: '/v1/alerts',
      headers: { authorization: `Bearer ${tokenOf('read')}` },
    });
    alertId = (alerts.json() as { items: { alert_id: string }[] }).items[0]?.alert_id ?? '';
    const silence = await app.inject({
      method: 'POST',
      url: '/v1/silences',
      headers: { authorization: `Bearer ${tokenOf('operator')}` },
      payload: { model: 'fraud-detector', for: '1h', reason: 'to end' },
    });
    silenceId = (silence.json() as { silence_id: string }).silence_id;
  }, 300_000);
  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function calls(): Call[] {
    const model = 'fraud-detector';
    return [
      { route: 'GET /healthz', url: '/healthz', needs: 'public' },
      { route: 'GET /readyz', url: '/readyz', needs: 'public' },
      { route: 'GET /metrics', url: '/metrics', needs: 'metrics' },
      { route: 'GET /v1/status', url: '/v1/status', needs: 'read' },
      { route: 'GET /v1/ingestion', url: '/v1/ingestion', needs: 'read' },
      { route: 'GET /v1/models', url: '/v1/models', needs: 'read' },
      { route: 'GET /v1/models/:model', url: `/v1/models/${model}`, needs: 'read' },
      {
        route: 'GET /v1/models/:model/runs',
        url: `/v1/models/${model}/runs?limit=5`,
        needs: 'read',
      },
      {
        route: 'GET /v1/models/:model/series',
        url: `/v1/models/${model}/series?check_id=psi&feature=amount&slice=all`,
        needs: 'read',
      },
      {
        route: 'GET /v1/models/:model/histogram',
        url: `/v1/models/${model}/histogram?feature=amount`,
        needs: 'read',
      },
      { route: 'GET /v1/models/:model/labels', url: `/v1/models/${model}/labels`, needs: 'read' },
      {
        route: 'GET /v1/models/:model/performance',
        url: `/v1/models/${model}/performance`,
        needs: 'read',
      },
      {
        route: 'GET /v1/models/:model/baselines',
        url: `/v1/models/${model}/baselines`,
        needs: 'read',
      },
      {
        route: 'POST /v1/models/:model/baselines',
        url: `/v1/models/${model}/baselines`,
        needs: 'admin',
        payload: { from, to },
      },
      {
        route: 'POST /v1/models/:model/runs',
        url: `/v1/models/${model}/runs`,
        needs: 'operate',
        payload: { window_end: to },
      },
      {
        route: 'POST /v1/models/:model/backtest',
        url: `/v1/models/${model}/backtest`,
        needs: 'operate',
        payload: { from, to },
      },
      { route: 'GET /v1/results', url: `/v1/results?model=${model}&limit=20`, needs: 'read' },
      { route: 'GET /v1/alerts', url: '/v1/alerts', needs: 'read' },
      {
        route: 'GET /v1/alerts/events',
        url: `/v1/alerts/events?model=${model}&event=firing,resolved`,
        needs: 'read',
      },
      {
        route: 'GET /v1/alerts/:alert_id/explanation',
        url: `/v1/alerts/${alertId}/explanation`,
        needs: 'read',
      },
      {
        route: 'POST /v1/alerts/:alert_id/acknowledge',
        url: `/v1/alerts/${alertId}/acknowledge`,
        needs: 'operate',
        payload: { comment: 'looking' },
      },
      {
        route: 'POST /v1/silences',
        url: '/v1/silences',
        needs: 'operate',
        payload: { model, until: new Date(Date.now() + 3_600_000).toISOString(), comment: 'test' },
      },
      { route: 'GET /v1/alerts/:alert_id', url: `/v1/alerts/${alertId}`, needs: 'read' },
      { route: 'GET /v1/silences', url: '/v1/silences?state=all', needs: 'read' },
      {
        route: 'POST /v1/silences/:silence_id/end',
        url: `/v1/silences/${silenceId}/end`,
        needs: 'operate',
        payload: {},
      },
      { route: 'GET /v1/notifications', url: '/v1/notifications?status=dead', needs: 'read' },
      {
        route: 'POST /v1/models/:model/alerts/test',
        url: `/v1/models/${model}/alerts/test`,
        needs: 'operate',
        payload: { timeout_seconds: 10 },
      },
      { route: 'GET /v1/exports', url: `/v1/exports?from=${from}&to=${to}`, needs: 'admin' },
      {
        route: 'POST /v1/events',
        url: '/v1/events',
        needs: 'ingest',
        payload: [{ type: 'label', model, prediction_id: 'p-openapi', label: 1, ts: to }, {}],
      },
      // After the events: one of them is a dead letter to list.
      { route: 'GET /v1/dead-letters', url: '/v1/dead-letters?payload=true', needs: 'admin' },
      {
        route: 'POST /v1/session',
        url: '/v1/session',
        needs: 'public',
        payload: { token: tokenOf('read') },
      },
      { route: 'DELETE /v1/session', url: '/v1/session', needs: 'public' },
    ];
  }

  const methodOf = (call: Call) => call.route.split(' ')[0] as 'GET' | 'POST' | 'DELETE';
  const pathOf = (call: Call) => call.route.slice(call.route.indexOf(' ') + 1);

  async function send(
    on: FastifyInstance,
    call: Call,
    options: {
      role?: Role | null;
      url?: string;
      payload?: unknown;
      contentType?: string;
      cookie?: string;
    } = {},
  ): Promise<Answer & { body: string }> {
    const role = options.role === undefined ? NEEDED_BY[call.needs] : options.role;
    const payload = options.payload === undefined ? call.payload : options.payload;
    const request: InjectOptions = {
      method: methodOf(call),
      url: options.url ?? call.url,
      headers: {
        ...(role ? { authorization: `Bearer ${tokenOf(role)}` } : {}),
        ...(options.cookie ? { cookie: options.cookie } : {}),
        ...(payload === undefined
          ? {}
          : { 'content-type': options.contentType ?? call.contentType ?? 'application/json' }),
      },
      ...(payload === undefined
        ? {}
        : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    };
    const answer = await on.inject(request);
    const seen = exercised.get(call.route) ?? new Set<number>();
    seen.add(answer.statusCode);
    exercised.set(call.route, seen);
    return answer;
  }

  function expectConforms(call: Call, answer: Answer): void {
    expect(problemsOf(methodOf(call), pathOf(call), answer)).toEqual([]);
  }

  it('is a valid OpenAPI 3.1 document (swagger-parser)', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('covers every route: each API route is an operation of the document, each other route a page', () => {
    const operations = Object.entries(document.paths).flatMap(([pathName, ops]) =>
      Object.keys(ops).map(
        (method) => `${method.toUpperCase()} ${pathName.replace(/\{([^}]+)\}/g, ':$1')}`,
      ),
    );
    const table = calls().map((call) => call.route);
    expect([...operations].sort()).toEqual([...table].sort());
    // A route added without a document entry (or hidden without being a page) fails here.
    expect([...routes].filter((route) => !isPage(route)).sort()).toEqual([...operations].sort());
  });

  it('declares what each route answers when it succeeds', async () => {
    for (const call of calls()) {
      const answer = await send(app, call);
      expect(answer.statusCode, `${call.route}: ${answer.body.slice(0, 300)}`).toBeLessThan(300);
      expectConforms(call, answer);
    }
  });

  it('declares the refusals: 401 without a token, 403 with a role that may not', async () => {
    for (const call of calls()) {
      if (call.needs === 'public') continue;
      const anonymous = await send(app, call, { role: null });
      expect(anonymous.statusCode, call.route).toBe(401);
      expectConforms(call, anonymous);
      const refused = await send(app, call, { role: REFUSED[call.needs] });
      expect(refused.statusCode, call.route).toBe(403);
      expectConforms(call, refused);
    }
    // A login with a token that is not one, and with one that may not read.
    const session = calls().find((call) => call.route === 'POST /v1/session') as Call;
    expectConforms(session, await send(app, session, { payload: { token: 'dw_not-a-token' } }));
    expectConforms(session, await send(app, session, { payload: { token: tokenOf('ingest') } }));
  });

  it('declares the bad requests: 400 for a bad query or body, 404 for what is not there', async () => {
    for (const call of calls()) {
      const operation = document.paths[openApiPath(pathOf(call))]?.[methodOf(call).toLowerCase()];
      if (operation?.parameters?.some((parameter) => parameter.in === 'query')) {
        const separator = call.url.includes('?') ? '&' : '?';
        const answer = await send(app, call, { url: `${call.url}${separator}no_such_field=1` });
        expect(answer.statusCode, call.route).toBe(400);
        expectConforms(call, answer);
      }
      // (A broken event is the events route's to dead-letter, not a bad request: below.)
      if (call.payload !== undefined && call.route !== 'POST /v1/events') {
        const answer = await send(app, call, { payload: '{"not json' });
        expect(answer.statusCode, call.route).toBe(400);
        expectConforms(call, answer);
      }
      if (call.route.includes(':')) {
        const url = call.url
          .replace('fraud-detector', 'no-such-model')
          .replace(alertId, 'no-such-alert')
          .replace(silenceId, 'sil_no_such_silence');
        const answer = await send(app, call, { url });
        expect(answer.statusCode, call.route).toBe(404);
        expectConforms(call, answer);
      }
    }
    const events = calls().find((call) => call.route === 'POST /v1/events') as Call;
    expectConforms(events, await send(app, events, { payload: '"one string"' }));
    expectConforms(events, await send(app, events, { payload: null }));
  });

  it('declares 415 for bodies of another type, and 413 for bodies over the limit', async () => {
    for (const call of calls()) {
      if (call.payload === undefined) continue;
      const wrongType = await send(app, call, { payload: 'a=1', contentType: 'text/plain' });
      expect(wrongType.statusCode, call.route).toBe(415);
      expectConforms(call, wrongType);
      // Refused on its declared length, before a byte is read.
      const tooLarge = await app.inject({
        method: methodOf(call),
        url: call.url,
        headers: {
          authorization: `Bearer ${tokenOf(NEEDED_BY[call.needs])}`,
          'content-type': 'application/json',
          'content-length': String(65 * 1024 * 1024),
        },
        payload: '[]',
      });
      expect(tooLarge.statusCode, call.route).toBe(413);
      expectConforms(call, tooLarge);
      exercised.get(call.route)?.add(413);
    }
  });

  it('declares 429 when a caller sends too much', async () => {
    const session = calls().find((call) => call.route === 'POST /v1/session') as Call;
    let answer: Answer | undefined;
    for (let i = 0; i < 25 && answer?.statusCode !== 429; i += 1) {
      answer = await send(app, session, { payload: { token: 'dw_guess' } });
    }
    expect(answer?.statusCode).toBe(429);
    expectConforms(session, answer as Answer);
  });

  describe('in services that lack something', () => {
    let bare: FastifyInstance;
    let down: FastifyInstance;
    let broken: FastifyInstance;
    beforeAll(async () => {
      const auth = {
        tokens: Object.values(tokens).map((token) => token.entry),
        ingestRequestsPerMinute: 1,
      };
      const plans = () => service.plans;
      // No alerting, no signing key, one ingest request a minute (the demo's store: libchdb
      // opens one data directory per process).
      bare = buildApp({
        store: service.store,
        metrics: createIngestMetrics(),
        monitors: plans,
        auth,
      });
      // A store that does not answer (a server gone away): what the gateway reports then.
      const away = async () => {
        throw new DriftwatchError('DW_STORE', 'ClickHouse: connect ECONNREFUSED 127.0.0.1:8123', {
          retriable: true,
        });
      };
      const unreachable = {
        kind: 'server',
        query: away,
        command: away,
        insert: away,
        insertRowBinary: away,
      } as unknown as Store;
      down = buildApp({
        store: unreachable,
        metrics: createIngestMetrics(),
        monitors: plans,
        auth,
      });
      // A failure of our own (a bug), which the answer must not describe.
      const bug = async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      };
      const failing = {
        kind: 'server',
        query: bug,
        command: bug,
        insert: bug,
        insertRowBinary: bug,
      } as unknown as Store;
      broken = buildApp({ store: failing, metrics: createIngestMetrics(), monitors: plans, auth });
      await Promise.all([bare.ready(), down.ready(), broken.ready()]);
    });
    afterAll(async () => {
      await Promise.all([bare?.close(), down?.close(), broken?.close()]);
    });

    it('declares 501 where a feature is not set up, saying what it needs', async () => {
      for (const call of calls()) {
        if (!/alerts|silences|exports/.test(call.route)) continue;
        const answer = await send(bare, call);
        expect(answer.statusCode, call.route).toBe(501);
        expectConforms(call, answer);
      }
      const exportCall = calls().find((call) => call.route === 'GET /v1/exports') as Call;
      const answer = await bare.inject({
        url: exportCall.url,
        headers: { authorization: `Bearer ${tokenOf('admin')}` },
      });
      expect(answer.json()).toMatchObject({
        code: 'DW_NOT_IMPLEMENTED',
        error:
          'exports need a signing key: set DRIFTWATCH_EXPORT_SIGNING_KEY (driftwatch export keygen)',
      });
    });

    it('declares 429 for a producer over its rate', async () => {
      const events = calls().find((call) => call.route === 'POST /v1/events') as Call;
      const first = await send(bare, events);
      expectConforms(events, first);
      const second = await send(bare, events);
      expect(second.statusCode).toBe(429);
      expectConforms(events, second);
    });

    it('declares 503 while the store is away, and 500 for a failure of its own', async () => {
      for (const call of calls()) {
        const unavailable = await send(down, call);
        expectConforms(call, unavailable);
        const failed = await send(broken, call);
        expectConforms(call, failed);
      }
      // Logging out of a session needs the store too.
      const logout = calls().find((call) => call.route === 'DELETE /v1/session') as Call;
      const cookie = `driftwatch_session=dws_${'a'.repeat(43)}`;
      const unavailable = await send(down, logout, { role: null, cookie });
      expect(unavailable.statusCode).toBe(503);
      expectConforms(logout, unavailable);
      expect([...(exercised.get('GET /v1/status') ?? [])]).toEqual(
        expect.arrayContaining([503, 500]),
      );
      expect([...(exercised.get('GET /readyz') ?? [])]).toContain(503);
    });

    it('declares 408 for a request that does not arrive in time', async () => {
      const slow = buildApp({
        store: service.store,
        metrics: createIngestMetrics(),
        monitors: () => [],
        http: { requestTimeoutMs: 500 },
      });
      const address = await slow.listen({ host: '127.0.0.1', port: 0 });
      const socket = net.connect(Number(new URL(address).port), '127.0.0.1');
      socket.write(
        'POST /v1/events HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/x-ndjson\r\ncontent-length: 100\r\n\r\n{',
      );
      const raw = await new Promise<string>((resolve) => {
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(received));
      });
      await slow.close();
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      const headers = Object.fromEntries(
        head
          .split('\r\n')
          .slice(1)
          .map((line) => [
            line.split(':')[0]?.toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
      ) as Record<string, string>;
      const answer = {
        statusCode: Number(head.split(' ')[1]),
        headers,
        rawPayload: Buffer.from(body),
      };
      expect(answer.statusCode).toBe(408);
      expect(problemsOf('POST', '/v1/events', answer)).toEqual([]);
    });
  });

  it('was shown every route succeeding and failing', () => {
    // /healthz answers that the process is alive: nothing about a request can fail it.
    for (const call of calls().filter((call) => call.route !== 'GET /healthz')) {
      const seen = [...(exercised.get(call.route) ?? [])];
      expect(
        seen.some((status) => status < 300),
        call.route,
      ).toBe(true);
      expect(
        seen.some((status) => status >= 400),
        call.route,
      ).toBe(true);
    }
  });
});
