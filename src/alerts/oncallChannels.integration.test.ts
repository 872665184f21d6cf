import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_RECEIVERS_ENV,
  startAlertmanagerStub,
  startPagerdutyStub,
  startTeamsStub,
  type AlertmanagerStub,
  type PagerdutyStub,
  type TeamsStub,
} from '../../test/helpers/alertReceivers.js';
import { openTestStore } from '../../test/helpers/store.js';
import { planFromYaml, storeRun, type StoredVerdict } from '../../test/helpers/verdicts.js';
import { loadAlertsConfig } from '../config/config.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { silentLogger } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import { insertSilence, listAlerts } from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { listDeliveryAttempts, listOutbox } from '../store/outbox.js';
import { createAlertStage, type AlertStage } from './alertStage.js';
import { acknowledgeAlert } from './operatorActions.js';

/**
 * The on-call channels through the real alert stage and outbox, each against a loopback
 * stand-in that speaks its protocol (test/helpers/alertReceivers.ts): what PagerDuty,
 * Alertmanager and a Teams channel end up holding, retries on 429 and 5xx, and final
 * failures on what the service refuses.
 */
const PD_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const AM_TOKEN = 'am-test-token-0123456789';
const T0 = Date.parse('2026-11-22T00:00:00Z');
const WINDOW = 30 * 60_000;
const at = (i: number) => new Date(T0 + i * WINDOW);

let store: Store;
let pagerduty: PagerdutyStub;
let teams: TeamsStub;
let alertmanager: AlertmanagerStub;
const stages: AlertStage[] = [];

beforeAll(async () => {
  store = await openTestStore();
  [pagerduty, teams, alertmanager] = await Promise.all([
    startPagerdutyStub(),
    startTeamsStub(),
    startAlertmanagerStub(),
  ]);
});

afterEach(async () => {
  await Promise.all(stages.splice(0).map((stage) => stage.stop()));
});

afterAll(async () => {
  await Promise.all([pagerduty.close(), teams.close(), alertmanager.close()]);
  await store.close();
});

function planFor(model: string, alerts: string): MonitorPlan {
  return planFromYaml(`model: ${model}
baseline: { trailing: 7d }
features: { amount: numeric, merchant: categorical }
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
${alerts}
pagerduty:
  oncall: { routing_key_env: PD_KEY, url: '${pagerduty.enqueueUrl}' }
  misconfigured: { routing_key_env: PD_SHORT_KEY, url: '${pagerduty.enqueueUrl}' }
teams:
  ml: { url_env: TEAMS_URL }
alertmanager:
  main: { url: '${alertmanager.url}/', bearer_token_env: AM_TOKEN }
`);
}

function startStage(plan: MonitorPlan, env: Record<string, string> = {}): AlertStage {
  const stage = createAlertStage({
    store,
    plans: [plan],
    config: loadAlertsConfig({
      DRIFTWATCH_PUBLIC_URL: 'https://driftwatch.example.com',
      // What the operator of this test exposes to monitor files: the receivers' variables,
      // and this machine, where the stand-ins listen.
      ...LOCAL_RECEIVERS_ENV,
      PD_KEY,
      PD_SHORT_KEY: 'too-short',
      TEAMS_URL: `${teams.url}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s3cr3t`,
      AM_TOKEN,
      DRIFTWATCH_ALERTS_MAX_ATTEMPTS: '4',
      DRIFTWATCH_ALERTS_RETRY_BASE_MS: '40',
      DRIFTWATCH_ALERTS_RETRY_MAX_MS: '200',
      DRIFTWATCH_ALERTS_TIMEOUT_MS: '3000',
      DRIFTWATCH_ALERTS_POLL_MS: '50',
      ...env,
    }),
    logger: silentLogger(),
    registry: createMetricsRegistry({ processMetrics: false }),
  });
  stages.push(stage);
  return stage;
}

/** Stores a run's verdicts, lets the stage process it, and delivers everything due. */
async function window(
  stage: AlertStage,
  plan: MonitorPlan,
  i: number,
  verdicts: StoredVerdict[],
): Promise<string[]> {
  await storeRun(store, plan, at(i), verdicts);
  const [processed] = await stage.processMonitor(plan.monitor, at(i));
  expect(await stage.delivery.drain({ timeoutMs: 15_000 })).toBe(true);
  return (
    processed?.notifications.map((n) => `${n.destination} ${n.kind} ${n.events.join(',')}`) ?? []
  );
}

