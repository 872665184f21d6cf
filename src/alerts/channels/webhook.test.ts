import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMonitorAccessConfig } from '../../config/config.js';
import type { MonitorAccess } from '../../monitors/monitorAccess.js';
import type { WebhookPlan } from '../../monitors/plan.js';
import type { NotificationMessage } from '../notification.js';
import { linksFor } from '../render/text.js';
import type { Delivery } from './channel.js';
import type { ResolveHost } from './guardedRequest.js';
import { createWebhookChannel } from './webhook.js';

/**
 * The webhook channel against real HTTP receivers on loopback: what reaches them, and what
 * is refused before a byte is sent. DNS is the one thing stood in for (a resolver that maps
 * test names to chosen addresses), as it lives outside.
 */
interface Received {
  path: string;
  authorization: string;
  body: string;
}

interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Answer the next request with this status and headers. */
  answerNext(status: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers: { status: number; headers: Record<string, string> }[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        authorization: String(request.headers.authorization ?? ''),
        body,
      });
      const answer = answers.shift() ?? { status: 204, headers: {} };
      response.writeHead(answer.status, answer.headers);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    answerNext: (status, headers = {}) => answers.push({ status, headers }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SECRET = 'whsec_dGVzdC1zZWNyZXQtZm9yLXdlYmhvb2tz';
const loopback = loadMonitorAccessConfig({ DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true' });
const closed = loadMonitorAccessConfig({});

const message: NotificationMessage = {
  type: 'test',
  model: 'm1',
  monitor: 'm1',
  severity: null,
  window: { start: '2026-12-06T10:00:00.000Z', end: '2026-12-06T11:00:00.000Z' },
  baseline: { name: '', version: 0 },
  monitor_hash: 'h',
  items: [],
};

const policy = { severities: ['warn', 'critical'], afterWindows: 1, minIntervalMs: 0 } as const;

function generic(url: string): WebhookPlan {
  return {
    name: 'hook',
    preset: 'generic',
    url,
    secretEnv: ['TEST_SECRET'],
    policy: { ...policy, severities: [...policy.severities], sendResolved: false },
  };
}

function deliver(
  plan: WebhookPlan,
  access: MonitorAccess,
  options: { resolveHost?: ResolveHost; token?: string } = {},
) {
  const channel = createWebhookChannel({
    resolve: () => ({ plan, secrets: [SECRET], token: options.token ?? null }),
    timeoutMs: 3000,
    links: (model) => linksFor('http://driftwatch.example.com', model),
    access,
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  const delivery: Delivery = {
    id: 'msg_test',
    kind: 'test',
    channel: 'webhook',
    target: plan.name,
    monitor: 'm1',
    model: 'm1',
    message,
  };
  return channel.send(delivery);
}

/** A resolver that knows only the test's names. */
function resolverOf(names: Record<string, string>): ResolveHost {
  return async (hostname) => {
    const address = names[hostname];
    if (!address) throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
}

describe('the webhook channel', () => {
  let receiver: Receiver;
  let other: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    other = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await other.close();
  });

  it('refuses a host that resolves to this machine at send time, unless loopback is allowed', async () => {
    const resolveHost = resolverOf({ 'hooks.example.test': '127.0.0.1' });
    const plan = generic(`http://hooks.example.test:${receiver.port}/rebound`);
    const refused = await deliver(plan, closed, { resolveHost });
    expect(refused).toEqual({
      ok: false,
      retriable: false,
      error:
        'webhook "hook" refused: hooks.example.test resolves to a refused address: 127.0.0.1 is this machine (loopback): webhooks may call it only with DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true',
      responseStatus: null,
    });
    expect(receiver.received.filter((r) => r.path === '/rebound')).toEqual([]);
    // allowed: the connection goes to the very address the check saw
    expect(await deliver(plan, loopback, { resolveHost })).toEqual({
      ok: true,
      responseStatus: 204,
    });
    expect(receiver.received.filter((r) => r.path === '/rebound')).toHaveLength(1);
  });

  it('never calls a host that resolves to a link-local or metadata address', async () => {
    const resolveHost = resolverOf({
      'meta.example.test': '169.254.169.254',
      'meta6.example.test': 'fd00:ec2::254',
    });
    for (const host of ['meta.example.test', 'meta6.example.test']) {
      const outcome = await deliver(generic(`http://${host}/latest/meta-data/`), loopback, {
        resolveHost,
      });
      expect(outcome).toMatchObject({
        ok: false,
        retriable: false,
        error: expect.stringMatching(
          new RegExp(
            `^webhook "hook" refused: ${host} resolves to a refused address: .* never call`,
          ),
        ),
      });
    }
  });

  it('checks a preset URL and the stored plan again before sending (GitHub with a token)', async () => {
    const plan: WebhookPlan = {
      name: 'gha',
      preset: 'github_actions',
      apiUrl: receiver.url,
      repository: 'acme/models',
      eventType: 'retrain',
      tokenEnv: 'GITHUB_TOKEN',
      policy: { ...policy, severities: [...policy.severities], sendResolved: false },
    };
    const before = receiver.received.length;
    expect(await deliver(plan, closed, { token: 'ghp_tokenthatmustnotleave' })).toMatchObject({
      ok: false,
      retriable: false,
      error: expect.stringMatching(/^webhook "gha" refused: 127\.0\.0\.1 is this machine/),
    });
    expect(receiver.received.length).toBe(before);
    expect(await deliver(plan, loopback, { token: 'ghp_tokenthatmustnotleave' })).toEqual({
      ok: true,
      responseStatus: 204,
    });
    expect(receiver.received.at(-1)).toMatchObject({
      path: '/repos/acme/models/dispatches',
      authorization: 'Bearer ghp_tokenthatmustnotleave',
    });
  });

  it('follows a 307 within the same origin, and no redirect to another host', async () => {
    receiver.answerNext(307, { location: '/moved' });
    expect(await deliver(generic(`${receiver.url}/old`), loopback)).toEqual({
      ok: true,
      responseStatus: 204,
    });
    const [old, moved] = receiver.received.slice(-2);
    expect(old?.path).toBe('/old');
    expect(moved?.path).toBe('/moved');
    expect(moved?.body).toBe(old?.body); // the same signed body, not a GET
    expect(JSON.parse(moved?.body ?? '{}')).toMatchObject({ type: 'driftwatch.test' });

    receiver.answerNext(307, { location: `${other.url}/stolen` });
    expect(await deliver(generic(`${receiver.url}/hop`), loopback)).toEqual({
      ok: false,
      retriable: false,
      error: `webhook "hook" refused: answered HTTP 307, a redirect to another host (127.0.0.1:${other.port}): not followed`,
      responseStatus: null,
    });
    receiver.answerNext(302, { location: `${other.url}/stolen` });
    expect(await deliver(generic(`${receiver.url}/hop`), loopback)).toEqual({
      ok: false,
      retriable: false,
      error: 'webhook "hook" answered HTTP 302: redirects are not followed',
      responseStatus: 302,
    });
    expect(other.received).toEqual([]);
  });

  it('stores no credential a URL carries, even in an error', async () => {
    const outcome = await deliver(
      generic(`http://alice:hunter2@127.0.0.1:${receiver.port}/x?token=s3cr3t`),
      loopback,
    );
    expect(outcome).toMatchObject({ ok: false, retriable: false });
    const text = JSON.stringify(outcome);
    for (const secret of ['alice', 'hunter2', 's3cr3t']) expect(text).not.toContain(secret);
  });
});
