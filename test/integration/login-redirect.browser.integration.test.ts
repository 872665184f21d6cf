import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createToken } from '../../src/api/auth/tokens.js';
import { createIngestMetrics } from '../../src/ingest/metrics.js';
import type { Store } from '../../src/store/clickhouse.js';
import { openTestStore } from '../helpers/store.js';

/**
 * Issue 18, item 8: after logging in, the login page goes to `next` only when the browser
 * itself resolves it to the service's own origin. Judged in Debian's chromium: each hostile
 * `next` is what a phishing link would carry, and another origin on this machine records
 * whether the browser was sent to it.
 */
const reader = createToken('read', 'analyst');

function chromiumPath(): string {
  return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
}

describe('the login page sends the browser back only to its own origin', () => {
  let store: Store;
  let app: FastifyInstance;
  let origin: string;
  let elsewhere: http.Server;
  let other: string;
  const visitsElsewhere: string[] = [];
  let browser: Browser;

  beforeAll(async () => {
    store = await openTestStore();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: [reader.entry] },
    });
    origin = await app.listen({ host: '127.0.0.1', port: 0 });
    elsewhere = http.createServer((request, response) => {
      visitsElsewhere.push(request.url ?? '');
      response.end('another origin');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    // Another origin: same machine, another host name and port.
    other = `localhost:${(elsewhere.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => elsewhere?.close(resolve));
    await app?.close();
    await store?.close();
  });

  /** Logs in on /login?<query> and says where the browser ended up. */
  async function landing(query: string): Promise<URL> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/login?${query}`);
    await page.fill('#token', reader.token);
    await Promise.all([
      page.waitForURL((url) => url.pathname !== '/login' || url.origin !== origin),
      page.click('button[type=submit]'),
    ]);
    const url = new URL(page.url());
    await context.close();
    return url;
  }

  // As they arrive in the query string (the `next` parameter is decoded once by the page).
  const hostile = () => [
    `next=/%5C${other}/x`, // the issue's: "/\host:port/x"
    `next=//${other}/x`,
    `next=%2F%2F${other}/x`,
    `next=%5C%5C${other}/x`,
    `next=/%09/${other}/x`, // a tab, which URL parsers drop
    `next=/%0A/${other}/x`, // a newline, likewise
    `next=%20//${other}/x`, // leading space
    `next=http://${other}/x`,
    `next=HTTP:%2F%2F${other}/x`,
    `next=/.//${other}/x`, // a path whose own text would read as //host
    `next=javascript:alert(document.domain)`,
  ];

  it('never to another origin, however `next` is spelled', async () => {
    for (const query of hostile()) {
      const url = await landing(query);
      expect(url.origin, query).toBe(origin);
    }
    expect(visitsElsewhere).toEqual([]);
  }, 120_000);

  it('to a path of its own, with its query', async () => {
    const url = await landing(`next=${encodeURIComponent('/dashboard/models/m?slice=all')}`);
    expect(url.href).toBe(`${origin}/dashboard/models/m?slice=all`);
  }, 60_000);
});