const verdict = (
  feature: string,
  slice: string,
  status: 'warn' | 'critical' | 'ok',
): StoredVerdict => ({
  feature,
  slice,
  status,
  value: status === 'critical' ? 0.41 : status === 'warn' ? 0.17 : 0.03,
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function alertIdOf(model: string, feature: string, slice: string): Promise<string> {
  const alerts = await listAlerts(store, { model, state: 'all', limit: 100 });
  const [sliceKey, sliceValue] = slice === 'all' ? ['', 'all'] : slice.split('=');
  const found = alerts.find(
    (alert) =>
      alert.feature === feature && alert.sliceKey === sliceKey && alert.sliceValue === sliceValue,
  );
  if (!found) throw new Error(`no alert for ${feature} ${slice}`);
  return found.alertId;
}

describe('PagerDuty: trigger, acknowledge, resolve under one dedup_key', () => {
  it('opens one PagerDuty alert per driftwatch alert, retries a 429 and a 500, acknowledges on alerts ack, resolves', async () => {
    const plan = planFor(
      'pd-model',
      `alerts:
  repeat_interval: 30m
  routes:
    - { severity: warn, pagerduty: oncall }`,
    );
    const stage = startStage(plan);
    // PagerDuty is rate limiting, then failing: both are retried with backoff.
    pagerduty.script([
      { status: 429, headers: { 'retry-after': '0' }, body: '' },
      { status: 500, body: '{"status":"error","message":"internal"}' },
    ]);
    expect(await window(stage, plan, 0, [verdict('amount', 'channel=web', 'critical')])).toEqual([
      'pagerduty:oncall alert firing',
    ]);
    const alertId = await alertIdOf('pd-model', 'amount', 'channel=web');
    const mine = () => pagerduty.alerts.filter((alert) => alert.dedupKey === alertId);
    expect(mine()).toMatchObject([
      { routingKey: PD_KEY, status: 'triggered', severity: 'critical', log: ['trigger'] },
    ]);
    expect(mine()[0]?.summary).toBe('pd-model psi · amount · channel=web: 0.41 ≥ 0.25');
    expect(mine()[0]?.links).toEqual([
      {
        href: `https://driftwatch.example.com/dashboard/alerts/${alertId}`,
        text: 'Why it fired: the alert in driftwatch',
      },
      {
        href: 'https://driftwatch.example.com/dashboard/models/pd-model',
        text: 'pd-model: drift history',
      },
    ]);
    const [entry] = await listOutbox(store, { model: 'pd-model' });
    expect(
      (await listDeliveryAttempts(store, entry?.id ?? '')).map((a) => [a.status, a.responseStatus]),
    ).toEqual([
      ['retrying', 429],
      ['retrying', 500],
      ['delivered', 202],
    ]);

    // Someone is on it: `alerts ack` acknowledges the PagerDuty alert too.
    const ack = await acknowledgeAlert(store, { alertId, by: 'ana', reason: 'looking' });
    expect(ack.ok).toBe(true);
    expect(await stage.delivery.drain({ timeoutMs: 15_000 })).toBe(true);
    expect(mine()).toMatchObject([{ status: 'acknowledged', log: ['trigger', 'acknowledge'] }]);
    // Acknowledging again writes the same outbox row: PagerDuty hears it once.
    await acknowledgeAlert(store, { alertId, by: 'ana', reason: 'still' });
    expect(await stage.delivery.drain({ timeoutMs: 15_000 })).toBe(true);
    expect(mine()[0]?.log).toEqual(['trigger', 'acknowledge']);

    // Acknowledged: no repeats; then the data is clean again and the alert resolves.
    expect(await window(stage, plan, 1, [verdict('amount', 'channel=web', 'critical')])).toEqual(
      [],
    );
    expect(await window(stage, plan, 2, [verdict('amount', 'channel=web', 'ok')])).toEqual([
      'pagerduty:oncall resolved resolved',
    ]);
    expect(mine()).toMatchObject([
      { status: 'resolved', log: ['trigger', 'acknowledge', 'resolve'] },
    ]);
    // Every event PagerDuty accepted was valid by its rules.
    expect(pagerduty.events.filter((event) => event.status === 400)).toEqual([]);

    // It breaches again: a new episode, a new PagerDuty alert under the same key.
    await window(stage, plan, 3, [verdict('amount', 'channel=web', 'warn')]);
    expect(mine().map((alert) => [alert.status, alert.severity])).toEqual([
      ['resolved', 'critical'],
      ['triggered', 'warning'],
    ]);
  });

  it('an event PagerDuty refuses (400) is dead at once with its reason, and never retried', async () => {
    const plan = planFor(
      'pd-refused',
      `alerts:
  routes:
    - { severity: warn, pagerduty: misconfigured }`,
    );
    const stage = startStage(plan);
    const before = pagerduty.events.length;
    await window(stage, plan, 0, [verdict('amount', 'all', 'warn')]);
    const [entry] = await listOutbox(store, { model: 'pd-refused' });
    expect(entry).toMatchObject({
      status: 'dead',
      attempts: 1,
      lastError:
        'PagerDuty "misconfigured" answered HTTP 400: Event object is invalid; \'routing_key\' is invalid (must be 32 characters)',
    });
    expect(pagerduty.events.length - before).toBe(1);
  });
});

describe('Alertmanager: the firing alerts every run, resolutions with endsAt', () => {
  it('keeps a firing alert alive between notices, ends the warning one on escalation, resolves with its window, leaves silenced alerts out', async () => {
    const plan = planFor(
      'am-model',
      `alerts:
  repeat_interval: 6h
  routes:
    - { severity: warn, alertmanager: main }`,
    );
    const stage = startStage(plan);
    const mine = () =>
      [...alertmanager.alerts.values()].filter((alert) => alert.labels.model === 'am-model');
    alertmanager.script([{ status: 503, body: '"not ready"' }]);
    const sent = Date.now();
    expect(
      await window(stage, plan, 0, [
        verdict('amount', 'channel=web', 'warn'),
        verdict('merchant', 'all', 'ok'),
      ]),
    ).toEqual(['alertmanager:main digest firing']);
    const post = alertmanager.posts.at(-1);
    expect(post?.headers.authorization).toBe(`Bearer ${AM_TOKEN}`);
    expect(alertmanager.posts.slice(-2).map((p) => p.status)).toEqual([503, 200]);
    expect(mine()).toHaveLength(1);
    const firing = mine()[0];
    expect(firing?.labels).toEqual({
      alertname: 'DriftwatchPsi',
      model: 'am-model',
      monitor: 'am-model',
      check: 'psi',
      feature: 'amount',
      slice: 'channel=web',
      severity: 'warning',
    });
    expect(firing?.startsAt).toBe(at(0).toISOString());
    // endsAt: four of the schedule's 30-minute intervals after the request, as Prometheus does
    const endsIn = Date.parse(firing?.endsAt ?? '') - sent;
    expect(endsIn).toBeGreaterThan(4 * WINDOW - 5 * 60_000);
    expect(endsIn).toBeLessThanOrEqual(4 * WINDOW + 60_000);
    expect(firing?.generatorURL).toBe('https://driftwatch.example.com/dashboard/models/am-model');

    // Still breaching, nothing new to notify (repeat in 6h): Alertmanager is told again anyway.
    expect(await window(stage, plan, 1, [verdict('amount', 'channel=web', 'warn')])).toEqual([
      'alertmanager:main digest repeated',
    ]);
    expect(mine()[0]?.updates).toBe(2);

    // A second alert fires while silenced: it never reaches Alertmanager.
    await insertSilence(store, {
      silenceId: 'sil_am',
      model: 'am-model',
      feature: 'merchant',
      slice: '',
      checkId: '',
      startsAt: new Date(Date.now() - 60_000),
      endsAt: new Date(Date.now() + 3_600_000),
      reason: 'known',
      createdBy: 'bo',
      createdAt: new Date(),
      expiredBy: '',
      expiredAt: null,
    });
    // Escalation: the severity is a label, so the warning alert ends and a critical one starts.
    expect(
      await window(stage, plan, 2, [
        verdict('amount', 'channel=web', 'critical'),
        verdict('merchant', 'all', 'critical'),
      ]),
    ).toEqual(['alertmanager:main digest escalated']);
    const bySeverity = (severity: string) => mine().find((a) => a.labels.severity === severity);
    expect(bySeverity('warning')?.endsAt).toBe(at(2).toISOString());
    expect(Date.parse(bySeverity('critical')?.endsAt ?? '')).toBeGreaterThan(Date.now());
    expect(mine().map((alert) => alert.labels.feature)).toEqual(['amount', 'amount']);

    // Clean again: resolved, endsAt the window that cleared it; nothing of it stays active.
    await window(stage, plan, 3, [
      verdict('amount', 'channel=web', 'ok'),
      verdict('merchant', 'all', 'critical'),
    ]);
    expect(bySeverity('critical')?.endsAt).toBe(at(3).toISOString());
    expect(alertmanager.active().filter((a) => a.labels.model === 'am-model')).toEqual([]);
    expect(alertmanager.posts.filter((p) => p.status === 400)).toEqual([]);
  });
});

describe('Teams: an Adaptive Card per notification', () => {
  it('posts firing and resolved cards that validate, retrying a 429, and the URL never shows in an error', async () => {
    const plan = planFor(
      'teams-model',
      `alerts:
  routes:
    - { severity: warn, teams: ml }`,
    );
    const stage = startStage(plan);
    const before = teams.cards.length;
    teams.script([{ status: 429, headers: { 'retry-after': '0' }, body: '' }]);
    expect(
      await window(stage, plan, 0, [
        verdict('amount', 'channel=web', 'critical'),
        verdict('merchant', 'all', 'warn'),
      ]),
    ).toEqual(['teams:ml digest firing', 'teams:ml digest firing']);
    await window(stage, plan, 1, [
      verdict('amount', 'channel=web', 'ok'),
      verdict('merchant', 'all', 'ok'),
    ]);
    const cards = teams.cards.slice(before).map((card) => JSON.stringify(card));
    expect(cards).toHaveLength(4);
    expect(cards[0]).toContain('CRITICAL · teams-model');
    expect(cards[0]).toContain('0.41 ≥ 0.25');
    expect(cards[1]).toContain('WARNING · teams-model');
    expect(cards.slice(2).every((card) => card.includes('RESOLVED · teams-model'))).toBe(true);
    expect(teams.posts.filter((post) => post.problems.length > 0)).toEqual([]);
    expect(teams.posts.at(-1)?.path).toContain('sig=s3cr3t');

    // A channel that is gone: final, and the error names the receiver, not the URL.
    const gone = startStage(plan, {
      TEAMS_URL: `http://127.0.0.1:${await closedPort()}/hooks?sig=s3cr3t`,
    });
    await stage.stop();
    await window(gone, plan, 2, [verdict('amount', 'channel=web', 'critical')]).catch(() => []);
    const [latest] = await listOutbox(store, { model: 'teams-model' });
    expect(latest?.lastError).toMatch(/^Teams "ml" unreachable: ECONNREFUSED$/);
  });
});

describe('alerts test through each on-call route', () => {
  it('PagerDuty gets an info trigger resolved at once, Teams a test card, Alertmanager a test alert', async () => {
    const plan = planFor(
      'test-routes',
      `alerts:
  routes:
    - { severity: critical, pagerduty: oncall, teams: ml, alertmanager: main }`,
    );
    const stage = startStage(plan);
    const sent = await stage.enqueueTest('test-routes');
    expect(sent.map((n) => n.destination).sort()).toEqual([
      'alertmanager:main',
      'pagerduty:oncall',
      'teams:ml',
    ]);
    expect(await stage.delivery.drain({ ids: sent.map((n) => n.id) })).toBe(true);
    expect((await listOutbox(store, { ids: sent.map((n) => n.id) })).map((e) => e.status)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
    const test = pagerduty.alerts.find((alert) => alert.dedupKey.startsWith('driftwatch-test-'));
    expect(test).toMatchObject({
      status: 'resolved',
      severity: 'info',
      log: ['trigger', 'resolve'],
    });
    expect(JSON.stringify(teams.cards.at(-1))).toContain('TEST · test-routes');
    const amTest = [...alertmanager.alerts.values()].find(
      (alert) => alert.labels.model === 'test-routes',
    );
    expect(amTest?.labels.alertname).toBe('DriftwatchTest');
  });
});
