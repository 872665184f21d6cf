import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/api/auth/tokens.js';
import type { Service } from '../../src/main.js';
import { listAcknowledgements, listAlertEvents, listAlerts } from '../../src/store/alerts.js';
import {
  listLatestWindowResults,
  listRunsPage,
  queryResultsPage,
} from '../../src/store/results.js';
import { launchChromium, startDemoService } from '../helpers/browser.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';
import { storeRun } from '../helpers/verdicts.js';

/**
 * The dashboard as a person uses it: Debian's chromium, headless, driven by playwright-core,
 * against the service holding the demo's data, with tokens required.
 */
const ARTIFACTS = path.join(REPO_ROOT, 'test/.tmp/dashboard');
const read = createToken('read', 'analyst');
const operator = createToken('operator', 'oncall');
const ingest = createToken('ingest', 'demo-producer');
/** A time as every time on the dashboard: UTC, to the minute ("2026-12-06 19:10Z"). */
const minute = (iso: string) => iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z');

describe('the dashboard in a real browser, on demo data', () => {
  let service: Service;
  let browser: Browser;
  let url: string;
  const dataDir = tempDir('driftwatch-dashboard-');

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    service = await startDemoService(dataDir, [read, operator, ingest], ingest.token);
    url = service.address ?? '';
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function logIn(token: string, timezoneId?: string): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
      ...(timezoneId ? { timezoneId } : {}),
    });
    const page = await context.newPage();
    await page.goto(`${url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', token);
    await Promise.all([page.waitForURL(`${url}/dashboard`), page.click('button[type=submit]')]);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  }

  it('refuses requests without a token, and sends a browser without a session to the login page', async () => {
    const api = await fetch(`${url}/v1/models`);
    expect(api.status).toBe(401);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/dashboard/models/fraud-detector`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', 'dw_not-a-real-token-at-all');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toMatch(/not valid/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'login.png') });
    await context.close();
  });

  it('lists every model with the status of its newest window, worst first', async () => {
    const page = await logIn(read.token);
    const rows = await page.$$eval('#models tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-model'), tr.getAttribute('data-status')]),
    );
    // Expected from the stored results themselves: the worst status of each model's newest window.
    const rank = ['critical', 'warn', 'no_data', 'insufficient_data', 'ok'];
    const expected = await Promise.all(
      service.plans.map(async (plan) => {
        const statuses = (await listLatestWindowResults(service.store, plan.model)).map(
          (r) => r.status,
        );
        return [plan.model, rank.find((status) => statuses.includes(status)) ?? 'ok'];
      }),
    );
    expect(rows.map((row) => row[0]).sort()).toEqual(
      service.plans.map((plan) => plan.model).sort(),
    );
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
    expect(Object.fromEntries(rows)['fraud-detector']).toBe('critical'); // the demo plants drift
    expect(await page.locator('#logout').count()).toBe(1); // a service with a login
    await page.screenshot({ path: path.join(ARTIFACTS, 'overview.png'), fullPage: true });
    await page.context().close();
  });

  it("shows each model's last day and week as strips of window statuses, and its last incident", async () => {
    const page = await logIn(read.token);
    const plan = service.plans.find((candidate) => candidate.model === 'fraud-detector');
    if (!plan) throw new Error('the demo should have fraud-detector');
    const row = page.locator('#models tr[data-model="fraud-detector"]');
    const week = row.locator('.strip[data-strip="week"] .cell');
    const day = row.locator('.strip[data-strip="day"] .cell');
    await expect.poll(() => week.count()).toBe(168);
    expect(await day.count()).toBe(96);
    // Every stored window of the last week is in exactly one cell of each strip, and a cell
    // is coloured by the worst of them: the demo's critical drift shows.
    const runs = await listRunsPage(service.store, {
      monitor: plan.monitor,
      from: new Date(Date.now() - 7 * 24 * 3_600_000),
      limit: 10_000,
      offset: 0,
    });
    expect(runs.total).toBeGreaterThan(0);
    const cells = (strip: typeof week) =>
      strip.evaluateAll((nodes) =>
        nodes.map((n) => [n.getAttribute('data-status'), Number(n.getAttribute('data-windows'))]),
      );
    for (const strip of [week, day]) {
      const shown = await cells(strip);
      expect(shown.reduce((sum, [, windows]) => sum + Number(windows), 0)).toBe(runs.total);
      expect(shown.filter(([status]) => status === 'critical').length).toBeGreaterThan(0);
      // an empty stretch is "none", never "ok"
      for (const [status, windows] of shown) expect(status === 'none').toBe(Number(windows) === 0);
    }
    const statuses = new Set(runs.items.map((run) => run.status));
    const shownStatuses = new Set((await cells(week)).map(([status]) => status));
    shownStatuses.delete('none');
    expect(shownStatuses).toEqual(statuses);
    // Its last incident: the demo's drift fired an alert that is still open.
    const firing = (await listAlerts(service.store, { model: 'fraud-detector', state: 'firing' }))
      .filter((alert) => alert.since !== null)
      .sort((a, b) => (b.since?.getTime() ?? 0) - (a.since?.getTime() ?? 0));
    expect(firing.length).toBeGreaterThan(0);
    const incident = row.locator('td.incident a');
    expect(await incident.getAttribute('data-incident')).toBe(firing[0]?.alertId);
    expect(await incident.getAttribute('data-state')).toBe('firing');
    expect(await incident.textContent()).toContain(`· ${firing[0]?.checkId} ·`);
    expect(await incident.textContent()).toMatch(/firing since \d{4}-\d\d-\d\d \d\d:\d\dZ/);
    await page.locator('#models').screenshot({ path: path.join(ARTIFACTS, 'overview-strips.png') });
    await page.context().close();
  });

  it("shows a feature's drift history with its thresholds and breaches, and its histogram, on a click", async () => {
    const page = await logIn(read.token);
    await Promise.all([
      page.waitForURL(/\/dashboard\/models\/fraud-detector$/),
      page.click('#models a[href="/dashboard/models/fraud-detector"]'),
    ]);
    await page.waitForSelector('body[data-ready="true"]');
    await page.selectOption('#metric', 'psi');
    const row = page.locator('#results tr[data-feature="amount"][data-slice="channel=web"]');
    // the value as stored, with the bracket containing the exact value when it has one
    const stored = (await listLatestWindowResults(service.store, 'fraud-detector')).find(
      (r) =>
        r.check_id === 'psi' &&
        r.feature === 'amount' &&
        r.slice_key === 'channel' &&
        r.slice_value === 'web',
    );
    const shown = (await row.locator('td.num').first().textContent()) ?? '';
    expect(stored).toBeDefined();
    expect(shown.startsWith((stored?.value ?? NaN).toFixed(4))).toBe(true);
    if (stored?.value_lower != null && stored.value_upper != null) {
      expect(shown).toBe(
        `${stored.value?.toFixed(4)} [${stored.value_lower.toFixed(4)}, ${stored.value_upper.toFixed(4)}]`,
      );
    } else expect(shown).toBe(stored?.value?.toFixed(4));
    await row.locator('a.feature').click();
    const history = page.locator('#history');
    await expect.poll(() => history.getAttribute('data-points')).toMatch(/^[1-9]\d*$/);
    expect(await history.getAttribute('data-warn')).toBe('0.1');
    expect(await history.getAttribute('data-critical')).toBe('0.25');
    expect(Number(await history.getAttribute('data-breaches'))).toBeGreaterThan(0);
    expect(await history.locator('canvas').count()).toBe(1);
    const legend = await history.locator('.u-legend').textContent();
    expect(legend).toMatch(/warn threshold/);
    expect(legend).toMatch(/critical threshold/);
    await expect
      .poll(() => page.locator('#histogram').getAttribute('data-bins'))
      .toMatch(/^[1-9]\d*$/);
    await expect.poll(() => page.locator('#labels canvas').count()).toBe(1);
    // Time axes in UTC ISO, not the browser's "2:00pm 12/6/26"; legends blank, not "--".
    for (const chart of ['#history', '#labels']) {
      const ticks = ((await page.locator(chart).getAttribute('data-x-ticks')) ?? '').split('|');
      expect(ticks.length).toBeGreaterThan(1);
      for (const tick of ticks) expect(tick).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\dZ$/);
      expect(await page.locator(`${chart} .u-legend`).textContent()).not.toContain('--');
    }
    // The status filter keeps the rows of one status: those stored for the newest window.
    await page.selectOption('#status-filter', 'critical');
    const criticalPsi = (await listLatestWindowResults(service.store, 'fraud-detector')).filter(
      (r) => r.metric === 'psi' && r.feature && r.status === 'critical',
    );
    expect(criticalPsi.length).toBeGreaterThan(0);
    const filtered = await page.$$eval('#results tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-feature'), tr.getAttribute('data-status')]),
    );
    expect(filtered.map(([feature]) => feature).sort()).toEqual(
      criticalPsi.map((r) => r.feature).sort(),
    );
    expect(new Set(filtered.map(([, status]) => status))).toEqual(new Set(['critical']));
    await page.selectOption('#status-filter', 'awaiting_data');
    expect(await page.textContent('#results tbody')).toBe(
      'No awaiting_data results for psi in the newest window (choose "all" to see every row).',
    );
    await page.selectOption('#status-filter', 'all');
    await page.screenshot({ path: path.join(ARTIFACTS, 'model.png'), fullPage: true });
    await page.context().close();
  });

  it("leads the model page with a features × slices × time heatmap; a cell opens that window's chart and histogram", async () => {
    const page = await logIn(read.token);
    await page.goto(`${url}/dashboard/models/fraud-detector`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.selectOption('#metric', 'psi');
    // Expected from the stored results: a row per check, feature and slice, a cell per window.
    const [newest] = await listLatestWindowResults(service.store, 'fraud-detector');
    const stored = (
      await queryResultsPage(
        service.store,
        {
          model: 'fraud-detector',
          metric: 'psi',
          from: new Date(Date.parse(newest?.window_end ?? '') - 24 * 3_600_000),
        },
        { limit: 20_000, offset: 0 },
      )
    ).items.filter((r) => r.feature);
    const slice = (r: { slice_key: string; slice_value: string }) =>
      r.slice_key ? `${r.slice_key}=${r.slice_value}` : r.slice_value;
    const windows = [...new Set(stored.map((r) => r.window_end))].sort();
    const heatmap = page.locator('#heatmap');
    await expect.poll(() => heatmap.getAttribute('data-windows')).toBe(String(windows.length));
    expect(windows.length).toBeGreaterThan(1);
    expect(Number(await heatmap.getAttribute('data-rows'))).toBe(
      new Set(stored.map((r) => `${r.check_id}|${r.feature}|${slice(r)}`)).size,
    );
    // The heatmap comes before the charts and the newest window's table.
    const top = async (selector: string) => (await page.locator(selector).boundingBox())?.y ?? 0;
    expect(await top('#heatmap')).toBeLessThan(await top('#history'));
    const row = heatmap.locator('.heatmap-row[data-feature="amount"][data-slice="channel=web"]');
    const expected = windows.map(
      (end) =>
        stored.find(
          (r) => r.feature === 'amount' && slice(r) === 'channel=web' && r.window_end === end,
        )?.status ?? 'none',
    );
    expect(
      await row
        .locator('.cell')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-status'))),
    ).toEqual(expected);
    expect(expected).toContain('critical');
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-heatmap.png') });
    // A click on the oldest window opens that window's history and histogram, scrolled to.
    await page.locator('#alerts').scrollIntoViewIfNeeded();
    const oldest = row.locator(`.cell[data-window-end="${windows[0]}"]`);
    await oldest.click();
    await expect
      .poll(() => page.locator('#histogram').getAttribute('data-window-end'))
      .toBe(windows[0]);
    await expect
      .poll(() => page.locator('#history').getAttribute('data-points'))
      .toMatch(/^[1-9]\d*$/);
    expect(await page.textContent('#history-title')).toMatch(/^psi · amount · channel=web/);
    expect(await oldest.getAttribute('class')).toMatch(/selected/);
    const box = await page.locator('#history').boundingBox();
    // scrolled to the chart: its top near the viewport's (the page's start is out of view)
    expect(box && box.y > -5 && box.y < 200).toBe(true);
    expect(await page.evaluate('window.scrollY')).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-heatmap-click.png') });
    await page.context().close();
  });

  it('lets an operator run and backtest a window over the API, and not a reader', async () => {
    const end =
      service.plans[0] &&
      (await listLatestWindowResults(service.store, 'fraud-detector'))[0]?.window_end;
    const call = (token: string, route: string, body: unknown) =>
      fetch(`${url}/v1/models/fraud-detector/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await call(read.token, 'runs', { window_end: end })).status).toBe(403);
    const run = await call(operator.token, 'runs', { window_end: end });
    expect(run.status).toBe(200);
    const body = (await run.json()) as {
      run: { window_end: string; checks: number };
      results: { status: string }[];
    };
    expect(body.run.window_end).toBe(end);
    expect(body.results).toHaveLength(body.run.checks);
    const from = new Date(Date.parse(end ?? '') - 3_600_000).toISOString();
    const backtest = await call(operator.token, 'backtest', { from, to: end });
    expect(backtest.status).toBe(200);
    expect(((await backtest.json()) as { windows: unknown[] }).windows).toHaveLength(2);
  });

  it('acknowledges an open alert from the overview (operator)', async () => {
    const open = await listAlerts(service.store, { state: 'firing' });
    expect(open.length).toBeGreaterThan(0);
    const page = await logIn(operator.token);
    const first = page.locator('#alerts .alert').first();
    await expect.poll(() => first.getAttribute('data-state')).toBe('firing');
    const alertId = await first.getAttribute('data-alert');
    const alert = page.locator(`#alerts .alert[data-alert="${alertId}"]`);
    await alert.locator('button').click();
    await expect.poll(() => alert.getAttribute('data-state')).toBe('acknowledged');
    expect(await alert.textContent()).toMatch(/acknowledged by oncall/);
    // Stored with who and why, for the audit trail.
    const acks = await listAcknowledgements(service.store, [alertId ?? '']);
    expect(acks).toMatchObject([
      { alertId, acknowledgedBy: 'oncall', reason: 'acknowledged from the dashboard' },
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'alert-acknowledged.png'), fullPage: true });
    await page.context().close();
  });

  it("groups the model's alerts by what they need (firing, acknowledged, silenced, then resolved) with value, threshold, state, silence and a link to why", async () => {
    const asOperator = (route: string, body: unknown) =>
      fetch(`${url}${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // An operator silences the web channel's PSI and acknowledges another firing alert.
    const silenced = await asOperator('/v1/silences', {
      model: 'fraud-detector',
      check_id: 'psi',
      slice: 'channel=web',
      for: '4h',
      reason: 'retraining tonight',
    });
    expect(silenced.status).toBe(201);
    const silence = (await silenced.json()) as { silence_id: string; until: string; by: string };
    const listed = await fetch(
      `${url}/v1/alerts?model=fraud-detector&state=pending,firing,resolved&limit=1000`,
      { headers: { authorization: `Bearer ${read.token}` } },
    );
    type ApiAlert = {
      alert_id: string;
      check_id: string;
      feature: string;
      slice: string;
      severity: string;
      state: string;
      value: number | null;
      acknowledged: { by: string } | null;
      silenced_until: string | null;
    };
    const before = ((await listed.json()) as { items: ApiAlert[] }).items;
    const covered = (a: ApiAlert) => a.check_id === 'psi' && a.slice === 'channel=web';
    const toAck = before.find((a) => a.state === 'firing' && !a.acknowledged && !covered(a));
    if (!toAck) throw new Error('the demo should fire an alert outside the silence');
    const acked = await asOperator(`/v1/alerts/${toAck.alert_id}/acknowledge`, {
      reason: 'looking into it',
    });
    expect(acked.status).toBe(200);
    // What each group should hold: the stored alerts, each in the first group it belongs to.
    const alerts = (
      await listAlerts(service.store, { model: 'fraud-detector', state: 'all' })
    ).filter((a) => a.state !== 'inactive');
    const acks = new Set(
      (
        await listAcknowledgements(
          service.store,
          alerts.map((a) => a.alertId),
        )
      ).map((ack) => ack.alertId),
    );
    const sliceOf = (a: { sliceKey: string; sliceValue: string }) =>
      a.sliceKey ? `${a.sliceKey}=${a.sliceValue}` : a.sliceValue;
    const groupOf = (a: (typeof alerts)[number]) =>
      a.state === 'resolved'
        ? 'resolved'
        : a.checkId === 'psi' && sliceOf(a) === 'channel=web'
          ? 'silenced'
          : acks.has(a.alertId)
            ? 'acknowledged'
            : a.state;
    const expected: Record<string, string[]> = {};
    for (const a of alerts) (expected[groupOf(a)] ??= []).push(a.alertId);
    expect(expected.firing?.length).toBeGreaterThan(0);
    expect(expected.acknowledged).toContain(toAck.alert_id);
    expect(expected.silenced?.length).toBeGreaterThan(0);

    const page = await logIn(read.token);
    await page.goto(`${url}/dashboard/models/fraud-detector`);
    await page.waitForSelector('body[data-ready="true"]');
    const groups = page.locator('#alerts .alert-group');
    const shown = await groups.evaluateAll((nodes) =>
      nodes.map((node) => [
        node.getAttribute('data-group'),
        [...node.querySelectorAll('tr.alert-row')].map((tr) => tr.getAttribute('data-alert')),
      ]),
    );
    // firing first, resolved last; each alert in its group
    const order = ['firing', 'pending', 'acknowledged', 'silenced', 'resolved'];
    expect(shown.map(([group]) => group)).toEqual(order.filter((group) => expected[group]));
    for (const [group, ids] of shown)
      expect([...(ids as string[])].sort()).toEqual([...(expected[group as string] ?? [])].sort());
    // each row: its value, the threshold its severity crossed, its state, its silence, its link
    const fmt = (v: number | null) =>
      v === null
        ? '–'
        : Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001)
          ? v.toExponential(3)
          : v.toFixed(4);
    const now = (
      (await (
        await fetch(
          `${url}/v1/alerts?model=fraud-detector&state=pending,firing,resolved&limit=1000`,
          {
            headers: { authorization: `Bearer ${read.token}` },
          },
        )
      ).json()) as { items: ApiAlert[] }
    ).items;
    for (const alert of now) {
      const row = page.locator(`#alerts tr.alert-row[data-alert="${alert.alert_id}"]`);
      const cells = await row.locator('td').allTextContents();
      // the threshold of the verdict the stored alert last saw
      const facts = alerts.find((a) => a.alertId === alert.alert_id)?.last ?? null;
      const crossed = !facts
        ? null
        : alert.severity === 'critical'
          ? (['critical', facts.criticalThreshold] as const)
          : (['warn', facts.warnThreshold] as const);
      const threshold = crossed && crossed[1] !== null ? `${crossed[0]} ≥ ${fmt(crossed[1])}` : '–';
      expect(cells[1]).toBe(`${alert.check_id} · ${alert.feature || '(model)'} · ${alert.slice}`);
      expect(cells[2]).toMatch(
        alert.state === 'resolved'
          ? /^resolved · last breach \d{4}-\d\d-\d\d \d\d:\d\dZ$/
          : new RegExp(`^${alert.state} since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ`),
      );
      if (alert.acknowledged) expect(cells[2]).toMatch(/ · acknowledged by oncall$/);
      expect(cells[3]).toBe(fmt(alert.value));
      expect(cells[4]).toBe(threshold);
      expect(await row.locator('a.why').getAttribute('href')).toBe(
        `/dashboard/alerts/${alert.alert_id}`,
      );
      if (covered(alert) && alert.state !== 'resolved') {
        expect(cells[5]).toBe(
          `by ${silence.by}, “retraining tonight”, until ${minute(silence.until)}`,
        );
        expect(await row.locator('[data-silence]').getAttribute('data-silence')).toBe(
          silence.silence_id,
        );
      } else expect(cells[5]).toBe('–');
    }
    expect(silence.by).toBe('oncall');
    await page.locator('#alerts').screenshot({ path: path.join(ARTIFACTS, 'model-alerts.png') });
    // the link opens the alert's explanation
    const first = expected.silenced?.[0] ?? '';
    await Promise.all([
      page.waitForURL(`${url}/dashboard/alerts/${first}`),
      page.locator(`#alerts tr.alert-row[data-alert="${first}"] a.why`).click(),
    ]);
    await page.waitForSelector('body[data-ready="true"]');
    expect(
      await page.locator(`#silences .silence[data-silence="${silence.silence_id}"]`).count(),
    ).toBe(1);
    await page.context().close();
  });

  // Last: it adds windows after the demo's, which the tests above must not see.
  it("marks the alert's transitions (fired, escalated, resolved) on the drift chart at their windows", async () => {
    // A browser far from UTC: times on the page are UTC all the same.
    // After the demo's windows: one clear window resolves the alert, then it fires again at
    // warn and escalates to critical (stored verdicts, fed to the service's alert stage).
    const plan = service.plans.find((candidate) => candidate.model === 'fraud-detector');
    const [newest] = await listLatestWindowResults(service.store, 'fraud-detector');
    if (!plan || !newest) throw new Error('the demo should have evaluated fraud-detector');
    const after = (k: number) => new Date(Date.parse(newest.window_end) + k * plan.windowMs);
    const story = [
      ['ok', 0.03],
      ['warn', 0.17],
      ['critical', 0.41],
    ] as const;
    for (const [k, [status, value]] of story.entries()) {
      await storeRun(service.store, plan, after(k + 1), [
        { feature: 'amount', slice: 'channel=web', status, value },
      ]);
    }
    await service.alerts.processMonitor(plan.monitor, after(story.length));
    const page = await logIn(read.token, 'Asia/Kolkata');
    await page.goto(`${url}/dashboard/models/fraud-detector`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.selectOption('#metric', 'psi');
    await page
      .locator('#results tr[data-feature="amount"][data-slice="channel=web"] a.feature')
      .click();
    const history = page.locator('#history');
    // What the audit trail holds for this alert (psi of amount on the web channel).
    const transitions = await listAlertEvents(service.store, {
      model: 'fraud-detector',
      checkId: 'psi',
      feature: 'amount',
      sliceKey: 'channel',
      sliceValue: 'web',
      events: ['firing', 'escalated', 'resolved'],
    });
    // The demo's drift fired it; then resolved, fired and escalated above.
    expect(transitions.map((t) => t.event).slice(-3)).toEqual(['resolved', 'firing', 'escalated']);
    expect(transitions[0]?.event).toBe('firing');
    await expect
      .poll(() => history.getAttribute('data-alert-markers'))
      .toBe(String(transitions.length));
    const markers = history.locator('.alert-marker');
    expect(
      await markers.evaluateAll((nodes) =>
        nodes.map((node) => [node.getAttribute('data-event'), node.getAttribute('data-time')]),
      ),
    ).toEqual(transitions.map((t) => [t.event, t.windowEnd.toISOString()]));
    // Each sits at its window on the time axis: pointing at it puts uPlot's cursor on that
    // window, whose end the legend then shows.
    // (the heatmap leads the page: bring the chart into view to point at it)
    await history.locator('.u-over').scrollIntoViewIfNeeded();
    const plot = await history.locator('.u-over').boundingBox();
    const legendTime = history.locator('.u-legend .u-series').first().locator('.u-value');
    for (const [index, transition] of transitions.entries()) {
      const box = await markers.nth(index).boundingBox();
      if (!plot || !box) throw new Error('the chart and its markers should be laid out');
      expect(box.x).toBeGreaterThanOrEqual(plot.x - 1);
      expect(box.x).toBeLessThanOrEqual(plot.x + plot.width);
      // (the newest window's marker sits on the plot's right edge: point just inside it)
      const x = Math.min(box.x + box.width / 2, plot.x + plot.width - 1);
      await page.mouse.move(x, plot.y + plot.height / 2);
      await expect
        .poll(() => legendTime.textContent())
        .toBe(
          transition.windowEnd
            .toISOString()
            .replace('T', ' ')
            .replace(/:00\.000Z$/, 'Z'),
        );
    }
    const flag = await markers.first().locator('.flag').getAttribute('title');
    expect(flag).toMatch(new RegExp(`^${transitions[0]?.event}`));
    expect(await history.locator('.legend-thresholds').textContent()).toMatch(
      /alert: \d+ firing, 1 escalated, 1 resolved/,
    );
    await history.screenshot({ path: path.join(ARTIFACTS, 'alert-markers.png') });
    await page.context().close();
  });

  // After the transitions' windows: one more, holding a binary model's quality checks.
  it('lists the label checks of the newest window, and draws an ece check’s reliability curve', async () => {
    const plan = service.plans.find((candidate) => candidate.model === 'fraud-detector');
    const [newest] = await listLatestWindowResults(service.store, 'fraud-detector');
    if (!plan || !newest) throw new Error('the demo should have evaluated fraud-detector');
    const end = new Date(Date.parse(newest.window_end) + plan.windowMs);
    const labelWindow = {
      start: new Date(end.getTime() - 3 * plan.windowMs).toISOString(),
      end: new Date(end.getTime() - 2 * plan.windowMs).toISOString(),
    };
    const reliability = [
      { bin: 0, lower: 0, upper: 0.25, count: 40, mean_predicted: 0.1, fraction_positive: 0.05 },
      { bin: 2, lower: 0.5, upper: 0.75, count: 25, mean_predicted: 0.6, fraction_positive: 0.8 },
      { bin: 3, lower: 0.75, upper: 1, count: 35, mean_predicted: 0.9, fraction_positive: 0.7 },
    ];
    await storeRun(service.store, plan, end, [
      { feature: 'amount', status: 'ok', value: 0.01 },
      {
        checkId: 'f1',
        metric: 'f1',
        feature: '',
        status: 'critical',
        value: 0.41,
        details: { tp: 30, fp: 50, fn: 36, tn: 84, threshold: 0.5, label_window: labelWindow },
      },
      {
        checkId: 'ece',
        metric: 'ece',
        feature: '',
        slice: 'channel=web',
        status: 'ok',
        value: 0.085,
        details: { bins: 4, reliability, label_window: labelWindow },
      },
    ]);
    const page = await logIn(read.token);
    await page.goto(`${url}/dashboard/models/fraud-detector`);
    await page.waitForSelector('body[data-ready="true"]');
    // the label checks only (not the drift result), worst first
    const rows = await page.$$eval('#quality tbody tr', (trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-check'),
        tr.getAttribute('data-slice'),
        tr.getAttribute('data-status'),
        tr.getAttribute('data-value'),
      ]),
    );
    expect(rows).toEqual([
      ['f1', 'all', 'critical', '0.41'],
      ['ece', 'channel=web', 'ok', '0.085'],
    ]);
    expect(await page.locator('#quality tbody tr[data-check="f1"]').textContent()).toContain(
      labelWindow.start.replace('T', ' ').replace(/:00\.000Z$/, 'Z'),
    );
    await page.locator('#quality tr[data-check="ece"] a').click();
    const curve = page.locator('#reliability');
    await expect.poll(() => curve.getAttribute('data-points')).toBe('3');
    expect(await curve.locator('canvas').count()).toBe(1);
    expect(await page.textContent('#reliability-title')).toBe(
      'ece · channel=web · 4 bins · ECE 0.0850',
    );
    // and its history, in the history chart
    await expect.poll(() => page.getAttribute('#history', 'data-points')).toBe('1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'quality.png'), fullPage: true });
    await page.context().close();
  });
});
