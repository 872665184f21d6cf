import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertsApi } from '../../src/alerts/alertsApi.js';
import { buildApp } from '../../src/api/app.js';
import { createToken } from '../../src/api/auth/tokens.js';
import { loadAlertsConfig } from '../../src/config/config.js';
import { createIngestMetrics } from '../../src/ingest/metrics.js';
import type { MonitorPlan } from '../../src/monitors/plan.js';
import type { Store } from '../../src/store/clickhouse.js';
import { listLatestWindowResults, listRunsPage } from '../../src/store/results.js';
import { launchChromium } from '../helpers/browser.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { openTestStore } from '../helpers/store.js';
import { planFromYaml, storeRun } from '../helpers/verdicts.js';

/**
 * Issue 20, item 3: plain messages for the dashboard's empty and unknown states, in Debian's
 * chromium against a service whose store holds three models in three states: `fresh` never
 * evaluated, `waiting` evaluated (through the API's run) before its first event, and `quiet`
 * evaluated with every check ok and no alert.
 */
const ARTIFACTS = path.join(REPO_ROOT, 'test/.tmp/dashboard');
const reader = createToken('read', 'analyst');
const operator = createToken('operator', 'oncall');

function monitorYaml(model: string): string {
  return `model: ${model}
baseline: { trailing: 7d }
features: { amount: numeric }
slices: [channel]
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;
}

describe('the dashboard says plainly what is empty, unknown or failed', () => {
  let store: Store;
  let app: FastifyInstance;
  let empty: FastifyInstance;
  let url: string;
  let emptyUrl: string;
  let browser: Browser;
  let plans: MonitorPlan[];
  const windowEnd = new Date(Math.floor(Date.now() / 1_800_000) * 1_800_000);

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    store = await openTestStore();
    plans = ['fresh', 'waiting', 'quiet'].map((model) => planFromYaml(monitorYaml(model)));
    const quiet = plans.find((plan) => plan.model === 'quiet');
    if (!quiet) throw new Error('quiet should be planned');
    await storeRun(
      store,
      quiet,
      windowEnd,
      ['all', 'channel=web', 'channel=ios'].map((slice) => ({
        feature: 'amount',
        slice,
        status: 'ok' as const,
      })),
    );
    const alertsConfig = loadAlertsConfig({});
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => plans,
      auth: { tokens: [reader.entry, operator.entry] },
      alerts: createAlertsApi(store, { plans: () => plans, config: alertsConfig }),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    // A service that loaded no monitor files, on the same store.
    empty = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: [reader.entry] },
      alerts: createAlertsApi(store, { plans: () => [], config: alertsConfig }),
    });
    emptyUrl = await empty.listen({ host: '127.0.0.1', port: 0 });
    // `waiting` is evaluated as an operator would (POST .../runs): it has never sent an event.
    const run = await fetch(`${url}/v1/models/waiting/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ window_end: windowEnd.toISOString() }),
    });
    expect(run.status).toBe(200);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await empty?.close();
    await store?.close();
  });

  async function logIn(base: string, next: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${base}${next}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', reader.token);
    await Promise.all([page.waitForURL(`${base}${next}`), page.click('button[type=submit]')]);
    await page.waitForSelector('body[data-ready]');
    return page;
  }

  it('names the known models and links back for a model it does not monitor', async () => {
    const page = await logIn(url, '/dashboard/models/no-such-model');
    expect(await page.getAttribute('body', 'data-ready')).toBe('true');
    const known = plans.map((plan) => plan.model).sort();
    expect(await page.textContent('#not-found')).toBe(
      `No model named "no-such-model". Known models: ${known.join(', ')}.`,
    );
    expect(await page.getAttribute('#back', 'href')).toBe('/dashboard');
    expect(await page.locator('main .error').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'unknown-model.png') });
    await page.click('#back');
    await page.waitForURL(`${url}/dashboard`);
    await page.context().close();
  });

  it('says a model has no runs yet, and so nothing to map, list or alert on', async () => {
    expect((await listRunsPage(store, { monitor: 'fresh', limit: 10, offset: 0 })).total).toBe(0);
    const page = await logIn(url, '/dashboard/models/fresh');
    expect(await page.getAttribute('#model-state', 'data-state')).toBe('no_runs');
    expect(await page.textContent('#model-state')).toMatch(
      /^No runs yet: the monitor has not evaluated a window of fresh\. Its schedule is \*\/30 \* \* \* \*;/,
    );
    expect(await page.textContent('#heatmap-empty')).toBe(
      'Nothing to map yet: no window of fresh has been evaluated.',
    );
    expect(await page.textContent('#results tbody')).toBe(
      'No results yet: the model has no evaluated window.',
    );
    expect(await page.textContent('#no-alerts')).toMatch(/^No alerts for fresh:/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-no-runs.png'), fullPage: true });
    await page.context().close();
  });

  it('says a model awaits its first event, not that it is ok or broken', async () => {
    const stored = await listLatestWindowResults(store, 'waiting');
    expect(stored.length).toBeGreaterThan(0);
    expect(new Set(stored.map((r) => r.status))).toEqual(new Set(['awaiting_data']));
    const page = await logIn(url, '/dashboard/models/waiting');
    expect(await page.getAttribute('#model-status .status', 'data-status')).toBe('awaiting_data');
    expect(await page.getAttribute('#model-state', 'data-state')).toBe('awaiting_data');
    expect(await page.textContent('#model-state')).toBe(
      'Awaiting data: waiting has not sent its first event yet, so nothing is checked and nothing pages. Checks start with its first event.',
    );
    expect(await page.textContent('#no-alerts')).toMatch(/^No alerts for waiting:/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-awaiting-data.png') });
    await page.context().close();
  });

  it('says there are no alerts, and no results of a status, for a quiet model', async () => {
    const page = await logIn(url, '/dashboard/models/quiet');
    expect(await page.locator('#model-state').count()).toBe(0);
    expect(await page.textContent('#no-alerts')).toBe(
      'No alerts for quiet: no check has breached its threshold long enough to fire.',
    );
    expect(await page.locator('#alerts .alert-group').count()).toBe(0);
    await page.selectOption('#status-filter', 'critical');
    expect(await page.textContent('#results tbody')).toBe(
      'No critical results for psi in the newest window (choose "all" to see every row).',
    );
    await page.selectOption('#status-filter', 'all');
    expect(await page.locator('#results tbody tr[data-status="ok"]').count()).toBe(3);
    await page.context().close();
  });

  it('says what failed when a call to the API fails, and draws the rest', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${url}/login`);
    await page.fill('#token', reader.token);
    await Promise.all([page.waitForURL(`${url}/dashboard`), page.click('button[type=submit]')]);
    // The connection to one endpoint fails, as when a proxy drops it.
    await page.route('**/v1/models/quiet/labels', (route) => route.abort('connectionrefused'));
    await page.goto(`${url}/dashboard/models/quiet`);
    await page.waitForSelector('body[data-ready]');
    expect(await page.getAttribute('body', 'data-ready')).toBe('true');
    expect(await page.textContent('#labels .error')).toBe(
      'Could not load the labels chart (AUROC and coverage): the service did not answer (network error or the service is down) (GET /v1/models/quiet/labels).',
    );
    // the rest of the page is drawn all the same
    expect(await page.locator('#results tbody tr[data-status="ok"]').count()).toBe(3);
    expect(await page.textContent('#no-alerts')).toMatch(/^No alerts for quiet/);
    // an answer the service refuses says which call and why
    await page.route('**/v1/alerts?*', (route) =>
      route.continue({ url: route.request().url().replace('state=', 'state=nonsense,') }),
    );
    await page.reload();
    await page.waitForSelector('body[data-ready]');
    expect(await page.textContent('#alerts .error')).toMatch(
      /^Could not load the model's alerts: .*nonsense.* \(GET \/v1\/alerts\)\.$/,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-api-error.png'), fullPage: true });
    await context.close();
  });

  it('says a service without monitor files has no models', async () => {
    const page = await logIn(emptyUrl, '/dashboard');
    expect(await page.textContent('#no-models')).toBe(
      'No models: this service has loaded no monitor files (see DRIFTWATCH_MONITORS_DIR).',
    );
    expect(await page.textContent('#alerts')).toBe('No open alerts.');
    await page.context().close();
  });
});
