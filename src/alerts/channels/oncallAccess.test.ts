import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMonitorAccessConfig } from '../../config/config.js';
import type { MonitorAccess } from '../../monitors/monitorAccess.js';
import type { OutboxChannel } from '../../store/outbox.js';
import type { NotificationMessage } from '../notification.js';
import { createAlertmanagerChannel } from './alertmanager.js';
import type { Delivery, NotificationChannel } from './channel.js';
import type { ResolveHost } from './guardedRequest.js';
import { createPagerdutyChannel } from './pagerduty.js';
import { createTeamsChannel } from './teams.js';

/**
 * The on-call channels (PagerDuty, Teams, Alertmanager) reach only what the operator lets
 * monitor files reach, through the webhooks' guarded request: checked again before each
 * request, on the addresses a host resolves to then, redirects kept to their origin. Real
 * HTTP receivers on loopback; DNS is stood in for (it lives outside).
 */
interface Receiver {
  port: number;
  received: { path: string; body: string }[];
  /** Answer every request with a redirect to this URL (null: 202). */
  redirectTo: string | null;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    port: 0,
    received: [],
    redirectTo: null,
    close: async () => undefined,
  };
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      receiver.received.push({ path: request.url ?? '', body });
      if (receiver.redirectTo) response.writeHead(307, { location: receiver.redirectTo });
      else response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"status":"success"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

const ROUTING_KEY = 'R0UTINGKEY0123456789abcdefabcdef';
const SIGNATURE = 's3cr3tsignature';
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

/** A resolver that knows only the test's names. */
function resolverOf(names: Record<string, string>): ResolveHost {
  return async (hostname) => {
    const address = names[hostname];
    if (!address) throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
}

/** One of the three channels, sending to `url` (for Teams, the URL its variable holds). */
function channelFor(
  kind: OutboxChannel,
  url: string,
  access: MonitorAccess,
  resolveHost: ResolveHost,
): NotificationChannel {
  const common = { timeoutMs: 3000, links: () => null, access, resolveHost };
  if (kind === 'pagerduty')
    return createPagerdutyChannel({ ...common, resolve: () => ({ url, routingKey: ROUTING_KEY }) });
  if (kind === 'teams') return createTeamsChannel({ ...common, resolve: () => ({ url }) });
  return createAlertmanagerChannel({
    ...common,
    resolve: () => ({ url, authorization: null, schedule: '0 * * * *' }),
  });
}

function send(channel: NotificationChannel, kind: OutboxChannel) {
  const delivery: Delivery = {
    id: 'msg_test',
    kind: 'test',
    channel: kind,
    target: 'oncall',
    monitor: 'm1',
    model: 'm1',
    message,
  };
  return channel.send(delivery);
}

const NAMES = { pagerduty: 'PagerDuty', teams: 'Teams', alertmanager: 'Alertmanager' } as const;
const KINDS = ['pagerduty', 'teams', 'alertmanager'] as const;

/** Where each channel is told to send, on a receiver reached as `host`. */
function urlOf(kind: OutboxChannel, host: string, port: number): string {
  if (kind === 'teams')
    return `http://${host}:${port}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${SIGNATURE}`;
  return kind === 'pagerduty' ? `http://${host}:${port}/v2/enqueue` : `http://${host}:${port}`;
}

describe('the on-call channels under the monitor access policy', () => {
  let receiver: Receiver;
  let elsewhere: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    elsewhere = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await elsewhere.close();
  });

  it.each(KINDS)(
    '%s: a host resolving to this machine at send time is refused unless loopback is allowed',
    async (kind) => {
      const resolveHost = resolverOf({ 'oncall.example.test': '127.0.0.1' });
      const url = urlOf(kind, 'oncall.example.test', receiver.port);
      const before = receiver.received.length;
      const refused = await send(channelFor(kind, url, closed, resolveHost), kind);
      expect(refused).toEqual({
        ok: false,
        retriable: false,
        error: `${NAMES[kind]} "oncall" refused: oncall.example.test resolves to a refused address: 127.0.0.1 is this machine (loopback): webhooks may call it only with DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true`,
        responseStatus: null,
      });
      expect(receiver.received.length).toBe(before);
      // allowed: the request reaches the very address the check saw
      expect(await send(channelFor(kind, url, loopback, resolveHost), kind)).toEqual({
        ok: true,
        responseStatus: 202,
      });
      // (PagerDuty's test is a trigger and its resolve: two events)
      expect(receiver.received.length).toBe(before + (kind === 'pagerduty' ? 2 : 1));
    },
  );

  it.each(KINDS)('%s: never calls a host resolving to a metadata address', async (kind) => {
    const resolveHost = resolverOf({ 'meta.example.test': '169.254.169.254' });
    const outcome = await send(
      channelFor(kind, urlOf(kind, 'meta.example.test', receiver.port), loopback, resolveHost),
      kind,
    );
    expect(outcome).toMatchObject({
      ok: false,
      retriable: false,
      error: expect.stringMatching(
        new RegExp(
          `^${NAMES[kind]} "oncall" refused: meta\\.example\\.test resolves to .* never call`,
        ),
      ),
    });
  });

  it('Teams: the URL from the environment is held to the same rules, its signature never shown', async () => {
    const resolveHost = resolverOf({});
    for (const url of [
      `http://169.254.169.254/workflows/x?sig=${SIGNATURE}`,
      `ftp://teams.example.test/x?sig=${SIGNATURE}`,
      `http://metadata.google.internal/x?sig=${SIGNATURE}`,
    ]) {
      const outcome = await send(channelFor('teams', url, loopback, resolveHost), 'teams');
      expect(outcome).toMatchObject({
        ok: false,
        retriable: false,
        error: expect.stringMatching(/^Teams "oncall" refused: /),
      });
      expect(JSON.stringify(outcome)).not.toContain(SIGNATURE);
    }
  });

  it.each(KINDS)(
    '%s: a redirect to another origin is refused: the body and its key go nowhere else',
    async (kind) => {
      const resolveHost = resolverOf({});
      receiver.redirectTo = `http://127.0.0.1:${elsewhere.port}/stolen`;
      try {
        const outcome = await send(
          channelFor(kind, urlOf(kind, '127.0.0.1', receiver.port), loopback, resolveHost),
          kind,
        );
        expect(outcome).toMatchObject({
          ok: false,
          retriable: false,
          error: expect.stringMatching(new RegExp(`^${NAMES[kind]} "oncall" refused: .*redirect`)),
        });
        expect(elsewhere.received).toEqual([]);
        expect(JSON.stringify(outcome)).not.toContain(SIGNATURE);
      } finally {
        receiver.redirectTo = null;
      }
    },
  );
});
